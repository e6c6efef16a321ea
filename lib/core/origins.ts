// Origins: the strict parser, wildcard patterns, anchored RegExps, and the matcher compiled from an `origins` list.
import type { OriginPredicate, OriginSpec } from './options.js';

/**
 * Longest Origin considered: a 64-byte scheme, "://", a 253-byte host, ":" and a 5-digit port
 * make 326 (jub0bs/cors uses the same bound). Longer values are refused without being scanned.
 */
export const MAX_ORIGIN_LENGTH = 326;

/** A serialized origin split into its parts; scheme and host lower-cased. */
export interface ParsedOrigin {
  readonly scheme: string;
  readonly host: string;
  /** The port as written, or `''` when absent. */
  readonly port: string;
}

function isSchemeChar(c: number, first: boolean): boolean {
  const alpha = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (first) return alpha;
  return alpha || (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46; // + - .
}

function isHostChar(c: number): boolean {
  // Letters, digits, '-', '.', '_': what browsers serialize for hosts (punycode is ASCII).
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95
  );
}

function isIPv6Char(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46; // 0-9 : a-f A-F .
}

/**
 * Whether a host made of host chars has only non-empty labels. One trailing dot is allowed:
 * `example.com.` is a fully qualified name, a valid host the URL standard keeps as written, so
 * `https://example.com.` is an origin of its own, distinct from `https://example.com`.
 */
function hasValidLabels(host: string): boolean {
  if (host.length === 0 || host.charCodeAt(0) === 46) return false;
  return !host.includes('..');
}

/**
 * Parses `scheme://host[:port]` strictly, in one bounded pass: no userinfo, path, query,
 * fragment, whitespace or trailing slash. Returns `null` for anything else, including `null`.
 */
export function parseOrigin(origin: string): ParsedOrigin | null {
  const n = origin.length;
  if (n === 0 || n > MAX_ORIGIN_LENGTH) return null;
  let i = 0;
  while (i < n && isSchemeChar(origin.charCodeAt(i), i === 0)) i++;
  if (i === 0 || i > 64 || !origin.startsWith('://', i)) return null;
  const scheme = origin.slice(0, i).toLowerCase();
  i += 3;
  const hostStart = i;
  let host: string;
  if (origin.charCodeAt(i) === 91 /* [ */) {
    i++;
    while (i < n && isIPv6Char(origin.charCodeAt(i))) i++;
    if (origin.charCodeAt(i) !== 93 /* ] */ || i === hostStart + 1) return null;
    i++;
    host = origin.slice(hostStart, i).toLowerCase();
    if (!host.includes(':')) return null;
  } else {
    while (i < n && isHostChar(origin.charCodeAt(i))) i++;
    host = origin.slice(hostStart, i).toLowerCase();
    if (!hasValidLabels(host)) return null;
  }
  let port = '';
  if (i < n) {
    if (origin.charCodeAt(i) !== 58 /* : */) return null;
    const portStart = ++i;
    while (i < n && origin.charCodeAt(i) >= 48 && origin.charCodeAt(i) <= 57) i++;
    if (i !== n || i === portStart || i - portStart > 5) return null;
    port = origin.slice(portStart);
    const value = Number(port);
    if (value < 1 || value > 65535 || port.charCodeAt(0) === 48) return null;
  }
  return { scheme, host, port };
}

/** A wildcard origin pattern, compiled: `https://*.example.com`, `http://localhost:*`, or both. */
export interface OriginPattern {
  readonly scheme: string;
  /** The host, or for a subdomain pattern the suffix after `*.`. */
  readonly host: string;
  readonly anySubdomain: boolean;
  /** `'*'` for any port (or none), else the exact port or `''`. */
  readonly port: string;
}

/** Why an origin string in the configuration was refused, or `null` when it is fine. */
export type OriginStringProblem = string | null;

/**
 * Compiles a wildcard pattern. The only wildcards are a leading `*.` label in the host (one or
 * more labels, never the apex) and `*` as the whole port; anything else is refused, so a pattern
 * can never match more than it reads as.
 */
export function parseOriginPattern(pattern: string): OriginPattern | string {
  const sep = pattern.indexOf('://');
  if (sep <= 0) return 'has no scheme (write it as "https://*.example.com")';
  const scheme = pattern.slice(0, sep);
  for (let i = 0; i < scheme.length; i++) {
    if (!isSchemeChar(scheme.charCodeAt(i), i === 0)) return 'has an invalid scheme';
  }
  let rest = pattern.slice(sep + 3);
  let anySubdomain = false;
  if (rest.startsWith('*.')) {
    anySubdomain = true;
    rest = rest.slice(2);
  }
  let port = '';
  const bracketEnd = rest.startsWith('[') ? rest.indexOf(']') : -1;
  const colon = rest.indexOf(':', bracketEnd + 1);
  if (colon !== -1) {
    port = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (rest.includes('*') || (port.includes('*') && port !== '*')) {
    return 'uses "*" where only a leading "*." label or a "*" port is allowed (use a RegExp for other shapes)';
  }
  const probe = parseOrigin(`${scheme}://${rest}${port && port !== '*' ? `:${port}` : ''}`);
  if (probe === null) return 'is not of the form scheme://host[:port] (no path, query or trailing slash)';
  if (anySubdomain && probe.host.startsWith('[')) return 'puts "*." before an IP address';
  return { scheme: probe.scheme, host: probe.host, anySubdomain, port: port === '*' ? '*' : probe.port };
}

export function matchesPattern(p: OriginPattern, o: ParsedOrigin): boolean {
  if (p.scheme !== o.scheme) return false;
  if (p.port !== '*' && p.port !== o.port) return false;
  if (!p.anySubdomain) return p.host === o.host;
  // "*." stands for one or more whole labels: the host must end with ".suffix" and have a
  // non-empty label before it (labels were checked by parseOrigin), so the apex never matches
  // and neither does "evilexample.com" for "*.example.com".
  const h = o.host;
  return h.length > p.host.length + 1 && h.endsWith(p.host) && h.charCodeAt(h.length - p.host.length - 1) === 46;
}

/**
 * Anchors a RegExp to the whole input and drops the `g`/`y` flags, whose `lastIndex` state
 * would make successive tests alternate (expressjs/cors#220, @fastify/cors#151).
 */
export function anchorRegExp(re: RegExp, extraFlags = ''): RegExp {
  let flags = re.flags.replace(/[gy]/g, '');
  for (const f of extraFlags) if (!flags.includes(f)) flags += f;
  return new RegExp(`^(?:${re.source})$`, flags);
}

/** The origins of a policy, compiled. */
export interface OriginMatcher {
  /** `'*'` was given: every syntactically valid origin is allowed (`null` still is not). */
  readonly any: boolean;
  /** Exact origins, lower-cased; may contain `'null'` when listed explicitly. */
  readonly exact: ReadonlySet<string>;
  readonly patterns: readonly OriginPattern[];
  readonly regexps: readonly RegExp[];
  readonly predicates: readonly OriginPredicate[];
  /** The single exact origin when it is the whole list (sent without Origin by `alwaysSend`). */
  readonly staticOrigin: string | null;
}

// The grammar parseOrigin() accepts, as one RegExp: a per-request validity check that
// allocates nothing. Labels and the port range are checked apart (see isWellFormedOrigin).
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]{0,63}:\/\/(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]*:[0-9a-f:.]*\])(?::[1-9][0-9]{0,4})?$/i;

/** Same verdict as `parseOrigin(origin) !== null`, without building the parts. */
export function isWellFormedOrigin(origin: string): boolean {
  if (origin.length > MAX_ORIGIN_LENGTH || !ORIGIN_SHAPE.test(origin)) return false;
  const colon = origin.lastIndexOf(':');
  // A port of five digits may still exceed 65535; anything shorter is in range.
  if (colon > origin.indexOf(':') && origin.length - colon === 6 && origin.charCodeAt(origin.length - 1) !== 93) {
    return Number(origin.slice(colon + 1)) <= 65535;
  }
  return true;
}

/**
 * The elements of a comma-separated `origins` string (`'https://a.example, https://b.example'`,
 * as environment variables give it), trimmed, empty ones dropped. No serialized origin, pattern
 * or `*` contains a comma (README "Options", `origins`), so a comma always separates.
 */
export function splitOriginList(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const element = part.trim();
    if (element !== '') out.push(element);
  }
  return out;
}

/**
 * The origin specs of an `origins` value as one flat list: a single value becomes a list of
 * one, and every string holding a comma is replaced by its elements. Every reader of `origins`
 * goes through here, so a `'*'` or a pattern inside a comma-separated string is never missed.
 */
export function listOrigins(value: OriginSpec | readonly OriginSpec[]): OriginSpec[] {
  const out: OriginSpec[] = [];
  for (const spec of Array.isArray(value) ? (value as readonly OriginSpec[]) : [value as OriginSpec]) {
    if (typeof spec === 'string' && spec.includes(',')) out.push(...splitOriginList(spec));
    else out.push(spec);
  }
  return out;
}

/** Compiles validated origin specs (see compile.ts for the checks). */
export function compileOrigins(value: OriginSpec | readonly OriginSpec[]): OriginMatcher {
  const specs = listOrigins(value);
  let any = false;
  const exact = new Set<string>();
  const patterns: OriginPattern[] = [];
  const regexps: RegExp[] = [];
  const predicates: OriginPredicate[] = [];
  for (const spec of specs) {
    if (typeof spec === 'function') predicates.push(spec);
    else if (spec instanceof RegExp) regexps.push(anchorRegExp(spec));
    else if (spec === '*') any = true;
    else if (spec === 'null') exact.add('null');
    else if (spec.includes('*')) {
      const p = parseOriginPattern(spec);
      if (typeof p !== 'string') patterns.push(p);
    } else exact.add(spec.toLowerCase());
  }
  const onlyOne = specs.length === 1 && typeof specs[0] === 'string' && exact.size === 1;
  const staticOrigin = onlyOne && !exact.has('null') ? (specs[0] as string) : null;
  return Object.freeze({
    any,
    exact,
    patterns: Object.freeze(patterns),
    regexps: Object.freeze(regexps),
    predicates: Object.freeze(predicates),
    staticOrigin,
  });
}

/**
 * What the matchers other than predicates say of `origin`: `true` admitted, `false` refused
 * whatever the predicates say, `undefined` for "ask the predicates". A value that is not a
 * well-formed serialized origin is refused by every kind of matcher (only the literal `null`,
 * when listed, is an exception), so nothing malformed is ever echoed or handed to a predicate.
 */
export function listedVerdict(m: OriginMatcher, origin: string): boolean | undefined {
  if (origin === 'null') return m.exact.has('null');
  if (origin.length > MAX_ORIGIN_LENGTH) return false; // before anything reads it whole
  // Exact origins were checked at start-up, so a hit needs no further validation. Browsers
  // send lower-case origins: try as sent before paying for a lower-cased copy.
  if (m.exact.size > 0 && (m.exact.has(origin) || m.exact.has(origin.toLowerCase()))) return true;
  if (!isWellFormedOrigin(origin)) return false;
  if (m.any) return true;
  if (m.patterns.length > 0) {
    const parsed = parseOrigin(origin)!;
    for (const p of m.patterns) if (matchesPattern(p, parsed)) return true;
  }
  for (const re of m.regexps) if (re.test(origin)) return true;
  return m.predicates.length === 0 ? false : undefined;
}
