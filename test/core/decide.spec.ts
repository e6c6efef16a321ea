import {
  actualResponseHeaders,
  preflightResponse,
  type CorsOptions,
  type CorsPolicy,
} from '../../lib/core/index.js';
import { compiled } from '../utility/policy.js';

const policy = (options: CorsOptions): CorsPolicy => compiled(options);

const asObject = (headers: readonly (readonly [string, string])[]) => Object.fromEntries(headers);

describe('actual responses (SPEC §4)', () => {
  it.each([
    { desc: 'default echoes the origin', o: {}, origin: 'http://example.com', want: { 'access-control-allow-origin': 'http://example.com' } },
    { desc: 'sendWildcard answers "*"', o: { sendWildcard: true }, origin: 'http://example.com', want: { 'access-control-allow-origin': '*' } },
    { desc: 'expose and credentials', o: { origins: 'https://a.com', exposeHeaders: ['X-B', 'X-A'], supportsCredentials: true }, origin: 'https://a.com',
      want: { 'access-control-allow-origin': 'https://a.com', 'access-control-expose-headers': 'X-B, X-A', 'access-control-allow-credentials': 'true' } },
    { desc: 'refused origin: nothing', o: { origins: 'https://a.com', exposeHeaders: 'X-A' }, origin: 'https://b.com', want: {} },
    { desc: 'no Origin, star: "*" (alwaysSend)', o: {}, origin: undefined, want: { 'access-control-allow-origin': '*' } },
    { desc: 'no Origin, one static origin', o: { origins: 'https://a.com' }, origin: undefined, want: { 'access-control-allow-origin': 'https://a.com' } },
    { desc: 'no Origin, several origins: nothing', o: { origins: ['https://a.com', 'https://b.com'] }, origin: undefined, want: {} },
    { desc: 'no Origin, alwaysSend off', o: { alwaysSend: false }, origin: undefined, want: {} },
    { desc: 'no Origin with credentials never "*"', o: { origins: ['https://a.com', 'https://b.com'], supportsCredentials: true }, origin: undefined, want: {} },
    { desc: 'empty Origin counts as absent', o: { alwaysSend: false }, origin: '', want: {} },
    { desc: 'PNA off answers false', o: {}, origin: 'https://a.com', acrpn: 'true', want: { 'access-control-allow-origin': 'https://a.com', 'access-control-allow-private-network': 'false' } },
    { desc: 'PNA on answers true', o: { origins: 'https://a.com', allowPrivateNetwork: true }, origin: 'https://a.com', acrpn: 'true', want: { 'access-control-allow-origin': 'https://a.com', 'access-control-allow-private-network': 'true' } },
  ])('$desc', ({ o, origin, acrpn, want }) => {
    const p = policy(o as CorsOptions);
    const allowed = origin ? (p.origins.any || p.origins.exact.has(origin)) : false;
    expect(asObject(actualResponseHeaders(p, origin, allowed, acrpn))).toEqual(want);
  });

  it('varies on Origin always: even "*" is refused to null and malformed origins', () => {
    expect(policy({}).varyOrigin).toBe(true);
    expect(policy({ origins: 'https://a.com' }).varyOrigin).toBe(true);
    expect(policy({ sendWildcard: true }).varyOrigin).toBe(true);
    expect(policy({ varyHeader: false }).varyOrigin).toBe(false);
  });
});

describe('preflights (SPEC §4)', () => {
  it('allowed: ACAO, ACAM with every method, echoed ACAH, ACMA, ACEH and ACAC', () => {
    const p = policy({ origins: 'https://a.com', maxAge: 600, exposeHeaders: 'X-T', supportsCredentials: true });
    const out = preflightResponse(p, 'https://a.com', true, 'PUT', 'content-type,x-custom', undefined);
    expect(out.refusal).toBeNull();
    expect(asObject(out.headers)).toEqual({
      'access-control-allow-origin': 'https://a.com',
      'access-control-expose-headers': 'X-T',
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'content-type, x-custom',
      'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE',
      'access-control-max-age': '600',
    });
  });

  it('maxAge 0 is sent as 0 (deviation: Flask-CORS drops it)', () => {
    expect(asObject(preflightResponse(policy({ maxAge: 0 }), 'https://a.com', true, 'GET', undefined, undefined).headers)['access-control-max-age']).toBe('0');
  });

  it.each(['PATC', 'T', 'E, G', 'put', 'GET ', ''])('ACRM %p is refused: exact token match (deviation: Flask-CORS tests a substring)', (acrm) => {
    const out = preflightResponse(policy({}), 'https://a.com', true, acrm, 'x-a', undefined);
    expect(out.refusal).toEqual({ kind: 'method', method: acrm });
    const h = asObject(out.headers);
    expect(h['access-control-allow-origin']).toBe('https://a.com');
    expect(h['access-control-allow-methods']).toBeUndefined();
    expect(h['access-control-allow-headers']).toBeUndefined();
  });

  it('a method not in methods gets no ACAM/ACAH/ACMA but keeps ACAO', () => {
    const out = preflightResponse(policy({ methods: ['POST'], maxAge: 5 }), 'https://a.com', true, 'PUT', 'x-a', undefined);
    expect(asObject(out.headers)).toEqual({ 'access-control-allow-origin': 'https://a.com' });
  });

  it.each([
    { desc: "methods '*': any method passes, ACAM is '*'", methods: '*', acrm: 'PURGE' },
    { desc: "'*' in a list: ACAM is '*' alone", methods: ['GET', 'HEAD', 'POST', '*'], acrm: 'PURGE' },
    { desc: "'*' in a comma-separated string", methods: 'GET, *', acrm: 'PROPFIND' },
    { desc: "'*' still lets a listed method through", methods: ['GET', '*'], acrm: 'GET' },
  ])('$desc (Fetch wildcard, without credentials)', ({ methods, acrm }) => {
    const out = preflightResponse(policy({ methods }), 'https://a.com', true, acrm, undefined, undefined);
    expect(out.refusal).toBeNull();
    expect(asObject(out.headers)['access-control-allow-methods']).toBe('*');
  });

  it("methods '*' still refuses an ACRM that is not a method token", () => {
    const out = preflightResponse(policy({ methods: '*' }), 'https://a.com', true, 'GET POST', undefined, undefined);
    expect(out.refusal).toEqual({ kind: 'method', method: 'GET POST' });
    expect(asObject(out.headers)['access-control-allow-methods']).toBeUndefined();
  });

  it('refused origin: no headers at all', () => {
    const out = preflightResponse(policy({ origins: 'https://a.com' }), 'https://b.com', false, 'GET', undefined, undefined);
    expect(out.headers).toEqual([]);
    expect(out.refusal).toEqual({ kind: 'origin', origin: 'https://b.com' });
  });

  it('headers not admitted are not echoed and are reported', () => {
    const out = preflightResponse(policy({ allowHeaders: ['content-type'] }), 'https://a.com', true, 'POST', 'content-type,x-api-key', undefined);
    expect(asObject(out.headers)['access-control-allow-headers']).toBe('content-type');
    expect(out.refusal).toEqual({ kind: 'header', header: 'x-api-key' });
  });
});
