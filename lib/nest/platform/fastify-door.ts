// Fastify: routing happens before `onRequest` hooks, so CORS enters through one hook that
// reads the route Fastify matched (`request.routeOptions.config`, where the library tagged
// every route as Fastify reported it through `onRoute`), ahead of Nest middleware, guards and
// handlers. Two more points cover what that hook cannot see: Nest's 404 for a route it then
// declines (an empty parameter), and the 400/414 Fastify's router answers itself.
import { VersioningType } from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { decide, preflightMethod, readCorsRequest, targetPath, type Candidate, type CorsRequest, type Decision } from '../../core/index.js';
import type { CorsRuntime } from '../cors-runtime.js';
import { servesHost, type RouteTags } from '../nest-internals.js';
import { interceptNestRoutes, interceptNotFound, markVersionFilters, versionsOf } from './adapter-interface.js';
import { NEUTRAL_VERSION, type CorsState, type RouteRef, type RouteTag } from '../route-state.js';
import { answers404ForEmptyParams, checkFastifyInternals, moveBeforeMiddie, onFrameworkErrors } from './fastify-internals.js';
import { FastifyPreflightRouter, hasEmptyParam, type FastifyEntry } from './fastify-preflight-router.js';
import { deferToHead, endPreflight } from './node-response.js';
import { apply, settle } from './request-flow.js';
import { fastifyRouteTokens } from './route-syntax.js';

interface FastifyRequestLike {
  raw: IncomingMessage & { [kDecidedForRoute]?: boolean };
  headers: IncomingHttpHeaders;
  params?: Record<string, string | undefined> | null;
  readonly is404: boolean;
  readonly routeOptions: { readonly config?: Record<symbol, unknown> };
}
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}
type Done = (err?: Error) => void;
type OnRequest = (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void;

/** What Fastify's `onRoute` hook receives (the fields read here). */
interface RouteOptionsLike {
  method: string | string[];
  url: string;
  handler: Function;
  constraints?: { host?: unknown; version?: unknown };
  config?: Record<string | symbol, unknown>;
  /** The plugin's prefix and the path given under it: `''` for a `'/'` route Fastify may twin. */
  prefix?: string;
  routePath?: string;
}

interface FastifyLikeInstance {
  version?: string;
  addHook(name: 'onRequest', hook: OnRequest): unknown;
  addHook(name: 'onRoute', hook: (options: RouteOptionsLike) => void): unknown;
  addHook(name: 'onReady', hook: (done: (err?: Error) => void) => void): unknown;
  hasRoute(options: { method: string; url: string; constraints?: unknown }): boolean;
  after?(callback: (err: Error | null, done: (err?: Error | null) => void) => void): unknown;
  initialConfig?: { ignoreDuplicateSlashes?: boolean; routerOptions?: { ignoreDuplicateSlashes?: boolean } };
}
interface FastifyLikeAdapter {
  getInstance(): FastifyLikeInstance;
  getRouteMatchingOptions?(): { caseSensitive?: boolean; ignoreTrailingSlash?: boolean; maxParamLength?: number; useSemicolonDelimiter?: boolean };
  getRequestHostname?(request: unknown): string | undefined;
}

/** The key of a route's entry in its Fastify route's `config`. */
const kEntry = Symbol('nest-cross-origin.entry');
/** Set on a request decided for a route Fastify matched, which Nest may still answer with its 404. */
const kDecidedForRoute = Symbol('nest-cross-origin.decidedForRoute');

/** Writes a decision on the reply: a preflight answered now, or headers kept for the head. */
function writeOnReply(reply: FastifyReplyLike, d: Decision): boolean {
  if (d.answer) {
    // Complete and bodiless: written on the raw response after telling Fastify it is handled.
    reply.hijack();
    endPreflight(reply.raw, d);
    return true;
  }
  deferToHead(reply.raw, d.headers, d.vary);
  return false;
}

/** Installs CORS on a Fastify app (see the opening comment). */
export function installFastify(adapter: FastifyLikeAdapter, runtime: CorsRuntime, tags: RouteTags<RouteTag>): { check(): void } {
  const instance = adapter.getInstance();
  const options = adapter.getRouteMatchingOptions?.() ?? {};
  const config = instance.initialConfig ?? {};
  const emptyParams404 = answers404ForEmptyParams(adapter);
  const routing = {
    caseSensitive: options.caseSensitive ?? true,
    ignoreTrailingSlash: options.ignoreTrailingSlash ?? false,
    ignoreDuplicateSlashes: !!(config.routerOptions?.ignoreDuplicateSlashes ?? config.ignoreDuplicateSlashes),
    maxParamLength: options.maxParamLength,
    useSemicolonDelimiter: options.useSemicolonDelimiter,
  };
  const preflights = new FastifyPreflightRouter(routing, emptyParams404);
  const byHandler = new WeakMap<Function, FastifyEntry>();
  /**
   * The path of a request no route serves, as Fastify's router read it (its delimiter and
   * slash rules applied; letter case kept): what Nest's 404 is decided on.
   */
  const routerPath = (url: string): string => {
    let path = targetPath(url);
    if (routing.useSemicolonDelimiter) {
      const at = path.indexOf(';');
      if (at !== -1) path = path.slice(0, at);
    }
    if (routing.ignoreDuplicateSlashes && path.includes('//')) path = path.replace(/\/\/+/g, '/');
    if (routing.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    return path;
  };
  const hostnameOf = (request: FastifyRequestLike) => adapter.getRequestHostname?.(request) ?? request.headers.host;
  let registering: FastifyEntry | undefined;
  const twins: { method: string; url: string; constraints: RouteOptionsLike['constraints']; entry: FastifyEntry }[] = [];

  const candidateOf = (state: CorsState, entry: FastifyEntry, params: Record<string, string | undefined> | null | undefined): Candidate =>
    'ref' in entry ? state.target(entry.ref, params) : state.foreignRoute(entry.tokens, params);

  const candidates = (state: CorsState, method: string, url: string, host: string | undefined, hostname: () => string | undefined): Candidate[] => {
    // The asterisk form names no path: Fastify's router answers it 404.
    if (targetPath(url).charCodeAt(0) !== 47 /* / */) return [state.onRequestPath(routerPath(url))];
    const found = preflights.find(method, url, host, hostname);
    const list = found.routes.map((r) => candidateOf(state, r.entry, r.params));
    // No route (a 404), or a version whose request the router refuses: the resources entry.
    if (list.length === 0 || found.refused) list.push(state.onRequestPath(routerPath(url)));
    return list;
  };
  runtime.finder = (state, method, path, hostname) => candidates(state, method, path, hostname, () => hostname);
  runtime.serves = (method, path, hostname) => preflights.find(method, path, hostname, () => hostname).routes.length > 0;

  markVersionFilters(adapter as never, NEUTRAL_VERSION, (type) => {
    preflights.neutralReachable = type !== VersioningType.CUSTOM;
  });
  interceptNestRoutes(adapter as never, (route, add) => {
    const tag = tags.of(route.handler);
    if (tag === undefined) return add();
    const ref: RouteRef = runtime.register(route.method, route.path, fastifyRouteTokens(route.path), tag, versionsOf(route.handler));
    registering = { ref };
    try {
      return add();
    } finally {
      registering = undefined;
    }
  });
  // Fastify calls `onRoute` synchronously inside the `route()` call Nest makes; the HEAD
  // route it adds for a GET comes later, with the same handler.
  instance.addHook('onRoute', (route) => {
    let entry = registering ?? byHandler.get(route.handler);
    if (entry !== undefined) byHandler.set(route.handler, entry);
    // A route no Nest controller registered: the resources policy on its own spelling.
    else entry = { tokens: fastifyRouteTokens(route.url) };
    route.config = { ...route.config, [kEntry]: entry };
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      preflights.add(method, route.url, route.constraints, entry);
      // A plugin's '/' route is reported once, as the bare prefix; Fastify may also route the
      // prefix with a slash (its prefixTrailingSlash), without telling onRoute. Asked at ready.
      if (route.routePath === '' && route.prefix) twins.push({ method, url: `${route.prefix}/`, constraints: route.constraints, entry });
    }
  });

  const hook: OnRequest = function nestCrossOrigin(request, reply, done) {
    let d: Decision | Promise<Decision>;
    let r: CorsRequest;
    try {
      const raw = request.raw;
      const state = runtime.state;
      const acrm = preflightMethod(raw.method, request.headers);
      if (acrm !== undefined) {
        r = readCorsRequest(raw.method!, targetPath(raw.url!), request.headers, request);
        d = decide(candidates(state, acrm, raw.url!, request.headers.host, () => hostnameOf(request)), r, { timeout: state.policies.originTimeout });
      } else {
        let entry = request.is404 ? undefined : (request.routeOptions.config?.[kEntry] as FastifyEntry | undefined);
        // Nest answers another host (its host filter) and an empty parameter with its 404:
        // the resources policy, as for any 404, decided once here.
        if (entry !== undefined && 'ref' in entry) {
          if (entry.ref.tag.hosts !== null && !servesHost(entry.ref.tag.hosts, hostnameOf(request))) entry = undefined;
          else if (emptyParams404 && hasEmptyParam(request.params)) entry = undefined;
        }
        // A matched route may still end in Nest's 404 (a static-files route with no such file
        // calls it): that response is decided again, as the 404 it is.
        if (entry !== undefined) raw[kDecidedForRoute] = true;
        const path = targetPath(raw.url!);
        r = readCorsRequest(raw.method!, path, request.headers, request);
        d = decide([entry === undefined ? state.onRequestPath(routerPath(raw.url!)) : candidateOf(state, entry, request.params)], r, { timeout: state.policies.originTimeout });
      }
    } catch (error) {
      runtime.failed(error);
      return done();
    }
    settle(runtime, d, r, reply, writeOnReply, done);
  };
  instance.addHook('onRequest', hook);

  // Nest's 404 for a route Fastify matched (its empty-parameter check, or a route that called
  // it, as @fastify/static does for a missing file): the resources policy, as for an unrouted request.
  interceptNotFound(adapter as never, () => {}, (req, res, proceed) => {
    const request = req as FastifyRequestLike;
    const raw = request.raw;
    if (raw[kDecidedForRoute] !== true || preflightMethod(raw.method, request.headers) !== undefined) return proceed();
    raw[kDecidedForRoute] = false;
    let d: Decision | Promise<Decision>;
    let r: CorsRequest;
    try {
      const state = runtime.state;
      const path = targetPath(raw.url!);
      r = readCorsRequest(raw.method!, path, request.headers, request);
      d = decide([state.onRequestPath(routerPath(raw.url!))], r, { timeout: state.policies.originTimeout });
    } catch (error) {
      runtime.failed(error);
      return proceed();
    }
    const written = apply(runtime, d, r, res as FastifyReplyLike, writeOnReply);
    return written instanceof Promise ? written.then(proceed) : proceed();
  });

  // The router's own 400/414 (malformed URL, over-long parameter): the resources policy of the path.
  onFrameworkErrors(adapter as never, (request, response) => {
    const raw = request.raw as IncomingMessage;
    if (preflightMethod(raw.method, raw.headers) !== undefined) return;
    const state = runtime.state;
    const path = targetPath(raw.url ?? '/');
    const r = readCorsRequest(raw.method ?? 'GET', path, raw.headers, request);
    const d = decide([state.onRequestPath(routerPath(raw.url ?? '/'))], r, { timeout: state.policies.originTimeout, sync: true }) as Decision;
    deferToHead(response as ServerResponse, d.headers, d.vary);
    if (runtime.reporting) runtime.report(d, r);
  });

  // Fastify adds the hook from its plugin queue, not now: reorder from the same queue, next.
  instance.after?.((err, next) => {
    try {
      moveBeforeMiddie(instance, hook);
    } finally {
      next(err);
    }
  });
  // Checked when Fastify gets ready (hooks added from its plugin queue are in place only then):
  // a failure fails ready(), so listen() and app.init() + ready() fail start-up.
  instance.addHook('onReady', (ready: (err?: Error) => void) => {
    try {
      checkFastifyInternals(instance, hook);
      for (const t of twins.splice(0)) {
        if (instance.hasRoute({ method: t.method, url: t.url, constraints: t.constraints })) preflights.add(t.method, t.url, t.constraints, t.entry);
      }
    } catch (error) {
      return ready(error as Error);
    }
    ready();
  });
  return { check: () => {} };
}
