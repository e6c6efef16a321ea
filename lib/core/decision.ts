// The one CORS decision of a request: given the handlers that may serve it (as the platform
// learnt them from the framework), which headers the response gets, whether a preflight is
// answered now, and what was refused. Every CORS rule lives here; platforms only pass
// candidates in and write the result out.
import type { CorsPolicy, HeaderPair } from './compile.js';
import {
  actualResponseHeaders, intersectActuals, intersectPreflights, NO_HEADERS, preflightResponse, preflightVary, refusingOutcome,
  type PreflightOutcome, type Refusal,
} from './decide.js';
import { ACRH, ACRM, ACRPN } from './headers.js';
import { checkOrigin, type OriginVerdict } from './origin-decision.js';
import type { OriginMatcher } from './origins.js';

/** A handler a request may reach, and the policy it gets. */
export interface Candidate {
  /** `null`: no CORS headers (CORS off for the handler, or no `resources` entry matches). */
  readonly policy: CorsPolicy | null;
  /**
   * Where the policy was written: the handler's own (`decorator`, `disabled` for
   * `@CrossOrigin(false)`), a `resources` entry, or `none` (no entry matches).
   */
  readonly source: 'decorator' | 'disabled' | 'resources' | 'none';
  /** `Controller.handler` for a handler's own policy, the pattern of a `resources` entry, `''` for none. */
  readonly route: string;
}

/** How logs name a candidate: `CatsController.list`, `resources["/api/*"]`, `none`. */
export function labelOf(c: Candidate): string {
  return c.source === 'resources' ? `resources[${JSON.stringify(c.route)}]` : c.source === 'none' ? 'none' : c.route;
}

/** Request headers as Node exposes them: lower-case names. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What a request asks of CORS. */
export interface CorsRequest {
  readonly method: string;
  /** The path as the router read it, for explanations. */
  readonly path: string;
  readonly origin: string | undefined;
  /** `Access-Control-Request-Method` of a preflight (OPTIONS + Origin + ACRM); else `undefined`. */
  readonly acrm: string | undefined;
  readonly acrh: string | undefined;
  readonly acrpn: string | undefined;
  /** The framework's request (Express `Request`, `FastifyRequest`), handed to origin predicates. */
  readonly native: unknown;
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' || value === undefined ? value : value[0];
}

/** `Access-Control-Request-Method` when the request is a preflight (OPTIONS + Origin + ACRM). */
export function preflightMethod(method: string | undefined, headers: RequestHeaders): string | undefined {
  return method === 'OPTIONS' && headers.origin ? first(headers[ACRM]) : undefined;
}

/** Reads what CORS needs from a request's method, path and headers. */
export function readCorsRequest(method: string, path: string, headers: RequestHeaders, native: unknown): CorsRequest {
  const acrh = headers[ACRH];
  return {
    method,
    path,
    origin: first(headers.origin) || undefined,
    acrm: preflightMethod(method, headers),
    // Repeated ACRH headers are one list (RFC 9110 §5.3).
    acrh: typeof acrh === 'string' || acrh === undefined ? acrh : acrh.join(','),
    acrpn: first(headers[ACRPN]),
    native,
  };
}

/** What the platform does with a request, and what was decided, for logs and events. */
export interface Decision {
  readonly kind: 'actual' | 'preflight';
  /** End the response now with 204 and {@link headers} (an automatic preflight). */
  readonly answer: boolean;
  readonly headers: readonly HeaderPair[];
  /** The names the response's `Vary` must list, or `null`. */
  readonly vary: string | null;
  /** `none`: no Origin, so not a CORS request (the response may still carry ACAO: `alwaysSend`). */
  readonly verdict: 'allowed' | 'refused' | 'none';
  readonly refusal: Refusal | null;
  /**
   * The handlers decided for: the one that served an actual request; every one a preflight's
   * actual request, or a response written before any handler ran, may reach.
   */
  readonly candidates: readonly Candidate[];
  /** The index of the candidate whose policy refused (or the first): explanations quote it. */
  readonly by: number;
}

/** Origin verdicts worked out before the response was due, by origin matcher. */
export type KnownVerdicts = ReadonlyMap<OriginMatcher, OriginVerdict>;

export interface DecideOptions {
  /** `originTimeout`: milliseconds an async origin decision may take. */
  readonly timeout: number;
  /** Verdicts already known (async ones worked out before the head is written). */
  readonly known?: KnownVerdicts;
  /**
   * The caller cannot wait (the head is being written): an origin decision that is not
   * known and turns out async refuses (`origin-pending`), fail closed.
   */
  readonly sync?: boolean;
}

const NO_CANDIDATE: readonly Candidate[] = Object.freeze([Object.freeze({ policy: null, source: 'none', route: '' } as const)]);

const NOTHING: Decision = Object.freeze({
  kind: 'actual', answer: false, headers: NO_HEADERS, vary: null, verdict: 'none', refusal: null, candidates: NO_CANDIDATE, by: 0,
});

function originVerdict(policy: CorsPolicy, origin: string, r: CorsRequest, o: DecideOptions): OriginVerdict | Promise<OriginVerdict> {
  const known = o.known?.get(policy.origins);
  if (known !== undefined) return known;
  const verdict = checkOrigin(policy.origins, origin, r.native, o.timeout);
  if (verdict instanceof Promise && o.sync) {
    verdict.catch(() => {}); // settled later for nobody; a cache may keep its answer
    return { kind: 'origin-pending', origin };
  }
  return verdict;
}

/**
 * The whole decision for a request that `candidates` may serve: one for an actual request
 * (the handler that served it), one or more for a preflight (every handler its actual
 * request may reach: only what all of them allow, so a preflight never admits what the
 * serving handler would refuse). A candidate without a policy (CORS off, no `resources`
 * entry) means no CORS headers; a preflight among such candidates reaches the app untouched.
 * Synchronous unless an origin predicate is async.
 */
export function decide(candidates: readonly Candidate[], r: CorsRequest, o: DecideOptions): Decision | Promise<Decision> {
  if (r.acrm !== undefined) return decidePreflight(candidates.length > 0 ? candidates : NO_CANDIDATE, r.acrm, r, o);
  if (candidates.length > 1) return decideActualOfSeveral(candidates, r, o);
  const only = candidates.length > 0 ? candidates : NO_CANDIDATE;
  const policy = only[0].policy;
  if (policy === null) {
    if (!r.origin) return NOTHING;
    return { ...NOTHING, verdict: 'refused', refusal: { kind: 'no-cors' }, candidates: only };
  }
  const vary = policy.varyOrigin ? 'Origin' : null;
  if (!r.origin) {
    const headers = actualResponseHeaders(policy, undefined, false, undefined);
    return { kind: 'actual', answer: false, headers, vary, verdict: 'none', refusal: null, candidates: only, by: 0 };
  }
  const verdict = originVerdict(policy, r.origin, r, o);
  if (verdict instanceof Promise) return verdict.then((v) => actual(policy, only, vary, r, v));
  return actual(policy, only, vary, r, verdict);
}

function actual(policy: CorsPolicy, candidates: readonly Candidate[], vary: string | null, r: CorsRequest, verdict: OriginVerdict): Decision {
  const headers = actualResponseHeaders(policy, r.origin, verdict, r.acrpn);
  const refused = verdict !== true;
  return { kind: 'actual', answer: false, headers, vary, verdict: refused ? 'refused' : 'allowed', refusal: refused ? verdict : null, candidates, by: 0 };
}

/**
 * An actual response written before any handler ran, on a request several handlers may serve
 * (README "How the policy is chosen"): only what every candidate grants, as for a preflight.
 */
function decideActualOfSeveral(candidates: readonly Candidate[], r: CorsRequest, o: DecideOptions): Decision | Promise<Decision> {
  const off = candidates.findIndex((c) => c.policy === null);
  if (off !== -1) {
    if (!r.origin) return { ...NOTHING, candidates, by: off };
    return { ...NOTHING, verdict: 'refused', refusal: { kind: 'no-cors' }, candidates, by: off };
  }
  const policies = candidates.map((c) => c.policy!);
  const vary = policies.some((p) => p.varyOrigin) ? 'Origin' : null;
  const origin = r.origin;
  if (!origin) {
    const headers = intersectActuals(policies.map((p) => actualResponseHeaders(p, undefined, false, undefined)));
    return { kind: 'actual', answer: false, headers, vary, verdict: 'none', refusal: null, candidates, by: 0 };
  }
  let pending = false;
  const verdicts = policies.map((p) => {
    const v = originVerdict(p, origin, r, o);
    if (v instanceof Promise) pending = true;
    return v;
  });
  const finish = (list: readonly OriginVerdict[]): Decision => {
    const by = list.findIndex((v) => v !== true);
    if (by !== -1) return { kind: 'actual', answer: false, headers: NO_HEADERS, vary, verdict: 'refused', refusal: list[by] as Refusal, candidates, by };
    const headers = intersectActuals(policies.map((p) => actualResponseHeaders(p, origin, true, r.acrpn)));
    return { kind: 'actual', answer: false, headers, vary, verdict: 'allowed', refusal: null, candidates, by: 0 };
  };
  return pending ? Promise.all(verdicts).then(finish) : finish(verdicts as OriginVerdict[]);
}

function decidePreflight(candidates: readonly Candidate[], acrm: string, r: CorsRequest, o: DecideOptions): Decision | Promise<Decision> {
  const off = candidates.findIndex((c) => c.policy === null);
  if (off !== -1) {
    // No CORS for a handler announced: the app answers the OPTIONS as it would anyway.
    return { ...NOTHING, kind: 'preflight', verdict: 'refused', refusal: { kind: 'no-cors' }, candidates, by: off };
  }
  const origin = r.origin!;
  let pending = false;
  const outcomes = candidates.map((c) => {
    const policy = c.policy!;
    const verdict = originVerdict(policy, origin, r, o);
    if (verdict instanceof Promise) {
      pending = true;
      return verdict.then((v) => preflightResponse(policy, origin, v, acrm, r.acrh, r.acrpn));
    }
    return preflightResponse(policy, origin, verdict, acrm, r.acrh, r.acrpn);
  });
  if (!pending) return preflight(candidates, r, outcomes as PreflightOutcome[]);
  return Promise.all(outcomes).then((list) => preflight(candidates, r, list));
}

function preflight(candidates: readonly Candidate[], r: CorsRequest, outcomes: readonly PreflightOutcome[]): Decision {
  const outcome = intersectPreflights(outcomes);
  // automaticOptions: false (any candidate) hands the preflight to the app (an @Options()
  // handler, or the 404) with the same headers, as Flask-CORS and expressjs/cors's
  // preflightContinue do.
  const answer = candidates.every((c) => c.policy!.automaticOptions);
  let vary: string | null = null;
  for (const c of candidates) vary = longer(vary, preflightVary(c.policy!, r.acrpn));
  const refused = outcome.refusal !== null;
  // Name the candidate that refused.
  const by = refused ? Math.max(0, refusingOutcome(outcomes)) : 0;
  return { kind: 'preflight', answer, headers: outcome.headers, vary, verdict: refused ? 'refused' : 'allowed', refusal: outcome.refusal, candidates, by };
}

/** The fuller of two preflight `Vary` lists (the PNA one lists one more name). */
function longer(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.length > a.length ? b : a;
}
