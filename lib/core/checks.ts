// Checking one level's raw options (forRoot, a resources entry, a named policy, a decorator):
// unknown keys, the type and syntax of every value, and the values no browser can match or
// honour. Combination rules are checked on the merged policy (compile.ts).
import { unreachableOrigin } from './canonical.js';
import { describeValue, type CorsConfigIssueReason, type IssueCollector } from './errors.js';
import {
  CORS_REQUEST_HEADERS,
  CORS_RESPONSE_HEADERS,
  FORBIDDEN_REQUEST_HEADER_PREFIXES,
  FORBIDDEN_REQUEST_HEADERS,
  FORBIDDEN_RESPONSE_HEADERS,
} from './headers.js';
import { CHROMIUM_MAX_AGE, MAX_MAX_AGE, MODULE_ONLY_KEYS, POLICY_KEYS, WEBKIT_MAX_AGE, type HeaderSpec, type OriginSpec } from './options.js';
import { parseOrigin, parseOriginPattern, splitOriginList } from './origins.js';
import { SAFETY_OPT_INS } from './safety.js';
import { FORBIDDEN_METHODS, isToken } from './tokens.js';

const ALIASES: Readonly<Record<string, string>> = {
  origin: 'origins',
  allowedOrigins: 'origins',
  allowedHeaders: 'allowHeaders',
  headers: 'allowHeaders',
  exposedHeaders: 'exposeHeaders',
  credentials: 'supportsCredentials',
  allowCredentials: 'supportsCredentials',
  allowedMethods: 'methods',
  preflightContinue: 'automaticOptions',
};

export function issue(
  c: IssueCollector,
  where: string,
  option: string,
  value: unknown,
  reason: CorsConfigIssueReason,
  detail: string,
): void {
  c.add({ where, option, value, reason, detail });
}

export function asList<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** Splits `'GET, POST'` into names; arrays are taken entry by entry. */
function splitNames(value: string | readonly string[]): { name: string; label: string; raw: unknown }[] {
  const out: { name: string; label: string; raw: unknown }[] = [];
  asList(value).forEach((entry, index) => {
    const label = Array.isArray(value) ? `[${index}]` : '';
    if (typeof entry !== 'string') {
      out.push({ name: '', label, raw: entry });
      return;
    }
    for (const part of entry.split(',')) out.push({ name: part.trim(), label, raw: entry });
  });
  return out;
}

/**
 * Checks one level's raw options: unknown keys, types and syntax of every value. Combination
 * rules (credentials with `*`…) are checked on the merged policy, in {@link compilePolicy}.
 */
export function checkOptions(
  raw: unknown,
  where: string,
  c: IssueCollector,
  allowModuleKeys = false,
): void {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issue(c, where, 'options', raw, 'invalid', 'must be an object of CORS options');
    return;
  }
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if ((POLICY_KEYS as readonly string[]).includes(key)) continue;
    if (MODULE_ONLY_KEYS.includes(key)) {
      if (!allowModuleKeys) issue(c, where, key, record[key], 'invalid', 'is only accepted by CorsModule.forRoot()');
      continue;
    }
    const hint = ALIASES[key] ? ` (did you mean "${ALIASES[key]}"?)` : '';
    issue(c, where, key, record[key], 'unknown-option', `is not a nest-cross-origin option${hint}`);
  }
  // Spreading options leaves keys present with `undefined`, which inherit (Flask-CORS skips
  // None); but an `origins` key written and left empty almost always is an unset environment
  // variable, and inheriting would mean the default '*': every origin echoed. Fail closed.
  if (Object.prototype.hasOwnProperty.call(record, 'origins') && isEmptyValue(record.origins)) {
    issue(c, where, 'origins', record.origins, 'missing', missingDetail(record.origins, 'the default "*" would allow every origin'));
  } else if (record.origins !== undefined) checkOrigins(record.origins, where, c);
  if (record.methods !== undefined) checkMethods(record.methods, where, c);
  if (record.allowHeaders !== undefined) checkHeaderList(record.allowHeaders, 'allowHeaders', where, c, true);
  if (record.exposeHeaders !== undefined) checkHeaderList(record.exposeHeaders, 'exposeHeaders', where, c, false);
  for (const key of ['supportsCredentials', 'sendWildcard', 'varyHeader', 'alwaysSend', 'automaticOptions', 'allowPrivateNetwork', ...Object.values(SAFETY_OPT_INS)]) {
    const v = record[key];
    if (v !== undefined && typeof v !== 'boolean') issue(c, where, key, v, 'invalid', 'must be true or false');
  }
  const maxAge = record.maxAge;
  if (maxAge !== undefined && !(typeof maxAge === 'number' && Number.isSafeInteger(maxAge) && maxAge >= 0)) {
    issue(c, where, 'maxAge', maxAge, 'invalid', 'must be a whole number of seconds, 0 or more');
  } else if (typeof maxAge === 'number') {
    checkMaxAge(maxAge, where, c);
  }
}

/**
 * Browsers cap how long they keep a preflight: over 86400 s no browser honours the value, so
 * it is refused; over Chromium's and WebKit's caps it is cut short in those browsers, which
 * is harmless but surprising, so explain mode says so.
 */
function checkMaxAge(maxAge: number, where: string, c: IssueCollector): void {
  if (maxAge > MAX_MAX_AGE) {
    issue(c, where, 'maxAge', maxAge, 'invalid',
      `is over ${MAX_MAX_AGE} seconds (24 hours), longer than any browser keeps a preflight (Firefox ${MAX_MAX_AGE}, Chromium ${CHROMIUM_MAX_AGE}, WebKit ${WEBKIT_MAX_AGE}): write ${MAX_MAX_AGE} or less`);
  } else if (maxAge > CHROMIUM_MAX_AGE) {
    c.warn(`${where}: maxAge = ${maxAge} is over ${CHROMIUM_MAX_AGE} s and ${WEBKIT_MAX_AGE} s: Chromium keeps a preflight at most ${CHROMIUM_MAX_AGE} s and WebKit (Safari) at most ${WEBKIT_MAX_AGE} s, so those browsers ask again sooner than it says`);
  } else if (maxAge > WEBKIT_MAX_AGE) {
    c.warn(`${where}: maxAge = ${maxAge} is over ${WEBKIT_MAX_AGE} s: WebKit (Safari) keeps a preflight at most ${WEBKIT_MAX_AGE} s, so it asks again sooner than it says`);
  }
}

/** `undefined`, `null` or a blank string: what configuration gives for a variable not set. */
function isEmptyValue(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** The sentence for an `origins` value (or entry) that is empty, naming the likely cause. */
function missingDetail(value: unknown, consequence: string): string {
  const what = value === undefined ? 'undefined' : value === null ? 'null' : 'an empty string';
  return `is ${what}, so ${consequence}: is it read from an environment variable that is not set (config.get('CORS_ORIGINS'))? ` +
    'Set the variable, or read it with ConfigService.getOrThrow() so a missing one fails loudly; to allow every origin on purpose, write origins: "*"';
}

function checkOrigins(value: unknown, where: string, c: IssueCollector): void {
  const list = asList(value as OriginSpec);
  if (Array.isArray(value) && list.length === 0) {
    issue(c, where, 'origins', value, 'invalid', 'is an empty list: no origin could ever be allowed (use @CrossOrigin(false) to turn CORS off)');
  }
  // A string holding commas is a list (README "Options", `origins`): each element is checked, and named, alone.
  const entries = list.flatMap((item, index) => {
    const option = Array.isArray(value) ? `origins[${index}]` : 'origins';
    if (typeof item !== 'string' || !item.includes(',')) return [{ spec: item as unknown, option, suffix: '' }];
    const elements = splitOriginList(item);
    if (elements.length === 0) issue(c, where, option, item, 'invalid', 'is a comma-separated list with no origin in it');
    return elements.map((spec) => ({ spec: spec as unknown, option, suffix: ' (an element of a comma-separated list)' }));
  });
  entries.forEach(({ spec, option, suffix }) => {
    if (typeof spec === 'function' || spec instanceof RegExp) return;
    if (isEmptyValue(spec)) {
      issue(c, where, option, spec, 'missing', missingDetail(spec, 'this entry allows nothing'));
      return;
    }
    if (typeof spec !== 'string') {
      issue(c, where, option, spec, 'invalid', 'must be a string, a RegExp or a predicate function');
      return;
    }
    if (spec === '*' || spec === 'null') return;
    if (spec.includes('*')) {
      const p = parseOriginPattern(spec);
      if (typeof p === 'string') issue(c, where, option, spec, 'invalid', `is not a valid wildcard pattern: it ${p}${suffix}`);
      else checkReachable(spec, option, suffix, where, c);
      return;
    }
    if (parseOrigin(spec) === null) {
      const detail = !spec.includes('://')
        ? 'has no scheme: write the whole origin, e.g. "https://app.example.com"'
        : /^[^:]+:\/\/[^/?#]+[/?#]/.test(spec)
          ? 'has a path, query, fragment or trailing slash: an origin is only scheme://host[:port]'
          : 'is not a valid origin (scheme://host[:port]); use a RegExp for anything else';
      issue(c, where, option, spec, 'invalid', detail + suffix);
      return;
    }
    checkReachable(spec, option, suffix, where, c);
  });
}

/** An origin or pattern that parses, but that no browser's Origin can ever equal. */
function checkReachable(spec: string, option: string, suffix: string, where: string, c: IssueCollector): void {
  const problem = unreachableOrigin(spec);
  if (problem === null) return;
  c.add({
    where, option, value: spec, reason: 'invalid', detail: problem.detail + suffix,
    ...(problem.canonical !== undefined ? { canonical: problem.canonical } : {}),
  });
}

function checkMethods(value: unknown, where: string, c: IssueCollector): void {
  if (typeof value !== 'string' && !Array.isArray(value)) {
    issue(c, where, 'methods', value, 'invalid', 'must be a string or an array of strings');
    return;
  }
  for (const { name, label, raw } of splitNames(value as string | string[])) {
    if (!isToken(name)) {
      issue(c, where, `methods${label}`, raw, 'invalid', `${describeValue(name)} is not a valid method token`);
    } else if (FORBIDDEN_METHODS.has(name.toUpperCase())) {
      issue(c, where, `methods${label}`, raw, 'forbidden', `${name.toUpperCase()} is a forbidden method (Fetch standard)`);
    }
  }
}

function checkHeaderList(value: unknown, option: string, where: string, c: IssueCollector, regexpOk: boolean): void {
  const list = asList(value as HeaderSpec);
  list.forEach((spec, index) => {
    const label = Array.isArray(value) ? `${option}[${index}]` : option;
    if (spec instanceof RegExp) {
      if (!regexpOk) issue(c, where, label, spec, 'invalid', 'must be header names, not a RegExp');
      return;
    }
    if (typeof spec !== 'string') {
      issue(c, where, label, spec, 'invalid', `must be a header name${regexpOk ? ', "*" or a RegExp' : ''}`);
      return;
    }
    for (const part of spec.split(',')) {
      const name = part.trim();
      if (name !== '*' && !isToken(name)) {
        issue(c, where, label, spec, 'invalid', `${describeValue(name)} is not a valid header name`);
      } else if (name !== '*') {
        const problem = option === 'allowHeaders' ? requestHeaderProblem(name) : responseHeaderProblem(name);
        if (problem) issue(c, where, label, spec, problem[0], problem[1]);
      }
    }
  });
}

/**
 * Why a request-header name has no place in `allowHeaders`: a page can never set it (Fetch's
 * forbidden request-header names), or the browser sends it for CORS itself, so no preflight
 * ever asks for it. Listing it allows nothing and suggests something it does not do.
 */
function requestHeaderProblem(name: string): [CorsConfigIssueReason, string] | null {
  const lower = name.toLowerCase();
  const cors = CORS_REQUEST_HEADERS.has(lower) ? ', and a header of the CORS protocol that the browser sends itself' : '';
  if (FORBIDDEN_REQUEST_HEADERS.has(lower) || FORBIDDEN_REQUEST_HEADER_PREFIXES.some((p) => lower.startsWith(p))) {
    const cookie = lower === 'cookie' || lower === 'cookie2' ? '; cookies are sent with credentials: set supportsCredentials' : '';
    return ['forbidden', `${name} is a forbidden request-header name (Fetch standard)${cors}: a page can never set it, so no preflight asks for it; remove it${cookie}`];
  }
  if (cors) return ['prohibited', `${name} is a header of the CORS protocol that the browser sends itself: no preflight asks for it; remove it`];
  return null;
}

/**
 * Why a response-header name has no place in `exposeHeaders`: browsers never expose it
 * (`Set-Cookie`, `Set-Cookie2`), or it speaks to the browser's CORS check, not to scripts.
 */
function responseHeaderProblem(name: string): [CorsConfigIssueReason, string] | null {
  const lower = name.toLowerCase();
  if (FORBIDDEN_RESPONSE_HEADERS.has(lower)) {
    return ['forbidden', `${name} is a forbidden response-header name (Fetch standard): browsers never let a script read it, whatever the server says; remove it`];
  }
  if (CORS_RESPONSE_HEADERS.has(lower)) {
    return ['prohibited', `${name} is a CORS response header, which the library writes for the browser's CORS check: exposing it to scripts is a mistake (did you mean another option?); remove it`];
  }
  return null;
}

export function namesOf(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const entry of asList(value)) {
    if (typeof entry !== 'string') continue; // reported by checkOptions
    for (const part of entry.split(',')) if (part.trim()) out.push(part.trim());
  }
  return out;
}

