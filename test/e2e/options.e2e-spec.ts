// Every option of SPEC §2 through HTTP, with the Flask-CORS behaviours its test suite checks
// (research/flask-cors.md §4) that SPEC.md keeps, and the deliberate deviations.
import { Controller, Get, Header, Options, Post, Put, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, corsHeaders, preflight, varyOf } from '../utility/http.js';

let handlerRuns = 0;

@Controller()
class OptionsController {
  @CrossOrigin() @Get('default') byDefault() { handlerRuns++; return 'ok'; }
  @CrossOrigin() @Post('default') postDefault() { handlerRuns++; return 'ok'; }
  @CrossOrigin({ origins: ['http://foo.com', 'http://bar.com'] }) @Get('list') list() { handlerRuns++; return 'ok'; }
  @CrossOrigin({ origins: 'http://foo.com' }) @Get('string') str() { return 'ok'; }
  @CrossOrigin({ sendWildcard: true }) @Get('wildcard') wildcard() { return 'ok'; }
  @CrossOrigin({ methods: ['POST'] }) @Post('methods') methods() { return 'ok'; }
  @CrossOrigin({ methods: 'get, put' }) @Put('methods-lower') methodsLower() { return 'ok'; }
  @CrossOrigin({ allowHeaders: ['X-Example-Header-B', 'X-Example-Header-A', /X-COMPANY-.*/] }) @Post('allow-headers') allowHeaders() { return 'ok'; }
  @CrossOrigin({ exposeHeaders: ['X-My-Custom-Header', 'X-Another-Custom-Header'] }) @Get('expose') expose() { return 'ok'; }
  // https: SPEC §6 refuses credentials for http: origins other than loopback.
  @CrossOrigin({ origins: 'https://foo.com', supportsCredentials: true }) @Get('credentials') credentials() { return 'ok'; }
  @CrossOrigin({ maxAge: 600 }) @Post('max-age') maxAge() { return 'ok'; }
  @CrossOrigin({ maxAge: 0 }) @Post('max-age-zero') maxAgeZero() { return 'ok'; }
  @CrossOrigin({ varyHeader: false }) @Get('no-vary') noVary() { return 'ok'; }
  @CrossOrigin({ origins: ['http://foo.com', 'http://bar.com'] }) @Get('vary-concat') @Header('Vary', 'Accept-Encoding') varyConcat() { return 'ok'; }
  @CrossOrigin({ origins: ['http://foo.com', 'http://bar.com'] }) @Get('vary-raw')
  varyRaw(@Res() reply: ServerResponse & { raw?: ServerResponse; hijack?: () => void }) {
    // Writes the raw response with headers in Node's array form, as some libraries do.
    reply.hijack?.();
    const res = reply.raw ?? reply;
    res.writeHead(200, ['Vary', 'Accept-Encoding', 'Content-Type', 'text/plain']);
    res.end('raw');
  }
  @CrossOrigin({ alwaysSend: false }) @Get('no-always-send') noAlwaysSend() { return 'ok'; }
  // A listed origin: SPEC §6 refuses allowPrivateNetwork with origins '*', and with an http:
  // origin other than loopback unless dangerouslyAllowInsecureOrigins accepts it (issue 15).
  @CrossOrigin({ origins: 'http://example.com', allowPrivateNetwork: true, dangerouslyAllowInsecureOrigins: true }) @Get('pna') pna() { return 'ok'; }
  @CrossOrigin({ automaticOptions: false }) @Post('manual') manual() { return 'ok'; }
  @CrossOrigin({ automaticOptions: false }) @Options('manual') manualOptions() { return 'Welcome!'; }
  @CrossOrigin({ automaticOptions: false }) @Post('manual-no-route') manualNoRoute() { return 'ok'; }
}

describe.each(ADAPTERS)('options on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot()], controllers: [OptionsController] }, adapter);
  });
  afterAll(() => app.close());

  describe('origins', () => {
    it('defaults to "*": echoes any Origin, "*" without one (test_defaults_*)', async () => {
      const withOrigin = await actual(app, 'get', '/default', 'http://example.com');
      expect(withOrigin.status).toBe(200);
      expect(withOrigin.headers['access-control-allow-origin']).toBe('http://example.com');
      const without = await actual(app, 'get', '/default');
      expect(without.headers['access-control-allow-origin']).toBe('*');
    });

    it('a list echoes a listed origin and nothing for others, still serving them (test_not_matching_origins)', async () => {
      const before = handlerRuns;
      const listed = await actual(app, 'get', '/list', 'http://bar.com');
      expect(listed.headers['access-control-allow-origin']).toBe('http://bar.com');
      const other = await actual(app, 'get', '/list', 'http://bazz.com');
      expect(other.status).toBe(200);
      expect(other.text).toBe('ok');
      expect(corsHeaders(other.headers)).toEqual({});
      expect(handlerRuns).toBe(before + 2);
    });

    it('a single string echoes that origin', async () => {
      const res = await actual(app, 'get', '/string', 'http://foo.com');
      expect(res.headers['access-control-allow-origin']).toBe('http://foo.com');
    });
  });

  describe('sendWildcard', () => {
    it('answers "*" to any Origin, and still varies: a null Origin gets nothing (deviation)', async () => {
      const res = await actual(app, 'get', '/wildcard', 'http://example.com');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(varyOf(res.headers)).toContain('origin');
      const nullOrigin = await actual(app, 'get', '/wildcard', 'null');
      expect(corsHeaders(nullOrigin.headers)).toEqual({});
    });
  });

  describe('methods', () => {
    it('ACAM lists every default method on a preflight, and is absent on actual requests', async () => {
      const pre = await preflight(app, '/default', 'http://example.com', 'POST');
      expect(pre.status).toBe(204);
      expect(pre.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE');
      const get = await actual(app, 'get', '/default', 'http://example.com');
      expect(get.headers['access-control-allow-methods']).toBeUndefined();
    });

    it('a method not listed gets ACAO but no ACAM/ACAH/ACMA (test_methods_defined)', async () => {
      const ok = await preflight(app, '/methods', 'http://example.com', 'POST');
      expect(ok.headers['access-control-allow-methods']).toBe('POST');
      // PUT on /methods: no PUT route, so the forRoot policy answers; ask the POST route for PUT instead.
      const refused = await preflight(app, '/allow-headers', 'http://example.com', 'PATC');
      expect(refused.status).toBe(204);
      expect(refused.headers['access-control-allow-methods']).toBeUndefined();
    });

    it('methods are upper-cased and compared exactly (deviation: Flask-CORS tests a substring)', async () => {
      const ok = await preflight(app, '/methods-lower', 'http://example.com', 'PUT');
      expect(ok.headers['access-control-allow-methods']).toBe('GET, PUT');
      const lower = await preflight(app, '/methods-lower', 'http://example.com', 'put');
      expect(lower.headers['access-control-allow-methods']).toBeUndefined();
    });
  });

  describe('allowHeaders', () => {
    it('echoes admitted requested headers in the client casing; none when none requested', async () => {
      const none = await preflight(app, '/allow-headers', 'http://example.com', 'POST');
      expect(none.headers['access-control-allow-headers']).toBeUndefined();
      const one = await preflight(app, '/allow-headers', 'http://example.com', 'POST', 'X-Example-header-a');
      expect(one.headers['access-control-allow-headers']).toBe('X-Example-header-a');
      const regex = await preflight(app, '/allow-headers', 'http://example.com', 'POST', 'X-COMPANY-FOO');
      expect(regex.headers['access-control-allow-headers']).toBe('X-COMPANY-FOO');
    });

    it('drops headers not admitted (test_allow_headers_with_unmatched_request_headers)', async () => {
      const unmatched = await preflight(app, '/allow-headers', 'http://example.com', 'POST', 'X-Not-Found-Header');
      expect(unmatched.headers['access-control-allow-headers']).toBeUndefined();
      const mixed = await preflight(app, '/allow-headers', 'http://example.com', 'POST', 'X-Example-Header-A, X-Not-Found-Header');
      expect(mixed.headers['access-control-allow-headers']).toBe('X-Example-Header-A');
    });

    it('"*" (default) echoes every requested header, Authorization included', async () => {
      const res = await preflight(app, '/default', 'http://example.com', 'POST', 'authorization,content-type,x-custom');
      expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type, x-custom');
    });
  });

  describe('exposeHeaders', () => {
    it('sends ACEH on actual responses and preflights alike', async () => {
      const get = await actual(app, 'get', '/expose', 'http://example.com');
      expect(get.headers['access-control-expose-headers']).toBe('X-My-Custom-Header, X-Another-Custom-Header');
      const pre = await preflight(app, '/expose', 'http://example.com', 'GET');
      expect(pre.headers['access-control-expose-headers']).toBe('X-My-Custom-Header, X-Another-Custom-Header');
    });

    it('is absent by default', async () => {
      expect((await actual(app, 'get', '/default', 'http://example.com')).headers['access-control-expose-headers']).toBeUndefined();
    });
  });

  describe('supportsCredentials', () => {
    it('sends ACAC true on allowed responses and preflights, never on refused ones', async () => {
      expect((await actual(app, 'get', '/credentials', 'https://foo.com')).headers['access-control-allow-credentials']).toBe('true');
      expect((await preflight(app, '/credentials', 'https://foo.com', 'GET')).headers['access-control-allow-credentials']).toBe('true');
      expect((await actual(app, 'get', '/credentials', 'https://evil.com')).headers['access-control-allow-credentials']).toBeUndefined();
      expect((await actual(app, 'get', '/default', 'http://foo.com')).headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('without Origin sends the static origin, never "*"', async () => {
      const res = await actual(app, 'get', '/credentials');
      expect(res.headers['access-control-allow-origin']).toBe('https://foo.com');
    });
  });

  describe('maxAge', () => {
    it('is sent on successful preflights only', async () => {
      expect((await preflight(app, '/max-age', 'http://example.com', 'POST')).headers['access-control-max-age']).toBe('600');
      expect((await actual(app, 'post', '/max-age', 'http://example.com')).headers['access-control-max-age']).toBeUndefined();
      expect((await preflight(app, '/default', 'http://example.com', 'POST')).headers['access-control-max-age']).toBeUndefined();
    });

    it('0 is sent as 0 (deviation: Flask-CORS drops it)', async () => {
      expect((await preflight(app, '/max-age-zero', 'http://example.com', 'POST')).headers['access-control-max-age']).toBe('0');
    });
  });

  describe('varyHeader', () => {
    it('adds Vary: Origin when ACAO echoes the Origin, also for refused and no-Origin requests (deviation)', async () => {
      expect(varyOf((await actual(app, 'get', '/list', 'http://foo.com')).headers)).toEqual(['origin']);
      expect(varyOf((await actual(app, 'get', '/list', 'http://evil.com')).headers)).toEqual(['origin']);
      expect(varyOf((await actual(app, 'get', '/string', 'http://foo.com')).headers)).toEqual(['origin']);
      expect(varyOf((await actual(app, 'get', '/default')).headers)).toEqual(['origin']);
    });

    it('keeps a Vary set by the handler and appends Origin once (test_consistent_origin_concat)', async () => {
      const res = await actual(app, 'get', '/vary-concat', 'http://foo.com');
      expect(varyOf(res.headers).sort()).toEqual(['accept-encoding', 'origin']);
    });

    it('merges Origin into a Vary given to writeHead in array form', async () => {
      const res = await actual(app, 'get', '/vary-raw', 'http://foo.com');
      expect(res.text).toBe('raw');
      expect(varyOf(res.headers).sort()).toEqual(['accept-encoding', 'origin']);
    });

    it('false never touches Vary', async () => {
      const res = await actual(app, 'get', '/no-vary', 'http://foo.com');
      expect(res.headers['access-control-allow-origin']).toBe('http://foo.com');
      expect(varyOf(res.headers)).toEqual([]);
    });
  });

  describe('alwaysSend', () => {
    it('false sends nothing without Origin but still echoes one (test_w3)', async () => {
      expect(corsHeaders((await actual(app, 'get', '/no-always-send')).headers)).toEqual({});
      expect((await actual(app, 'get', '/no-always-send', 'http://example.com')).headers['access-control-allow-origin']).toBe('http://example.com');
    });
  });

  describe('allowPrivateNetwork', () => {
    it('answers ACRPN true with false by default and true when enabled (CVE-2024-6221)', async () => {
      const off = await preflight(app, '/default', 'http://example.com', 'GET').set('Access-Control-Request-Private-Network', 'true');
      expect(off.headers['access-control-allow-private-network']).toBe('false');
      const on = await preflight(app, '/pna', 'http://example.com', 'GET').set('Access-Control-Request-Private-Network', 'true');
      expect(on.headers['access-control-allow-private-network']).toBe('true');
      const notAsked = await preflight(app, '/pna', 'http://example.com', 'GET');
      expect(notAsked.headers['access-control-allow-private-network']).toBeUndefined();
    });
  });

  describe('automaticOptions', () => {
    it('answers preflights itself, without running the handler', async () => {
      const before = handlerRuns;
      const res = await preflight(app, '/default', 'http://example.com', 'POST');
      expect(res.status).toBe(204);
      expect(res.text ?? '').toBe('');
      expect(res.headers['content-length']).toBeUndefined(); // RFC 9110 §8.6
      expect(handlerRuns).toBe(before);
    });

    it('false lets the preflight reach an explicit @Options() handler, with the preflight headers (test_options_and_not_auto)', async () => {
      const res = await preflight(app, '/manual', 'http://example.com', 'POST', 'content-type');
      expect(res.status).toBe(200);
      expect(res.text).toBe('Welcome!');
      expect(corsHeaders(res.headers)).toEqual({
        'access-control-allow-origin': 'http://example.com',
        'access-control-allow-methods': 'GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE',
        'access-control-allow-headers': 'content-type',
      });
    });

    it('false without an @Options() handler lets the app answer, headers included (test_no_options_and_not_auto)', async () => {
      const res = await preflight(app, '/manual-no-route', 'http://example.com', 'POST');
      expect(res.status).toBe(404);
      expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE');
      const refused = await preflight(app, '/manual', 'https://evil.example', 'POST');
      expect(refused.headers['access-control-allow-origin']).toBe('https://evil.example'); // default origins '*'
    });

    it('an OPTIONS without ACRM is not a preflight: it reaches the app and gets actual-request headers (test_options.test_defaults)', async () => {
      const res = await actual(app, 'options', '/manual', 'http://foo.bar.com');
      expect(res.status).toBe(200);
      expect(res.text).toBe('Welcome!');
      expect(res.headers['access-control-allow-origin']).toBe('http://foo.bar.com');
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
    });
  });

  it('HEAD requests get the same headers as GET', async () => {
    const res = await actual(app, 'head', '/list', 'http://foo.com');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://foo.com');
  });
});
