// The framework internals the library still relies on, each checked here so that a Nest,
// Express or Fastify release that changes one fails loudly, here, instead of quietly sending
// the wrong CORS headers. README "What the library touches" lists the same items.
import { Controller, Get, Module, Post, VersioningType } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { createRequire } from 'node:module';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { preflight } from '../utility/http.js';

const require = createRequire(import.meta.url);

@Controller('things')
class ThingsController {
  @CrossOrigin({ origins: 'https://things.example' }) @Get(':id') one() { return 'one'; }
  @Post() create() { return 'created'; }
}
@Module({ imports: [CorsModule.forRoot({ origins: 'https://root.example' })], controllers: [ThingsController] })
class AppModule {}

/** The Nest adapter methods the library wraps: Nest calls them to register routes and middleware. */
const ADAPTER_METHODS = ['get', 'post', 'put', 'delete', 'patch', 'all', 'options', 'head', 'use', 'createMiddlewareFactory', 'applyVersionFilter', 'enableCors', 'getRequestHostname', 'getInstance', 'getType'];

describe.each(ADAPTERS)('framework internals on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp(AppModule, adapter, (a) => { a.enableVersioning({ type: VersioningType.HEADER, header: 'x-v' }); });
  });
  afterAll(() => app.close());

  it('the Nest adapter still has every method the library wraps, and the versioning type URI is 0', () => {
    const http = app.getHttpAdapter() as unknown as Record<string, unknown>;
    for (const name of ADAPTER_METHODS) expect([name, typeof http[name]]).toEqual([name, 'function']);
    expect(VersioningType.URI).toBe(0);
  });

  if (adapter.name === 'Express') {
    it('Express: router.stack layers have handle, slash, rawPath, a pure match() and route._handlesMethod()', () => {
      const express = app.getHttpAdapter().getInstance() as { router: { stack: Record<string, unknown>[] }; response: object };
      expect(Object.getPrototypeOf(express.response)).toBeDefined(); // documented app.response
      const stack = express.router.stack;
      expect(Array.isArray(stack)).toBe(true);
      const hook = stack.find((l) => (l.handle as Function).name === 'nestCrossOrigin');
      expect(hook).toBeDefined();
      expect(hook!.slash).toBe(true);
      const route = stack.find((l) => (l.route as { path?: string } | undefined)?.path === '/things/:id') as
        { rawPath: unknown; match(p: string): unknown; route: { stack: { handle: Function }[]; _handlesMethod(m: string): boolean } };
      expect(route.rawPath).toBe('/things/:id');
      expect(route.match('/things/1')).toBeTruthy();
      expect(route.match('/other')).toBe(false);
      expect(route.route._handlesMethod('GET')).toBe(true);
      expect(route.route._handlesMethod('HEAD')).toBe(true);
      expect(route.route._handlesMethod('POST')).toBe(false);
      // The library's confirming handler runs first in every Nest route.
      expect(route.route.stack[0].handle.name).toBe('nestCrossOriginRoute');
    });
  } else {
    it('Fastify: the kHooks symbol, its onRequest list and middie\'s hook name, with the CORS hook ahead of middie', () => {
      const fastify = app.getHttpAdapter().getInstance() as object;
      const symbols = Object.getOwnPropertySymbols(fastify);
      const hooksSymbol = symbols.find((s) => s.description === 'fastify.hooks');
      expect(hooksSymbol).toBeDefined();
      expect(symbols.some((s) => s.description === 'fastify.children')).toBe(true);
      const names = ((fastify as Record<symbol, { onRequest: Function[] }>)[hooksSymbol!].onRequest).map((h) => h.name);
      const middie = names.findIndex((n) => n === 'runMiddie' || n === 'runMiddieWithPayload');
      expect(middie).toBeGreaterThan(-1);
      expect(names.indexOf('nestCrossOrigin')).toBeGreaterThan(-1);
      expect(names.indexOf('nestCrossOrigin')).toBeLessThan(middie);
    });

    it('Fastify: the library\'s find-my-way is the release line Fastify routes with', () => {
      const fastifyDir = require.resolve('fastify/package.json').replace(/package\.json$/, '');
      const theirs = createRequire(fastifyDir)('find-my-way/package.json').version as string;
      const ours = require('find-my-way/package.json').version as string;
      const line = (v: string) => v.split('.').slice(0, 2).join('.');
      expect(line(ours)).toBe(line(theirs));
    });
  }

  it('so preflights are still routed through the framework\'s router', async () => {
    const res = await preflight(app, '/things/1', 'https://things.example', 'GET');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://things.example');
  });
});
