// Fastify's router, find-my-way, created with the app's router options and fed every route
// Fastify reports through its public `onRoute` hook (Nest's, plugins', static files,
// GraphQL), so a preflight, which no route serves, finds the handlers its actual request
// would reach by the same routing code. A preflight names no version: it is routed once per
// version the app's routes name (and once naming none, once naming another), so every handler
// the actual request may reach is found, a versioned route's fallbacks included (README "How
// the policy is chosen").
import FindMyWay from 'find-my-way';
import { servesHost } from '../nest-internals.js';
import type { RouteRef } from '../route-state.js';
import type { RouteToken } from '../../core/index.js';

/** What a Fastify route is for CORS: a Nest route, or a foreign one (its own spelling). */
export type FastifyEntry = { readonly ref: RouteRef } | { readonly tokens: readonly RouteToken[] };

/** The handlers registered on one (method, path, constraints). */
interface Store {
  readonly entries: FastifyEntry[];
}

/** A version no route names: routes a request for an unknown version reaches. */
const OTHER_VERSION = Symbol('nest-cross-origin.otherVersion');

/**
 * The version constraint as Nest's FastifyAdapter stores it (a route answers the versions it
 * lists; a request names one version, or a list of which the first a route answers wins); the
 * version a request names is given to `find()` directly, not read from it.
 */
function versionStrategy() {
  return {
    name: 'version',
    mustMatchWhenDerived: false,
    storage() {
      const versions = new Map<unknown, unknown>();
      return {
        get: (version: unknown) => (Array.isArray(version) ? versions.get(version.find((v) => versions.has(v))) : versions.get(version)) ?? null,
        set: (version: unknown, store: unknown) => {
          for (const v of Array.isArray(version) ? version : [version]) versions.set(v, store);
        },
        del: (version: unknown) => {
          for (const v of Array.isArray(version) ? version : [version]) versions.delete(v);
        },
        empty: () => versions.clear(),
      };
    },
    deriveConstraint: () => undefined,
    validate: () => {},
  };
}

/** Router options as Nest's adapter reports them (`getRouteMatchingOptions()`) and Fastify keeps them. */
export interface RouterOptions {
  readonly caseSensitive: boolean;
  readonly ignoreTrailingSlash: boolean;
  readonly ignoreDuplicateSlashes: boolean;
  readonly maxParamLength?: number;
  readonly useSemicolonDelimiter?: boolean;
}

/** A route a request may reach, with the parameters find-my-way read for it. */
export interface FoundRoute {
  readonly entry: FastifyEntry;
  readonly params: Record<string, string | undefined>;
}

/** Whether a parameter other than the wildcard came out empty (`/users//profile`). */
export function hasEmptyParam(params: Record<string, string | undefined> | null | undefined): boolean {
  if (!params) return false;
  for (const name in params) if (params[name] === '' && name !== '*') return true;
  return false;
}

export class FastifyPreflightRouter {
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
  private hostBound = false;
  /** Every version a route names; empty when no route is versioned. */
  private readonly versions = new Set<unknown>();
  /** Whether a request can name no version (see `neutralReachable`). */
  private neutral = true;
  /** The versions a preflight is routed under, worked out again only when routes change. */
  private asked: readonly unknown[] | null = null;

  constructor(options: RouterOptions, private readonly emptyParams404: boolean) {
    this.router = FindMyWay({
      caseSensitive: options.caseSensitive,
      ignoreTrailingSlash: options.ignoreTrailingSlash,
      ignoreDuplicateSlashes: options.ignoreDuplicateSlashes,
      maxParamLength: options.maxParamLength,
      useSemicolonDelimiter: options.useSemicolonDelimiter,
      // Fastify already refused the patterns it does not allow.
      allowUnsafeRegex: true,
      // Fastify answers a path whose only matches have an over-long parameter with 414 (no
      // route): such a lookup comes back with no store, so find() can tell it from a 404.
      onMaxParamLength: () => {},
      constraints: { version: versionStrategy() },
    } as unknown as FindMyWay.Config<FindMyWay.HTTPVersion.V1>);
  }

  /**
   * Whether a request can name no version (header and media-type versioning read "none" as
   * VERSION_NEUTRAL); a custom extractor names versions only.
   */
  set neutralReachable(reachable: boolean) {
    this.neutral = reachable;
    this.asked = null;
  }

  /** The versions to route a preflight under: none, each one a route names, and another. */
  private versionsAsked(): readonly unknown[] {
    if (this.asked === null) {
      const named = [...this.versions].filter((v) => this.neutral || typeof v !== 'symbol');
      this.asked = this.versions.size === 0 ? [undefined] : [undefined, ...named, OTHER_VERSION];
    }
    return this.asked;
  }

  /** Adds a route as Fastify reported it, with its host and version constraints. */
  add(method: string, url: string, given: { host?: unknown; version?: unknown } | undefined, entry: FastifyEntry): void {
    if ('ref' in entry && entry.ref.tag.hosts !== null) this.hostBound = true;
    const constraints: Record<string, unknown> = {};
    if (given?.host !== undefined) constraints.host = given.host;
    if (given?.version !== undefined) {
      constraints.version = given.version;
      for (const v of Array.isArray(given.version) ? given.version : [given.version]) this.versions.add(v);
      this.asked = null;
    }
    const found = this.router.findRoute(method as never, url, constraints as never);
    if (found) (found.store as Store).entries.push(entry);
    else this.router.on(method as never, url, { constraints } as never, () => {}, { entries: [entry] } satisfies Store);
  }

  /**
   * The routes (method, url) reaches, as find-my-way routes it with the Host header `host`;
   * `hostname()` (Nest's reading of the host, asked only when a host-bound controller exists)
   * drops the Nest routes whose host filter would refuse the request. No routes: a 404, as
   * Nest also answers a route whose parameter came out empty. `refused`: under some version
   * Fastify's router refuses the target (an over-long parameter: 414, before any hook), a
   * response that carries the `resources` entry.
   */
  find(method: string, url: string, host: string | undefined, hostname: () => string | undefined): { routes: FoundRoute[]; refused: boolean } {
    let routes: FoundRoute[] = [];
    let refused = false;
    for (const version of this.versionsAsked()) {
      const constraints: Record<string, unknown> = {};
      if (host !== undefined) constraints.host = host;
      if (version !== undefined) constraints.version = version;
      const found = this.router.find(method as never, url, constraints as never);
      if (!found) continue;
      if (found.store === null) {
        refused = true;
        continue;
      }
      const foundParams = found.params as Record<string, string | undefined>;
      const store = (found.store as Store).entries;
      // Nest answers a route whose parameter came out empty with its 404: no handler.
      if (this.emptyParams404 && store.some((e) => 'ref' in e) && hasEmptyParam(foundParams)) continue;
      for (const entry of store) if (!routes.some((r) => r.entry === entry)) routes.push({ entry, params: foundParams });
    }
    if (routes.length > 0 && this.hostBound) {
      const name = hostname();
      routes = routes.filter((r) => !('ref' in r.entry) || servesHost(r.entry.ref.tag.hosts, name));
    }
    return { routes, refused };
  }
}
