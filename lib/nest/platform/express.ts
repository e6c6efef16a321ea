import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsEngine, CorsOutcome } from '../cors-engine.js';
import type { RouteMatchingOptions } from '../route-table.js';
import { whenDecided } from './when-decided.js';
import { applyHeaders, endPreflight } from './node-response.js';

type Next = (err?: unknown) => void;

interface ExpressLikeAdapter {
  use(handler: (req: IncomingMessage, res: ServerResponse, next: Next) => void): unknown;
  getInstance(): { get?(setting: string): unknown; router?: { caseSensitive?: boolean; strict?: boolean } };
  getRouteMatchingOptions?(): Partial<RouteMatchingOptions>;
}

/** Puts a decision on the response; true when that ended it (an automatic preflight). */
function write(res: ServerResponse, outcome: CorsOutcome): boolean {
  if (outcome.preflight) {
    endPreflight(res, outcome);
    return true;
  }
  applyHeaders(res, outcome);
  return false;
}

/** Express's routing rules as the app has them. */
export function expressMatching(adapter: ExpressLikeAdapter): RouteMatchingOptions {
  const fromNest = adapter.getRouteMatchingOptions?.();
  if (fromNest && typeof fromNest.caseSensitive === 'boolean') {
    return { caseSensitive: fromNest.caseSensitive, ignoreTrailingSlash: fromNest.ignoreTrailingSlash !== false };
  }
  const app = adapter.getInstance();
  return {
    caseSensitive: !!app.get?.('case sensitive routing'),
    ignoreTrailingSlash: !app.get?.('strict routing'),
  };
}

/**
 * Installs the CORS hook as the first application-level middleware: before body parsers, Nest
 * middleware, guards and routes, so it answers preflights (which no route would) and its
 * headers are on every response that follows, errors and 404s included.
 */
export function installExpressHook(adapter: ExpressLikeAdapter, engine: CorsEngine, onError: (error: unknown) => void): void {
  adapter.use(function nestCrossOrigin(req, res, next) {
    let outcome: CorsOutcome | Promise<CorsOutcome>;
    try {
      outcome = engine.handle(req.method!, req.url!, req.headers, req);
    } catch (error) {
      onError(error);
      return next();
    }
    if (outcome instanceof Promise) whenDecided(outcome, (o) => write(res, o), next, onError);
    else if (!write(res, outcome)) next();
  });
}
