// CorsService.reconfigure() (SPEC §9, issue 17): new forRoot options while the app runs. A new
// origin is admitted and a removed one refused (actual requests, preflights, socket.io
// handshakes); `resources` and named policies are replaced; decorators stay as declared and
// are merged over the new options; an invalid configuration (alone, or with the app's
// decorators) rejects with one CorsConfigError and changes nothing; routes(), policyFor(),
// explain mode, onDecision and debug follow. Both adapters, both ways of starting an app.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Put } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import request from 'supertest';
import {
  CorsConfigError, CorsModule, CorsService, CrossOrigin, cachedOrigins, type CorsConfigIssue, type CorsDecisionEvent, type CorsModuleOptions,
} from '../../lib/index.js';
import { ADAPTERS } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { corsHeaders } from '../utility/http.js';
import { startGatewayApp } from '../utility/gateway-apps.js';
import { connectIo, echo, engineUrl, freePort, httpCall, ioRefusal, openWebSocket, wsExchange } from '../utility/sockets.js';
import { STARTS, portOf } from '../utility/start.js';

const OLD = 'https://old.example';
const NEW = 'https://new.example';
const API_A = 'https://api-a.example';
const API_B = 'https://api-b.example';
const PARTNER_A = 'https://partner-a.example';
const PARTNER_B = 'https://partner-b.example';
const DEFAULT_METHODS = 'GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE';

// No @CrossOrigin: the resources entry of its path.
@Controller('plain')
class PlainController {
  @Get() get() { return 'plain'; }
  @Put() put() { return 'put'; }
}

@Controller('api')
class ApiController {
  @Get('items') items() { return []; }
}

// A handler decorator with no origins: its exposeHeaders over whatever forRoot says.
@Controller('decorated')
class DecoratedController {
  @CrossOrigin({ exposeHeaders: ['X-Handler'] }) @Get() get() { return 'decorated'; }
}

@Controller('partner')
class PartnerController {
  @CrossOrigin('partners') @Get() get() { return 'partner'; }
}

// Valid under any forRoot without credentials; with supportsCredentials: true from forRoot,
// this class's '*' would reflect every origin with cookies.
@CrossOrigin({ origins: '*' })
@Controller('public')
class PublicController {
  @Get() get() { return 'public'; }
}

// No origins of its own: forRoot's, merged under the decorator.
@CrossOrigin({ allowHeaders: ['x-token'] })
@WebSocketGateway()
class ChatGateway {
  @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { echoed: body }; }
}

/** The app: forRoot with `options`, every controller above and the gateway. */
function appModule(options: CorsModuleOptions) {
  @Module({
    imports: [CorsModule.forRoot(options)],
    controllers: [PlainController, ApiController, DecoratedController, PartnerController, PublicController],
    providers: [ChatGateway],
  })
  class AppModule {}
  return AppModule;
}

/** forRoot's options (set A), with this app's onDecision listener. */
function optionsA(onDecision: (e: CorsDecisionEvent) => void): CorsModuleOptions {
  return {
    origins: [OLD],
    exposeHeaders: ['X-Root-A'],
    resources: { '/api/*': { origins: [API_A], maxAge: 60 }, '/*': {} },
    policies: { partners: { origins: [PARTNER_A] } },
    debug: true,
    onDecision,
  };
}

/** Set B: NEW added, OLD kept; every other value changed. No debug or onDecision: forRoot's stay. */
const B: CorsModuleOptions = {
  origins: [OLD, NEW],
  exposeHeaders: ['X-Root-B'],
  resources: { '/api/*': { origins: [API_B], maxAge: 120 }, '/*': {} },
  policies: { partners: { origins: [PARTNER_B] } },
};

/** Set C: OLD removed. */
const C: CorsModuleOptions = { origins: [NEW], resources: { '/api/*': { origins: [API_B] }, '/*': {} }, policies: { partners: { origins: [PARTNER_B] } } };

describe.each(ADAPTERS)('CorsService.reconfigure on $name', (adapter) => {
  describe.each(STARTS)('started with $how', ({ start }) => {
    const events: CorsDecisionEvent[] = [];
    const logger = new CaptureLogger();
    const A = optionsA((e) => events.push(e));
    let app: INestApplication;
    let cors: CorsService;
    let base: string;
    beforeAll(async () => {
      app = await start(appModule(A), adapter, logger);
      cors = app.get(CorsService);
      base = `http://127.0.0.1:${portOf(app)}`;
    });
    // Every test starts from forRoot's own options.
    beforeEach(async () => {
      await cors.reconfigure(A);
      events.length = 0;
      logger.lines.length = 0;
    });
    afterAll(() => app?.close());

    const get = (path: string, origin: string) => request(app.getHttpServer()).get(path).set('Origin', origin);
    const pre = (path: string, origin: string, method = 'GET') =>
      request(app.getHttpServer()).options(path).set('Origin', origin).set('Access-Control-Request-Method', method);
    const warnings = () => logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);

    it('admits a new origin at once: actual request and preflight', async () => {
      expect(corsHeaders((await get('/plain', NEW)).headers)).toEqual({});
      expect(corsHeaders((await pre('/plain', NEW, 'PUT')).headers)).toEqual({});
      await cors.reconfigure(B);
      const actual = await get('/plain', NEW);
      expect([actual.status, actual.text]).toEqual([200, 'plain']);
      expect(corsHeaders(actual.headers)).toEqual({ 'access-control-allow-origin': NEW, 'access-control-expose-headers': 'X-Root-B' });
      const preflight = await pre('/plain', NEW, 'PUT');
      expect(preflight.status).toBe(204);
      // A preflight carries exposeHeaders too, as Flask-CORS sends it.
      expect(corsHeaders(preflight.headers)).toEqual({
        'access-control-allow-origin': NEW, 'access-control-allow-methods': DEFAULT_METHODS, 'access-control-expose-headers': 'X-Root-B',
      });
      // OLD is still listed in B.
      expect((await get('/plain', OLD)).headers['access-control-allow-origin']).toBe(OLD);
    });

    it('refuses a removed origin at once, on actual requests and preflights', async () => {
      expect((await get('/plain', OLD)).headers['access-control-allow-origin']).toBe(OLD);
      await cors.reconfigure(C);
      const actual = await get('/plain', OLD);
      expect(actual.status).toBe(200);
      expect(corsHeaders(actual.headers)).toEqual({});
      expect(actual.headers.vary).toMatch(/Origin/);
      const preflight = await pre('/plain', OLD, 'PUT');
      expect(corsHeaders(preflight.headers)).toEqual({});
      // A key the new options leave out is back to its default (C sets no exposeHeaders).
      expect(corsHeaders((await get('/plain', NEW)).headers)).toEqual({ 'access-control-allow-origin': NEW });
    });

    it('replaces resources and named policies', async () => {
      expect(corsHeaders((await pre('/api/items', API_A)).headers)).toEqual({
        'access-control-allow-origin': API_A, 'access-control-allow-methods': DEFAULT_METHODS, 'access-control-max-age': '60',
        'access-control-expose-headers': 'X-Root-A',
      });
      expect((await get('/partner', PARTNER_A)).headers['access-control-allow-origin']).toBe(PARTNER_A);
      await cors.reconfigure(B);
      expect(corsHeaders((await pre('/api/items', API_A)).headers)).toEqual({});
      expect(corsHeaders((await pre('/api/items', API_B)).headers)).toEqual({
        'access-control-allow-origin': API_B, 'access-control-allow-methods': DEFAULT_METHODS, 'access-control-max-age': '120',
        'access-control-expose-headers': 'X-Root-B',
      });
      expect(corsHeaders((await get('/partner', PARTNER_A)).headers)).toEqual({});
      // The named policy's own keys, over B's top level (exposeHeaders from B).
      expect(corsHeaders((await get('/partner', PARTNER_B)).headers)).toEqual({
        'access-control-allow-origin': PARTNER_B, 'access-control-expose-headers': 'X-Root-B',
      });
      // Without a '/*' entry, a path no entry matches gets no CORS headers any more.
      await cors.reconfigure({ ...B, resources: { '/api/*': { origins: [API_B] } } });
      expect(corsHeaders((await get('/plain', OLD)).headers)).toEqual({});
      expect((await get('/api/items', API_B)).headers['access-control-allow-origin']).toBe(API_B);
    });

    it('keeps a decorator as declared, merged over the new forRoot options', async () => {
      expect(corsHeaders((await get('/decorated', OLD)).headers)).toEqual({ 'access-control-allow-origin': OLD, 'access-control-expose-headers': 'X-Handler' });
      expect(corsHeaders((await get('/decorated', NEW)).headers)).toEqual({});
      await cors.reconfigure(B);
      // Its own exposeHeaders stays (not B's X-Root-B); its origins are B's.
      expect(corsHeaders((await get('/decorated', NEW)).headers)).toEqual({ 'access-control-allow-origin': NEW, 'access-control-expose-headers': 'X-Handler' });
      await cors.reconfigure(C);
      expect(corsHeaders((await get('/decorated', OLD)).headers)).toEqual({});
      // The class's own origins: '*' (echoed: no sendWildcard) whatever forRoot says.
      expect((await get('/public', 'https://anyone.example')).headers['access-control-allow-origin']).toBe('https://anyone.example');
    });

    /** What the app answers for a fixed set of requests, whole CORS header sets and statuses. */
    const snapshot = async () => {
      const out: unknown[] = [];
      for (const origin of [OLD, NEW, API_A, PARTNER_A]) {
        for (const path of ['/plain', '/api/items', '/decorated', '/partner', '/public']) {
          const a = await get(path, origin);
          const p = await pre(path, origin, 'PUT');
          out.push([path, origin, a.status, corsHeaders(a.headers), a.headers.vary, p.status, corsHeaders(p.headers), p.headers.vary]);
        }
      }
      return out;
    };

    const rejection = async (options: unknown): Promise<CorsConfigError> => {
      const error = await cors.reconfigure(options as CorsModuleOptions).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(CorsConfigError);
      return error as CorsConfigError;
    };
    const brief = (issues: readonly CorsConfigIssue[]) => issues.map((i) => [i.where, i.option, i.reason]);

    it('refuses an invalid configuration with one CorsConfigError listing every problem, and changes nothing', async () => {
      const before = await snapshot();
      const routes = cors.routes();
      const error = await rejection({
        origins: '*',
        supportsCredentials: true,
        exposeHeaders: ['Set-Cookie'],
        policies: { partners: { origins: ['https://partner.example/path'] } },
      });
      expect(error.message).toMatch(/^nest-cross-origin: invalid CORS configuration \(4 problems\):/);
      // Every problem, each where it was written: credentials with '*' at the top level and
      // under PublicController's own '*'.
      expect(brief(error.issues)).toEqual([
        ['reconfigure', 'exposeHeaders[0]', 'forbidden'],
        ['reconfigure.policies.partners', 'origins[0]', 'invalid'],
        ['reconfigure', 'supportsCredentials', 'incompatible'],
        ['PublicController', 'supportsCredentials', 'incompatible'],
      ]);
      // Every line of the message is an issue.
      expect(error.message.split('\n')).toHaveLength(error.issues.length + 1);
      expect(await snapshot()).toEqual(before);
      expect(cors.routes()).toEqual(routes);
    });

    // forRoot's onDecision stays in force, as every key left out does, so reportAllowed given
    // alone is meaningful: a store (README, replicas) can hold reportAllowed, never a function.
    it('takes reportAllowed alone, for the onDecision forRoot gave', async () => {
      await cors.reconfigure({ ...C, reportAllowed: true });
      await get('/plain', NEW);
      expect(events.map((e) => [e.verdict, e.origin])).toEqual([['allowed', NEW]]);
    });

    it('a refused configuration leaves explain mode and onDecision as they were', async () => {
      await rejection({ ...C, debug: false, onDecision: () => undefined, exposeHeaders: ['Set-Cookie'] });
      await get('/plain', NEW);
      expect(events.map((e) => [e.verdict, e.origin])).toEqual([['refused', NEW]]);
      expect(warnings()).toHaveLength(1);
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['an array', [{ origins: [NEW] }]],
      ['a string', 'https://new.example'],
    ])('refuses %s as options (nothing would mean every default), and changes nothing', async (_desc, value) => {
      const before = await snapshot();
      const error = await rejection(value);
      expect(brief(error.issues)).toEqual([['reconfigure', 'options', 'missing']]);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses options valid alone but invalid with a controller\'s decorator, and changes nothing', async () => {
      const before = await snapshot();
      // Fine on its own; under PublicController's origins: '*', credentials would reflect anyone.
      const error = await rejection({ ...B, supportsCredentials: true });
      expect(brief(error.issues)).toEqual([['PublicController', 'supportsCredentials', 'incompatible']]);
      expect(error.message).toMatch(/PublicController: supportsCredentials = true: cannot be combined with origins "\*"/);
      // Leaving out the policies a decorator names is refused the same way.
      const unnamed = await rejection({ origins: [OLD, NEW] });
      expect(brief(unnamed.issues)).toEqual([['PartnerController.get', '@CrossOrigin', 'unknown-policy']]);
      expect(await snapshot()).toEqual(before);
      expect((await get('/plain', NEW)).headers['access-control-allow-origin']).toBeUndefined();
    });

    it('per tenant: a cachedOrigins predicate with a key, given to reconfigure(), never reuses one tenant\'s answer for another', async () => {
      const SHARED = 'https://shared.example';
      const store: Record<string, Set<string>> = { 'a.tenant.test': new Set([SHARED]), 'b.tenant.test': new Set() };
      const asked: string[] = [];
      const hostOf = (req: unknown) => String((req as { headers: Record<string, unknown> }).headers.host);
      const tenants = cachedOrigins(
        async (origin, _req, key) => (asked.push(`${key} ${origin}`), store[key!]?.has(origin) === true),
        { ttl: 60_000, key: (_origin, req) => hostOf(req) },
      );
      expect(corsHeaders((await get('/plain', SHARED).set('Host', 'a.tenant.test')).headers)).toEqual({});
      await cors.reconfigure({ ...B, origins: [OLD, tenants] });
      const call = (host: string) => get('/plain', SHARED).set('Host', host);
      const preflight = (host: string) => pre('/plain', SHARED, 'PUT').set('Host', host);
      for (let i = 0; i < 2; i++) {
        expect(corsHeaders((await call('a.tenant.test')).headers)).toEqual({ 'access-control-allow-origin': SHARED, 'access-control-expose-headers': 'X-Root-B' });
        expect(corsHeaders((await call('b.tenant.test')).headers)).toEqual({});
        expect((await preflight('a.tenant.test')).headers['access-control-allow-origin']).toBe(SHARED);
        expect(corsHeaders((await preflight('b.tenant.test')).headers)).toEqual({});
      }
      // One lookup per tenant, then answers from the cache.
      expect(asked).toEqual([`a.tenant.test ${SHARED}`, `b.tenant.test ${SHARED}`]);
      expect(warnings()).toContain(`CORS refused GET /plain from ${SHARED}: origin ${SHARED} not in origins of resources["/*"] (reconfigure) (cachedOrigins key "b.tenant.test")`);
      // Tenant b adds the origin in its store: invalidating b's answers admits it there only.
      store['b.tenant.test'].add(SHARED);
      tenants.invalidate(undefined, { key: 'b.tenant.test' });
      expect((await call('b.tenant.test')).headers['access-control-allow-origin']).toBe(SHARED);
      expect(asked).toHaveLength(3);
      // The gateway, merged over forRoot, uses the same per-tenant answers (the handshake's host).
      const polling = engineUrl(base, 'polling');
      expect((await httpCall(polling, 'GET', { origin: SHARED, host: 'b.tenant.test' })).status).toBe(200);
      store['b.tenant.test'].delete(SHARED);
      tenants.invalidate(SHARED, { key: 'b.tenant.test' });
      expect((await httpCall(polling, 'GET', { origin: SHARED, host: 'b.tenant.test' })).status).toBe(403);
      expect((await httpCall(polling, 'GET', { origin: SHARED, host: 'a.tenant.test' })).status).toBe(200);
    });

    it('originTimeout given to reconfigure() bounds async origin decisions from then on', async () => {
      const never = () => new Promise<boolean>(() => {});
      await cors.reconfigure({ ...B, origins: [OLD, never], originTimeout: 50 });
      const started = Date.now();
      const res = await get('/plain', 'https://waiting.example');
      expect(res.status).toBe(200);
      expect(corsHeaders(res.headers)).toEqual({});
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(events.at(-1)).toMatchObject({ reason: 'origin-timeout', origin: 'https://waiting.example' });
    });

    it('routes() and policyFor() show the new options as soon as reconfigure() resolves', async () => {
      const route = (path: string) => cors.routes().find((r) => r.path === path && r.method === 'GET')!;
      expect(route('/plain').options?.origins).toEqual([OLD]);
      await cors.reconfigure(B);
      expect(route('/plain').options).toMatchObject({ origins: [OLD, NEW], exposeHeaders: ['X-Root-B'] });
      expect(route('/plain').sources).toMatchObject({ origins: 'forRoot', exposeHeaders: 'forRoot' });
      expect(route('/plain').root).toBe('reconfigure');
      expect(route('/decorated').options).toMatchObject({ origins: [OLD, NEW], exposeHeaders: ['X-Handler'] });
      expect(route('/decorated').sources).toMatchObject({ origins: 'forRoot', exposeHeaders: 'handler' });
      expect(route('/partner').options?.origins).toEqual([PARTNER_B]);
      expect(cors.policyFor('GET', '/api/items')?.options).toMatchObject({ origins: [API_B], maxAge: 120 });
      expect(cors.policyFor('GET', '/api/items')?.label).toBe('resources["/api/*"]');
      expect(cors.policyFor('GET', '/partner')?.options.origins).toEqual([PARTNER_B]);
      const gateway = cors.gateways().find((g) => g.gateway === 'ChatGateway')!;
      expect(gateway.options).toMatchObject({ origins: [OLD, NEW], allowHeaders: ['x-token'] });
    });

    it('explain mode logs the change and the new route table, then explains refusals under the new options', async () => {
      await cors.reconfigure(C);
      const logs = logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'log').map((l) => l.message);
      expect(logs[0]).toBe('CORS configuration replaced by CorsService.reconfigure()');
      expect(logs).toContainEqual(expect.stringMatching(/^CORS policies of \d+ routes:$/));
      expect(logs).toContainEqual(expect.stringMatching(/GET +\/plain -> PlainController\.get \[resources\["\/\*"\]\]: .*origins=\["https:\/\/new\.example"\]/));
      await get('/plain', OLD);
      expect(warnings()).toEqual([
        `CORS refused GET /plain from ${OLD}: origin ${OLD} not in origins of resources["/*"] (reconfigure)`,
      ]);
    });

    it('a gateway merged over forRoot follows: a new origin gets its handshake, a removed one 403', async () => {
      const polling = engineUrl(base, 'polling');
      expect((await httpCall(polling, 'GET', { origin: NEW })).status).toBe(403);
      expect((await openWebSocket(engineUrl(base, 'websocket'), NEW)).status).toBe(403);
      await cors.reconfigure(B);
      for (const transport of ['polling', 'websocket'] as const) {
        const socket = await connectIo(base, { transports: [transport], origin: NEW, headers: { 'x-token': 't' } });
        try {
          await expect(echo(socket, transport)).resolves.toEqual({ echoed: transport });
        } finally {
          socket.close();
        }
      }
      const open = await httpCall(polling, 'GET', { origin: NEW });
      expect([open.status, open.headers['access-control-allow-origin']]).toEqual([200, NEW]);
      await cors.reconfigure(C);
      expect((await httpCall(polling, 'GET', { origin: OLD })).status).toBe(403);
      expect((await openWebSocket(engineUrl(base, 'websocket'), OLD)).status).toBe(403);
      await expect(ioRefusal(base, { transports: ['polling'], origin: OLD })).resolves.toMatchObject({ status: 403 });
      // Explain mode (still on from forRoot) logs the refusal under the new options.
      expect(warnings()).toContainEqual(`CORS refused WebSocket upgrade GET /socket.io/ to ChatGateway from ${OLD} (403): origin ${OLD} not in origins of ChatGateway (reconfigure)`);
    });

    it('keeps forRoot\'s onDecision and debug when not given; applies them when given', async () => {
      await cors.reconfigure(C);
      await get('/plain', OLD);
      expect(events.map((e) => [e.kind, e.verdict, e.reason, e.origin])).toEqual([['actual', 'refused', 'origin-not-allowed', OLD]]);
      expect(warnings()).toHaveLength(1);

      const later: CorsDecisionEvent[] = [];
      await cors.reconfigure({ ...C, debug: false, onDecision: (e) => later.push(e), reportAllowed: true });
      events.length = 0;
      logger.lines.length = 0;
      await get('/plain', OLD);
      await get('/plain', NEW);
      expect(events).toEqual([]);
      expect(warnings()).toEqual([]);
      expect(later.map((e) => [e.verdict, e.origin])).toEqual([['refused', OLD], ['allowed', NEW]]);
      // Gateways report to the new listener too.
      await httpCall(engineUrl(base, 'polling'), 'GET', { origin: OLD });
      expect(later.at(-1)).toMatchObject({ kind: 'gateway', verdict: 'refused', origin: OLD });
      expect(warnings()).toEqual([]);
    });
  });
});

// No origins of its own: forRoot's, whatever reconfigure() puts in force. On the app's server
// and on a port of its own.
@CrossOrigin({})
@WebSocketGateway({ path: '/events' })
class EventsGateway {
  @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { event: 'echo', data: body }; }
}

describe.each(ADAPTERS)('CorsService.reconfigure and a ws gateway on $name', (adapter) => {
  it('a new origin gets its upgrade at once, a removed one 403, on the app\'s server and on its own port', async () => {
    const ownPort = await freePort();
    @CrossOrigin({})
    @WebSocketGateway(ownPort, { path: '/own' })
    class OwnPortGateway {}
    const g = await startGatewayApp(adapter, 'NestFactory', CorsModule.forRoot({ origins: [OLD] }), [EventsGateway, OwnPortGateway], ownPort, { ws: true });
    const cors = g.app.get(CorsService);
    const ws = (base: string, path: string) => `${base.replace(/^http/, 'ws')}${path}`;
    const status = async (url: string, origin: string) => {
      const answer = await openWebSocket(url, origin);
      if (answer.opened) answer.socket.close();
      return answer.status;
    };
    try {
      for (const url of [ws(g.base, '/events'), ws(g.ownBase, '/own')]) {
        expect(await status(url, NEW)).toBe(403);
        expect(await status(url, OLD)).toBe(101);
      }
      await cors.reconfigure({ origins: [NEW] });
      for (const url of [ws(g.base, '/events'), ws(g.ownBase, '/own')]) {
        expect(await status(url, NEW)).toBe(101);
        expect(await status(url, OLD)).toBe(403);
      }
      const answer = await openWebSocket(ws(g.base, '/events'), NEW);
      if (!answer.opened) throw new Error(`expected 101, got ${answer.status}`);
      try {
        await expect(wsExchange(answer.socket, 'echo', 'hi')).resolves.toEqual({ event: 'echo', data: 'hi' });
      } finally {
        answer.socket.close();
      }
    } finally {
      await g.app.close();
    }
  });
});
