// The routes the framework registered, and the CORS each one gets under one configuration.
// A `RouteRef` is what registration learnt and never changes; a `CorsState` compiles every
// ref against one `PolicySet`, so a reconfiguration builds a whole new state and swaps it in
// one assignment: a request is decided wholly under one state.
import {
  canonicalPath, hasPlainValues, isStaticRoute, matchResource, normalizeRequestPath, resourceOfRoute,
  type Candidate, type CorsPolicy, type CrossOriginLevel, type PolicySet, type ResourceEntry, type RouteParams, type RouteToken,
} from '../core/index.js';

/** What `@CrossOrigin` wrote for one controller method, read when the app is created. */
export interface RouteTag {
  readonly controllerValue: CrossOriginLevel;
  readonly handlerValue: CrossOriginLevel;
  /** The controller's class name. */
  readonly controller: string;
  /** The method's name. */
  readonly handler: string;
  /** Host patterns of a host-bound controller, compiled as Nest compiles them, or `null`. */
  readonly hosts: readonly RegExp[] | null;
}

/** Stands for `VERSION_NEUTRAL` in a version list: requests that name no version. */
export const NEUTRAL_VERSION = '\u0000neutral';

/** A route Nest registered on the adapter. */
export interface RouteRef {
  /** Index in the registry: states keep their targets by it. */
  readonly id: number;
  /** Upper-case method, `ALL` for `@All()`. */
  readonly method: string;
  /** The final path (prefix, version, module paths included), as registered. */
  readonly path: string;
  readonly tokens: readonly RouteToken[];
  readonly tag: RouteTag;
  /**
   * The versions a version filter that reads the request (header, media type, custom
   * versioning) lets through, {@link NEUTRAL_VERSION} for requests naming none; `null` when
   * the handler serves whatever the version.
   */
  readonly versions: readonly string[] | null;
}

/**
 * What a route gets under one state: a candidate, or `resources` chosen per request on its
 * canonical path (`fixed`: the entry its pattern decides while the values keep to their place).
 */
type Target = Candidate | { readonly tokens: readonly RouteToken[]; readonly fixed: Candidate | undefined };

const NONE: Candidate = Object.freeze({ policy: null, source: 'none', route: '' });

/** How many mount spellings of one foreign route are remembered (bounded: a request can spell one). */
const MAX_SPELLINGS_PER_ROUTE = 32;

/** A route that is exactly "/". */
function isBareSlash(tokens: readonly RouteToken[]): boolean {
  return tokens.length === 1 && tokens[0].type === 'text' && tokens[0].value === '/';
}

/** Every route policy of the app under one configuration. Immutable once built. */
export class CorsState {
  private readonly targets: Target[] = [];
  /** What foreign routes' patterns decide, per route (its tokens) and mount spelling. */
  private readonly foreign = new WeakMap<readonly RouteToken[], Map<string, { readonly tokens: readonly RouteToken[]; readonly fixed: Candidate | undefined }>>();
  /** One shared candidate per resources entry, so choosing one allocates nothing. */
  private readonly byEntry = new Map<ResourceEntry<CorsPolicy | null>, Candidate>();
  /** The candidate of every path, when `resources` is the single default `/*`. */
  private readonly everywhere: Candidate | null;
  /**
   * Whether some policy has an origin predicate, which may answer asynchronously: only then
   * does an actual request need its verdicts worked out before its head is written.
   */
  hasPredicates: boolean;

  constructor(readonly policies: PolicySet, refs: readonly RouteRef[]) {
    for (const entry of policies.resources) {
      this.byEntry.set(entry, Object.freeze({ policy: entry.policy, source: 'resources', route: entry.pattern }));
    }
    this.everywhere = policies.everywhere !== null ? this.byEntry.get(policies.resources[0])! : null;
    this.hasPredicates = policies.resources.some((e) => (e.policy?.origins.predicates.length ?? 0) > 0);
    for (const ref of refs) this.add(ref);
  }

  /** Compiles a route registered after the state was built (routes register during `init()`). */
  add(ref: RouteRef): void {
    const target = this.compile(ref);
    this.targets[ref.id] = target;
    if ('source' in target && (target.policy?.origins.predicates.length ?? 0) > 0) this.hasPredicates = true;
  }

  private compile(ref: RouteRef): Target {
    const { tag } = ref;
    const route = this.policies.routePolicy(tag.controllerValue, tag.handlerValue, tag.controller, tag.handler);
    if (route.kind === 'policy') return Object.freeze({ policy: route.policy, source: 'decorator', route: route.label });
    if (route.kind === 'disabled') return Object.freeze({ policy: null, source: 'disabled', route: route.label });
    if (this.everywhere !== null) return this.everywhere;
    if (isStaticRoute(ref.tokens)) return this.onPath(canonicalPath(ref.tokens, null));
    return Object.freeze({ tokens: ref.tokens, fixed: this.routeResources(ref.tokens) });
  }

  /**
   * The `resources` candidate of a route whose pattern alone decides it, or `undefined` when
   * the request's parameter values do.
   */
  routeResources(tokens: readonly RouteToken[]): Candidate | undefined {
    if (this.everywhere !== null) return this.everywhere;
    if (isStaticRoute(tokens)) return this.onPath(canonicalPath(tokens, null));
    const entry = resourceOfRoute(this.policies.resources, tokens);
    if (entry === undefined) return undefined;
    return entry === null ? NONE : this.byEntry.get(entry)!;
  }

  /** The candidate of a Nest route, given the parameter values the router read. */
  target(ref: RouteRef, params: RouteParams): Candidate {
    const target = this.targets[ref.id];
    if ('source' in target) return target;
    if (target.fixed !== undefined && hasPlainValues(target.tokens, params)) return target.fixed;
    return this.onPath(canonicalPath(target.tokens, params));
  }

  /**
   * The candidate of a route no Nest controller registered (a GraphQL endpoint, a plugin's, a
   * router's), spelt after `prefix`, the spelling of the mount of the router it is in.
   */
  foreignRoute(tokens: readonly RouteToken[], params: RouteParams, prefix = ''): Candidate {
    if (this.everywhere !== null) return this.everywhere;
    const spelt = this.spelling(tokens, prefix);
    if (spelt.fixed !== undefined && hasPlainValues(spelt.tokens, params)) return spelt.fixed;
    return this.onPath(canonicalPath(spelt.tokens, params));
  }

  /**
   * A foreign route's whole spelling (after its mount's) and the entry its pattern alone
   * decides, worked out on its first request under this state, not on every one.
   */
  private spelling(tokens: readonly RouteToken[], prefix: string): { readonly tokens: readonly RouteToken[]; readonly fixed: Candidate | undefined } {
    let byPrefix = this.foreign.get(tokens);
    if (byPrefix === undefined) this.foreign.set(tokens, (byPrefix = new Map()));
    let spelt = byPrefix.get(prefix);
    if (spelt === undefined) {
      // A router's "/" route is its mount itself: "/legacy", not "/legacy/". Dot segments a
      // value brings resolve over the whole path, mount included.
      const whole: readonly RouteToken[] = prefix === '' ? tokens : isBareSlash(tokens) ? [{ type: 'text', value: prefix }] : [{ type: 'text', value: prefix }, ...tokens];
      spelt = { tokens: whole, fixed: this.routeResources(whole) };
      // Mount spellings come from the app, but a nested mount is spelt as the request matched it.
      if (byPrefix.size < MAX_SPELLINGS_PER_ROUTE) byPrefix.set(prefix, spelt);
    }
    return spelt;
  }

  /**
   * The `resources` candidate of a request path as the router read it (a 404, a handler
   * whose routing the library cannot see): percent-decoded, dot segments resolved.
   */
  onRequestPath(rawPath: string): Candidate {
    // Only a path names a resource: the asterisk form (`OPTIONS *`) matches no entry.
    if (rawPath.charCodeAt(0) !== 47 /* / */) return NONE;
    if (this.everywhere !== null) return this.everywhere;
    return this.onPath(normalizeRequestPath(rawPath));
  }

  /** The `resources` candidate of a path the serving handler already decoded and normalised. */
  onServedPath(path: string): Candidate {
    return path.charCodeAt(0) === 47 /* / */ ? this.onPath(path) : NONE;
  }

  /** The candidate of an already canonical path. */
  private onPath(path: string): Candidate {
    if (this.everywhere !== null) return this.everywhere;
    const entry = matchResource(this.policies.resources, path);
    return entry === undefined ? NONE : this.byEntry.get(entry)!;
  }
}
