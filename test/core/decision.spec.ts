// decide(): the one decision of a request for the handlers that may serve it.
import { decide, readCorsRequest, type Candidate, type CorsOptions, type Decision, type OriginMatcher, type OriginVerdict } from '../../lib/core/index.js';
import { compiled } from '../utility/policy.js';

const A = 'https://a.example';
const B = 'https://b.example';
const cand = (options: CorsOptions | null, route = 'C.h'): Candidate =>
  options === null ? { policy: null, source: 'disabled', route } : { policy: compiled(options), source: 'decorator', route };

const actual = (origin?: string) => readCorsRequest('GET', '/x', origin ? { origin } : {}, null);
const preflight = (origin: string, method = 'PUT', headers?: string) =>
  readCorsRequest('OPTIONS', '/x', { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) }, null);

function sync(d: Decision | Promise<Decision>): Decision {
  if (d instanceof Promise) throw new Error('expected a synchronous decision');
  return d;
}
const headersOf = (d: Decision) => Object.fromEntries(d.headers);

describe('decide: actual requests', () => {
  it.each([
    { desc: 'an allowed origin gets ACAO and Vary', c: cand({ origins: A }), origin: A, want: { acao: A, verdict: 'allowed', vary: 'Origin' } },
    { desc: 'a refused origin gets nothing but Vary', c: cand({ origins: A }), origin: B, want: { acao: undefined, verdict: 'refused', vary: 'Origin' } },
    { desc: 'no policy: nothing, refused as no-cors', c: cand(null), origin: A, want: { acao: undefined, verdict: 'refused', vary: null } },
    { desc: 'no Origin: alwaysSend, not a CORS request', c: cand({ origins: A }), origin: undefined, want: { acao: A, verdict: 'none', vary: 'Origin' } },
    { desc: 'no Origin and no policy: nothing at all', c: cand(null), origin: undefined, want: { acao: undefined, verdict: 'none', vary: null } },
  ])('$desc', ({ c, origin, want }) => {
    const d = sync(decide([c], actual(origin), { timeout: 1000 }));
    expect({ acao: headersOf(d)['access-control-allow-origin'], verdict: d.verdict, vary: d.vary }).toEqual(want);
    expect([d.kind, d.answer]).toEqual(['actual', false]);
  });

  it('several candidates (a response written before any handler ran): only what all grant', () => {
    const both = cand({ origins: [A, B], supportsCredentials: true, exposeHeaders: ['x-a', 'x-b'] });
    const narrow = cand({ origins: [A, B], exposeHeaders: ['X-B', 'x-c'] }, 'C.v2');
    const d = sync(decide([both, narrow], actual(A), { timeout: 1000 }));
    expect(headersOf(d)).toEqual({ 'access-control-allow-origin': A, 'access-control-expose-headers': 'x-b' });
    expect([d.verdict, d.vary, d.candidates.length]).toEqual(['allowed', 'Origin', 2]);
  });

  it('several candidates: an origin one refuses is refused, naming that one', () => {
    const d = sync(decide([cand({ origins: [A, B] }), cand({ origins: B }, 'C.v2')], actual(A), { timeout: 1000 }));
    expect([d.headers.length, d.verdict, d.refusal?.kind, d.by, d.vary]).toEqual([0, 'refused', 'origin', 1, 'Origin']);
  });

  it('several candidates: one without CORS means no CORS headers', () => {
    const d = sync(decide([cand({ origins: A }), cand(null, 'static')], actual(A), { timeout: 1000 }));
    expect([d.headers.length, d.refusal?.kind, d.by, d.vary]).toEqual([0, 'no-cors', 1, null]);
  });

  it('several candidates without an Origin: alwaysSend only for the origin all send', () => {
    const same = sync(decide([cand({ origins: A }), cand({ origins: A, supportsCredentials: true })], actual(), { timeout: 1000 }));
    expect(headersOf(same)).toEqual({ 'access-control-allow-origin': A });
    const differ = sync(decide([cand({ origins: A }), cand({ origins: B })], actual(), { timeout: 1000 }));
    expect(differ.headers).toEqual([]);
  });

  it('several candidates with an async predicate: a promise, the same intersection', async () => {
    const d = await decide([cand({ origins: [async (o: string) => o === A] }), cand({ origins: A })], actual(A), { timeout: 1000 });
    expect([headersOf(d)['access-control-allow-origin'], d.verdict]).toEqual([A, 'allowed']);
  });

  it('a verdict worked out in advance is used instead of asking the predicates again', () => {
    let calls = 0;
    const c = cand({ origins: [(o: string) => (calls++, o === A)] });
    const known = new Map<OriginMatcher, OriginVerdict>([[c.policy!.origins, true]]);
    const d = sync(decide([c], actual(B), { timeout: 1000, known }));
    expect([headersOf(d)['access-control-allow-origin'], calls]).toEqual([B, 0]);
  });

  it('a caller that cannot wait gets a pending refusal for an async predicate, never a promise', () => {
    const c = cand({ origins: [async () => true] });
    const d = sync(decide([c], actual(A), { timeout: 1000, sync: true }));
    expect([d.verdict, d.refusal]).toEqual(['refused', { kind: 'origin-pending', origin: A }]);
  });

  it('an async predicate makes the decision a promise, otherwise the same', async () => {
    const d = await decide([cand({ origins: [async (o: string) => o === A] })], actual(A), { timeout: 1000 });
    expect([headersOf(d)['access-control-allow-origin'], d.verdict]).toEqual([A, 'allowed']);
  });
});

describe('decide: preflights', () => {
  it('one candidate: its policy, answered now', () => {
    const d = sync(decide([cand({ origins: A, maxAge: 60 })], preflight(A), { timeout: 1000 }));
    expect([d.kind, d.answer, d.verdict, headersOf(d)['access-control-max-age']]).toEqual(['preflight', true, 'allowed', '60']);
    expect(d.vary).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  });

  it('several candidates: only what all allow; the refusal names the candidate that refused', () => {
    const d = sync(decide([cand({ origins: [A, B] }, 'V1.h'), cand({ origins: B }, 'V2.h')], preflight(A), { timeout: 1000 }));
    expect([d.verdict, headersOf(d)['access-control-allow-origin'], d.candidates[d.by].route]).toEqual(['refused', undefined, 'V2.h']);
    const both = sync(decide([cand({ origins: [A, B], maxAge: 600 }), cand({ origins: B, maxAge: 60 })], preflight(B), { timeout: 1000 }));
    expect([both.verdict, headersOf(both)['access-control-max-age']]).toEqual(['allowed', '60']);
  });

  it('a candidate without CORS: the preflight reaches the app untouched', () => {
    const d = sync(decide([cand({ origins: A }), cand(null, 'Off.h')], preflight(A), { timeout: 1000 }));
    expect([d.answer, d.headers.length, d.refusal, d.candidates[d.by].route]).toEqual([false, 0, { kind: 'no-cors' }, 'Off.h']);
  });

  it('no candidate at all counts as no policy', () => {
    const d = sync(decide([], preflight(A), { timeout: 1000 }));
    expect([d.answer, d.refusal]).toEqual([false, { kind: 'no-cors' }]);
  });

  it('automaticOptions: false in any candidate hands the preflight on, with its headers', () => {
    const d = sync(decide([cand({ origins: A }), cand({ origins: A, automaticOptions: false })], preflight(A), { timeout: 1000 }));
    expect([d.answer, headersOf(d)['access-control-allow-origin']]).toEqual([false, A]);
  });

  it('Private Network Access adds its name to Vary when any candidate answers it', () => {
    const r = readCorsRequest('OPTIONS', '/x', { origin: A, 'access-control-request-method': 'GET', 'access-control-request-private-network': 'true' }, null);
    const d = sync(decide([cand({ origins: A }), cand({ origins: A, allowPrivateNetwork: true })], r, { timeout: 1000 }));
    expect(d.vary).toContain('Access-Control-Request-Private-Network');
  });

  it('repeated Access-Control-Request-Headers lines are one list', () => {
    const r = readCorsRequest('OPTIONS', '/x', { origin: A, 'access-control-request-method': 'GET', 'access-control-request-headers': ['x-a', 'x-b'] }, null);
    expect(r.acrh).toBe('x-a,x-b');
    const d = sync(decide([cand({ origins: A })], r, { timeout: 1000 }));
    expect(headersOf(d)['access-control-allow-headers']).toBe('x-a, x-b');
  });
});
