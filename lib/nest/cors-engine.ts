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
import { FOREIGN_ROUTE, leadingSegments, targetPath, withPrefix, type Resolved, type RouteEntry, type RouteFinder, type RouteRecord } from './route-entry.js';

export { isForeign, servesHost, targetPath, type Resolved, type RouteEntry, type RouteFinder, type RouteRecord } from './route-entry.js';

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

const NONE: Resolved = Object.freeze({ policy: null, label: 'none' });
const NO_ROUTE: readonly (RouteEntry | undefined)[] = Object.freeze([undefined]);

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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
