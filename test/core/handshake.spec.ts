// SPEC §8: the decision for one request to a gateway's socket server, on plain objects.
import {
  PolicySet, decideHandshake, type CorsOptions, type CorsPolicy, type HandshakeDecision, type HandshakeRequest,
} from '../../lib/core/index.js';
import { compiled } from '../utility/policy.js';

const policy = (options: CorsOptions): CorsPolicy => compiled(options, 'gateway');

/** The decision, which must be synchronous (no predicate involved). */
function sync(d: HandshakeDecision | Promise<HandshakeDecision>): HandshakeDecision {
  if (d instanceof Promise) throw new Error('expected a synchronous decision');
  return d;
}
const headersOf = (d: HandshakeDecision) => ('headers' in d ? Object.fromEntries(d.headers) : {});

const GET = (origin?: string): HandshakeRequest => ({ method: 'GET', origin, acrm: undefined, acrh: undefined, acrpn: undefined });

describe('gateway handshakes (SPEC §8)', () => {
  const listed = policy({ origins: ['https://app.example'], allowHeaders: ['x-token'], supportsCredentials: true });
  // alwaysSend with one static origin, as on an HTTP route.
  const noOrigin = { 'access-control-allow-origin': 'https://app.example', 'access-control-allow-credentials': 'true' };

  it.each([
    { desc: 'a listed origin passes with the policy headers', origin: 'https://app.example',
      want: { kind: 'pass', headers: { 'access-control-allow-origin': 'https://app.example', 'access-control-allow-credentials': 'true' } } },
    { desc: 'an unlisted origin is refused', origin: 'https://evil.example',
      want: { kind: 'refuse', refusal: { kind: 'origin', origin: 'https://evil.example' } } },
    { desc: 'the null origin (sandboxed frames) is refused unless listed', origin: 'null',
      want: { kind: 'refuse', refusal: { kind: 'origin', origin: 'null' } } },
    { desc: 'a look-alike suffix is refused', origin: 'https://app.example.evil.io',
      want: { kind: 'refuse', refusal: { kind: 'origin', origin: 'https://app.example.evil.io' } } },
    { desc: 'no Origin (a native client) passes, with the HTTP alwaysSend headers', origin: undefined, want: { kind: 'pass', headers: noOrigin } },
    { desc: 'an empty Origin counts as absent', origin: '', want: { kind: 'pass', headers: noOrigin } },
  ])('$desc', ({ origin, want }) => {
    const d = sync(decideHandshake(listed, GET(origin), {}));
    expect('headers' in d ? { ...d, headers: headersOf(d) } : d).toEqual(want);
  });

  it('without Origin, alwaysSend decides only the ACAO, never the admission', () => {
    const one = policy({ origins: 'https://app.example' });
    const off = policy({ origins: 'https://app.example', alwaysSend: false });
    expect(decideHandshake(one, GET(), {})).toEqual({ kind: 'pass', headers: [['access-control-allow-origin', 'https://app.example']] });
    expect(decideHandshake(off, GET(), {})).toEqual({ kind: 'pass', headers: [] });
  });

  it('answers a preflight from an allowed origin, echoing only the allowed headers', () => {
    const r = (acrh: string): HandshakeRequest => ({ method: 'OPTIONS', origin: 'https://app.example', acrm: 'GET', acrh, acrpn: undefined });
    const ok = sync(decideHandshake(listed, r('x-token'), {}));
    expect(ok).toMatchObject({ kind: 'preflight', refusal: null });
    expect(headersOf(ok)).toMatchObject({ 'access-control-allow-headers': 'x-token' });
    const partial = sync(decideHandshake(listed, r('x-other'), {}));
    expect(partial).toMatchObject({ kind: 'preflight', refusal: { kind: 'header', header: 'x-other' } });
    expect(headersOf(partial)['access-control-allow-headers']).toBeUndefined();
  });

  it('refuses a preflight from a refused origin like any other request', () => {
    expect(decideHandshake(listed, { method: 'OPTIONS', origin: 'https://evil.example', acrm: 'GET', acrh: undefined, acrpn: undefined }, {}))
      .toEqual({ kind: 'refuse', refusal: { kind: 'origin', origin: 'https://evil.example' } });
  });

  it('awaits an async predicate, which receives the request; a rejection refuses', async () => {
    const seen: unknown[] = [];
    const p = policy({ origins: [async (origin: string, req: unknown) => (seen.push(req), origin === 'https://late.example')] });
    const req = { tag: 'upgrade' };
    await expect(decideHandshake(p, GET('https://late.example'), req)).resolves.toMatchObject({ kind: 'pass' });
    await expect(decideHandshake(p, GET('https://other.example'), req)).resolves.toMatchObject({ kind: 'refuse' });
    expect(seen).toEqual([req, req]);
    const failing = policy({ origins: [() => Promise.reject(new Error('store down'))] });
    await expect(decideHandshake(failing, GET('https://late.example'), req)).resolves.toMatchObject({ kind: 'refuse' });
  });
});

describe('PolicySet.gatewayPolicy (SPEC §8)', () => {
  it('merges the gateway over forRoot, key by key, with gateway as the source', () => {
    const set = new PolicySet({ origins: 'https://root.example', maxAge: 60, policies: { chat: { origins: ['https://chat.example'] } } });
    const own = set.gatewayPolicy({ supportsCredentials: true, origins: ['https://app.example'] }, 'ChatGateway');
    expect(own?.options).toMatchObject({ origins: ['https://app.example'], supportsCredentials: true, maxAge: 60 });
    expect(own?.sources).toMatchObject({ origins: 'gateway', supportsCredentials: 'gateway', maxAge: 'forRoot', methods: 'default' });
    expect(set.gatewayPolicy('chat', 'NewsGateway')?.sources).toMatchObject({ origins: 'policy:chat', maxAge: 'forRoot' });
    expect(set.issues.issues).toEqual([]);
  });

  it('collects the issues of a gateway like a controller\'s', () => {
    const set = new PolicySet({});
    expect(set.gatewayPolicy('nope', 'ChatGateway')).toBeNull();
    expect(set.gatewayPolicy({ origins: '*', supportsCredentials: true }, 'OpenGateway')).toBeNull();
    expect(set.issues.issues.map((i) => `${i.where} ${i.option} ${i.reason}`)).toEqual([
      'ChatGateway @CrossOrigin unknown-policy',
      'OpenGateway supportsCredentials incompatible',
    ]);
  });
});
