import type { IncomingHttpHeaders } from 'node:http';
import {
  ACRH,
  ACRM,
  ACRPN,
  NO_HEADERS,
  actualResponseHeaders,
  checkOrigin,
  intersectPreflights,
  normalizeRequestPath,
  preflightResponse,
  preflightVary,
  type CorsPolicy,
  type HeaderPair,
  type OriginVerdict,
  type PolicySet,
  type PreflightOutcome,
  type Refusal,
  type RoutePolicy,
} from '../core/index.js';

/** What the platform hook must do with a request. */
export interface CorsOutcome {
  /** Answer now with 204 and these headers (an automatic preflight); else let the request go on. */
  readonly preflight: boolean;
  readonly headers: readonly HeaderPair[];
  /** The names the response's `Vary` must list (`Origin`, and ACRM/ACRH for preflights), or `null`. */
  readonly vary: string | null;
}

/** One refused CORS decision, for explain mode. */
export interface CorsRefusal {
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  readonly preflight: boolean;
  /** `Controller.handler`, `resources["/api/*"]`, … */
  readonly policyLabel: string;
  /** The policy that refused, or `null` when none applies (`refusal.kind === 'no-cors'`). */
  readonly policy: CorsPolicy | null;
  readonly refusal: Refusal;
}

export const PASS_THROUGH: CorsOutcome = Object.freeze({ preflight: false, headers: NO_HEADERS, vary: null });

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

const NONE: Resolved = Object.freeze({ policy: null, label: 'none' });
const FOREIGN_ROUTE: RoutePolicy = Object.freeze({ kind: 'resources', label: 'route' });
const NO_ROUTE: readonly (RouteEntry | undefined)[] = Object.freeze([undefined]);

/** The leading static segments of a route path (before any `:`, `*`, `{` or `(`). */
export function leadingSegments(path: string): string[] {
  const dynamic = path.search(/[:*{(]/);
  const prefix = dynamic === -1 ? path : path.slice(0, dynamic);
  const lastSlash = prefix.lastIndexOf('/');
  return lastSlash <= 0 ? [] : prefix.slice(1, lastSlash).split('/');
}

/** The path with its first `segments` segments replaced by `text` (the route's own spelling). */
function withPrefix(path: string, prefix: { readonly text: string; readonly segments: number }): string {
  let at = 0;
  for (let i = 0; i < prefix.segments; i++) {
    at = path.indexOf('/', at + 1);
    if (at === -1) return prefix.text;
  }
  return prefix.text + path.slice(at);
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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

/**
 * The per-request half of the library, independent of the platform: given the route the
 * framework matched (or, for a preflight, the routes the actual request would reach), finds
 * the policy and computes the headers. Everything it reads was compiled at start-up.
 */
export class CorsEngine {
  private readonly records: RouteRecord[] = [];
  /** One shared object per resource policy, so resolving one allocates nothing. */
  private readonly byResource = new Map<CorsPolicy, Resolved>();
  /** Set by the platform integration once the app's router is known. */
  finder: RouteFinder | null = null;
  /** Set in explain mode; `null` otherwise, so refusals cost nothing. */
  onRefusal: ((refusal: CorsRefusal) => void) | null = null;

  constructor(readonly policies: PolicySet) {
    for (const r of policies.resources) {
      if (r.policy && !this.byResource.has(r.policy)) {
        this.byResource.set(r.policy, Object.freeze({ policy: r.policy, label: `resources[${JSON.stringify(r.pattern)}]` }));
      }
    }
  }

  get routes(): readonly RouteRecord[] {
    return this.records;
  }

  /**
   * The entry of a Nest handler registered at `path`, with its policy decided now wherever
   * the request path cannot change it. `caseSensitive` is the router's own setting.
   */
  entryFor(route: RoutePolicy, method: string, path: string, caseSensitive: boolean, hosts: readonly RegExp[] | null, versions: readonly string[] | null = null): RouteEntry {
    const entry = this.entryOf(route, path, caseSensitive, hosts, versions);
    this.records.push({ method, path, entry });
    return entry;
  }

  /**
   * The entry of a route no Nest controller registered (GraphQL, static files, `app.use(path,
   * …)`): the `resources` policy, matched with the route's own spelling of its leading
   * segments on a case-insensitive router, as for an undecorated Nest route.
   */
  foreignEntry(path: string, caseSensitive: boolean): RouteEntry {
    return this.entryOf(FOREIGN_ROUTE, path, caseSensitive, null, null);
  }

  private entryOf(route: RoutePolicy, path: string, caseSensitive: boolean, hosts: readonly RegExp[] | null, versions: readonly string[] | null): RouteEntry {
    let entry: RouteEntry;
    if (route.kind === 'policy') entry = { route, hosts, versions, fixed: Object.freeze({ policy: route.policy, label: route.label }) };
    else if (route.kind === 'disabled') entry = { route, hosts, versions, fixed: Object.freeze({ policy: null, label: route.label }) };
    else if (this.policies.everywhere !== null) entry = { route, hosts, versions, fixed: this.fromResources(this.policies.everywhere) };
    else if (!/[:*{(]/.test(path)) {
      // A static undecorated route gets its resource policy from its own path, so a
      // case-insensitive router cannot hand "/ADMIN" the policy of a less specific pattern.
      entry = { route, hosts, versions, fixed: this.fromResources(this.policies.resourcePolicy(normalizeRequestPath(path))) };
    } else {
      const leading = caseSensitive ? [] : leadingSegments(path.startsWith('/') ? path : `/${path}`);
      entry = leading.length > 0
        ? { route, hosts, versions, fixed: undefined, canonicalPrefix: { text: `/${leading.join('/')}`, segments: leading.length } }
        : { route, hosts, versions, fixed: undefined };
    }
    return Object.freeze(entry);
  }

  /** The policy for a request the framework routed to `entry` (`undefined`: not a Nest handler). */
  resolve(entry: RouteEntry | undefined, path: string): Resolved {
    if (entry !== undefined) {
      if (entry.fixed !== undefined) return entry.fixed;
      if (entry.canonicalPrefix !== undefined) path = withPrefix(path, entry.canonicalPrefix);
    }
    if (this.policies.everywhere !== null) return this.fromResources(this.policies.everywhere);
    return this.fromResources(this.policies.resourcePolicy(normalizeRequestPath(path)));
  }

  private fromResources(policy: CorsPolicy | null): Resolved {
    if (policy === null) return NONE;
    return this.byResource.get(policy) ?? { policy, label: 'resources' };
  }

  /** The policy that applies to (method, url, host), for introspection and tests. */
  policyFor(method: string, url: string, hostname?: string): Resolved {
    const path = targetPath(url);
    const found = this.finder ? this.finder.candidates(method.toUpperCase(), path, hostname) : NO_ROUTE;
    return this.resolve(found.length === 0 ? undefined : found[0], path);
  }

  /**
   * The whole decision for a request, routed by the platform's finder rather than by the
   * framework: for introspection, tests and benchmarks. The hooks never call it.
   */
  decide(method: string, url: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    const path = targetPath(url);
    const acrm = CorsEngine.preflightMethod(method, headers);
    if (acrm) return this.decidePreflight(acrm, path, headers.host, headers, request);
    const found = this.finder ? this.finder.candidates(method, path, headers.host) : NO_ROUTE;
    return this.decideActual(found[0], method, path, headers, request);
  }

  /**
   * The decision for a request as {@link decide} takes it, with the refusal explain mode would
   * log (or `null`), whether explain mode is on or not. Other requests' refusals are never
   * mixed in: the decision runs on a view of this engine with its own refusal sink.
   */
  async explain(method: string, url: string, headers: IncomingHttpHeaders, request: unknown): Promise<{ outcome: CorsOutcome; refusal: CorsRefusal | null }> {
    let refusal: CorsRefusal | null = null;
    const view = Object.create(this) as CorsEngine;
    view.onRefusal = (r) => {
      refusal ??= r;
    };
    const outcome = await view.decide(method, url, headers, request);
    return { outcome, refusal };
  }

  /** Whether a request is a CORS preflight (OPTIONS + Origin + ACRM), and its ACRM. */
  static preflightMethod(method: string | undefined, headers: IncomingHttpHeaders): string | undefined {
    return method === 'OPTIONS' && headers.origin ? single(headers[ACRM]) : undefined;
  }

  /**
   * Decides a preflight: the policy is the one of the handlers the actual request (ACRM, same
   * target) would reach, as the platform's router finds them. `path` is the request target's
   * path as the router reads it. Synchronous unless an origin predicate is async. `request`
   * is the framework's request, handed to predicates. `candidates`, when the platform found
   * them itself, stand in for the finder's.
   */
  decidePreflight(
    acrm: string,
    path: string,
    hostname: string | undefined,
    headers: IncomingHttpHeaders,
    request: unknown,
    candidates?: readonly (RouteEntry | undefined)[],
  ): CorsOutcome | Promise<CorsOutcome> {
    const found = candidates ?? (this.finder ? this.finder.candidates(acrm, path, hostname) : NO_ROUTE);
    if (found.length <= 1) return this.preflightFor(this.resolve(found[0], path), acrm, path, headers, request);
    // Several version handlers share (ACRM, path): answer only what all of them allow.
    const targets = found.map((entry) => this.resolve(entry, path));
    const off = targets.find((t) => t.policy === null);
    if (off) return this.noPolicy(off, acrm, path, headers.origin!, true);
    const outcomes = targets.map((t) => this.preflightOutcome(t.policy!, acrm, headers, request));
    const finish = (list: PreflightOutcome[]) =>
      this.preflightResult(targets[0].policy!, targets.map((t) => t.label).join(' & '), acrm, path, headers, intersectPreflights(list));
    if (outcomes.every((o) => !(o instanceof Promise))) return finish(outcomes as PreflightOutcome[]);
    return Promise.all(outcomes).then(finish);
  }

  private preflightFor(target: Resolved, acrm: string, path: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    const policy = target.policy;
    // No CORS for the route announced: the app answers the OPTIONS as it would anyway.
    if (policy === null) return this.noPolicy(target, acrm, path, headers.origin!, true);
    const outcome = this.preflightOutcome(policy, acrm, headers, request);
    if (outcome instanceof Promise) return outcome.then((o) => this.preflightResult(policy, target.label, acrm, path, headers, o));
    return this.preflightResult(policy, target.label, acrm, path, headers, outcome);
  }

  private preflightOutcome(policy: CorsPolicy, acrm: string, headers: IncomingHttpHeaders, request: unknown): PreflightOutcome | Promise<PreflightOutcome> {
    const origin = headers.origin!;
    const acrh = headers[ACRH];
    const list = Array.isArray(acrh) ? acrh.join(',') : acrh;
    const acrpn = single(headers[ACRPN]);
    const allowed = checkOrigin(policy.origins, origin, request, this.policies.originTimeout);
    if (!(allowed instanceof Promise)) return preflightResponse(policy, origin, allowed, acrm, list, acrpn);
    return allowed.then((verdict) => preflightResponse(policy, origin, verdict, acrm, list, acrpn));
  }

  private preflightResult(policy: CorsPolicy, label: string, acrm: string, path: string, headers: IncomingHttpHeaders, outcome: PreflightOutcome): CorsOutcome {
    if (outcome.refusal && this.onRefusal) {
      this.onRefusal({ method: acrm, path, origin: headers.origin!, preflight: true, policyLabel: label, policy, refusal: outcome.refusal });
    }
    // automaticOptions: false hands the preflight to the app (an @Options() handler, or the
    // 404), with the same headers, as Flask-CORS and expressjs/cors's preflightContinue do.
    return { preflight: policy.automaticOptions, headers: outcome.headers, vary: preflightVary(policy, single(headers[ACRPN])) };
  }

  /**
   * Decides an actual request that the framework routed to `entry` (`undefined` for a route
   * no Nest controller registered, or none). Synchronous unless an origin predicate is async.
   */
  decideActual(entry: RouteEntry | undefined, method: string, path: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    return this.actualFor(this.resolve(entry, path), method, path, headers, request);
  }

  /** Actual-request headers for a handler whose policy is known (the enhancers know it). */
  decideActualFor(route: RoutePolicy, method: string, url: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    const path = targetPath(url);
    const target =
      route.kind === 'policy' ? { policy: route.policy, label: route.label }
      : route.kind === 'disabled' ? { policy: null, label: route.label }
      : this.resolve(undefined, path);
    return this.actualFor(target, method, path, headers, request);
  }

  private actualFor(target: Resolved, method: string, path: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    const policy = target.policy;
    const origin = headers.origin;
    if (policy === null) return origin ? this.noPolicy(target, method, path, origin, false) : PASS_THROUGH;
    if (!origin) return this.actual(policy, target.label, method, path, undefined, false, headers);
    const allowed = checkOrigin(policy.origins, origin, request, this.policies.originTimeout);
    if (!(allowed instanceof Promise)) return this.actual(policy, target.label, method, path, origin, allowed, headers);
    return allowed.then((verdict) => this.actual(policy, target.label, method, path, origin, verdict, headers));
  }

  /** No policy: nothing is sent, and in explain mode the reason is logged. */
  private noPolicy(target: Resolved, method: string, path: string, origin: string, preflight: boolean): CorsOutcome {
    this.onRefusal?.({ method, path, origin, preflight, policyLabel: target.label, policy: null, refusal: { kind: 'no-cors' } });
    return PASS_THROUGH;
  }

  private actual(
    policy: CorsPolicy,
    label: string,
    method: string,
    path: string,
    origin: string | undefined,
    allowed: boolean | OriginVerdict,
    headers: IncomingHttpHeaders,
  ): CorsOutcome {
    const out = actualResponseHeaders(policy, origin, allowed, single(headers[ACRPN]));
    if (origin && allowed !== true && this.onRefusal) {
      this.onRefusal({ method, path, origin, preflight: false, policyLabel: label, policy, refusal: allowed || { kind: 'origin', origin } });
    }
    return { preflight: false, headers: out, vary: policy.varyOrigin ? 'Origin' : null };
  }
}
