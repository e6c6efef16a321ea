// SPEC §3 rule 7 and §4: one preflight answer for several version handlers (only what every
// candidate allows), and the Vary every preflight response carries.
import {
  PREFLIGHT_VARY,
  PREFLIGHT_VARY_PNA,
  appendVary,
  intersectPreflights,
  preflightResponse,
  preflightVary,
  type CorsOptions,
  type CorsPolicy,
} from '../../lib/core/index.js';
import { compiled } from '../utility/policy.js';

const policy = (options: CorsOptions): CorsPolicy => compiled(options);

const ORIGIN = 'https://a.example';

/** The preflight each policy would answer on its own, then the combined answer, as an object. */
function combined(options: CorsOptions[], acrm = 'PUT', acrh: string | undefined = 'x-a', acrpn?: string) {
  const outcomes = options.map((o) => {
    const p = policy(o);
    return preflightResponse(p, ORIGIN, p.origins.any || p.origins.exact.has(ORIGIN), acrm, acrh, acrpn);
  });
  const out = intersectPreflights(outcomes);
  return { headers: Object.fromEntries(out.headers), refusal: out.refusal };
}

describe('intersectPreflights (SPEC §3 rule 7)', () => {
  it('one candidate is answered as it is', () => {
    const p = policy({ maxAge: 600 });
    const alone = preflightResponse(p, ORIGIN, true, 'PUT', 'x-a', undefined);
    expect(intersectPreflights([alone])).toBe(alone);
  });

  it('an origin only one version admits is refused', () => {
    const { headers, refusal } = combined([{ origins: ORIGIN }, { origins: 'https://b.example' }]);
    expect(headers).toEqual({});
    expect(refusal).toEqual({ kind: 'origin', origin: ORIGIN });
  });

  it('a method one version lacks fails the preflight: no ACAM', () => {
    const { headers, refusal } = combined([{ methods: ['GET', 'PUT'] }, { methods: ['GET'] }]);
    expect(headers['access-control-allow-methods']).toBeUndefined();
    expect(refusal).toEqual({ kind: 'method', method: 'PUT' });
  });

  it('a header one version refuses fails the preflight', () => {
    const { refusal } = combined([{ allowHeaders: ['x-a'] }, { allowHeaders: ['x-b'] }]);
    expect(refusal).toEqual({ kind: 'header', header: 'x-a' });
  });

  it('a refused header leaves, as one policy would, ACAM and the headers every version admits', () => {
    const { headers, refusal } = combined([{ allowHeaders: ['x-a', 'x-b'] }, { allowHeaders: ['x-b'] }], 'PUT', 'x-a, X-B');
    expect(refusal).toEqual({ kind: 'header', header: 'x-a' });
    expect(headers['access-control-allow-headers']).toBe('X-B');
    expect(headers['access-control-allow-methods']).toBe('GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE');
    expect(headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('a method one version refuses leaves only the origin answer, even with a header refused too', () => {
    const { headers, refusal } = combined([{ allowHeaders: ['x-b'] }, { methods: ['GET'] }], 'PUT', 'x-a');
    expect(refusal).toEqual({ kind: 'method', method: 'PUT' });
    expect(headers).toEqual({ 'access-control-allow-origin': ORIGIN });
  });

  it("a version with methods '*' narrows nothing: ACAM lists the others' common methods", () => {
    const { headers, refusal } = combined([{ methods: '*' }, { methods: ['GET', 'PUT'] }, { methods: ['PUT', 'PATCH', 'GET'] }]);
    expect(refusal).toBeNull();
    expect(headers['access-control-allow-methods']).toBe('GET, PUT');
  });

  it("every version with methods '*': ACAM is '*'", () => {
    const { headers, refusal } = combined([{ methods: '*' }, { methods: ['GET', '*'] }], 'PURGE');
    expect(refusal).toBeNull();
    expect(headers['access-control-allow-methods']).toBe('*');
  });

  it('ACAM lists only the methods all allow; ACAH echoes what all admit', () => {
    const { headers, refusal } = combined([{ methods: ['GET', 'PUT', 'DELETE'] }, { methods: ['PUT', 'GET', 'PATCH'], allowHeaders: ['x-a'] }]);
    expect(refusal).toBeNull();
    expect(headers).toEqual({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'x-a',
    });
  });

  it('credentials and PNA only when every version grants them', () => {
    const withCreds = { origins: ORIGIN, supportsCredentials: true, allowPrivateNetwork: true };
    expect(combined([withCreds, withCreds], 'PUT', undefined, 'true').headers).toMatchObject({
      'access-control-allow-credentials': 'true', 'access-control-allow-private-network': 'true',
    });
    const mixed = combined([withCreds, { origins: ORIGIN }], 'PUT', undefined, 'true').headers;
    expect(mixed['access-control-allow-credentials']).toBeUndefined();
    expect(mixed['access-control-allow-private-network']).toBe('false');
  });

  it('ACAO is "*" only when every version sends "*"', () => {
    expect(combined([{ sendWildcard: true }, { sendWildcard: true }]).headers['access-control-allow-origin']).toBe('*');
    expect(combined([{ sendWildcard: true }, {}]).headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it.each([
    { ages: [600, 60], want: '60' },
    { ages: [600, 0], want: '0' },
    { ages: [600, undefined], want: undefined }, // absent: the browsers' 5 s, the smallest
    { ages: [3, undefined], want: '3' },
    { ages: [undefined, undefined], want: undefined },
  ])('the smallest maxAge of $ages is $want', ({ ages, want }) => {
    expect(combined(ages.map((maxAge) => ({ maxAge }))).headers['access-control-max-age']).toBe(want);
  });
});

describe('preflight Vary (SPEC §4)', () => {
  it('lists Origin, ACRM and ACRH; ACRPN too when PNA is answered', () => {
    expect(PREFLIGHT_VARY).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    expect(preflightVary(policy({}), undefined)).toBe(PREFLIGHT_VARY);
    expect(preflightVary(policy({}), 'true')).toBe(PREFLIGHT_VARY_PNA);
    expect(preflightVary(policy({ allowPrivateNetwork: true, origins: ORIGIN }), undefined)).toBe(PREFLIGHT_VARY_PNA);
    expect(preflightVary(policy({ varyHeader: false }), undefined)).toBeNull();
  });

  it('appendVary adds each missing name of a list once, keeping the app\'s', () => {
    expect(appendVary('Accept-Encoding, origin', PREFLIGHT_VARY)).toBe(
      'Accept-Encoding, origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    expect(appendVary('*', PREFLIGHT_VARY)).toBe('*');
    expect(appendVary(['Accept', 'Access-Control-Request-Method'], 'Origin, Access-Control-Request-Method')).toBe(
      'Accept, Access-Control-Request-Method, Origin');
  });
});
