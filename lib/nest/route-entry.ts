import type { CorsPolicy, RoutePolicy } from '../core/index.js';

// What the library knows of a route the framework registered, and the path helpers both
// platforms read requests with. The engine decides; these only describe.

/** A policy and the name of where it was written, as logs and introspection show it. */
export interface Resolved {
  readonly policy: CorsPolicy | null;
  readonly label: string;
}

/**
 * What the library attaches to a route the framework registered: for a Nest handler its
 * `@CrossOrigin` policy; for a route no Nest controller registered (GraphQL, static files,
 * plugins), the `resources` policy of the path the request takes (SPEC §3 rule 6).
 */
export interface RouteEntry {
  readonly route: RoutePolicy;
  /** The policy, when it does not depend on the request path: decorated, disabled, static. */
  readonly fixed: Resolved | undefined;
  /**
   * For an undecorated parametric route on a case-insensitive router: its leading static
   * segments as registered, which replace the request's own before `resources` are matched,
   * so "/ADMIN/1" served by "admin/:id" is matched as "/admin/1" (CVE-2024-6866).
   */
  readonly canonicalPrefix?: { readonly text: string; readonly segments: number };
  /** Host patterns of a host-bound controller (`@Controller({ host })`), compiled as Nest does. */
  readonly hosts: readonly RegExp[] | null;
  /**
   * Served only for these versions, read from the request (header, media type, custom
   * versioning), or `null`: served whatever the version.
   */
  readonly versions: readonly string[] | null;
}

/** Whether an entry is a foreign route's: one no Nest controller registered. */
export function isForeign(entry: RouteEntry): boolean {
  return entry.route === FOREIGN_ROUTE;
}

/** Whether a host-bound handler's filter lets `hostname` through (Nest's `applyHostFilter`). */
export function servesHost(entry: RouteEntry, hostname: string | undefined): boolean {
  if (entry.hosts === null) return true;
  const name = hostname ?? '';
  for (const re of entry.hosts) if (re.test(name)) return true;
  return false;
}

/** A route as registered, with its entry, for introspection (`CorsService.routes()`). */
export interface RouteRecord {
  readonly method: string;
  readonly path: string;
  readonly entry: RouteEntry;
}

/** How the platform finds the handlers an actual request would reach, for preflights. */
export interface RouteFinder {
  /**
   * The entries of the handlers that may serve (method, url, host), most likely first:
   * several only when a version the preflight cannot see decides between them; `[]` when
   * no registered route serves (a 404: `resources`); `[undefined]` for a foreign route.
   */
  candidates(method: string, path: string, hostname: string | undefined): readonly (RouteEntry | undefined)[];
}

export const FOREIGN_ROUTE: RoutePolicy = Object.freeze({ kind: 'resources', label: 'route' });

/** The leading static segments of a route path (before any `:`, `*`, `{` or `(`). */
export function leadingSegments(path: string): string[] {
  const dynamic = path.search(/[:*{(]/);
  const prefix = dynamic === -1 ? path : path.slice(0, dynamic);
  const lastSlash = prefix.lastIndexOf('/');
  return lastSlash <= 0 ? [] : prefix.slice(1, lastSlash).split('/');
}

/** The path with its first `segments` segments replaced by `text` (the route's own spelling). */
export function withPrefix(path: string, prefix: { readonly text: string; readonly segments: number }): string {
  let at = 0;
  for (let i = 0; i < prefix.segments; i++) {
    at = path.indexOf('/', at + 1);
    if (at === -1) return prefix.text;
  }
  return prefix.text + path.slice(at);
}

/** The path of a request target as routers read it: no scheme and authority, query or fragment. */
export function targetPath(url: string): string {
  let path = url;
  if (path.charCodeAt(0) !== 47 /* / */) {
    // Absolute form (RFC 9112 §3.2.2), which both routers accept: "http://host/path".
    const scheme = path.indexOf('://');
    const slash = scheme === -1 ? -1 : path.indexOf('/', scheme + 3);
    path = slash === -1 ? '/' : path.slice(slash);
  }
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return path.slice(0, i);
  }
  return path;
}
