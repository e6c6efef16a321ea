// Header names, `allowHeaders` matching, the bounded Access-Control-Request-Headers reader, and Vary merging.
import { anchorRegExp } from './origins.js';
import type { HeaderSpec } from './options.js';
import { isTokenRange } from './tokens.js';

// Header names, lower-cased as Node exposes request headers (ACAO = Access-Control-Allow-Origin, ACRM = Access-Control-Request-Method, …).
export const ORIGIN = 'origin';
export const VARY = 'vary';
export const ACAO = 'access-control-allow-origin';
export const ACAC = 'access-control-allow-credentials';
export const ACAM = 'access-control-allow-methods';
export const ACAH = 'access-control-allow-headers';
export const ACEH = 'access-control-expose-headers';
export const ACMA = 'access-control-max-age';
export const ACAPN = 'access-control-allow-private-network';
export const ACRM = 'access-control-request-method';
export const ACRH = 'access-control-request-headers';
export const ACRPN = 'access-control-request-private-network';

/**
 * Request-header names a page can never set (Fetch standard, "forbidden request-header"),
 * lower-cased; names starting with `sec-` or `proxy-` are forbidden too. Listing one in
 * `allowHeaders` allows nothing: browsers set these themselves and never ask for them.
 */
export const FORBIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept-charset', 'accept-encoding', ACRH, ACRM, 'connection', 'content-length', 'cookie', 'cookie2',
  'date', 'dnt', 'expect', 'host', 'keep-alive', ORIGIN, 'referer', 'set-cookie', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'via',
]);

/** Prefixes of forbidden request-header names (Fetch standard). */
export const FORBIDDEN_REQUEST_HEADER_PREFIXES: readonly string[] = Object.freeze(['sec-', 'proxy-']);

/** Request headers of the CORS protocol itself, which the browser sends and never requests. */
export const CORS_REQUEST_HEADERS: ReadonlySet<string> = new Set([ORIGIN, ACRM, ACRH, ACRPN]);

/** Response-header names browsers never expose to scripts (Fetch standard, "forbidden response-header name"). */
export const FORBIDDEN_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['set-cookie', 'set-cookie2']);

/** Response headers of the CORS protocol itself, which speak to the browser's check, not to scripts. */
export const CORS_RESPONSE_HEADERS: ReadonlySet<string> = new Set([ACAO, ACAC, ACAM, ACAH, ACEH, ACMA, ACAPN]);

/** More requested names than this fails the preflight (README "Hostile input"): no response echoes more. */
export const MAX_ACRH_NAMES = 100;
/** More empty list elements than this fails the preflight (README "Hostile input"; jub0bs/cors has the same bound). */
export const MAX_EMPTY_ELEMENTS = 16;

/** The `allowHeaders` of a policy, compiled. */
export interface HeaderMatcher {
  readonly any: boolean;
  /** Lower-cased names. */
  readonly names: ReadonlySet<string>;
  /** Anchored, case-insensitive. */
  readonly regexps: readonly RegExp[];
}

export function compileHeaderMatcher(specs: readonly HeaderSpec[]): HeaderMatcher {
  let any = false;
  const names = new Set<string>();
  const regexps: RegExp[] = [];
  for (const spec of specs) {
    if (spec instanceof RegExp) regexps.push(anchorRegExp(spec, 'i'));
    else if (spec === '*') any = true;
    else names.add(spec.toLowerCase());
  }
  return Object.freeze({ any, names, regexps: Object.freeze(regexps) });
}

function isHeaderAllowed(m: HeaderMatcher, name: string): boolean {
  if (m.any) return true;
  const lower = name.toLowerCase();
  if (m.names.has(lower)) return true;
  for (const re of m.regexps) if (re.test(name)) return true;
  return false;
}

/** What checking an `Access-Control-Request-Headers` value found. */
export interface AcrhCheck {
  /** The admitted names joined for `Access-Control-Allow-Headers`, or `null` for none. */
  readonly allowed: string | null;
  /** The first requested name refused, for explanations; `null` when all were admitted. */
  readonly refused: string | null;
  /** The list broke a bound of README "Hostile input" (too many names or empty elements). */
  readonly overLimit: boolean;
}

const NOTHING_REQUESTED: AcrhCheck = Object.freeze({ allowed: null, refused: null, overLimit: false });
const OVER_LIMIT: AcrhCheck = Object.freeze({ allowed: null, refused: null, overLimit: true });

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Filters the requested header names through `allowHeaders`, in one pass over the value:
 * names are echoed as the client wrote them (Flask-CORS); names that are not tokens are never
 * echoed; more than {@link MAX_ACRH_NAMES} names or {@link MAX_EMPTY_ELEMENTS} empty elements
 * fail the whole list, so the work and the response stay bounded whatever the input.
 */
export function checkRequestHeaders(m: HeaderMatcher, acrh: string | undefined): AcrhCheck {
  if (acrh === undefined || acrh.length === 0) return NOTHING_REQUESTED;
  let allowed: string | null = null;
  let refused: string | null = null;
  let names = 0;
  let empties = 0;
  const n = acrh.length;
  let i = 0;
  while (i <= n) {
    let start = i;
    let end = acrh.indexOf(',', i);
    if (end === -1) end = n;
    i = end + 1;
    while (start < end && isOws(acrh.charCodeAt(start))) start++;
    let stop = end;
    while (stop > start && isOws(acrh.charCodeAt(stop - 1))) stop--;
    if (stop === start) {
      if (++empties > MAX_EMPTY_ELEMENTS) return OVER_LIMIT;
      continue;
    }
    if (++names > MAX_ACRH_NAMES) return OVER_LIMIT;
    if (!isTokenRange(acrh, start, stop)) {
      refused ??= acrh.slice(start, Math.min(stop, start + 64));
      continue;
    }
    const name = acrh.slice(start, stop);
    if (isHeaderAllowed(m, name)) allowed = allowed === null ? name : `${allowed}, ${name}`;
    else refused ??= name;
  }
  return { allowed, refused, overLimit: false };
}

/**
 * Appends each name of `value` (one name, or a comma-separated list) to a `Vary` header value
 * unless it is already listed (or `*` is). Returns the new value, or the old one unchanged.
 */
export function appendVary(current: string | readonly string[] | number | undefined, value: string): string {
  if (current === undefined || current === '') return value;
  let text = Array.isArray(current) ? current.join(', ') : String(current);
  const listed = new Set<string>();
  for (const part of text.split(',')) listed.add(part.trim().toLowerCase());
  if (listed.has('*')) return text;
  for (const part of value.split(',')) {
    const name = part.trim();
    if (name !== '' && !listed.has(name.toLowerCase())) text = `${text}, ${name}`;
  }
  return text;
}
