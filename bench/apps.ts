import 'reflect-metadata';
import { Controller, Delete, Get, Header, Module, Patch, Post, Put, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CorsModule, CrossOrigin, type CorsOptions } from '../lib/index.js';

/** Which HTTP platform the app runs on. */
export type AdapterName = 'express' | 'fastify';

/**
 * How CORS is done: (a) `none`, (b) `nest` = Nest's own `app.enableCors()` (the `cors` package
 * on Express, `@fastify/cors` on Fastify), (c) `lib` = `CorsModule.forRoot` + `@CrossOrigin`,
 * (d) `static` = the headers (c) sends on the benchmarked actual request, written as static
 * `@Header()`s on its handler: the cost of the bytes with no decision at all, (e) `limit` = a bare
 * platform middleware (Express `app.use`) or hook (Fastify `onRequest`), added first as the
 * library adds its own, that sets (c)'s precomputed headers on every request and answers every
 * OPTIONS with (c)'s preflight headers: the same headers with no decision, and no Nest.
 */
export type CorsVariant = 'none' | 'nest' | 'lib' | 'static' | 'limit';

/** Response headers as ordered name/value pairs. */
export type HeaderList = readonly (readonly [string, string])[];

/** What one benchmark server process builds. Serialised to JSON on the child's command line. */
export interface AppSpec {
  readonly adapter: AdapterName;
  readonly cors: CorsVariant;
  /** Total number of routes in the app: the 5 of the small app, or 1,000 with generated ones. */
  readonly routes: number;
  /** Number of exact origins in the allowed list (2 for the small app, 10,000 for the scale case). */
  readonly origins: number;
  /**
   * (e) only: the headers it sends, as read from (c)'s real responses by the harness, so the
   * limit keeps sending what the library sends when the library changes. Defaults to
   * {@link LIMIT_HEADERS}.
   */
  readonly limitHeaders?: { readonly actual: HeaderList; readonly preflight: HeaderList };
}

// Every app sits under this prefix, as most Nest apps do with `setGlobalPrefix('api')`. It also
// means every route shares its first path segment, which is the hard case for any route table
// that buckets by first segment.
export const GLOBAL_PREFIX = 'api';

/** The Origin every benchmark request sends; it is allowed by every CORS variant. */
export const ALLOWED_ORIGIN = 'https://app.example.com';
/** A second listed origin, so the small list is a real list and not a single static origin. */
const OTHER_ORIGIN = 'https://admin.example.com';

export const ACTUAL_PATH = `/${GLOBAL_PREFIX}/items`;
/** The preflight announces a PUT to a parametric route, as a browser would before a JSON update. */
export const PREFLIGHT_PATH = `/${GLOBAL_PREFIX}/items/42`;
export const PREFLIGHT_METHOD = 'PUT';
export const PREFLIGHT_HEADERS = 'content-type, x-request-id';

/**
 * The allowed origins for a spec. The benchmark origin is the LAST entry so that a matcher that
 * scans the list linearly (the `cors` package does) pays the full price; a Set does not care.
 */
export function originList(count: number): string[] {
  if (count <= 1) return [ALLOWED_ORIGIN];
  if (count === 2) return [OTHER_ORIGIN, ALLOWED_ORIGIN];
  const list: string[] = [];
  for (let i = 0; i < count - 1; i++) list.push(`https://tenant-${i}.customers.example.net`);
  list.push(ALLOWED_ORIGIN);
  return list;
}

/**
 * The per-route part of the policy, set with `@CrossOrigin` on the benchmarked handlers. Together
 * with forRoot's `origins` it is exactly the configuration given to `app.enableCors()` in (b).
 */
const ROUTE_POLICY: CorsOptions = Object.freeze({
  exposeHeaders: ['X-Total-Count'],
  supportsCredentials: true,
  maxAge: 600,
});

/** Nest's `enableCors()` options equivalent to forRoot origins + {@link ROUTE_POLICY}. */
function nestCorsOptions(origins: string[]): Record<string, unknown> {
  return {
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'PATCH', 'DELETE'],
    // Left unset, both `cors` and `@fastify/cors` echo the requested headers, as allowHeaders '*' does.
    exposedHeaders: ['X-Total-Count'],
    credentials: true,
    maxAge: 600,
  };
}

/**
 * What (c) sends on the benchmarked actual request (allowed origin), as (d) writes it: no
 * decision, the same bytes. The harness compares real responses of (c) and (d) before timing
 * and refuses to run when their CORS headers differ, so this list cannot drift from the library.
 */
export const STATIC_CORS_HEADERS: HeaderList = Object.freeze([
  ['Access-Control-Allow-Origin', ALLOWED_ORIGIN],
  ['Access-Control-Allow-Credentials', 'true'],
  ['Access-Control-Expose-Headers', 'X-Total-Count'],
  ['Vary', 'Origin'],
]);

/**
 * What (e) sends when the harness does not pass (c)'s headers: (c)'s answers to the benchmark
 * requests as of this writing. The instruction-count harness reads them from a running (c)
 * instead and checks (e) against (c) before measuring.
 */
export const LIMIT_HEADERS: { readonly actual: HeaderList; readonly preflight: HeaderList } = Object.freeze({
  actual: STATIC_CORS_HEADERS,
  preflight: Object.freeze([
    ['Access-Control-Allow-Origin', ALLOWED_ORIGIN],
    ['Access-Control-Expose-Headers', 'X-Total-Count'],
    ['Access-Control-Allow-Credentials', 'true'],
    ['Access-Control-Allow-Headers', PREFLIGHT_HEADERS],
    ['Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE'],
    ['Access-Control-Max-Age', '600'],
    ['Vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'],
  ] as const),
});

const ITEMS = Object.freeze({ items: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }] });

// The benchmarked controller. The same class is used by (a), (b) and (c): without CorsModule the
// @CrossOrigin metadata is inert, so they run identical handler code. (d) has its own copy.
@Controller('items')
class ItemsController {
  @CrossOrigin(ROUTE_POLICY) @Get() list() { return ITEMS; }
  @CrossOrigin(ROUTE_POLICY) @Put(':id') update() { return { ok: true }; }
  @CrossOrigin(ROUTE_POLICY) @Post() create() { return { ok: true }; }
}

/** Applies {@link STATIC_CORS_HEADERS} with Nest's own `@Header()`, one decorator each. */
function StaticCorsHeaders(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const [name, value] of STATIC_CORS_HEADERS) Header(name, value)(target, key, descriptor);
  };
}

// (d)'s copy of ItemsController: the same handlers, the benchmarked one with static headers
// instead of a decision. (The other two are not measured in (d): it has no preflight answer.)
@Controller('items')
class StaticItemsController {
  @StaticCorsHeaders() @Get() list() { return ITEMS; }
  @Put(':id') update() { return { ok: true }; }
  @Post() create() { return { ok: true }; }
}

@Controller()
class MiscController {
  @Get('health') health() { return { ok: true }; }
  @Get('users/:id') user() { return { id: 1 }; }
}

/** Routes in the small app: ItemsController (3) + MiscController (2). */
export const SMALL_APP_ROUTES = 5;

type MethodDecoratorFactory = (path?: string) => MethodDecorator;

/** One generated controller's handlers: a mix of static and parametric paths and methods. */
const GENERATED_HANDLERS: readonly (readonly [MethodDecoratorFactory, string])[] = [
  [Get, ''],
  [Get, ':id'],
  [Post, ''],
  [Put, ':id'],
  [Delete, ':id'],
  [Get, 'search'],
  [Get, ':id/children'],
  [Get, ':id/children/:childId'],
  [Patch, ':id'],
  [Get, 'stats/summary'],
];

/**
 * Builds controller classes programmatically, as decorators would: `@Controller('res{i}')`, one
 * method per handler. Every third controller carries its own class-level @CrossOrigin with a
 * distinct origin (so each compiles its own policy), and every controller's PUT has a handler
 * level one: a few hundred routes with their own policy, as a large app would have.
 */
export function generateControllers(count: number, firstIndex = 0): Type<unknown>[] {
  const out: Type<unknown>[] = [];
  let left = count;
  for (let c = firstIndex; left > 0; c++) {
    const n = Math.min(left, GENERATED_HANDLERS.length);
    left -= n;
    const name = `Res${c}Controller`;
    // A fresh class per controller; named so Nest's route labels and the library's
    // `Controller.handler` tags stay distinct.
    const cls = { [name]: class {} }[name] as Type<unknown>;
    for (let h = 0; h < n; h++) {
      const [verb, path] = GENERATED_HANDLERS[h];
      const key = `handler${h}`;
      Object.defineProperty(cls.prototype, key, {
        value: function generatedHandler() { return { c, h }; },
        writable: true,
        configurable: true,
        enumerable: false,
      });
      const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key)!;
      if (verb === Put) CrossOrigin({ maxAge: 60 + (c % 50) })(cls.prototype, key, descriptor);
      verb(path)(cls.prototype, key, descriptor);
    }
    if (c % 3 === 0) CrossOrigin({ origins: [`https://res${c}.partner.example`, ALLOWED_ORIGIN] })(cls);
    Controller(`res${c}`)(cls);
    out.push(cls);
  }
  return out;
}

/** How many generated routes carry their own @CrossOrigin (class or handler level). */
export function decoratedGeneratedRoutes(count: number): number {
  let decorated = 0;
  let left = count;
  for (let c = 0; left > 0; c++) {
    const n = Math.min(left, GENERATED_HANDLERS.length);
    left -= n;
    decorated += c % 3 === 0 ? n : n > 3 ? 1 : 0;
  }
  return decorated;
}

@Module({})
class BenchRootModule {}

/**
 * The root module for a spec. In the large app the benchmarked controller sits in the middle of
 * the registration order: Express dispatches to the first matching route in registration order,
 * so neither Express nor the library gets the best case (first) or worst case (last).
 */
export function rootModule(spec: AppSpec): DynamicModule {
  const generated = spec.routes > SMALL_APP_ROUTES ? generateControllers(spec.routes - SMALL_APP_ROUTES) : [];
  const half = Math.floor(generated.length / 2);
  const items = spec.cors === 'static' ? StaticItemsController : ItemsController;
  const controllers = [...generated.slice(0, half), items, MiscController, ...generated.slice(half)];
  const imports = spec.cors === 'lib' ? [CorsModule.forRoot({ origins: originList(spec.origins) })] : [];
  return { module: BenchRootModule, imports, controllers };
}

type Next = (err?: unknown) => void;

/**
 * (e): the bare Express middleware. No decision: every request gets the actual-request
 * headers and every OPTIONS the preflight answer (204, no body, one `writeHead`).
 */
function expressLimit(headers: NonNullable<AppSpec['limitHeaders']>) {
  const actual = headers.actual.map(([name, value]) => [name, value] as const);
  const preflight = headers.preflight.flat();
  return function corsLimit(req: IncomingMessage, res: ServerResponse, next: Next): void {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, preflight);
      res.end();
      return;
    }
    for (let i = 0; i < actual.length; i++) res.setHeader(actual[i][0], actual[i][1]);
    next();
  };
}

interface FastifyReplyLike {
  raw: ServerResponse;
  headers(values: Record<string, string>): unknown;
  hijack(): unknown;
}

/**
 * (e): the bare Fastify `onRequest` hook. Actual requests get the headers through Fastify's own
 * `reply.headers()`; an OPTIONS is answered on the raw response after `hijack()`, as the
 * cheapest complete answer Fastify allows from a hook.
 */
function fastifyLimit(headers: NonNullable<AppSpec['limitHeaders']>) {
  const actual = Object.fromEntries(headers.actual);
  const preflight = headers.preflight.flat();
  return function corsLimit(request: { raw: IncomingMessage }, reply: FastifyReplyLike, done: Next): void {
    if (request.raw.method === 'OPTIONS') {
      reply.hijack();
      reply.raw.writeHead(204, preflight);
      reply.raw.end();
      return;
    }
    reply.headers(actual);
    done();
  };
}

/** Creates, configures and initialises the app for a spec (routes registered, not listening). */
export async function createApp(spec: AppSpec): Promise<INestApplication> {
  const adapter = spec.adapter === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  if (spec.cors === 'limit') {
    // Before Nest sees the adapter: first in Express's stack (after the adapter's own hook, as
    // the library's middleware is), and on Fastify queued ahead of @fastify/middie, which
    // NestFactory.create() registers; the library moves its hook to the same place.
    const headers = spec.limitHeaders ?? LIMIT_HEADERS;
    if (adapter instanceof FastifyAdapter) adapter.getInstance().addHook('onRequest', fastifyLimit(headers) as never);
    else adapter.use(expressLimit(headers));
  }
  const app = await NestFactory.create(rootModule(spec), adapter as never, { logger: false, abortOnError: false });
  app.setGlobalPrefix(GLOBAL_PREFIX);
  if (spec.cors === 'nest') app.enableCors(nestCorsOptions(originList(spec.origins)));
  await app.init();
  if (spec.adapter === 'fastify') {
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  return app;
}

/** Creates the app for a spec and starts it on 127.0.0.1 with an ephemeral port. */
export async function startApp(spec: AppSpec): Promise<{ app: INestApplication; port: number }> {
  const app = await createApp(spec);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, port: address.port };
}
