// Regression tests for every Flask-CORS security advisory (research/flask-cors.md §3), written
// against this library's API and run over HTTP on Express and Fastify.
import { Controller, Get, Post, type INestApplication, type LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import fc from 'fast-check';
import request from 'supertest';
import { CorsModule, CorsService, CrossOrigin, type CorsModuleOptions } from '../../lib/index.js';
import { escapeForLog } from '../../lib/nest/explain.js';
import { ADAPTERS, type AdapterCase } from '../utility/adapters.js';

/** Collects what the app logs, message by message (one message must be one line). */
class CapturingLogger implements LoggerService {
  readonly messages: { level: string; message: string }[] = [];
  private push(level: string, message: unknown): void {
    this.messages.push({ level, message: String(message) });
  }
  log(message: unknown): void { this.push('log', message); }
  error(message: unknown): void { this.push('error', message); }
  warn(message: unknown): void { this.push('warn', message); }
  debug(message: unknown): void { this.push('debug', message); }
  verbose(message: unknown): void { this.push('verbose', message); }
  fatal(message: unknown): void { this.push('fatal', message); }
}

/** test/utility/adapters.ts's createApp, with a logger instead of `logger: false`. */
async function buildApp(
  options: CorsModuleOptions,
  controllers: (new () => object)[],
  adapter: AdapterCase,
  logger: LoggerService | false = false,
): Promise<INestApplication> {
  const ref = await Test.createTestingModule({ imports: [CorsModule.forRoot(options)], controllers }).compile();
  const app = ref.createNestApplication(adapter.create() as never, { logger });
  await app.init();
  if (adapter.name === 'Fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return app;
}

const ACAO = 'access-control-allow-origin';

function get(app: INestApplication, path: string, origin?: string) {
  const r = request(app.getHttpServer()).get(path);
  return origin === undefined ? r : r.set('Origin', origin);
}

function preflight(app: INestApplication, path: string, origin: string, acrm = 'GET') {
  return request(app.getHttpServer()).options(path).set('Origin', origin).set('Access-Control-Request-Method', acrm);
}

// ---------------------------------------------------------------------------------------------
// Controllers. None is decorated unless the advisory is about decorators: `resources` decides.

@Controller()
class OrderingController {
  @Get('api/v1/secure') secure() { return 'secure'; }
  @Get('api/v1/:id') item() { return 'item'; }
  @Get('foo/bar/baz') deep() { return 'deep'; }
  @Get('public') open() { return 'public'; }
}

@Controller()
class AdminController {
  @Get('Admin/panel') panel() { return 'admin panel'; }
}

@Controller()
class ServiceController {
  @Get(':name') byName() { return 'service'; }
}

@Controller()
class TraversalController {
  @Get('secret') secret() { return 'secret'; }
  @Get('api/:x') api() { return 'api'; }
}

@Controller('pna')
class PnaController {
  @Get() plain() { return 'plain'; }
  @CrossOrigin({ allowPrivateNetwork: true }) @Get('on') on() { return 'on'; }
  @CrossOrigin({ allowPrivateNetwork: false }) @Post('off') off() { return 'off'; }
}

@Controller()
class AnyController {
  @Get('ok') ok() { return 'ok'; }
}

const STRICT = 'https://strict.test';
const EVIL = 'https://evil.test';

describe.each(ADAPTERS)('Flask-CORS advisories on $name', (adapter) => {
  // -------------------------------------------------------------------------------------------
  describe('CVE-2024-6839: the most specific resource wins whatever the insertion order', () => {
    // [name, resources, the specific path (routed), unrouted paths under the same rule,
    //  paths only the permissive rule matches]
    const cases: [string, Record<string, { origins: string | string[] }>, string, string[], string[]?][] = [
      ['literal before "/*"', { '/api/v1/secure': { origins: STRICT }, '/*': { origins: '*' } }, '/api/v1/secure', []],
      ['"/*" before literal', { '/*': { origins: '*' }, '/api/v1/secure': { origins: STRICT } }, '/api/v1/secure', []],
      ['pattern before "/*"', { '/api/v1/*': { origins: STRICT }, '/*': { origins: '*' } }, '/api/v1/x', ['/api/v1/x/y']],
      ['"/*" before pattern', { '/*': { origins: '*' }, '/api/v1/*': { origins: STRICT } }, '/api/v1/x', ['/api/v1/x/y']],
      // Flask-CORS 6.0.0 sorted fewer slashes first, so "/*" shadowed "/foo/bar/baz".
      ['6.0.0 inversion', { '/*': { origins: '*' }, '/foo/*': { origins: '*' }, '/foo/bar/baz': { origins: STRICT } }, '/foo/bar/baz', []],
      // Up to 5.0.1 the longest pattern won: a long but broad one must not shadow a literal path
      // or a pattern with more segments.
      ['long broad pattern vs literal', { '/*a*p*i*v*1*s*e*c*u*r*e*': { origins: '*' }, '/api/v1/secure': { origins: STRICT } }, '/api/v1/secure', [], ['/xapi/v1/secure']],
      ['long broad pattern vs pattern', { '/*a*p*i*v*1*': { origins: '*' }, '/api/v1/*': { origins: STRICT } }, '/api/v1/x', ['/api/v1/x/y'], ['/xapi/v1']],
    ];

    describe.each(cases)('%s', (_name, resources, path, unrouted, elsewhere = ['/public', '/unrouted']) => {
      let app: INestApplication;
      beforeAll(async () => {
        app = await buildApp({ resources }, [OrderingController], adapter);
      });
      afterAll(() => app.close());

      it('the strict policy applies to the specific path, routed or not', async () => {
        for (const p of [path, ...unrouted]) {
          const evil = await get(app, p, EVIL);
          expect(evil.status).toBeLessThan(500);
          expect({ p, acao: evil.headers[ACAO] }).toEqual({ p, acao: undefined });
          const pre = await preflight(app, p, EVIL);
          expect(pre.status).toBe(204);
          expect({ p, acao: pre.headers[ACAO] }).toEqual({ p, acao: undefined });
          expect((await get(app, p, STRICT)).headers[ACAO]).toBe(STRICT);
          expect((await preflight(app, p, STRICT)).headers[ACAO]).toBe(STRICT);
        }
      });

      it('the permissive policy still applies elsewhere', async () => {
        for (const p of elsewhere) expect({ p, acao: (await get(app, p, EVIL)).headers[ACAO] }).toEqual({ p, acao: EVIL });
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('CVE-2024-6866: resource paths are case-sensitive', () => {
    const ADMIN = 'https://admin.test';
    const PUBLIC = 'https://public.test';
    let app: INestApplication;
    beforeAll(async () => {
      app = await buildApp({ resources: { '/Admin/*': { origins: ADMIN }, '/*': { origins: PUBLIC } } }, [AdminController], adapter);
    });
    afterAll(() => app.close());

    it('a rule for /Admin/* does not apply to /admin/x or /ADMIN/x (unrouted)', async () => {
      expect((await get(app, '/Admin/x', ADMIN)).headers[ACAO]).toBe(ADMIN);
      for (const p of ['/admin/x', '/ADMIN/x', '/aDmIn/x']) {
        expect({ p, acao: (await get(app, p, ADMIN)).headers[ACAO] }).toEqual({ p, acao: undefined });
        expect({ p, acao: (await get(app, p, PUBLIC)).headers[ACAO] }).toEqual({ p, acao: PUBLIC });
      }
    });

    it('the handler under /Admin/* never gets the /* policy, whatever case reaches it', async () => {
      // Express routes case-insensitively by default, Fastify does not: whenever the Admin
      // handler answers, the policy must be the one written for /Admin/*.
      for (const p of ['/Admin/panel', '/admin/panel', '/ADMIN/PANEL']) {
        const res = await get(app, p, PUBLIC);
        if (res.text === 'admin panel') expect({ p, acao: res.headers[ACAO] }).toEqual({ p, acao: undefined });
        const admin = await get(app, p, ADMIN);
        if (admin.text === 'admin panel') expect({ p, acao: admin.headers[ACAO] }).toEqual({ p, acao: ADMIN });
        else expect({ p, status: admin.status, acao: admin.headers[ACAO] }).toEqual({ p, status: 404, acao: undefined });
      }
      expect((await get(app, '/Admin/panel', ADMIN)).text).toBe('admin panel');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('CVE-2024-6844: "+" in a path stays "+" (AppExtensionPlusInPath)', () => {
    const FOO = 'https://foo.test';
    const BAR = 'https://bar.test';
    // Flask-CORS's rules were the RegExps /service\+path/ and /service path/; in our syntax,
    // where "*" is the only wildcard, they are literals, and "/service+*" a pattern.
    describe.each([
      ['literals', { '/service+path': { origins: FOO }, '/service path': { origins: BAR } }],
      ['patterns', { '/service+*': { origins: FOO }, '/service *': { origins: BAR } }],
    ])('%s', (_name, resources) => {
      let app: INestApplication;
      beforeAll(async () => {
        app = await buildApp({ resources }, [ServiceController], adapter);
      });
      afterAll(() => app.close());

      it.each([
        ['/service+path', FOO, FOO],
        ['/service+path', BAR, undefined],
        ['/service%20path', BAR, BAR],
        ['/service%20path', FOO, undefined],
        ['/service%2Bpath', FOO, FOO],
        ['/service%2Bpath', BAR, undefined],
        // "+" beside an escape: decoding must not turn it into a space (unquote_plus).
        ['/service+%70ath', FOO, FOO],
        ['/service+%70ath', BAR, undefined],
      ])('GET %s with Origin %s → ACAO %s, status 200', async (path, origin, acao) => {
        const res = await get(app, path, origin);
        expect(res.status).toBe(200);
        expect(res.headers[ACAO]).toBe(acao);
      });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('CVE-2020-25032: dot segments never reach another resource\'s policy', () => {
    const API = 'https://api.test';
    let app: INestApplication;
    beforeAll(async () => {
      app = await buildApp({ resources: { '/api/*': { origins: API } } }, [TraversalController], adapter);
    });
    afterAll(() => app.close());

    const outside = [
      '/api/../secret', '/api/%2e%2e/secret', '/api/%2E%2E/secret', '/api/.%2e/secret', '/api/%2e./secret',
      '/api/..%2fsecret', '/api/..%2Fsecret', '/api/foo/../../secret', '/api/./../secret', '/api/x/%2e%2e/%2e%2e/secret',
    ];

    it.each(outside)('%s gets no /api/* policy', async (path) => {
      for (const res of [await get(app, path, API), await preflight(app, path, API)]) {
        expect(res.status).toBeLessThan(500);
        expect(res.headers[ACAO]).toBeUndefined();
      }
    });

    it.each(['/api/%2e%2e/secret%', '/api/%2e%2e/%ff', '/api/%2E%2E/secret%zz', '/api/%ff/%2e%2e/%2e%2e/secret'])(
      '%s gets no /api/* policy either: a malformed escape elsewhere does not stop "%%2e%%2e" being ".."',
      async (path) => {
        for (const res of [await get(app, path, API), await preflight(app, path, API)]) {
          expect(res.status).toBeLessThan(500);
          expect(res.headers[ACAO]).toBeUndefined();
        }
      },
    );

    it('paths that stay inside /api/ keep the policy (the tests above can tell)', async () => {
      for (const path of ['/api/x', '/api/./x', '/api/foo/../x', '/api/%2e/x']) {
        expect({ path, acao: (await get(app, path, API)).headers[ACAO] }).toEqual({ path, acao: API });
      }
      expect((await get(app, '/secret', API)).headers[ACAO]).toBeUndefined();
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('CVE-2024-1681: request data reaches log lines escaped (debug: true)', () => {
    const OK = 'https://ok.test';
    const logger = new CapturingLogger();
    let app: INestApplication;
    beforeAll(async () => {
      app = await buildApp({ origins: [OK], methods: ['GET'], allowHeaders: ['x-ok'], debug: true }, [AnyController], adapter, logger);
    });
    afterAll(() => app.close());

    // What no log line may hold raw: C0 and C1 controls (CR, LF, ESC, NEL, CSI…), DEL, U+2028/9.
    // eslint-disable-next-line no-control-regex
    const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

    /** Runs `send` and returns the messages it logged; exactly `expected` of them. */
    async function logged(send: () => Promise<unknown>, expected = 1): Promise<string[]> {
      const before = logger.messages.length;
      await send();
      const lines = logger.messages.slice(before).map((m) => m.message);
      expect(lines).toHaveLength(expected);
      for (const line of lines) expect({ line, unsafe: UNSAFE.test(line) }).toEqual({ line, unsafe: false });
      return lines;
    }

    it('a refused Origin with C1 controls and a tab (bytes HTTP lets through)', async () => {
      const [line] = await logged(() => get(app, '/ok', 'https://evil.test\u0085[CorsModule] allowed\u009b[2J\tx'));
      expect(line).toContain('\\u0085');
      expect(line).toContain('\\u009b');
      expect(line).toContain('\\t');
    });

    it('a refused Access-Control-Request-Method and a refused header name', async () => {
      const [method] = await logged(() => preflight(app, '/ok', OK, 'G\u0085ET'));
      expect(method).toContain('G\\u0085ET');
      const [name] = await logged(() => preflight(app, '/ok', OK).set('Access-Control-Request-Headers', 'x-ok, x-\u009bbad\u0085'));
      expect(name).toContain('\\u009b');
    });

    it('a percent-encoded CR/LF in the path stays encoded in the log', async () => {
      const [line] = await logged(() => get(app, '/ok%0d%0a[CorsModule]%20fake%0A', EVIL));
      expect(line).not.toMatch(/[\r\n]/);
    });

    it('raw CR/LF, NUL, ESC and U+2028 from a laxer transport are escaped too', async () => {
      // Node's HTTP/1 parser rejects these bytes, so they are handed to the decision directly,
      // as another transport (or a lax parser) could; CorsService.explain() answers the line
      // explain mode logs.
      const cors = app.get(CorsService);
      const nasty = '\r\n[Nest] 1 - LOG [CorsModule] forged\u0000\u001b[31m\u2028\u2029';
      const lines = [
        await cors.explain('GET', `/ok${nasty}`, { origin: `https://evil.test${nasty}`, host: 'x' }, {}),
        await cors.explain('OPTIONS', `/ok${nasty}`, { origin: OK, 'access-control-request-method': `GET${nasty}`, host: 'x' }, {}),
        await cors.explain('OPTIONS', `/ok${nasty}`, { origin: OK, 'access-control-request-method': 'GET', 'access-control-request-headers': `x-ok, x${nasty}`, host: 'x' }, {}),
      ].map((e) => e.reason ?? '');
      expect(lines).toHaveLength(3);
      for (const line of lines) {
        expect(line).toContain('\\r\\n');
        expect(UNSAFE.test(line)).toBe(false);
      }
    });

    it('a 10 KB Origin is cut, not copied whole into the log', async () => {
      const [line] = await logged(() => get(app, '/ok', `https://${'a'.repeat(10_000)}.test`));
      expect(line.length).toBeLessThan(1_000);
    });

    it('escapeForLog: nothing unsafe comes out, and short values can be read back exactly', () => {
      /** Reads an escaped value back: the escape is a bijection, so logs stay unambiguous. */
      const unescape = (s: string) => s.replace(/\\(\\|n|r|t|u[0-9a-f]{4})/g, (_, e: string) =>
        e === '\\' ? '\\' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : String.fromCharCode(parseInt(e.slice(1), 16)));
      fc.assert(
        fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
          const out = escapeForLog(s);
          expect(UNSAFE.test(out)).toBe(false);
          if (s.length <= 200) expect(unescape(out)).toBe(s);
          else expect(out.length).toBeLessThanOrEqual(200 * 6 + 1);
        }),
        { numRuns: 500 },
      );
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('CVE-2024-6221: Access-Control-Allow-Private-Network is off by default', () => {
    const OK = 'https://ok.test';
    const ACAPN = 'access-control-allow-private-network';
    let app: INestApplication;
    beforeAll(async () => {
      app = await buildApp({
        origins: [OK],
        resources: { '/default/*': {}, '/pna': {}, '/allowed/*': { allowPrivateNetwork: true } },
      }, [PnaController], adapter);
    });
    afterAll(() => app.close());

    const pna = (path: string, origin = OK, acrm = 'GET') =>
      preflight(app, path, origin, acrm).set('Access-Control-Request-Private-Network', 'true');

    it('by default a PNA preflight gets "false", never "true"', async () => {
      for (const [path, acrm] of [['/default/x', 'GET'], ['/pna', 'GET'], ['/pna/off', 'POST']]) {
        const res = await pna(path, OK, acrm);
        expect(res.status).toBe(204);
        expect(res.headers[ACAO]).toBe(OK);
        expect({ path, acapn: res.headers[ACAPN] }).toEqual({ path, acapn: 'false' });
      }
    });

    it('"true" only where allowPrivateNetwork is set', async () => {
      for (const path of ['/allowed/x', '/pna/on']) {
        const res = await pna(path);
        expect(res.status).toBe(204);
        expect({ path, acapn: res.headers[ACAPN] }).toEqual({ path, acapn: 'true' });
      }
    });

    it('no header without the request header, and none for a refused origin', async () => {
      for (const path of ['/default/x', '/allowed/x', '/pna/on']) {
        expect((await preflight(app, path, OK)).headers[ACAPN]).toBeUndefined();
        const refused = await pna(path, EVIL);
        expect(refused.status).toBe(204);
        expect(refused.headers[ACAPN]).toBeUndefined();
        expect(refused.headers[ACAO]).toBeUndefined();
      }
    });

    it('an actual request never gets "true" by default', async () => {
      for (const path of ['/default/x', '/pna']) {
        const res = await get(app, path, OK).set('Access-Control-Request-Private-Network', 'true');
        expect(res.headers[ACAPN]).not.toBe('true');
      }
    });
  });
});
