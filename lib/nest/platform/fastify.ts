import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { CorsEngine, isForeign, servesHost, targetPath, type CorsOutcome, type RouteEntry } from '../cors-engine.js';
import { interceptNestRoutes, interceptNotFound } from './nest-routes.js';
import { deferHeaders, endPreflight } from './node-response.js';
import type { PlatformHooks } from './platform.js';
import { whenDecided } from './when-decided.js';

interface FastifyRequestLike {
  raw: IncomingMessage;
  headers: IncomingHttpHeaders;
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
  constraints?: { host?: unknown };
  config?: Record<string | symbol, unknown>;
}

interface FastifyLikeInstance {
  addHook(name: 'onRequest', hook: OnRequest): unknown;
  addHook(name: 'onRoute', hook: (options: RouteOptionsLike) => void): unknown;
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
/** The route entry the hook decided a request for (`undefined`: none, or a 404 already). */
const kDecided = Symbol('nest-cross-origin.decided');
type DecidedRequest = IncomingMessage & { [kDecided]?: RouteEntry };

/** The handlers registered on one (method, path): several when versions tell them apart. */
interface Store {
  readonly entries: (RouteEntry | undefined)[];
}

function hasEmptyParam(params: Record<string, string | undefined>): boolean {
  for (const name in params) if (params[name] === '' && name !== '*') return true;
  return false;
}

/** Puts a decision on the reply; true when that ended it (an automatic preflight). */
function write(reply: FastifyReplyLike, outcome: CorsOutcome): boolean {
  if (outcome.preflight) {
    // The answer is complete and has no body: written on the raw response, as Nest
    // middleware writes its own, after telling Fastify the reply is handled here.
    reply.hijack();
    endPreflight(reply.raw, outcome);
    return true;
  }
  // Added when the head is written, into the headers Fastify passes (keeping Node's fast
  // path), or onto a response Nest middleware writes on the raw socket.
  deferHeaders(reply.raw, outcome);
  return false;
}

/**
 * Fastify's router, find-my-way, created with the app's router options and fed every route
 * Fastify reports through its public `onRoute` hook (Nest's, plugins', static files,
 * GraphQL), so a preflight, which no route serves, is matched to the handlers its actual
 * request would reach by the same router code. Only the host constraint is kept: versions
 * are what a preflight cannot see (SPEC §3 rule 7), so the handlers of one path are kept
 * together.
 */
function preflightRouter(adapter: FastifyLikeAdapter) {
  const options = adapter.getRouteMatchingOptions?.() ?? {};
  const config = adapter.getInstance().initialConfig ?? {};
  const router = FindMyWay({
    caseSensitive: options.caseSensitive ?? true,
    ignoreTrailingSlash: options.ignoreTrailingSlash ?? false,
    ignoreDuplicateSlashes: !!(config.routerOptions?.ignoreDuplicateSlashes ?? config.ignoreDuplicateSlashes),
    maxParamLength: options.maxParamLength,
    useSemicolonDelimiter: options.useSemicolonDelimiter,
    // Fastify already refused the patterns it does not allow.
    allowUnsafeRegex: true,
  } as FindMyWay.Config<FindMyWay.HTTPVersion.V1>);
  const noop = () => {};
  let hostBound = false;
  return {
    add(method: string, url: string, host: unknown, entry: RouteEntry | undefined): void {
      if (entry?.hosts) hostBound = true;
      const constraints = host === undefined ? {} : { host };
      const found = router.findRoute(method as never, url, constraints as never);
      if (found) (found.store as Store).entries.push(entry);
      else router.on(method as never, url, { constraints } as never, noop, { entries: [entry] } satisfies Store);
    },
    /**
     * The entries (method, url) reaches, as find-my-way routes it with the Host header `host`;
     * `hostname()` (Nest's reading of the host, asked only when a host-bound controller
     * exists) drops the handlers whose host filter would pass the request on.
     */
    candidates(method: string, url: string, host: string | undefined, hostname: () => string | undefined): readonly (RouteEntry | undefined)[] {
      const found = router.find(method as never, url, host === undefined ? {} : ({ host } as never));
      if (!found) return [];
      const entries = (found.store as Store).entries;
      // Nest's Fastify adapter answers a Nest route whose parameter came out empty with its
      // 404 (`requireNonEmptyParams`), so the actual request would get the resources policy.
      if (entries.some((e) => e !== undefined && !isForeign(e)) && hasEmptyParam(found.params)) return [];
      if (!hostBound) return entries;
      const name = hostname();
      return entries.filter((e) => e === undefined || servesHost(e, name));
    },
  };
}

/**
 * Fastify: routing happens before `onRequest` hooks, so the hook reads the route Fastify
 * matched (`request.routeOptions.config`, where the library tagged each Nest route when
 * Fastify reported it) instead of guessing: a route no Nest controller registered, or a 404,
 * gets the `resources` policy. The hook runs ahead of Nest middleware, guards and handlers.
 */
export function installFastify(adapter: FastifyLikeAdapter, engine: CorsEngine, hooks: PlatformHooks): void {
  const instance = adapter.getInstance();
  const caseSensitive = adapter.getRouteMatchingOptions?.().caseSensitive ?? true;
  const preflights = preflightRouter(adapter);
  const byHandler = new WeakMap<Function, RouteEntry>();
  const hostnameOf = (request: FastifyRequestLike) => adapter.getRequestHostname?.(request) ?? request.headers.host;
  let registering: RouteEntry | undefined;

  interceptNestRoutes(adapter as never, (route, add) => {
    const nest = hooks.nestRoute(route.handler);
    registering = engine.entryFor(nest.route, route.method, route.path, caseSensitive, nest.hosts, route.versions);
    try {
      return add();
    } finally {
      registering = undefined;
    }
  });
  // Fastify calls `onRoute` synchronously inside the `route()` call Nest makes; the HEAD
  // route it adds for a GET later comes with the same handler.
  instance.addHook('onRoute', (options) => {
    let entry = registering ?? byHandler.get(options.handler);
    if (entry !== undefined) byHandler.set(options.handler, entry);
    // A route no Nest controller registered: the resources policy of the path it serves.
    else entry = engine.foreignEntry(options.url, caseSensitive);
    options.config = { ...options.config, [kEntry]: entry };
    const methods = Array.isArray(options.method) ? options.method : [options.method];
    for (const method of methods) preflights.add(method, options.url, options.constraints?.host, entry);
  });
  engine.finder = { candidates: (method, path, hostname) => preflights.candidates(method, path, hostname, () => hostname) };

  const hook: OnRequest = function nestCrossOrigin(request, reply, done) {
    let outcome: CorsOutcome | Promise<CorsOutcome>;
    try {
      const raw = request.raw;
      const acrm = CorsEngine.preflightMethod(raw.method, request.headers);
      if (acrm) {
        const candidates = preflights.candidates(acrm, raw.url!, request.headers.host, () => hostnameOf(request));
        outcome = engine.decidePreflight(acrm, targetPath(raw.url!), undefined, request.headers, request, candidates);
      } else {
        let entry = request.is404 ? undefined : (request.routeOptions.config?.[kEntry] as RouteEntry | undefined);
        // Only host-bound handlers need the host name (a getter that parses Host each time).
        if (entry !== undefined && entry.hosts !== null && !servesHost(entry, hostnameOf(request))) entry = undefined;
        (raw as DecidedRequest)[kDecided] = entry;
        outcome = engine.decideActual(entry, raw.method!, targetPath(raw.url!), request.headers, request);
      }
    } catch (error) {
      hooks.onError(error);
      return done();
    }
    if (outcome instanceof Promise) whenDecided(outcome, (o) => write(reply, o), done, hooks.onError);
    else if (!write(reply, outcome)) done();
  };
  instance.addHook('onRequest', hook);
  // Nest's 404 for a matched route (its empty-parameter check, a host filter): the request
  // gets the resources policy, as an unrouted one does.
  interceptNotFound(adapter as never, (req, res, proceed) => {
    const request = req as FastifyRequestLike;
    const reply = res as FastifyReplyLike;
    const raw = request.raw as DecidedRequest;
    if (raw[kDecided] === undefined || CorsEngine.preflightMethod(raw.method, request.headers)) return proceed();
    raw[kDecided] = undefined;
    let outcome: CorsOutcome | Promise<CorsOutcome>;
    try {
      outcome = engine.decideActual(undefined, raw.method!, targetPath(raw.url!), request.headers, request);
    } catch (error) {
      hooks.onError(error);
      return proceed();
    }
    if (!(outcome instanceof Promise)) {
      write(reply, outcome);
      return proceed();
    }
    return outcome.then((o) => write(reply, o), hooks.onError).then(proceed);
  });
  // Fastify adds the hook from its plugin queue, not now: reorder from the same queue, next.
  instance.after?.((err, next) => {
    try {
      moveBeforeMiddie(instance, hook);
    } finally {
      next(err);
    }
  });
}

/**
 * FASTIFY INTERNAL (the one this adapter touches): moves `hook` just before
 * @fastify/middie's hook in a context's `onRequest` list (Fastify's `kHooks` symbol), and in
 * its child contexts. Middie is already registered when `NestFactory.create()` creates
 * providers (it calls the adapter's `init()` first), so an appended hook would run after
 * Nest middleware; CORS must run before it, as on Express. No public API orders hooks.
 * Routes copy the lists when Fastify gets ready (`preReady`), so reordering before then is
 * safe. `test/e2e/framework-internals.e2e-spec.ts` fails if a release changes this.
 */
export function moveBeforeMiddie(context: object, hook: Function): void {
  const symbols = Object.getOwnPropertySymbols(context);
  const hooksSymbol = symbols.find((s) => s.description === 'fastify.hooks');
  const hooks = hooksSymbol ? (context as Record<symbol, { onRequest?: unknown[] }>)[hooksSymbol]?.onRequest : undefined;
  if (Array.isArray(hooks)) {
    const own = hooks.indexOf(hook);
    const middie = hooks.findIndex((h) => typeof h === 'function' && (h.name === 'runMiddie' || h.name === 'runMiddieWithPayload'));
    if (own !== -1 && middie !== -1 && middie < own) {
      hooks.splice(own, 1);
      hooks.splice(middie, 0, hook);
    }
  }
  const childrenSymbol = symbols.find((s) => s.description === 'fastify.children');
  const children = childrenSymbol ? (context as Record<symbol, unknown[]>)[childrenSymbol] : undefined;
  if (Array.isArray(children)) for (const child of children) if (child && typeof child === 'object') moveBeforeMiddie(child, hook);
}
