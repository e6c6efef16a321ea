// The headers one policy gives a response (actual or preflight), and the intersection of several preflight answers.
import type { CorsPolicy, HeaderPair } from './compile.js';
import { ACAC, ACAH, ACAM, ACAO, ACAPN, ACEH, ACMA, checkRequestHeaders } from './headers.js';
import type { OriginRefusal, OriginVerdict } from './origin-decision.js';
import { isTokenRange } from './tokens.js';

export const NO_HEADERS: readonly HeaderPair[] = Object.freeze([]);

const PNA_TRUE: HeaderPair = Object.freeze([ACAPN, 'true'] as const);
const PNA_FALSE: HeaderPair = Object.freeze([ACAPN, 'false'] as const);

/** Why a CORS request did not get everything it asked for. */
export type Refusal =
  /** The origin is not admitted, or its predicate failed or timed out (README "Faults"). */
  | OriginRefusal
  | { readonly kind: 'method'; readonly method: string }
  | { readonly kind: 'header'; readonly header: string }
  | { readonly kind: 'header-limit' }
  /** No policy applies (CORS off for the route, or no `resources` entry matches). */
  | { readonly kind: 'no-cors' };

function withPrivateNetwork(policy: CorsPolicy, headers: HeaderPair[], acrpn: string | undefined): void {
  // Flask-CORS answers PNA on any request that asks, "false" when the option is off
  // (CVE-2024-6221 made that the default).
  if (acrpn === 'true') headers.push(policy.allowPrivateNetwork ? PNA_TRUE : PNA_FALSE);
}

function allowedOriginHeaders(policy: CorsPolicy, origin: string, acrpn: string | undefined): HeaderPair[] {
  const headers: HeaderPair[] = [[ACAO, policy.wildcard ? '*' : origin]];
  for (const h of policy.sharedHeaders) headers.push(h);
  withPrivateNetwork(policy, headers, acrpn);
  return headers;
}

/**
 * Headers for an actual (non-preflight) response. `origin` is the request's Origin, or
 * `undefined`/`''` when absent; `allowed` is the result of the origin check (`true`, or
 * `false` or the refusal). A refused origin gets nothing (the request is still served, as in
 * Flask-CORS).
 */
export function actualResponseHeaders(
  policy: CorsPolicy,
  origin: string | undefined,
  allowed: boolean | OriginVerdict,
  acrpn: string | undefined,
): readonly HeaderPair[] {
  if (!origin) {
    if (policy.noOriginAcao === null) return NO_HEADERS;
    const headers: HeaderPair[] = [[ACAO, policy.noOriginAcao]];
    for (const h of policy.sharedHeaders) headers.push(h);
    return headers;
  }
  // A refusal is an object: only `true` admits.
  if (allowed !== true) return NO_HEADERS;
  return allowedOriginHeaders(policy, origin, acrpn);
}

/** The outcome of a preflight: its headers, and what was refused if anything. */
export interface PreflightOutcome {
  readonly headers: readonly HeaderPair[];
  readonly refusal: Refusal | null;
}

/**
 * Headers for a preflight (OPTIONS + Origin + ACRM), answered 204 by the caller. `allowed` is
 * the result of the origin check, as for {@link actualResponseHeaders}; a refusal given there
 * is the outcome's refusal, so its reason reaches explain mode. ACRM must be
 * one of the policy's methods exactly, case-sensitively (README "Preflights"; Flask-CORS tests a
 * substring). A refused method gets no ACAM/ACAH/ACMA; requested headers are echoed only when
 * `allowHeaders` admits them.
 */
export function preflightResponse(
  policy: CorsPolicy,
  origin: string,
  allowed: boolean | OriginVerdict,
  acrm: string,
  acrh: string | undefined,
  acrpn: string | undefined,
): PreflightOutcome {
  if (allowed !== true) return { headers: NO_HEADERS, refusal: allowed || { kind: 'origin', origin } };
  const headers = allowedOriginHeaders(policy, origin, acrpn);
  if (!isTokenRange(acrm, 0, acrm.length) || !(policy.anyMethod || policy.methods.has(acrm))) {
    return { headers, refusal: { kind: 'method', method: acrm } };
  }
  const check = checkRequestHeaders(policy.allowHeaders, acrh);
  if (check.allowed !== null) headers.push([ACAH, check.allowed]);
  for (const h of policy.preflightHeaders) headers.push(h);
  const refusal: Refusal | null = check.overLimit
    ? { kind: 'header-limit' }
    : check.refused !== null
      ? { kind: 'header', header: check.refused }
      : null;
  return { headers, refusal };
}

/** `Vary` of every preflight response: ACAM and ACAH depend on ACRM and ACRH (README "Preflights"). */
export const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
/** The same when the response answers Private Network Access, which depends on ACRPN too. */
export const PREFLIGHT_VARY_PNA = `${PREFLIGHT_VARY}, Access-Control-Request-Private-Network`;

/** The `Vary` value a preflight answered with `policy` must carry, or `null` (`varyHeader: false`). */
export function preflightVary(policy: CorsPolicy, acrpn: string | undefined): string | null {
  if (!policy.varyOrigin) return null;
  return policy.allowPrivateNetwork || acrpn === 'true' ? PREFLIGHT_VARY_PNA : PREFLIGHT_VARY;
}

function valueOf(headers: readonly HeaderPair[], name: string): string | undefined {
  for (const h of headers) if (h[0] === name) return h[1];
  return undefined;
}

/** The value of header `name` in every list, or `null` when some list lacks it. */
function everyValue(lists: readonly (readonly HeaderPair[])[], name: string): string[] | null {
  const values = lists.map((l) => valueOf(l, name));
  return values.every((v) => v !== undefined) ? (values as string[]) : null;
}

/**
 * The names every list allows. A list that is `*` (Fetch's wildcard, only ever sent alone)
 * allows every name, so it narrows nothing; when all are `*`, so is the answer.
 */
function commonNames(lists: readonly string[]): string {
  const named = lists.map((l) => l.split(',').map((n) => n.trim()).filter(Boolean)).filter((names) => !names.includes('*'));
  if (named.length === 0) return '*';
  const [first, ...rest] = named;
  const others = rest.map((names) => new Set(names.map((n) => n.toUpperCase())));
  return first.filter((n) => others.every((set) => set.has(n.toUpperCase()))).join(', ');
}

/**
 * One preflight answer for several candidate handlers (a version the preflight cannot name,
 * static files that may or may not hold the file; README "How the policy is chosen"): only
 * what every candidate allows. The origin, the method and each requested header
 * must pass every candidate; ACAM lists the methods all allow; credentials and PNA only when
 * all grant them; the smallest `maxAge` (an absent one counts as the browsers' 5 s). So the
 * preflight never admits a request the serving handler's policy would refuse.
 */
export function intersectPreflights(outcomes: readonly PreflightOutcome[]): PreflightOutcome {
  if (outcomes.length === 1) return outcomes[0];
  const at = refusingOutcome(outcomes);
  // An origin some candidate refuses gets nothing at all.
  if (at !== -1 && outcomes[at].headers.length === 0) return outcomes[at];
  const headers: HeaderPair[] = [];
  const all = (name: string) => everyValue(outcomes.map((o) => o.headers), name);
  const acao = all(ACAO)!;
  headers.push([ACAO, acao.every((v) => v === '*') ? '*' : acao.find((v) => v !== '*')!]);
  const acac = all(ACAC);
  if (acac) headers.push([ACAC, 'true']);
  const pna = all(ACAPN);
  if (pna) headers.push([ACAPN, pna.every((v) => v === 'true') ? 'true' : 'false']);
  // A method some candidate refuses fails the preflight as one policy's would: what every
  // candidate grants the origin still holds, but no ACAM, ACAH or ACMA.
  const method = outcomes.find((o) => o.refusal?.kind === 'method');
  if (method) return { headers, refusal: method.refusal };
  // A refused header fails it too; as with one policy, the answer still lists what is allowed.
  const acah = all(ACAH);
  if (acah) {
    const common = commonNames(acah);
    if (common) headers.push([ACAH, common]);
  }
  const acam = all(ACAM);
  if (acam) {
    const common = commonNames(acam);
    if (common) headers.push([ACAM, common]);
  }
  const ages = outcomes.map((o) => valueOf(o.headers, ACMA));
  const smallest = Math.min(...ages.map((a) => (a === undefined ? BROWSER_DEFAULT_MAX_AGE : Number(a))));
  if (ages.some((a) => a !== undefined) && !(smallest === BROWSER_DEFAULT_MAX_AGE && ages.includes(undefined))) {
    headers.push([ACMA, String(smallest)]);
  }
  return { headers, refusal: at === -1 ? null : outcomes[at].refusal };
}

/**
 * One actual answer for several candidates: the response was written before any handler ran
 * (a middleware or body parser answering by itself) and the platform can only say which
 * handlers the request was going to. As for a preflight, only what every candidate grants:
 * ACAO when all send one (`*` only when all do), credentials when all give them, the exposed
 * headers all expose.
 */
export function intersectActuals(lists: readonly (readonly HeaderPair[])[]): readonly HeaderPair[] {
  if (lists.length === 1) return lists[0];
  const all = (name: string) => everyValue(lists, name);
  const acao = all(ACAO);
  if (acao === null) return NO_HEADERS;
  const named = acao.filter((v) => v !== '*');
  // Without an Origin, candidates may name different static origins: none is everyone's.
  if (named.some((v) => v !== named[0])) return NO_HEADERS;
  const headers: HeaderPair[] = [[ACAO, named[0] ?? '*']];
  if (all(ACAC)) headers.push([ACAC, 'true']);
  const aceh = all(ACEH);
  if (aceh) {
    const common = commonNames(aceh);
    if (common) headers.push([ACEH, common]);
  }
  const pna = all(ACAPN);
  if (pna) headers.push([ACAPN, pna.every((v) => v === 'true') ? 'true' : 'false']);
  return headers;
}

/**
 * The index of the outcome whose refusal a combined answer reports: an origin refusal first
 * (it leaves no header at all), else the first refusal; -1 for none.
 */
export function refusingOutcome(outcomes: readonly PreflightOutcome[]): number {
  const origin = outcomes.findIndex((o) => o.refusal !== null && o.headers.length === 0);
  return origin !== -1 ? origin : outcomes.findIndex((o) => o.refusal !== null);
}

/** Seconds browsers cache a preflight that has no `Access-Control-Max-Age` (Fetch standard). */
const BROWSER_DEFAULT_MAX_AGE = 5;
