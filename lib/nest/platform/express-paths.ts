// The paths of a request as Express's router reads them, for the Express door: the path the
// app's router matches (after a rewrite, before a mount strips it), and a mount's own spelling.
import type { IncomingMessage } from 'node:http';
import parseUrl from 'parseurl';
import type { RouteToken } from '../../core/index.js';
import { expressRouteTokens } from './route-syntax.js';

/** Express's additions to a request that the library reads. */
export interface ExpressRequest extends IncomingMessage {
  baseUrl?: string;
  originalUrl?: string;
  params?: Record<string, unknown>;
  /** The route Express last dispatched to, its own or a router's (Express sets it). */
  route?: { readonly path?: unknown };
}

/** The path of a URL, as the router reads it. */
export function pathOf(url: string | undefined): string {
  return parseUrl({ url } as IncomingMessage)?.pathname ?? '/';
}

/** The path the app's router reads: the request target's, or the rewritten one. */
export function appPath(req: ExpressRequest): string {
  const path = mountedPath(req);
  // Express's router puts back a mount's path with a "/" before a fragment ("/x#f" becomes
  // "/x/#f" after a middleware mounted on "/x"): the request's own path has no such slash.
  // (Before Express set the request up, at the server, there is no `originalUrl` and no router.)
  if (path.length > 1 && path.endsWith('/') && req.originalUrl !== undefined && req.url?.includes('/#')) {
    const received = pathOf(req.originalUrl);
    if (path === `${received}/`) return received;
  }
  return path;
}

function mountedPath(req: ExpressRequest): string {
  const url = parseUrl(req)?.pathname ?? '/';
  const base = req.baseUrl;
  if (!base) return url;
  // Inside a handler mounted on a path, Express strips the mount (and adds "/" to an empty rest).
  if (url === '/') return pathOf(req.originalUrl).endsWith('/') ? `${base}/` : base;
  return base + url;
}

/**
 * The path a handler mounted on `prefix` serves: the mount's own spelling, then the rest of
 * the request's path. A bare "/" rest is the mount itself: the handler sees the same URL for
 * "/legacy" and "/legacy/".
 */
export function mountPath(prefix: string | null, path: string, matched: number): string {
  if (prefix === null) return path;
  const rest = path.slice(matched);
  return rest === '/' ? prefix : prefix + rest;
}

const TOKENS = new Map<string, readonly RouteToken[] | null>();

/** A router route's path, parsed once per spelling (bounded: the app's own routes). */
export function routeTokens(path: string): readonly RouteToken[] | null {
  let tokens = TOKENS.get(path);
  if (tokens === undefined && TOKENS.size < MAX_ROUTE_SPELLINGS) TOKENS.set(path, (tokens = expressRouteTokens(path)));
  return tokens ?? expressRouteTokens(path);
}

/** How many router route spellings are parsed and kept. */
const MAX_ROUTE_SPELLINGS = 10_000;
