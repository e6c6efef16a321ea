// SPEC §5 over HTTP: exact strings, wildcard patterns, whole-match RegExp, sync and async
// predicates, arrays; and Vary as SPEC §4 says.
import { Controller, Get } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, corsHeaders, preflight, varyOf } from '../utility/http.js';

const seenByPredicate: unknown[] = [];

@Controller()
class OriginsController {
  @CrossOrigin({ origins: 'https://Exact.Example' }) @Get('exact') exact() { return 'ok'; }
  @CrossOrigin({ origins: 'https://*.example.com' }) @Get('subdomains') subdomains() { return 'ok'; }
  @CrossOrigin({ origins: 'http://localhost:*' }) @Get('ports') ports() { return 'ok'; }
  @CrossOrigin({ origins: /https:\/\/.*\.example\.com/ }) @Get('regexp') regexp() { return 'ok'; }
  @CrossOrigin({ origins: (o: string, req: unknown) => (seenByPredicate.push(req), o.endsWith('.sync.test')) }) @Get('sync') sync() { return 'ok'; }
  @CrossOrigin({ origins: async (o: string) => { await Promise.resolve(); return o === 'https://db.async.test'; } }) @Get('async') async() { return 'ok'; }
  @CrossOrigin({ origins: () => { throw new Error('store down'); } }) @Get('throws') throws() { return 'ok'; }
  @CrossOrigin({ origins: ['https://a.test', 'https://*.b.test', /https:\/\/c\.test/, (o: string) => o === 'https://d.test'] }) @Get('mixed') mixed() { return 'ok'; }
  @CrossOrigin({ origins: ['null', 'https://a.test'] }) @Get('null') nullOrigin() { return 'ok'; }
  @CrossOrigin({ origins: '*', sendWildcard: true }) @Get('star') star() { return 'ok'; }
}

describe.each(ADAPTERS)('origins on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot()], controllers: [OriginsController] }, adapter);
  });
  afterAll(() => app.close());

  it.each([
    { path: '/exact', origin: 'https://exact.example', ok: true },
    { path: '/exact', origin: 'https://EXACT.example', ok: true },
    { path: '/exact', origin: 'https://exact.example.evil.io', ok: false },
    { path: '/exact', origin: 'https://evilexact.example', ok: false },
    { path: '/subdomains', origin: 'https://a.b.example.com', ok: true },
    { path: '/subdomains', origin: 'https://example.com', ok: false },
    { path: '/subdomains', origin: 'https://evilexample.com', ok: false },
    { path: '/subdomains', origin: 'https://a.example.com.evil.io', ok: false },
    { path: '/ports', origin: 'http://localhost:5173', ok: true },
    { path: '/ports', origin: 'https://localhost:5173', ok: false },
    { path: '/regexp', origin: 'https://x.example.com', ok: true },
    { path: '/regexp', origin: 'https://x.example.com.evil.io', ok: false },
    { path: '/sync', origin: 'https://ok.sync.test', ok: true },
    { path: '/sync', origin: 'https://no.test', ok: false },
    { path: '/async', origin: 'https://db.async.test', ok: true },
    { path: '/async', origin: 'https://other.async.test', ok: false },
    { path: '/throws', origin: 'https://any.test', ok: false },
    { path: '/mixed', origin: 'https://a.test', ok: true },
    { path: '/mixed', origin: 'https://x.b.test', ok: true },
    { path: '/mixed', origin: 'https://c.test', ok: true },
    { path: '/mixed', origin: 'https://d.test', ok: true },
    { path: '/mixed', origin: 'https://e.test', ok: false },
    { path: '/null', origin: 'null', ok: true },
    { path: '/mixed', origin: 'null', ok: false },
  ])('$path from $origin: allowed=$ok, echoed verbatim, request still served', async ({ path, origin, ok }) => {
    const res = await actual(app, 'get', path, origin);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ok ? origin : undefined);
    expect(varyOf(res.headers)).toEqual(['origin']);
    const pre = await preflight(app, path, origin, 'GET');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ok ? origin : undefined);
  });

  it('a predicate receives the framework request', async () => {
    seenByPredicate.length = 0;
    await actual(app, 'get', '/sync', 'https://ok.sync.test');
    expect(seenByPredicate).toHaveLength(1);
    expect(seenByPredicate[0]).toHaveProperty('headers');
  });

  it('a predicate that throws neither crashes nor 500s', async () => {
    const res = await actual(app, 'get', '/throws', 'https://any.test');
    expect(res.status).toBe(200);
    expect(corsHeaders(res.headers)).toEqual({});
  });

  it('"*" with sendWildcard: ACAO "*", but Vary still, since null and malformed Origins get nothing', async () => {
    const res = await actual(app, 'get', '/star', 'https://any.test');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(varyOf(res.headers)).toEqual(['origin']);
    expect((await actual(app, 'get', '/star', 'null')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a malformed Origin is never echoed, even by "*"', async () => {
    const res = await actual(app, 'get', '/nowhere', 'https://a.test/path');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('ACAO is always one value, even when Origin is sent twice', async () => {
    const res = await actual(app, 'get', '/mixed', 'https://a.test').set('Origin', ['https://a.test', 'https://c.test'] as never);
    const acao = res.headers['access-control-allow-origin'];
    expect(acao === undefined || (typeof acao === 'string' && !acao.includes(','))).toBe(true);
  });
});
