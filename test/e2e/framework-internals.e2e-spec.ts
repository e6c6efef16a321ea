// The framework internals the library relies on (README "What the library touches"), each
// with a canary here that fails loudly when a Nest, Express or Fastify release changes it, and
// a test that the library's own start-up check refuses to start when it is not as expected:
// a wrong guess about the framework would send another handler's CORS policy.
import { Controller, Get, Module, Post, VersioningType } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { RouterExplorer } from '@nestjs/core/router/router-explorer.js';

/** RouterExplorer's private methods, as the canaries below patch them. */
const explorer = RouterExplorer.prototype as unknown as { copyMetadataToCallback: Function; applyHostFilter: Function };
import { createRequire } from 'node:module';
import request from 'supertest';
import { CorsInternalsError, CorsModule, CrossOrigin } from '../../lib/index.js';
import { checkHostFilters, checkNestMetadataKeys, hostMatchers, RouteTags, servesHost } from '../../lib/nest/nest-internals.js';
import { checkExpressInternals, isStaticFiles, markDispatch, matchLayer, mountedStack, watchRequestHooks, type ExpressLayer } from '../../lib/nest/platform/express-internals.js';
import { ExpressAdapter } from '@nestjs/platform-express';
import { answers404ForEmptyParams, checkFastifyInternals } from '../../lib/nest/platform/fastify-internals.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { preflight } from '../utility/http.js';

const require = createRequire(import.meta.url);

@Controller('things')
class ThingsController {
  @CrossOrigin({ origins: 'https://things.example' }) @Get(':id') one() { return 'one'; }
  @Post() create() { return 'created'; }
}
@Controller({ path: 'hosted', host: ':tenant.tenants.localhost' })
class HostedController {
  @CrossOrigin({ origins: 'https://tenant.example' }) @Get() hosted() { return 'hosted'; }
}
@Module({ imports: [CorsModule.forRoot({ origins: 'https://root.example' })], controllers: [ThingsController, HostedController] })
class AppModule {}

/** The HttpServer methods the library wraps: Nest registers routes, middleware, parsers, versions and its 404 through them. */
const ADAPTER_METHODS = ['get', 'post', 'put', 'delete', 'patch', 'all', 'options', 'head', 'use', 'createMiddlewareFactory', 'registerParserMiddleware', 'applyVersionFilter', 'setNotFoundHandler', 'enableCors', 'getRequestHostname', 'getInstance', 'getType', 'getHttpServer'];

describe('Nest internals', () => {
  it('the route decorators write the metadata keys "path", "method" and "host" (checked at start-up)', () => {
    expect(() => checkNestMetadataKeys()).not.toThrow();
  });

  it('Nest copies a controller method\'s metadata onto the handler it registers, and names it Controller.method', async () => {
    const registered: Function[] = [];
    const app = await createApp(AppModule, ADAPTERS[0], (a) => {
      const http = a.getHttpAdapter() as unknown as Record<string, (...args: unknown[]) => unknown>;
      const get = http.get;
      http.get = function spy(this: unknown, ...args: unknown[]) {
        if (typeof args[1] === 'function') registered.push(args[1] as Function);
        return get.apply(this, args);
      };
    });
    try {
      const handler = registered.find((h) => h.name === 'ThingsController.one');
      expect(handler).toBeDefined();
      // @Get(':id') wrote "path" on the method; Nest copied it onto the registered function.
      expect(Reflect.getMetadata('path', handler!)).toBe(':id');
    } finally {
      await app.close();
    }
  });

  it('the start-up check refuses an app whose routes come without their method\'s metadata', async () => {
    const original = explorer.copyMetadataToCallback;
    explorer.copyMetadataToCallback = function () {};
    try {
      await expect(createApp(AppModule, ADAPTERS[0])).rejects.toThrow(/copyMetadataToCallback/);
    } finally {
      explorer.copyMetadataToCallback = original;
    }
    const tags = new RouteTags({});
    tags.tag(function m() {}, { controller: 'C', handler: 'm' });
    expect(() => tags.assertAllSeen()).toThrow(CorsInternalsError);
  });

  it('Nest\'s host filter and the library\'s copy agree (checked at start-up for every host pattern)', async () => {
    await expect(checkHostFilters([':tenant.tenants.localhost', 'admin.localhost', /^api\./])).resolves.toBeUndefined();
    expect(servesHost(hostMatchers(':tenant.tenants.localhost'), 'acme.tenants.localhost')).toBe(true);
    const original = explorer.applyHostFilter;
    // A release whose filter lets every host through would make the copy wrong.
    explorer.applyHostFilter = function (_host: unknown, handler: Function) { return handler; };
    try {
      await expect(checkHostFilters([':tenant.tenants.localhost'])).rejects.toThrow(CorsInternalsError);
      await expect(createApp(AppModule, ADAPTERS[0])).rejects.toThrow(/host filter/);
    } finally {
      explorer.applyHostFilter = original;
    }
  });
});

describe.each(ADAPTERS)('HTTP adapter interface on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp(AppModule, adapter, (a) => { a.enableVersioning({ type: VersioningType.HEADER, header: 'x-v' }); });
  });
  afterAll(() => app.close());

  it('has every method the library wraps, and VersioningType.URI is what the version marker skips', () => {
    const http = app.getHttpAdapter() as unknown as Record<string, unknown>;
    for (const name of ADAPTER_METHODS) expect([name, typeof http[name]]).toEqual([name, 'function']);
    expect(VersioningType.URI).toBe(0);
  });

  it('so preflights still reach the handler\'s own policy, host-bound ones included', async () => {
    const res = await preflight(app, '/things/1', 'https://things.example', 'GET');
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([204, 'https://things.example']);
    const hosted = await preflight(app, '/hosted', 'https://tenant.example', 'GET').set('Host', 'acme.tenants.localhost');
    expect(hosted.headers['access-control-allow-origin']).toBe('https://tenant.example');
  });
});

describe('Express internals (router 2.x)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp(AppModule, ADAPTERS[0]);
  });
  afterAll(() => app.close());

  const stack = () => (app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } }).router.stack;

  it('app.router.stack holds layers with match() and handle; route layers answer _handlesMethod()', () => {
    const own = stack().find((l) => l.handle.name === 'nestCrossOrigin');
    expect(own).toBeDefined();
    expect(own!.slash).toBe(true);
    const route = stack().find((l) => l.route && l.rawPath === '/things/:id')!;
    expect(matchLayer(route, '/things/1')?.params).toEqual(expect.objectContaining({ id: '1' }));
    expect(matchLayer(route, '/other')).toBeNull();
    expect(route.route!._handlesMethod('GET')).toBe(true);
    expect(route.route!._handlesMethod('HEAD')).toBe(true);
    expect(route.route!._handlesMethod('POST')).toBe(false);
    expect(() => checkExpressInternals(app.getHttpAdapter().getInstance(), own)).not.toThrow();
  });

  it('Express dispatches through layer.handle, so a marked layer records the request it serves', async () => {
    const route = stack().find((l) => l.route && l.rawPath === '/things')!;
    const seen: string[] = [];
    markDispatch(route, (req) => seen.push(req.url!));
    await request(app.getHttpServer()).post('/things');
    expect(seen).toEqual(['/things']);
  });

  it('serve-static names its middleware serveStatic; a router and a sub-app expose their stack', () => {
    const express = require('express') as { static(dir: string): Function; Router(): Function; (): Function };
    expect(isStaticFiles(express.static('.'))).toBe(true);
    expect(mountedStack(express.Router())).toEqual([]);
    const sub = express() as unknown as { get(p: string, f: Function): void };
    sub.get('/x', () => {});
    expect(mountedStack(sub as unknown as Function)).toHaveLength(1);
  });

  it("platform-express puts one layer before the library's, running the hooks its setters keep in onRequestHook / onResponseHook", async () => {
    expect(stack().findIndex((l) => l.handle.name === 'nestCrossOrigin')).toBe(1);
    const adapter = new ExpressAdapter();
    expect([Object.hasOwn(adapter, 'onRequestHook'), Object.hasOwn(adapter, 'onResponseHook')]).toEqual([true, true]);
    expect(watchRequestHooks(adapter)()).toBe(false);
    const hooked = watchRequestHooks(adapter);
    const seen: string[] = [];
    adapter.setOnRequestHook((req, _res, done) => { seen.push(req.url); done(); });
    expect(hooked()).toBe(true);
    expect((adapter as unknown as { onRequestHook: unknown }).onRequestHook).toBeInstanceOf(Function);
    // The layer before every other runs it.
    const first = (adapter.getInstance() as { router: { stack: ExpressLayer[] } }).router.stack[0];
    await new Promise<void>((resolve) => first.handle({ url: '/probe' }, { on() {} }, resolve));
    expect(seen).toEqual(['/probe']);
    // Fail-safe: without the fields, hooks may be set.
    expect(watchRequestHooks({})()).toBe(true);
  });

  it('the start-up check refuses a router whose layers are not dispatched through handle', () => {
    const own = stack().find((l) => l.handle.name === 'nestCrossOrigin')!;
    const proto = Object.getPrototypeOf(own) as { handleRequest: Function };
    const original = proto.handleRequest;
    proto.handleRequest = function (this: unknown, _req: unknown, _res: unknown, next: () => void) { next(); };
    try {
      expect(() => checkExpressInternals(app.getHttpAdapter().getInstance(), own)).toThrow(/layer\.handle/);
    } finally {
      proto.handleRequest = original;
    }
    expect(() => checkExpressInternals({ router: {} }, undefined)).toThrow(CorsInternalsError);
  });
});

describe('Fastify internals (fastify 5)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp(AppModule, ADAPTERS[1]);
  });
  afterAll(() => app.close());

  const hooksOf = (instance: object) => {
    const symbol = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.hooks')!;
    return (instance as Record<symbol, { onRequest: Function[] }>)[symbol].onRequest;
  };

  it('the kHooks symbol, its onRequest list and middie\'s hook name, with the CORS hook ahead of middie', () => {
    const fastify = app.getHttpAdapter().getInstance() as { version: string };
    expect(fastify.version.startsWith('5.')).toBe(true);
    const names = hooksOf(fastify).map((h) => h.name);
    const middie = names.findIndex((n) => n === 'runMiddie' || n === 'runMiddieWithPayload');
    expect(middie).toBeGreaterThan(-1);
    expect(names.indexOf('nestCrossOrigin')).toBeGreaterThan(-1);
    expect(names.indexOf('nestCrossOrigin')).toBeLessThan(middie);
    expect(Object.getOwnPropertySymbols(fastify).some((s) => s.description === 'fastify.children')).toBe(true);
  });

  it('the start-up check refuses a hook list with middie ahead of CORS, or another Fastify major', () => {
    const hook = function nestCrossOrigin() {};
    const middie = function runMiddie() {};
    const symbol = Symbol('fastify.hooks');
    expect(() => checkFastifyInternals({ version: '5.1.0', [symbol]: { onRequest: [middie, hook] } } as never, hook)).toThrow(/middie/);
    expect(() => checkFastifyInternals({ version: '6.0.0', [symbol]: { onRequest: [hook, middie] } } as never, hook)).toThrow(/fastify 6/);
    expect(() => checkFastifyInternals({ version: '5.1.0' } as never, hook)).toThrow(/fastify\.hooks/);
  });

  it('the library\'s find-my-way is the release line Fastify routes with', () => {
    const fastifyDir = require.resolve('fastify/package.json').replace(/package\.json$/, '');
    const theirs = createRequire(fastifyDir)('find-my-way/package.json').version as string;
    const ours = require('find-my-way/package.json').version as string;
    const line = (v: string) => v.split('.').slice(0, 2).join('.');
    expect(line(ours)).toBe(line(theirs));
  });

  it('find-my-way answers a path whose only match has an over-long parameter through onMaxParamLength, with no store', () => {
    const FindMyWay = require('find-my-way') as (options: object) => { on(m: string, p: string, h: () => void, s: object): void; find(m: string, p: string): { store: unknown } | null };
    const router = FindMyWay({ maxParamLength: 3, onMaxParamLength: () => {} });
    router.on('GET', '/a/:p', () => {}, { route: 'param' });
    expect(router.find('GET', '/a/123')?.store).toEqual({ route: 'param' });
    expect(router.find('GET', '/a/1234')).toEqual(expect.objectContaining({ store: null }));
    expect(router.find('GET', '/b/1')).toBeNull();
  });

  it('Nest\'s FastifyAdapter answers an empty route parameter with its 404 (requireNonEmptyParams)', () => {
    expect(answers404ForEmptyParams(app.getHttpAdapter())).toBe(true);
    expect(answers404ForEmptyParams({})).toBe(false);
  });

  it('the router\'s own 400 reaches the security hook with params null (frameworkErrors), so it carries the resources policy', async () => {
    await (app.getHttpAdapter().getInstance() as { listen(o: object): Promise<unknown> }).listen({ port: 0, host: '127.0.0.1' });
    const res = await request(app.getHttpServer()).get('/a/%zz').set('Origin', 'https://root.example');
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([400, 'https://root.example']);
  });
});
