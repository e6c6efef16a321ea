// Express: CORS enters through four points, each the only one Express offers for its job.
// 0. The HTTP server's `request` event answers automatic preflights before Express sets up
//    its request, when nothing would have run before point 1 (most of a preflight's cost).
// 1. The app's first middleware answers the other preflights before body parsers, Nest
//    middleware, guards and handlers (and works out async origin verdicts the response needs).
// 2. Every layer of the app's router is marked so that the handler Express really dispatches
//    to records itself on the request: Express has no routing phase before middleware and
//    no public word on which handler served.
// 3. `writeHead` on the app's response prototype decides an actual request when its head is
//    written, from the handler that served it, so the policy is always that handler's.
import { ServerResponse, type IncomingMessage } from 'node:http';
import {
  checkOrigin, decide, preflightMethod, readCorsRequest,
  type Candidate, type CorsRequest, type Decision, type OriginMatcher, type OriginVerdict,
} from '../../core/index.js';
import type { CorsRuntime } from '../cors-runtime.js';
import type { EarlyAnswers } from '../upgrade-check.js';
import { escapeForLog } from '../explain.js';
import { type RouteTags } from '../nest-internals.js';
import { interceptNestRoutes, interceptNotFound, markNestMiddleware, markVersionFilters, versionsOf } from './adapter-interface.js';
import { NEUTRAL_VERSION, type CorsState, type RouteRef, type RouteTag } from '../route-state.js';
import { checkExpressInternals, keepLast, markDispatch, routerStack, watchRequestHooks, type ExpressApp, type ExpressLayer } from './express-internals.js';
import { candidateOf, servedBy } from './express-candidates.js';
import { ExpressRouterIndex, classify, type LayerKinds, type Served } from './express-router-index.js';
import { endPreflight, overrideWriteHead, setNow, writeAtHead } from './node-response.js';
import { apply, settle } from './request-flow.js';
import { expressRouteTokens } from './route-syntax.js';
import { appPath, pathOf, type ExpressRequest } from './express-paths.js';

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

interface ExpressResponse extends ServerResponse {
  req: ExpressRequest;
}

/**
 * What the library learns of one request on its way through the app's router. Kept in a
 * WeakMap, not on the request: a property added to Express's request objects costs V8 a new
 * hidden class on every request (they change prototype), several times a decision's work.
 */
interface Trail {
  /**
   * The state in force when the first middleware saw the request: its head is decided under
   * it, so a reconfiguration in between never mixes two states (the verdicts below are that
   * state's).
   */
  readonly state: CorsState;
  /** The handler Express last dispatched the request to (set by mark 2). */
  served: Served | undefined;
  /** `req.route` when a router was dispatched to: a later one is a route of that router. */
  routeBefore: unknown;
  /** Async origin verdicts worked out by the first middleware. */
  known: Map<OriginMatcher, OriginVerdict> | undefined;
}

interface ExpressLikeAdapter {
  use(handler: Middleware): unknown;
  getInstance(): ExpressApp;
  getRequestHostname?(request: unknown): string | undefined;
}

/** What the end of the router means: every layer passed the request on, Express answers. */
const END: Served = Object.freeze({ kind: 'not-found' });

/** Writes a preflight decision: 204 now, or its headers for the app's own answer. */
function writePreflight(res: ServerResponse, d: Decision): boolean {
  if (d.answer) {
    endPreflight(res, d);
    return true;
  }
  setNow(res, d);
  return false;
}

/** Installs CORS on an Express app (see the opening comment). */
export function installExpress(adapter: ExpressLikeAdapter, runtime: CorsRuntime, tags: RouteTags<RouteTag>): { check(): void; early: EarlyAnswers } {
  const app = adapter.getInstance();
  // A handler Nest registers under several paths (URI versions, path arrays) has a route for each.
  const refs = new WeakMap<Function, RouteRef[]>();
  const middleware = new WeakSet<Function>();
  const notFound = new WeakSet<Function>();
  const hostnameOf = (req: IncomingMessage) => adapter.getRequestHostname?.(req) ?? (req as { hostname?: string }).hostname;

  const kinds: LayerKinds = {
    refOf: (h, path) => {
      const list = refs.get(h);
      return list?.find((ref) => ref.path === path) ?? list?.[0];
    },
    isMiddleware: (fn) => middleware.has(fn),
    isNotFound: (fn) => notFound.has(fn),
    isOwn: (fn) => fn === firstMiddleware || fn === end,
    tokensOf: expressRouteTokens,
  };

  const trails = new WeakMap<IncomingMessage, Trail>();
  let index = new ExpressRouterIndex([], kinds);
  let seen = 0;
  /** Whether the only layer before the first middleware is the adapter's own hook layer. */
  let firstButHooks = false;
  /** The router index, built again when the stack grew; new layers get their dispatch mark. */
  const current = (): ExpressRouterIndex => {
    const stack = routerStack(app);
    if (stack.length === seen && stack[stack.length - 1]?.handle === end) return index;
    // The end mark stays last: a request every layer passed on is Express's own 404.
    if (!keepLast(stack, end)) adapter.use(end);
    seen = stack.length;
    const own = stack.findIndex((l) => l.handle === firstMiddleware);
    firstButHooks = own === 1;
    stack.forEach((layer, i) => {
      // Layers before the library's own (Nest's constructor hooks) pass every request on.
      if (i <= own) return;
      const served = classify(layer, kinds);
      if (served === null) return;
      if ((served.kind === 'root' || served.kind === 'mount') && served.router) {
        // A router: a route of its own that Express dispatches to after this sets req.route.
        markDispatch(layer, (req) => {
          const trail = trails.get(req);
          if (trail === undefined) return;
          trail.served = served;
          trail.routeBefore = (req as ExpressRequest).route;
        });
      } else {
        markDispatch(layer, (req) => {
          const trail = trails.get(req);
          if (trail !== undefined) trail.served = served;
        });
      }
    });
    index = new ExpressRouterIndex(stack, kinds);
    return index;
  };

  /** The handlers (method, path, host) may reach, as candidates; the resources policy of the path when none serves. */
  const candidates = (state: CorsState, method: string, path: string, hostname: string | undefined): Candidate[] => {
    const found = current().candidates(method, path, hostname);
    return found.length === 0 ? [state.onRequestPath(path)] : found.map((f) => candidateOf(state, f, path));
  };
  runtime.finder = candidates;
  runtime.serves = (method, path, hostname) => current().candidates(method, path, hostname).length > 0;

  const firstMiddleware: Middleware = function nestCrossOrigin(req, res, next) {
    const headers = req.headers;
    let d: Decision | Promise<Decision> | undefined;
    let r;
    let state: CorsState | undefined;
    let trail: Trail | undefined;
    try {
      // Every request: layers added since the last one must be marked before Express dispatches.
      const index = current();
      state = runtime.state;
      const acrm = preflightMethod(req.method, headers);
      if (acrm === undefined) trails.set(req, (trail = { state, served: undefined, routeBefore: undefined, known: undefined }));
      else {
        const path = appPath(req as ExpressRequest);
        r = readCorsRequest(req.method!, path, headers, req);
        d = decide(candidates(state, acrm, path, index.hostBound ? hostnameOf(req) : undefined), r, { timeout: state.policies.originTimeout });
      }
    } catch (error) {
      runtime.failed(error);
      d = undefined;
      trail = undefined;
    }
    // Outside the try: a throw downstream must never hand the request on twice.
    if (d !== undefined) return settle(runtime, d, r!, res, writePreflight, next);
    if (trail !== undefined && trail.state.hasPredicates && headers.origin) return precompute(trail, req as ExpressRequest, next);
    next();
  };

  const hooked = watchRequestHooks(adapter);
  /**
   * Answers a preflight at the HTTP server, before Express sets up its request and response
   * (most of what a preflight costs): only when nothing would have run before the first
   * middleware (no layer before it but the adapter's, with no request hook set) and the answer
   * needs nothing Express gives (a host name for host-bound routes, an async origin verdict)
   * and ends the exchange (`automaticOptions` everywhere). Otherwise the first middleware
   * answers it, the same way.
   */
  const answerAtServer = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== 'OPTIONS' || !(res instanceof ServerResponse)) return false;
    const acrm = preflightMethod(req.method, req.headers);
    if (acrm === undefined) return false;
    let d: Decision;
    let r: CorsRequest;
    try {
      const index = current();
      if (!firstButHooks || index.hostBound || hooked()) return false;
      const state = runtime.state;
      const path = appPath(req as ExpressRequest);
      const list = candidates(state, acrm, path, undefined);
      for (const c of list) if (c.policy === null || !c.policy.automaticOptions || c.policy.origins.predicates.length > 0) return false;
      r = readCorsRequest(req.method, path, req.headers, req);
      d = decide(list, r, { timeout: state.policies.originTimeout, sync: true }) as Decision;
    } catch (error) {
      runtime.failed(error);
      return false;
    }
    return apply(runtime, d, r, res, writePreflight) === true;
  };

  /**
   * Works out, before the request goes on, the async origin verdicts of every handler it may
   * reach, so the decision at the head (which cannot wait) finds them known.
   */
  const precompute = (trail: Trail, req: ExpressRequest, next: Next): void => {
    const state = trail.state;
    const known = new Map<OriginMatcher, OriginVerdict>();
    const pending: Promise<unknown>[] = [];
    try {
      const origin = req.headers.origin!;
      for (const c of candidates(state, req.method!, appPath(req), hostnameOf(req))) {
        const matcher = c.policy?.origins;
        if (!matcher || matcher.predicates.length === 0 || known.has(matcher)) continue;
        const verdict = checkOrigin(matcher, origin, req, state.policies.originTimeout);
        if (verdict instanceof Promise) pending.push(verdict.then((v) => known.set(matcher, v)));
        else known.set(matcher, verdict);
      }
      trail.known = known;
    } catch (error) {
      runtime.failed(error);
    }
    if (pending.length === 0) return next();
    Promise.all(pending).then(() => next(), (error: unknown) => {
      runtime.failed(error);
      next();
    });
  };

  const onHead = (res: ServerResponse, headersArg: unknown): void => {
    const req = (res as ExpressResponse).req;
    if (req === undefined || preflightMethod(req.method, req.headers) !== undefined) return;
    try {
      const trail = trails.get(req);
      const state = trail?.state ?? runtime.state;
      // A Nest route decides on its parameters; the path then only names the request in reports.
      const path = trail?.served?.kind === 'nest' && !runtime.reporting ? '' : appPath(req);
      const r = readCorsRequest(req.method!, path, req.headers, req);
      // Written before any handler ran (Nest middleware, a parser error): Express's router names
      // the handlers the request was going to (every version under header versioning, static
      // files that may hold the file); the response gets only what all of them grant, as a
      // preflight does.
      const served = servedBy(state, trail?.served, trail?.routeBefore, req, res, path);
      const list = served === null ? candidates(state, req.method!, path, hostnameOf(req)) : [served];
      const d = decide(list, r, { timeout: state.policies.originTimeout, known: trail?.known, sync: true }) as Decision;
      writeAtHead(res, d.headers, d.vary, headersArg);
      if (runtime.reporting) {
        runtime.report(d, r);
        const received = req.originalUrl === undefined ? path : pathOf(req.originalUrl);
        if (received !== path && trail?.served?.kind === 'nest') {
          runtime.noteOnce(`rewrite ${received} ${path}`, () => `CORS: a request's URL changed between the CORS hook and the handler (${escapeForLog(received)} → ${escapeForLog(path)}, rewritten by middleware). The actual request gets the policy of the handler that served it; its preflight was answered before any middleware ran, on the URL as received (README "Known limits").`);
        }
      }
    } catch (error) {
      runtime.failed(error);
    }
  };

  /** The last layer of the app's router: reached only when every other layer passed the request on. */
  const end: Middleware = function nestCrossOriginEnd(req, _res, next) {
    const trail = trails.get(req);
    if (trail !== undefined) trail.served = END;
    next();
  };

  adapter.use(firstMiddleware);
  if (app.response) overrideWriteHead(app.response, onHead);
  markNestMiddleware(adapter as never, (fn) => middleware.add(fn));
  markVersionFilters(adapter as never, NEUTRAL_VERSION);
  interceptNotFound(adapter as never, (fn) => notFound.add(fn));
  interceptNestRoutes(adapter as never, (route, add) => {
    const tag = tags.of(route.handler);
    if (tag) {
      const tokens = expressRouteTokens(route.path) ?? [{ type: 'text', value: route.path } as const];
      const ref = runtime.register(route.method, route.path, tokens, tag, versionsOf(route.handler));
      const list = refs.get(route.handler);
      if (list === undefined) refs.set(route.handler, [ref]);
      else list.push(ref);
    }
    return add();
  });
  return {
    /** Checks Express's internals once the app is initialised (README "What the library touches"). */
    check: () => checkExpressInternals(app, routerStack(app).find((l: ExpressLayer) => l.handle === firstMiddleware)),
    early: { listener: app as unknown as Function, answer: answerAtServer },
  };
}
