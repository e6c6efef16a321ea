// Issue 15 through HTTP on both adapters: every option a browser would misread is honoured
// (methods '*', hosts ending in a dot) or refused at start-up, wherever it is written (forRoot,
// a resources entry, a controller, a handler, a named policy); a missing `origins` fails
// start-up instead of meaning '*'; one forRoot mistake is one problem; explain mode marks
// defaults and warns about browsers' maxAge caps. A few representative cases per rule: the
// unit tables (test/core/cases/*.cases.ts) hold every row.
import { All, Controller, Get, Post, type INestApplication, type Type } from '@nestjs/common';
import { CorsModule, CorsService, CrossOrigin, type CorsModuleOptions, type CorsOptions } from '../../lib/index.js';
import { ADAPTERS, createApp, type AdapterCase } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { actual, corsHeaders, preflight } from '../utility/http.js';
import { STARTS, rootModule } from '../utility/start.js';
import { startupError } from '../utility/startup-error.js';

@Controller('api')
class PlainController {
  @Get() get() { return 'ok'; }
  @Post('purge') purge() { return 'purged'; }
}

@Controller('x')
class PlainXController {
  @Get() get() { return 'ok'; }
}

// @All(): a preflight gets the policy of the handler its method would reach, so these serve
// every method the framework routes (Fastify routes no PURGE: DELETE stands in, not listed).
@CrossOrigin({ origins: 'https://app.example', methods: ['GET', '*'] })
@Controller('wild')
class WildMethodsController {
  @All() any() { return 'ok'; }
  @CrossOrigin('anyMethod') @All('named') named() { return 'ok'; }
  @CrossOrigin({ methods: ['GET', 'POST'] }) @All('listed') listed() { return 'ok'; }
}

@Controller('dotted')
class DottedController {
  @CrossOrigin({ origins: 'http://localhost.:3000', supportsCredentials: true }) @Get('credentials') credentials() { return 'ok'; }
}

/** One controller carrying `options` at the class or the handler, or a named policy. */
function decorated(place: 'controller' | 'handler' | 'policy', options: CorsOptions): Type<unknown> {
  if (place === 'controller') {
    @CrossOrigin(options) @Controller('x')
    class RulesController { @Get() get() { return 'ok'; } }
    return RulesController;
  }
  if (place === 'handler') {
    @Controller('x')
    class RulesController { @CrossOrigin(options) @Get() get() { return 'ok'; } }
    return RulesController;
  }
  @Controller('x')
  class RulesController { @CrossOrigin('p') @Get() get() { return 'ok'; } }
  return RulesController;
}

/** Builds an app with `options` written at `place`, for start-up refusals. */
function appAt(place: 'forRoot' | 'resource' | 'controller' | 'handler' | 'policy', options: CorsOptions, adapter: AdapterCase) {
  const root: CorsModuleOptions = place === 'forRoot' ? options : place === 'resource' ? { resources: { '/x*': options } } : place === 'policy' ? { policies: { p: options } } : {};
  const controllers = place === 'forRoot' || place === 'resource' ? [PlainController] : [decorated(place, options)];
  return () => createApp({ imports: [CorsModule.forRoot(root)], controllers }, adapter);
}

describe.each(ADAPTERS)('issue 15 over HTTP on $name', (adapter) => {
  describe("methods '*', Fetch's wildcard", () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createApp({
        imports: [CorsModule.forRoot({ origins: 'https://root.example', methods: '*', policies: { anyMethod: { methods: 'GET, *' } } })],
        controllers: [PlainController, WildMethodsController],
      }, adapter);
    });
    afterAll(() => app.close());

    it.each([
      { desc: 'forRoot', path: '/api/purge', origin: 'https://root.example', method: 'PURGE' },
      { desc: 'a controller', path: '/wild', origin: 'https://app.example', method: 'DELETE' },
      { desc: 'a named policy on a handler', path: '/wild/named', origin: 'https://app.example', method: 'DELETE' },
    ])('lets any method through and answers ACAM "*": written in $desc', async ({ path, origin, method }) => {
      const res = await preflight(app, path, origin, method);
      expect(res.status).toBe(204);
      expect(corsHeaders(res.headers)).toEqual({ 'access-control-allow-origin': origin, 'access-control-allow-methods': '*' });
    });

    it('the actual request with the method the preflight let through is served and answered', async () => {
      // @All() serves DELETE on both adapters; its response carries the controller's policy.
      const res = await actual(app, 'delete', '/wild', 'https://app.example');
      expect([res.status, res.text, res.headers['access-control-allow-origin']]).toEqual([200, 'ok', 'https://app.example']);
    });

    it('a handler listing methods replaces the controller\'s "*"', async () => {
      const res = await preflight(app, '/wild/listed', 'https://app.example', 'DELETE');
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
      expect((await preflight(app, '/wild/listed', 'https://app.example', 'POST')).headers['access-control-allow-methods']).toBe('GET, POST');
    });

    it.each(['controller', 'handler', 'policy'] as const)('is refused at start-up with credentials, written in a %s', async (place) => {
      const error = await startupError(appAt(place, { origins: 'https://app.example', supportsCredentials: true, methods: ['GET', '*'] }, adapter));
      expect(error.issues).toEqual([expect.objectContaining({ option: 'methods', reason: 'incompatible', where: place === 'policy' ? 'forRoot.policies.p' : place === 'controller' ? 'RulesController' : 'RulesController.get' })]);
    });
  });

  describe('hosts ending in a dot', () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createApp({
        imports: [CorsModule.forRoot({ resources: { '/api*': {}, '/x*': { origins: 'https://*.example.com.' } } })],
        controllers: [PlainController, DottedController, PlainXController],
      }, adapter);
    });
    afterAll(() => app.close());

    it('are echoed under origins "*" (forRoot)', async () => {
      for (const origin of ['https://example.com.', 'http://localhost.:3000']) {
        expect((await actual(app, 'get', '/api', origin)).headers['access-control-allow-origin']).toBe(origin);
      }
    });

    it('match a dotted pattern in a resources entry, which the dotless host does not', async () => {
      expect((await actual(app, 'get', '/x', 'https://a.example.com.')).headers['access-control-allow-origin']).toBe('https://a.example.com.');
      expect(corsHeaders((await actual(app, 'get', '/x', 'https://a.example.com')).headers)).toEqual({});
      expect((await preflight(app, '/x', 'https://a.example.com.', 'GET')).headers['access-control-allow-origin']).toBe('https://a.example.com.');
    });

    it('a dotted localhost is loopback: accepted with credentials on a handler', async () => {
      const res = await actual(app, 'get', '/dotted/credentials', 'http://localhost.:3000');
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost.:3000');
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(corsHeaders((await actual(app, 'get', '/dotted/credentials', 'http://localhost:3000')).headers)).toEqual({});
    });

    it('a wildcard over a fully qualified public suffix is refused with credentials', async () => {
      const error = await startupError(appAt('resource', { origins: 'https://*.com.', supportsCredentials: true }, adapter));
      expect(error.issues).toEqual([expect.objectContaining({ where: 'forRoot.resources["/x*"]', rule: 'public-suffix-with-credentials' })]);
    });
  });

  describe('start-up refuses what no browser sends or honours', () => {
    it.each([
      { desc: 'an origin with its default port, in a resources entry', place: 'resource', options: { origins: ['https://app.example:443'] },
        want: { where: 'forRoot.resources["/x*"]', option: 'origins[0]', reason: 'invalid', canonical: 'https://app.example' } },
      { desc: 'a hex IPv4 origin, in forRoot', place: 'forRoot', options: { origins: 'http://0x7f.1:3000' },
        want: { where: 'forRoot', option: 'origins', reason: 'invalid', canonical: 'http://127.0.0.1:3000' } },
      { desc: 'an IPv4-mapped IPv6 origin, on a controller', place: 'controller', options: { origins: 'http://[::ffff:127.0.0.1]' },
        want: { where: 'RulesController', option: 'origins', reason: 'invalid', canonical: 'http://127.0.0.1' } },
      { desc: 'a wildcard over an IP address, on a handler', place: 'handler', options: { origins: 'https://*.10.0.0.1' },
        want: { where: 'RulesController.get', option: 'origins', reason: 'invalid' } },
      { desc: 'allowHeaders naming Cookie, on a handler', place: 'handler', options: { allowHeaders: ['Content-Type', 'Cookie'] },
        want: { where: 'RulesController.get', option: 'allowHeaders[1]', reason: 'forbidden' } },
      { desc: 'exposeHeaders naming Set-Cookie, in a named policy', place: 'policy', options: { exposeHeaders: 'Set-Cookie' },
        want: { where: 'forRoot.policies.p', option: 'exposeHeaders', reason: 'forbidden' } },
      { desc: 'exposeHeaders naming a CORS response header, on a controller', place: 'controller', options: { exposeHeaders: ['Access-Control-Allow-Origin'] },
        want: { where: 'RulesController', option: 'exposeHeaders[0]', reason: 'prohibited' } },
      { desc: 'maxAge over 86400, in a named policy', place: 'policy', options: { maxAge: 604_800 },
        want: { where: 'forRoot.policies.p', option: 'maxAge', reason: 'invalid' } },
      { desc: 'Private Network Access with an http: origin, in forRoot', place: 'forRoot', options: { origins: 'http://intranet.example', allowPrivateNetwork: true },
        want: { where: 'forRoot', option: 'origins', reason: 'unsafe', rule: 'insecure-origin-with-private-network', optIn: 'dangerouslyAllowInsecureOrigins' } },
    ] as const)('$desc', async ({ place, options, want }) => {
      const error = await startupError(appAt(place, options as CorsOptions, adapter));
      expect(error.issues).toEqual([expect.objectContaining(want)]);
      expect(error.message).toContain(`${want.where}: ${want.option} = `);
    });

    it('Private Network Access with an http: origin starts with dangerouslyAllowInsecureOrigins, and answers', async () => {
      const app = await appAt('handler', { origins: 'http://intranet.example', allowPrivateNetwork: true, dangerouslyAllowInsecureOrigins: true }, adapter)();
      try {
        const res = await preflight(app, '/x', 'http://intranet.example', 'GET').set('Access-Control-Request-Private-Network', 'true');
        expect(res.headers['access-control-allow-private-network']).toBe('true');
      } finally {
        await app.close();
      }
    });
  });

  describe('a missing origins fails start-up instead of allowing every origin', () => {
    it.each([
      { place: 'forRoot', where: 'forRoot', origins: undefined },
      { place: 'resource', where: 'forRoot.resources["/x*"]', origins: null },
      { place: 'controller', where: 'RulesController', origins: '' },
      { place: 'handler', where: 'RulesController.get', origins: undefined },
      { place: 'policy', where: 'forRoot.policies.p', origins: undefined },
    ] as const)('origins $origins in $place', async ({ place, where, origins }) => {
      const error = await startupError(appAt(place, { origins: origins as never, supportsCredentials: true }, adapter));
      expect(error.issues).toEqual([expect.objectContaining({ where, option: 'origins', reason: 'missing' })]);
      expect(error.message).toContain('environment variable');
    });

    it('other keys present with undefined keep their defaults', async () => {
      const app = await appAt('forRoot', { origins: 'https://app.example', methods: undefined, maxAge: undefined, exposeHeaders: undefined }, adapter)();
      try {
        expect((await preflight(app, '/api', 'https://app.example', 'DELETE')).headers['access-control-allow-methods']).toBe('GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE');
      } finally {
        await app.close();
      }
    });

    it('a forRootAsync factory that returns nothing is refused, named as forRootAsync', async () => {
      const error = await startupError(() => createApp({ imports: [CorsModule.forRootAsync({ useFactory: () => undefined as never })], controllers: [PlainController] }, adapter));
      expect(error.issues).toEqual([expect.objectContaining({ where: 'forRootAsync', option: 'options', reason: 'missing' })]);
    });
  });

  describe('one mistake in forRoot is one problem', () => {
    @CrossOrigin({ maxAge: 60 }) @Controller('cats')
    class CatsController {
      @Get() list() { return []; }
      @CrossOrigin({ exposeHeaders: ['X-Total'] }) @Post() create() { return {}; }
    }

    it.each([
      { how: 'forRoot', module: () => CorsModule.forRoot({ origins: '*', supportsCredentials: true }), where: 'forRoot' },
      { how: 'forRootAsync', module: () => CorsModule.forRootAsync({ useFactory: async () => ({ origins: '*', supportsCredentials: true }) }), where: 'forRootAsync' },
    ])('reported once at $how, not per controller and handler', async ({ module, where }) => {
      const error = await startupError(() => createApp({ imports: [module()], controllers: [CatsController, PlainController] }, adapter));
      expect(error.issues).toEqual([expect.objectContaining({ where, option: 'supportsCredentials', reason: 'incompatible' })]);
      expect(error.message).toMatch(new RegExp(`^nest-cross-origin: invalid CORS configuration \\(1 problem\\):\\n  - ${where}: supportsCredentials = true: cannot be combined with origins "\\*": `));
    });

    it('says "(default)" for origins the user never wrote', async () => {
      const error = await startupError(() => createApp({ imports: [CorsModule.forRoot({ supportsCredentials: true })], controllers: [CatsController] }, adapter));
      expect(error.message).toContain('forRoot: supportsCredentials = true: cannot be combined with origins "*" (default): ');
    });
  });

  describe('explain mode at start-up', () => {
    it('marks defaults in the route table, names forRootAsync, and warns about browsers\' maxAge caps', async () => {
      const logger = new CaptureLogger();
      // As production starts: the logger is in place before the module checks its options.
      const module = rootModule([CorsModule.forRootAsync({ useFactory: () => ({ debug: true, exposeHeaders: ['X-Total'], policies: { p: { maxAge: 3600 } } }) })], [PlainController, decorated('policy', {})]);
      const app = await STARTS[0].start(module, adapter, logger);
      try {
        const lines = logger.from('CorsModule');
        expect(lines).toContain('forRootAsync.policies.p: maxAge = 3600 is over 600 s: WebKit (Safari) keeps a preflight at most 600 s, so it asks again sooner than it says');
        const row = lines.find((l) => l.startsWith('  GET     /api -> PlainController.get'));
        expect(row).toContain('origins="*" (default)');
        expect(row).toContain('exposeHeaders=["X-Total"] (forRootAsync)');
        expect(row).toContain('maxAge=none (default)');
      } finally {
        await app.close();
      }
    });

    it('CorsService.policyFor() shows a comma-separated origins string as its list', async () => {
      const app = await createApp({ imports: [CorsModule.forRoot({ origins: 'https://a.example, https://*.b.example' })], controllers: [PlainController] }, adapter);
      try {
        expect(app.get(CorsService).policyFor('GET', '/api')?.options.origins).toEqual(['https://a.example', 'https://*.b.example']);
      } finally {
        await app.close();
      }
    });
  });
});
