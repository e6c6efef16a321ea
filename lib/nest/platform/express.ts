import type { IncomingMessage, ServerResponse } from 'node:http';
import parseUrl from 'parseurl';
import { CorsEngine, servesHost, type CorsOutcome, type RouteEntry } from '../cors-engine.js';
import { ExpressRouteIndex, type ExpressLayer } from '../route-table.js';
import { interceptNestRoutes, interceptNotFound, markNestMiddleware } from './nest-routes.js';
import { appliedOutcome, applyHeaders, endPreflight, guardResponses } from './node-response.js';
import type { PlatformHooks } from './platform.js';
import { whenDecided } from './when-decided.js';

type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

interface ExpressApp {
  /** Express's documented prototype of this app's responses. */
  readonly response?: object;
  /** Lazily created; router 2.x. */
  readonly router?: { readonly stack?: readonly ExpressLayer[] };
  get?(setting: string): unknown;
}

interface ExpressLikeAdapter {
  use(handler: Middleware): unknown;
  getInstance(): ExpressApp;
  getRequestHostname?(request: unknown): string | undefined;
  getRouteMatchingOptions?(): { caseSensitive?: boolean };
}

const kPredicted = Symbol('nest-cross-origin.entry');
type PredictedResponse = ServerResponse & { [kPredicted]?: RouteEntry | null };

/** Puts a decision on the response; true when that ended it (an automatic preflight). */
function write(res: ServerResponse, outcome: CorsOutcome): boolean {
  if (outcome.preflight) {
    endPreflight(res, outcome);
    return true;
  }
  if (outcome.headers.length > 0 || outcome.vary !== null || appliedOutcome(res) !== undefined) applyHeaders(res, outcome);
  return false;
}

/**
 * Express: CORS as the app's first middleware, before body parsers, Nest middleware, guards
 * and routes, so preflights are answered there and every response that follows carries the
 * headers, errors and 404s included. Express has no routing phase before middleware, so the
 * first middleware asks the app's own router (its layers, their `match()`, in its order) which
 * handler the request will reach; and a handler the library puts first in each Nest route
 * confirms it when Express really dispatches there (a version or host filter can pass a
 * request on to the next route), replacing the headers if the guess was another handler's.
 */
export function installExpress(adapter: ExpressLikeAdapter, engine: CorsEngine, hooks: PlatformHooks): void {
  const app = adapter.getInstance();
  const caseSensitive = adapter.getRouteMatchingOptions?.().caseSensitive ?? !!app.get?.('case sensitive routing');
  const hostnameOf = (req: IncomingMessage) => adapter.getRequestHostname?.(req) ?? (req as { hostname?: string }).hostname;
  const confirmers = new WeakMap<Function, RouteEntry>();
  const nestMiddleware = new WeakSet<Function>();

  let index: ExpressRouteIndex | null = null;
  let indexedLayers = -1;
  const routes = () => {
    const stack = app.router?.stack ?? [];
    // Routes may be added after start-up (a late `app.use`): index again when the stack grows.
    if (index === null || stack.length !== indexedLayers) {
      indexedLayers = stack.length;
      index = new ExpressRouteIndex(
        stack,
        (layer) => {
          for (const inner of layer.route!.stack) {
            const entry = confirmers.get(inner.handle);
            if (entry) return entry;
          }
          return undefined;
        },
        // A mounted handler serves its path and everything under it.
        (layer) => engine.foreignEntry(typeof layer.rawPath !== 'string' ? '/*' : layer.route ? layer.rawPath : `${layer.rawPath.replace(/\/$/, '')}/*`, caseSensitive),
        (handle) => handle === first || nestMiddleware.has(handle) || confirmers.has(handle),
      );
    }
    return index;
  };
  engine.finder = { candidates: (method, path, hostname) => routes().candidates(method, path, hostname) };

  const decide = (req: IncomingMessage, res: ServerResponse, next: Next, outcome: CorsOutcome | Promise<CorsOutcome>) => {
    if (outcome instanceof Promise) whenDecided(outcome, (o) => write(res, o), next, hooks.onError);
    else if (!write(res, outcome)) next();
  };

  const first: Middleware = function nestCrossOrigin(req, res, next) {
    let outcome: CorsOutcome | Promise<CorsOutcome>;
    try {
      const path = parseUrl(req)?.pathname ?? '/';
      const acrm = CorsEngine.preflightMethod(req.method, req.headers);
      const index = routes();
      // Only host-bound controllers need the host name (`req.hostname` parses it per call).
      const hostname = index.hostBound ? hostnameOf(req) : undefined;
      if (acrm) {
        outcome = engine.decidePreflight(acrm, path, hostname, req.headers, req);
      } else {
        const entry = index.candidates(req.method!, path, hostname)[0];
        (res as PredictedResponse)[kPredicted] = entry ?? null;
        outcome = engine.decideActual(entry, req.method!, path, req.headers, req);
      }
    } catch (error) {
      hooks.onError(error);
      return next();
    }
    decide(req, res, next, outcome);
  };

  /** Decides again for `entry` (`null`: no handler) when Express did not go where predicted. */
  const redecide = (req: IncomingMessage, res: ServerResponse, entry: RouteEntry | null, next: Next) => {
    const predicted = (res as PredictedResponse)[kPredicted];
    // The guess was right (the usual case), or the hook never saw this request.
    if (predicted === entry || predicted === undefined || CorsEngine.preflightMethod(req.method, req.headers)) return next();
    (res as PredictedResponse)[kPredicted] = entry;
    let outcome: CorsOutcome | Promise<CorsOutcome>;
    try {
      outcome = engine.decideActual(entry ?? undefined, req.method!, parseUrl(req)?.pathname ?? '/', req.headers, req);
    } catch (error) {
      hooks.onError(error);
      return next();
    }
    decide(req, res, next, outcome);
  };

  /** Runs first in a Nest route, when Express dispatches the request there. */
  const confirmerFor = (entry: RouteEntry): Middleware => {
    const confirm: Middleware = function nestCrossOriginRoute(req, res, next) {
      // Nest's host filter, right after, passes a request for another host on.
      if (entry.hosts !== null && !servesHost(entry, hostnameOf(req))) return next();
      redecide(req, res, entry, next);
    };
    confirmers.set(confirm, entry);
    return confirm;
  };

  adapter.use(first);
  if (app.response) guardResponses(app.response);
  markNestMiddleware(adapter as never, nestMiddleware);
  interceptNestRoutes(adapter as never, (route, add) => {
    const nest = hooks.nestRoute(route.handler);
    const entry = engine.entryFor(nest.route, route.method, route.path, caseSensitive, nest.hosts, route.versions);
    return add(confirmerFor(entry));
  });
  // Nest's 404 (a host or version filter passed the request on): the resources policy.
  interceptNotFound(adapter as never, (req, res, proceed) => {
    let result: unknown;
    redecide(req as IncomingMessage, res as ServerResponse, null, () => {
      result = proceed();
    });
    return result;
  });
}
