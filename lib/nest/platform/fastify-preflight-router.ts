// Fastify's router, find-my-way, created with the app's router options and fed every route
// Fastify reports through its public `onRoute` hook (Nest's, plugins', static files,
// GraphQL), so a preflight, which no route serves, finds the handlers its actual request
// would reach by the same routing code. Only the host constraint is kept: versions are what
// a preflight cannot see, so the handlers of one path stay together (README "How the policy
// is chosen").
import FindMyWay from 'find-my-way';
import { servesHost } from '../nest-internals.js';
import type { RouteRef } from '../route-state.js';
import type { RouteToken } from '../../core/index.js';

/** What a Fastify route is for CORS: a Nest route, or a foreign one (its own spelling). */
export type FastifyEntry = { readonly ref: RouteRef } | { readonly tokens: readonly RouteToken[] };

/** The handlers registered on one (method, path): several when versions tell them apart. */
interface Store {
  readonly entries: FastifyEntry[];
}

/** Router options as Nest's adapter reports them (`getRouteMatchingOptions()`) and Fastify keeps them. */
export interface RouterOptions {
  readonly caseSensitive: boolean;
  readonly ignoreTrailingSlash: boolean;
  readonly ignoreDuplicateSlashes: boolean;
  readonly maxParamLength?: number;
  readonly useSemicolonDelimiter?: boolean;
}

/** Found routes with the parameters find-my-way read. */
export interface FoundRoutes {
  readonly entries: readonly FastifyEntry[];
  readonly params: Record<string, string | undefined>;
}

function hasEmptyParam(params: Record<string, string | undefined>): boolean {
  for (const name in params) if (params[name] === '' && name !== '*') return true;
  return false;
}

export class FastifyPreflightRouter {
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
  private hostBound = false;

  constructor(options: RouterOptions, private readonly emptyParams404: boolean) {
    this.router = FindMyWay({
      caseSensitive: options.caseSensitive,
      ignoreTrailingSlash: options.ignoreTrailingSlash,
      ignoreDuplicateSlashes: options.ignoreDuplicateSlashes,
      maxParamLength: options.maxParamLength,
      useSemicolonDelimiter: options.useSemicolonDelimiter,
      // Fastify already refused the patterns it does not allow.
      allowUnsafeRegex: true,
    } as FindMyWay.Config<FindMyWay.HTTPVersion.V1>);
  }

  add(method: string, url: string, host: unknown, entry: FastifyEntry): void {
    if ('ref' in entry && entry.ref.tag.hosts !== null) this.hostBound = true;
    const constraints = host === undefined ? {} : { host };
    const found = this.router.findRoute(method as never, url, constraints as never);
    if (found) (found.store as Store).entries.push(entry);
    else this.router.on(method as never, url, { constraints } as never, () => {}, { entries: [entry] } satisfies Store);
  }

  /**
   * The routes (method, url) reaches, as find-my-way routes it with the Host header `host`;
   * `hostname()` (Nest's reading of the host, asked only when a host-bound controller exists)
   * drops the Nest routes whose host filter would refuse the request. `null` when no route
   * serves: a 404, as Nest also answers a route whose parameter came out empty.
   */
  find(method: string, url: string, host: string | undefined, hostname: () => string | undefined): FoundRoutes | null {
    const found = this.router.find(method as never, url, host === undefined ? {} : ({ host } as never));
    if (!found) return null;
    let entries = (found.store as Store).entries;
    const params = found.params as Record<string, string | undefined>;
    if (this.emptyParams404 && entries.some((e) => 'ref' in e) && hasEmptyParam(params)) return null;
    if (this.hostBound) {
      const name = hostname();
      entries = entries.filter((e) => !('ref' in e) || servesHost(e.ref.tag.hosts, name));
      if (entries.length === 0) return null;
    }
    return { entries, params };
  }
}
