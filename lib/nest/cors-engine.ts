import type { IncomingHttpHeaders } from 'node:http';
import {
  ACRH,
  ACRM,
  ACRPN,
  NO_HEADERS,
  actualResponseHeaders,
  checkOrigin,
  normalizeRequestPath,
  preflightResponse,
  type CorsPolicy,
  type HeaderPair,
  type OriginVerdict,
  type PolicySet,
  type Refusal,
  type RoutePolicy,
} from '../core/index.js';
import { RouteTable, staticSegments, type RouteMatchingOptions, type RouteRecord, type RouterFlavor } from './route-table.js';

/** What the platform hook must do with a request. */
export interface CorsOutcome {
  /** Answer now with 204 and these headers (an automatic preflight); else let the request go on. */
  readonly preflight: boolean;
  readonly headers: readonly HeaderPair[];
  /** Whether the response must carry `Vary: Origin`. */
  readonly varyOrigin: boolean;
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

export const PASS_THROUGH: CorsOutcome = Object.freeze({ preflight: false, headers: NO_HEADERS, varyOrigin: false });

/** A route's policy as the table stores it. */
export interface RouteEntry {
  readonly route: RoutePolicy;
  /**
   * The policy, decided at start-up, for every route but undecorated ones with parameters
   * (their `resources` entry depends on the actual path). Filled in when the table is built.
   */
  readonly fixed?: Resolved;
  /**
   * For an undecorated parametric route on a case-insensitive router: its leading static
   * segments as registered, which replace the request's own before `resources` are matched,
   * so "/ADMIN/1" served by "admin/:id" is matched as "/admin/1" (CVE-2024-6866).
   */
  readonly canonicalPrefix?: { readonly text: string; readonly segments: number };
}

/** A policy and the name of where it was written, as logs and introspection show it. */
export interface Resolved {
  readonly policy: CorsPolicy | null;
  readonly label: string;
}

const NONE: Resolved = Object.freeze({ policy: null, label: 'none' });

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
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

/**
 * The per-request half of the library, independent of the platform: finds the policy of the
 * handler a request (or, for a preflight, the actual request it announces) would reach, and
 * computes the headers. Everything it reads was compiled at start-up.
 */
export class CorsEngine {
  private records: RouteRecord<RouteEntry>[] = [];
  private table: RouteTable<RouteEntry> | null = null;
  /** One shared object per resource policy, so resolving one allocates nothing. */
  private readonly byResource = new Map<CorsPolicy, Resolved>();
  /** Set in explain mode; `null` otherwise, so refusals cost nothing. */
  onRefusal: ((refusal: CorsRefusal) => void) | null = null;
  onUnreadableRoute: (record: RouteRecord<RouteEntry>, error: unknown) => void = () => {};

  constructor(
    readonly policies: PolicySet,
    private flavor: RouterFlavor = 'express',
    private matching: RouteMatchingOptions = { caseSensitive: false, ignoreTrailingSlash: true },
  ) {
    for (const r of policies.resources) {
      if (r.policy && !this.byResource.has(r.policy)) {
        this.byResource.set(r.policy, Object.freeze({ policy: r.policy, label: `resources[${JSON.stringify(r.pattern)}]` }));
      }
    }
  }

  /** Sets the router rules the table must follow; routes are compiled again on next use. */
  configureRouter(flavor: RouterFlavor, matching: RouteMatchingOptions): void {
    this.flavor = flavor;
    this.matching = matching;
    this.table = null;
  }

  /** Records a route as the adapter receives it; the table is rebuilt lazily. */
  addRoute(record: RouteRecord<RouteEntry>): void {
    this.records.push(record);
    this.table = null;
  }

  get routes(): readonly RouteRecord<RouteEntry>[] {
    return this.records;
  }

  /** Compiles the route table now (it is otherwise compiled on first use). */
  compileRoutes(): RouteTable<RouteEntry> {
    if (this.table === null) {
      const records = this.records.map((r) => this.withFixedPolicy(r));
      this.table = new RouteTable(records, this.flavor, this.matching, this.onUnreadableRoute);
    }
    return this.table;
  }

  private withFixedPolicy(record: RouteRecord<RouteEntry>): RouteRecord<RouteEntry> {
    const route = record.target.route;
    let fixed: Resolved | undefined;
    if (route.kind === 'policy') fixed = Object.freeze({ policy: route.policy, label: route.label });
    else if (route.kind === 'disabled') fixed = Object.freeze({ policy: null, label: route.label });
    else if (!/[:*{(]/.test(record.path)) {
      // A static undecorated route gets its resource policy from its own path, so a
      // case-insensitive router cannot hand "/ADMIN" the policy of a less specific pattern.
      fixed = this.fromResources(this.policies.resourcePolicy(normalizeRequestPath(record.path)));
    } else if (this.policies.everywhere !== null) {
      fixed = this.fromResources(this.policies.everywhere);
    } else if (!this.matching.caseSensitive) {
      const leading = staticSegments(record.path, this.flavor);
      if (leading.length > 0) {
        return { ...record, target: { route, canonicalPrefix: { text: `/${leading.join('/')}`, segments: leading.length } } };
      }
    }
    return fixed === undefined ? record : { ...record, target: { route, fixed } };
  }

  private resolve(entry: RouteEntry | undefined, path: string): Resolved {
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
  policyFor(method: string, url: string, host?: string): { policy: CorsPolicy | null; label: string } {
    const path = pathOf(url);
    return this.resolve(this.compileRoutes().find(method.toUpperCase(), path, host), path);
  }

  /**
   * Decides what to do with one request. Synchronous unless an origin predicate is async.
   * `request` is handed to origin predicates as is.
   */
  handle(method: string, url: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    const table = this.table ?? this.compileRoutes();
    const origin = headers.origin;
    const path = pathOf(url);
    const acrm = method === 'OPTIONS' && origin ? single(headers[ACRM]) : undefined;
    if (acrm) {
      const target = this.resolve(table.find(acrm, path, headers.host), path);
      const policy = target.policy;
      // No CORS for the route announced: the app answers the OPTIONS as it would anyway.
      if (policy === null) return this.noPolicy(target, acrm, path, origin!, true);
      const allowed = checkOrigin(policy.origins, origin!, request, this.policies.originTimeout);
      if (!(allowed instanceof Promise)) return this.preflight(policy, target.label, method, path, origin!, allowed, acrm, headers);
      return allowed.then((ok) => this.preflight(policy, target.label, method, path, origin!, ok, acrm, headers));
    }
    return this.decideActual(this.resolve(table.find(method, path, headers.host), path), method, path, headers, request);
  }

  /**
   * Actual-request headers for a route whose policy is known (the enhancers know the handler
   * from their execution context), without consulting the route table.
   */
  handleActualFor(route: RoutePolicy, method: string, url: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    const path = pathOf(url);
    const target =
      route.kind === 'policy' ? { policy: route.policy, label: route.label }
      : route.kind === 'disabled' ? { policy: null, label: route.label }
      : this.resolve(undefined, path);
    return this.decideActual(target, method, path, headers, request);
  }

  /** The actual-request half of a decision, once the policy is known. */
  private decideActual(target: Resolved, method: string, path: string, headers: IncomingHttpHeaders, request: unknown): CorsOutcome | Promise<CorsOutcome> {
    const policy = target.policy;
    const origin = headers.origin;
    if (policy === null) return origin ? this.noPolicy(target, method, path, origin, false) : PASS_THROUGH;
    if (!origin) return this.actual(policy, target.label, method, path, undefined, false, headers);
    const allowed = checkOrigin(policy.origins, origin, request, this.policies.originTimeout);
    if (!(allowed instanceof Promise)) return this.actual(policy, target.label, method, path, origin, allowed, headers);
    return allowed.then((ok) => this.actual(policy, target.label, method, path, origin, ok, headers));
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
    return { preflight: false, headers: out, varyOrigin: policy.varyOrigin };
  }

  private preflight(
    policy: CorsPolicy,
    label: string,
    method: string,
    path: string,
    origin: string,
    allowed: boolean | OriginVerdict,
    acrm: string,
    headers: IncomingHttpHeaders,
  ): CorsOutcome {
    const acrh = headers[ACRH];
    const outcome = preflightResponse(policy, origin, allowed, acrm, Array.isArray(acrh) ? acrh.join(',') : acrh, single(headers[ACRPN]));
    if (outcome.refusal && this.onRefusal) {
      this.onRefusal({ method: acrm, path, origin, preflight: true, policyLabel: label, policy, refusal: outcome.refusal });
    }
    // automaticOptions: false hands the preflight to the app (an @Options() handler, or the
    // 404), with the same headers, as Flask-CORS and expressjs/cors's preflightContinue do.
    return { preflight: policy.automaticOptions, headers: outcome.headers, varyOrigin: policy.varyOrigin };
  }
}
