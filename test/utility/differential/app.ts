// Builds and starts the app a configuration describes, the way users start theirs: controller
// classes made at run time with the decorators applied by hand, RouterModule, CorsModule.forRoot,
// routers, static directories and middleware registered on the framework, then
// `NestFactory.create` (or `@nestjs/testing`) + `listen(0)`. Every handler names itself in a
// response header (HEAD included) and in its body, with what the router gave it (the route
// pattern it matched and its parameters), so the test learns from each response which handler
// served. Nothing here asks the library anything.
import 'reflect-metadata';
import { All, Controller, Delete, Get, Module, Param, Post, Put, Req, RequestMethod, Res, Version, VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import type { INestApplication, MiddlewareConsumer, NestMiddleware, Type, VersioningOptions } from '@nestjs/common';
import { NestFactory, RouterModule } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import {
  CUSTOM_VERSION_HEADER,
  MEDIA_KEY,
  VERSION_HEADER,
  renderPath,
  type AppConfig,
  type ControllerConfig,
  type Decoration,
  type Mount,
  type PolicyOptions,
  type RouteMethod,
  type VersionValue,
} from './config.js';

type Handler = (req: never, res: never, next?: never) => void;
interface ExpressRouter extends Handler {
  use(...args: unknown[]): void;
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  put(path: string, handler: Handler): void;
  delete(path: string, handler: Handler): void;
  all(path: string, handler: Handler): void;
}
interface ExpressApp {
  set(key: string, value: unknown): void;
  enable(key: string): void;
  disable(key: string): void;
}
/** Express as Nest's adapter uses it (the package has no types of its own here). */
const express = createRequire(import.meta.url)('express') as { (): ExpressApp; Router(options: { caseSensitive: boolean; strict?: boolean }): ExpressRouter };

/** The response header every handler names itself in. */
export const SERVED_BY = 'x-served-by';
/** What the router gave the handler, as URI-encoded JSON (`RouteInfo`). */
export const ROUTE_INFO = 'x-route';
/** Fastify: the route the router matched, added to every reply no handler signed (static files' errors). */
export const FASTIFY_ROUTE = 'x-fastify-route';
/** Express probes, never checked: does a static mount see this target, and what serves when static files are skipped. */
export const PROBE_REACH = 'x-probe-reach';
export const SKIP_STATIC = 'x-skip-static';
/** Express rewriting middleware leave requests carrying this header alone. */
export const NO_REWRITE = 'x-no-rewrite';
/**
 * Set by the rewriting Nest middleware on the response: the mount Express's router stripped
 * before it (`req.baseUrl`). Under a path (Nest's `/{*path}`), the router puts that path back
 * before the new URL when the middleware hands on; at the root (where Nest mounts it for an
 * excluded global-prefix path) the new URL stands alone.
 */
export const REWRITE_BASE = 'x-rewrite-base';
/** The Nest middleware of `nestMiddleware.deny` answers 401 to requests carrying this header. */
export const DENY = 'x-deny';
export const DENIED_BY = 'mw:deny';

/** What a handler reports: the route pattern (r), parameters (p), mount as matched (b), rest of the URL (u), file (f); a probe, the route's handler name (h). */
export interface RouteInfo {
  readonly h?: string;
  readonly r?: string;
  readonly p?: Record<string, unknown>;
  readonly b?: string;
  readonly u?: string;
  readonly f?: string;
}

/** Files every static directory holds; some share paths with routes on purpose. */
export const STATIC_FILES = ['a.txt', 'legacy', 'health', 'export', 'Mixed.txt', '7/billing/1', 'billing/1'];

let staticRoot: string | undefined;
function staticDir(): string {
  if (!staticRoot) {
    staticRoot = mkdtempSync(join(tmpdir(), 'nco-differential-'));
    for (const file of STATIC_FILES) {
      const parts = file.split('/');
      if (parts.length > 1) mkdirSync(join(staticRoot, ...parts.slice(0, -1)), { recursive: true });
      writeFileSync(join(staticRoot, ...parts), `static ${file}\n`);
    }
  }
  return staticRoot;
}

/** Removes the static files' directory (after the last app closed). */
export function removeStaticDir(): void {
  if (staticRoot) rmSync(staticRoot, { recursive: true, force: true });
  staticRoot = undefined;
}

interface HeaderTarget {
  setHeader?: (k: string, v: string) => unknown;
  header?: (k: string, v: string) => unknown;
}

/** Sets the identity headers on an Express or Node response or a Fastify reply. */
function sign(res: HeaderTarget, id: string, info: RouteInfo): string {
  const body = JSON.stringify({ servedBy: id, ...info });
  const encoded = encodeURIComponent(JSON.stringify(info));
  if (typeof res.setHeader === 'function') {
    res.setHeader(SERVED_BY, id);
    res.setHeader(ROUTE_INFO, encoded);
  } else {
    res.header!(SERVED_BY, id);
    res.header!(ROUTE_INFO, encoded);
  }
  return body;
}

const toNestVersion = (v: VersionValue): string | typeof VERSION_NEUTRAL | (string | typeof VERSION_NEUTRAL)[] => {
  const one = (x: string) => (x === 'N' ? VERSION_NEUTRAL : x);
  return Array.isArray(v) ? v.map(one) : one(v as string);
};

const ROUTE_DECORATORS: Record<RouteMethod, (path: string) => MethodDecorator> = { GET: Get, POST: Post, PUT: Put, DELETE: Delete, ALL: All };

function applyCors(d: Decoration, apply: (decorator: ClassDecorator & MethodDecorator) => void): void {
  if (d.kind === 'off') apply(CrossOrigin(false));
  else if (d.kind === 'named') apply(CrossOrigin(d.name));
  else if (d.kind === 'options') apply(CrossOrigin(d.options as never));
}

interface RequestLike {
  route?: { path?: string };
  routeOptions?: { url?: string; handler?: { name?: string } };
  params?: Record<string, unknown>;
}

function controllerClass(spec: ControllerConfig, config: AppConfig): Type<unknown> {
  const cls = { [spec.id]: class {} }[spec.id];
  for (const h of spec.handlers) {
    const key = `serve_${h.id}`;
    const id = h.id;
    Object.defineProperty(cls.prototype, key, {
      value: (req: RequestLike, res: HeaderTarget, params: Record<string, unknown>) =>
        sign(res, id, { r: req.route?.path ?? req.routeOptions?.url, p: { ...params } }),
      writable: true,
      configurable: true,
    });
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key)!;
    Req()(cls.prototype, key, 0);
    Res({ passthrough: true })(cls.prototype, key, 1);
    Param()(cls.prototype, key, 2);
    ROUTE_DECORATORS[h.method](renderPath(h.path, config.adapter))(cls.prototype, key, descriptor);
    if (h.version !== undefined) Version(toNestVersion(h.version) as never)(cls.prototype, key, descriptor);
    applyCors(h.cors, (d) => d(cls.prototype, key, descriptor));
  }
  Controller({
    path: renderPath(spec.path, config.adapter),
    ...(spec.host ? { host: spec.host } : {}),
    ...(spec.version !== undefined ? { version: toNestVersion(spec.version) as never } : {}),
  })(cls);
  applyCors(spec.cors, (d) => d(cls));
  return cls;
}

type NodeMiddleware = (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void) => void;

/** `/from/…` to `/to/…`, on the path only, as a user's rewriting middleware would do it. */
export function rewritten(url: string, rule: { from: string; to: string }): string | null {
  return url.startsWith(`/${rule.from}/`) ? `/${rule.to}/${url.slice(rule.from.length + 2)}` : null;
}

function appModule(config: AppConfig): Type<unknown> {
  const { top, resources, policies } = config.cors;
  const forRoot = CorsModule.forRoot({
    ...(top as object),
    ...(resources ? { resources: Object.fromEntries(resources.map(([p, o]) => [p, o])) } : {}),
    policies: Object.fromEntries(policies.map(([n, o]) => [n, o as PolicyOptions])),
  } as never);
  const byModule = new Map<string, Type<unknown>[]>();
  const rootControllers: Type<unknown>[] = [];
  for (const c of config.controllers) {
    const cls = controllerClass(c, config);
    if (!c.modulePath) {
      rootControllers.push(cls);
      continue;
    }
    const key = renderPath(c.modulePath, config.adapter);
    byModule.set(key, [...(byModule.get(key) ?? []), cls]);
  }
  const children = [...byModule].map(([path, controllers], i) => {
    const child = { [`Feature${i}Module`]: class {} }[`Feature${i}Module`];
    Module({ controllers })(child);
    return { path, module: child };
  });

  const { deny, rewrite } = config.nestMiddleware;
  class DenyMiddleware implements NestMiddleware {
    use(req: IncomingMessage, res: ServerResponse, next: () => void): void {
      if (req.headers[DENY] === '1') {
        res.statusCode = 401;
        res.setHeader(SERVED_BY, DENIED_BY);
        res.end('denied');
        return;
      }
      next();
    }
  }
  class RewriteMiddleware implements NestMiddleware {
    use(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void): void {
      // Written as a user would: the full path is `originalUrl`, and `url` is what routes next.
      const to = rewrite && !req.headers[NO_REWRITE] ? rewritten(req.originalUrl ?? req.url ?? '', rewrite) : null;
      if (to !== null) {
        req.url = to;
        res.setHeader(REWRITE_BASE, (req as { baseUrl?: string }).baseUrl ?? '');
      }
      next();
    }
  }
  class DifferentialModule {
    configure(consumer: MiddlewareConsumer): void {
      if (rewrite) consumer.apply(RewriteMiddleware).forRoutes('*');
      if (deny) consumer.apply(DenyMiddleware).forRoutes('*');
    }
  }
  Module({
    imports: [forRoot, ...children.map((c) => c.module), ...(children.length ? [RouterModule.register(children)] : [])],
    controllers: rootControllers,
  })(DifferentialModule);
  return DifferentialModule;
}

function adapterFor(config: AppConfig): ExpressAdapter | FastifyAdapter {
  if (config.express) {
    const { caseSensitive, strict, how } = config.express;
    if (how === 'default' || how === 'late') return new ExpressAdapter();
    const instance = express();
    if (how === 'set') {
      instance.set('case sensitive routing', caseSensitive);
      instance.set('strict routing', strict);
    } else {
      instance[caseSensitive ? 'enable' : 'disable']('case sensitive routing');
      instance[strict ? 'enable' : 'disable']('strict routing');
    }
    return new ExpressAdapter(instance);
  }
  const { spelling, ...routerOptions } = config.fastify!;
  const rewrite = config.rewriteUrl;
  const rewriteUrl = rewrite ? { rewriteUrl: (req: IncomingMessage) => rewritten(req.url ?? '/', rewrite) ?? req.url ?? '/' } : {};
  return new FastifyAdapter((spelling === 'top' ? { ...routerOptions, ...rewriteUrl } : { routerOptions, ...rewriteUrl }) as never);
}

/** The router options Express really routes with (a late `app.set` comes after the router exists). */
export function expressRouting(config: AppConfig): { caseSensitive: boolean; strict: boolean } {
  const e = config.express!;
  return e.how === 'default' || e.how === 'late' ? { caseSensitive: false, strict: false } : { caseSensitive: e.caseSensitive, strict: e.strict };
}

function versioningOptions(config: AppConfig): VersioningOptions | undefined {
  const v = config.versioning;
  if (v.type === 'none') return undefined;
  const defaultVersion = v.defaultVersion === undefined ? {} : { defaultVersion: toNestVersion(v.defaultVersion) };
  switch (v.type) {
    case 'uri':
      return { type: VersioningType.URI, ...defaultVersion } as VersioningOptions;
    case 'header':
      return { type: VersioningType.HEADER, header: VERSION_HEADER, ...defaultVersion } as VersioningOptions;
    case 'media':
      return { type: VersioningType.MEDIA_TYPE, key: MEDIA_KEY, ...defaultVersion } as VersioningOptions;
    case 'custom': {
      const read = (req: { headers: Record<string, unknown> }) => req.headers[CUSTOM_VERSION_HEADER];
      const extractor =
        v.extractor === 'string'
          ? (req: unknown) => {
              const value = read(req as never);
              return typeof value === 'string' ? value : '';
            }
          : (req: unknown) => {
              const value = read(req as never);
              return typeof value === 'string' ? value.split(',').map((x) => x.trim()) : [];
            };
      return { type: VersioningType.CUSTOM, extractor, ...defaultVersion } as VersioningOptions;
    }
  }
}

interface ExpressInstance {
  use(...args: unknown[]): unknown;
}
interface FastifyInstance {
  route(options: { method: string | string[]; url: string; handler: (req: RequestLike, reply: HeaderTarget & { send(b: string): void }) => void }): void;
  register(plugin: (f: FastifyInstance) => Promise<void>, options: { prefix: string }): void;
  addHook(name: string, fn: (...args: never[]) => void): void;
  supportedMethods: string[];
}

function fastifyMethod(method: RouteMethod, instance: FastifyInstance): string | string[] {
  return method === 'ALL' ? instance.supportedMethods : method;
}

/** Static files, routers, functions and rewrites, before Nest's routes exist (Nest adds them in `init`). */
function mount(app: INestApplication, config: AppConfig): void {
  const instance = app.getHttpAdapter().getInstance() as unknown;
  const dir = staticDir();
  const fileOf = (path: string) => relative(dir, path).split(sep).join('/');
  let fastifyStatics = 0;
  if (config.adapter === 'Fastify') {
    // The reach probe (never checked): Fastify routes before any hook, so the route it
    // matched for the target is known here; a static route that matched may serve the
    // target, since no one but @fastify/static knows which files exist.
    (instance as FastifyInstance).addHook('onRequest', ((req: RequestLike & { headers: Record<string, unknown> }, reply: HeaderTarget & { send(b: string): void }, done: () => void) => {
      if (req.headers[PROBE_REACH] === undefined) return done();
      reply.send(sign(reply, 'reach:fastify', { r: req.routeOptions?.url, p: { ...req.params }, h: req.routeOptions?.handler?.name }));
    }) as never);
    // Replies a handler did not sign (a static file's error) name the route Fastify matched.
    (instance as FastifyInstance).addHook('onSend', ((req: RequestLike, reply: HeaderTarget & { getHeader(k: string): unknown }, payload: unknown, done: (e: null, p: unknown) => void) => {
      if (reply.getHeader(SERVED_BY) === undefined && req.routeOptions?.url) {
        // With the handler's name: @fastify/static's is `handler`; Nest's are `Class.method`.
        reply.header!(FASTIFY_ROUTE, `${req.routeOptions.url} ${req.routeOptions.handler?.name ?? ''}`);
        reply.header!(ROUTE_INFO, encodeURIComponent(JSON.stringify({ r: req.routeOptions.url, p: { ...req.params } })));
      }
      done(null, payload);
    }) as never);
  }
  for (const m of config.mounts) {
    if (config.adapter === 'Express') mountExpress(app, instance as ExpressInstance, m, config, dir, fileOf);
    else if (m.kind === 'static') {
      (app as NestFastifyApplication).useStaticAssets({
        root: dir,
        ...(m.prefix ? { prefix: m.prefix } : {}),
        decorateReply: fastifyStatics++ === 0,
        setHeaders: (res: unknown, path: string) => void sign(res as HeaderTarget, m.id, { f: fileOf(path) }),
      } as never);
    } else if (m.kind === 'router') {
      const fastify = instance as FastifyInstance;
      const add = (f: FastifyInstance) => {
        for (const r of m.routes) {
          f.route({
            method: fastifyMethod(r.method, fastify),
            url: `/${renderPath(r.path, 'Fastify')}`,
            handler: function foreignRoute(req, reply) {
              reply.send(sign(reply, r.id, { r: req.routeOptions?.url, p: { ...req.params } }));
            },
          });
        }
      };
      if (m.at) fastify.register(async (f) => add(f), { prefix: m.at });
      else add(fastify);
    }
  }
}

function mountExpress(app: INestApplication, instance: ExpressInstance, m: Mount, config: AppConfig, dir: string, fileOf: (p: string) => string): void {
  type Req = IncomingMessage & { baseUrl?: string; route?: { path?: string }; params?: Record<string, unknown>; skippedMethod?: string };
  if (m.kind === 'router') {
    const router = express.Router({ caseSensitive: m.caseSensitive, strict: m.strict });
    for (const r of m.routes) {
      const method = r.method === 'ALL' ? 'all' : (r.method.toLowerCase() as 'get');
      router[method](`/${renderPath(r.path, 'Express')}`, (req: Req, res: ServerResponse) => {
        res.end(sign(res, r.id, { r: req.route?.path, p: { ...req.params }, b: req.baseUrl }));
      });
    }
    if (m.at) instance.use(m.at, router);
    else instance.use(router);
  } else if (m.kind === 'fn') {
    instance.use(m.at, (req: Req, res: ServerResponse) => {
      res.end(sign(res, m.id, { b: req.baseUrl, u: req.url }));
    });
  } else if (m.kind === 'rewrite') {
    instance.use(((req, _res, next) => {
      const to = req.headers[NO_REWRITE] ? null : rewritten(req.url ?? '', m);
      if (to !== null) req.url = to;
      next();
    }) as NodeMiddleware);
  } else {
    // Around the static mount: a gate that answers the reach probe with Express's own mount
    // matching (a router with the app's options), and hides GET/HEAD from the static files for
    // the skip probe and for a reach probe meant for another mount (a later mount serves whenever
    // this one holds no such file, which a preflight cannot know); after it, the method is put
    // back. Both are root functions that pass requests on, never candidates (SPEC §3 rule 6).
    const probe = express.Router({ caseSensitive: expressRouting(config).caseSensitive });
    probe.use(m.prefix ?? '/', (req: Req, res: ServerResponse) => {
      res.end(sign(res, `reach:${m.id}`, { b: req.baseUrl, u: req.url }));
    });
    instance.use((req: Req, res: ServerResponse, next: () => void) => {
      if (req.headers[PROBE_REACH] === m.id) return void probe(req as never, res as never, next as never);
      if ((req.headers[SKIP_STATIC] || req.headers[PROBE_REACH] !== undefined) && (req.method === 'GET' || req.method === 'HEAD')) {
        req.skippedMethod = req.method;
        req.method = 'PROPFIND';
      }
      next();
    });
    (app as NestExpressApplication).useStaticAssets(dir, {
      ...(m.prefix ? { prefix: m.prefix } : {}),
      redirect: m.redirect,
      setHeaders: (res: ServerResponse, path: string) => void sign(res, m.id, { f: fileOf(path) }),
    });
    instance.use((req: Req, _res: ServerResponse, next: () => void) => {
      if (req.skippedMethod) {
        req.method = req.skippedMethod;
        delete req.skippedMethod;
      }
      next();
    });
  }
}

export interface RunningApp {
  readonly app: INestApplication;
  readonly port: number;
}

/** Creates, configures and starts the app on 127.0.0.1 with an ephemeral port. */
export async function startApp(config: AppConfig): Promise<RunningApp> {
  const module = appModule(config);
  const adapter = adapterFor(config);
  let app: INestApplication;
  if (config.start === 'factory') {
    app = await NestFactory.create(module, adapter as never, { logger: false, abortOnError: false });
  } else {
    const ref = await Test.createTestingModule({ imports: [module] }).compile();
    app = ref.createNestApplication(adapter as never, { logger: false });
  }
  try {
    if (config.express?.how === 'late') {
      (app as NestExpressApplication).set('case sensitive routing', config.express.caseSensitive);
      (app as NestExpressApplication).set('strict routing', config.express.strict);
    }
    if (config.prefix) {
      app.setGlobalPrefix(config.prefix.path, {
        exclude: config.prefix.exclude.map((e) => (e.method ? { path: e.path, method: RequestMethod[e.method] } : e.path)),
      });
    }
    const versioning = versioningOptions(config);
    if (versioning) app.enableVersioning(versioning);
    mount(app, config);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { app, port };
}
