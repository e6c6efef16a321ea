// What a browser does on the client side of CORS, as the Fetch standard writes it
// (https://fetch.spec.whatwg.org/): which requests need a preflight, the preflight it sends, and
// the checks it applies to the answers. One copy, shared by `expectCors` (in-process tests) and
// the `probe` CLI (deployed servers), so both give the same verdict in the same words.
// Framework-free: nothing here loads Nest.
import { escapeForLog } from '../core/escape.js';
import { FORBIDDEN_METHODS, isToken } from '../core/tokens.js';

/**
 * Reads one response header as the Fetch standard's "get" does: every field of that name, in
 * order, joined with ", "; `undefined` when there is none. Two `Access-Control-Allow-Origin`
 * fields therefore read as one value with a comma, which no origin equals.
 */
export type HeaderGet = (name: string) => string | undefined;

/** Methods a page may use without a preflight (Fetch: CORS-safelisted method). */
export const CORS_SAFELISTED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST']);

/** The methods `fetch` upper-cases (Fetch: normalize a method); any other is sent as written. */
const NORMALIZED_METHODS: ReadonlySet<string> = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** The method as `fetch` sends it: `put` becomes `PUT`, `patch` stays `patch` (Fetch: normalize a method). */
export function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

/** Why `fetch` would refuse to send this method at all, or `undefined` when it may. */
export function methodProblem(method: string): string | undefined {
  if (!isToken(method)) return `${JSON.stringify(escapeForLog(method))} is not a method name (an HTTP token)`;
  if (FORBIDDEN_METHODS.has(method.toUpperCase())) return `${method.toUpperCase()} is a forbidden method: fetch throws instead of sending it (Fetch standard)`;
  return undefined;
}

// Fetch: forbidden request-header names. A page that sets one of these gets it silently dropped
// (or the browser's own value): it is never the page's to choose.
const FORBIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept-charset', 'accept-encoding', 'access-control-request-headers', 'access-control-request-method',
  'connection', 'content-length', 'cookie', 'cookie2', 'date', 'dnt', 'expect', 'host', 'keep-alive',
  'origin', 'referer', 'set-cookie', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via',
]);
const METHOD_OVERRIDE_HEADERS: ReadonlySet<string> = new Set(['x-http-method', 'x-http-method-override', 'x-method-override']);

/** Whether a page is forbidden to set this request header (Fetch: forbidden request-header). */
export function isForbiddenRequestHeader(name: string, value: string): boolean {
  const n = name.toLowerCase();
  if (FORBIDDEN_REQUEST_HEADERS.has(n) || n.startsWith('proxy-') || n.startsWith('sec-')) return true;
  if (METHOD_OVERRIDE_HEADERS.has(n)) return value.split(',').some((m) => FORBIDDEN_METHODS.has(m.trim().toUpperCase()));
  return false;
}

/** Fetch: CORS-unsafe request-header byte. */
// eslint-disable-next-line no-control-regex
const CORS_UNSAFE_BYTE = /[\u0000-\u0008\u000a-\u001f"():<>?@[\\\]{}\u007f]/;
/** Fetch: the bytes `Accept-Language` and `Content-Language` values may hold to be safelisted. */
const LANGUAGE_VALUE = /^[0-9A-Za-z *,.;=-]*$/;
const SAFELISTED_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
/** HTTP whitespace, as the MIME Sniffing standard strips it. */
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/** The essence (`type/subtype`, lower-cased) of a MIME type string, or `undefined` when it does not parse. */
function mimeEssence(value: string): string | undefined {
  const text = value.replace(HTTP_WHITESPACE, '');
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const type = text.slice(0, slash);
  const semicolon = text.indexOf(';', slash);
  const subtype = text.slice(slash + 1, semicolon < 0 ? undefined : semicolon).replace(HTTP_WHITESPACE, '');
  if (!isToken(type) || !isToken(subtype)) return undefined;
  return `${type}/${subtype}`.toLowerCase();
}

/** Fetch: a simple range header value with a start (`bytes=0-`, `bytes=10-20`), which is safelisted. */
function isSimpleRange(value: string): boolean {
  const m = /^bytes=([0-9]+)-([0-9]*)$/i.exec(value);
  if (!m) return false;
  return m[2] === '' || BigInt(m[1]) <= BigInt(m[2]);
}

/**
 * Whether a request header is CORS-safelisted (Fetch standard), so it needs no preflight:
 * `Accept`, `Accept-Language`, `Content-Language`, `Content-Type` (form, multipart or plain text)
 * and a simple `Range`, each only with a value of at most 128 bytes made of the allowed bytes.
 */
export function isCorsSafelistedRequestHeader(name: string, value: string): boolean {
  if (value.length > 128) return false;
  switch (name.toLowerCase()) {
    case 'accept':
      return !CORS_UNSAFE_BYTE.test(value);
    case 'accept-language':
    case 'content-language':
      return LANGUAGE_VALUE.test(value);
    case 'content-type': {
      if (CORS_UNSAFE_BYTE.test(value)) return false;
      const essence = mimeEssence(value);
      return essence !== undefined && SAFELISTED_CONTENT_TYPES.has(essence);
    }
    case 'range':
      return isSimpleRange(value);
    default:
      return false;
  }
}

/**
 * The request headers a preflight must ask for (Fetch: CORS-unsafe request-header names), as
 * `Access-Control-Request-Headers` lists them: lower-cased, without repeats, sorted. Safelisted
 * headers whose values add up to more than 1024 bytes all count as unsafe.
 */
export function corsUnsafeRequestHeaderNames(headers: Iterable<readonly [string, string]>): string[] {
  const unsafe = new Set<string>();
  const safelisted: string[] = [];
  let safelistedSize = 0;
  for (const [name, value] of headers) {
    if (isCorsSafelistedRequestHeader(name, value)) {
      safelisted.push(name.toLowerCase());
      safelistedSize += value.length;
    } else {
      unsafe.add(name.toLowerCase());
    }
  }
  if (safelistedSize > 1024) for (const name of safelisted) unsafe.add(name);
  return [...unsafe].sort();
}

/** Fetch: a redirect status. A preflight answered with one fails; fetch never follows it. */
export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Fetch: an ok status (200–299), which a preflight response needs. */
export function isOkStatus(status: number): boolean {
  return status >= 200 && status <= 299;
}

/**
 * The elements of a comma-separated header value, trimmed, empty ones skipped (as browsers
 * skip them); `undefined` when the header is absent.
 */
export function headerList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The Fetch standard's CORS check on a response: `undefined` when a script may read it, else
 * why not.
 */
export function corsCheck(get: HeaderGet, origin: string, credentials: boolean): string | undefined {
  const acao = get('access-control-allow-origin');
  if (acao === undefined) return 'the response has no Access-Control-Allow-Origin header';
  if (acao.includes(',')) return `Access-Control-Allow-Origin holds several values (${escapeForLog(acao)})`;
  if (acao === '*' && !credentials) return undefined;
  if (acao === '*') return 'Access-Control-Allow-Origin is "*", which a credentialed request does not accept';
  if (acao !== origin) return `Access-Control-Allow-Origin "${escapeForLog(acao)}" is not the page's origin "${escapeForLog(origin)}"`;
  if (!credentials) return undefined;
  const acac = get('access-control-allow-credentials');
  if (acac === 'true') return undefined;
  const got = acac === undefined ? '' : ` (it is "${escapeForLog(acac)}")`;
  return `a credentialed request needs Access-Control-Allow-Credentials: true${got}`;
}

/** The cross-origin request a preflight announces. */
export interface AnnouncedRequest {
  /** The page's origin, sent as `Origin`. */
  readonly origin: string;
  /** The method, as sent in `Access-Control-Request-Method`. */
  readonly method: string;
  /** The CORS-unsafe request-header names, lower-cased, as sent in `Access-Control-Request-Headers`. */
  readonly headers: readonly string[];
  /** `credentials: 'include'`. */
  readonly credentials: boolean;
}

const NO_WILDCARD_WITH_CREDENTIALS = ', and "*" is no wildcard for a credentialed request';

/**
 * The Fetch standard's checks on a preflight response (CORS-preflight fetch): not a redirect,
 * the CORS check, an ok status, the method in `Access-Control-Allow-Methods` unless safelisted,
 * each header in `Access-Control-Allow-Headers` (`*` counts only without credentials, and never
 * for `Authorization`). `undefined` when the browser would go on with the request; otherwise the
 * reason, starting with `preflight: `.
 */
export function preflightCheck(status: number, get: HeaderGet, request: AnnouncedRequest): string | undefined {
  const { origin, method, credentials } = request;
  if (isRedirectStatus(status)) {
    const location = get('location');
    const to = location === undefined ? '' : ` to ${escapeForLog(location)}`;
    return `preflight: the response is a redirect (${status}${to}), which a browser never follows for a preflight`;
  }
  const failed = corsCheck(get, origin, credentials);
  if (failed) return `preflight: ${failed}`;
  if (!isOkStatus(status)) return `preflight: status ${status} is not an ok status`;

  const rawMethods = get('access-control-allow-methods');
  const methods = headerList(rawMethods);
  const badMethod = methods.find((m) => !isToken(m));
  if (badMethod !== undefined) {
    return `preflight: Access-Control-Allow-Methods (${escapeForLog(rawMethods ?? '')}) does not parse: "${escapeForLog(badMethod)}" is not a method name`;
  }
  const methodOk = methods.includes(method) || CORS_SAFELISTED_METHODS.has(method) || (!credentials && methods.includes('*'));
  if (!methodOk) {
    const why = credentials && methods.includes('*') ? NO_WILDCARD_WITH_CREDENTIALS : '';
    return `preflight: method ${escapeForLog(method)} is not in Access-Control-Allow-Methods (${escapeForLog(methods.join(', ')) || 'absent'})${why}`;
  }

  const rawHeaders = get('access-control-allow-headers');
  const allowed = headerList(rawHeaders).map((h) => h.toLowerCase());
  const badHeader = allowed.find((h) => !isToken(h));
  if (badHeader !== undefined) {
    return `preflight: Access-Control-Allow-Headers (${escapeForLog(rawHeaders ?? '')}) does not parse: "${escapeForLog(badHeader)}" is not a header name`;
  }
  const wildcard = allowed.includes('*');
  // Fetch checks Authorization (the one CORS non-wildcard request-header name) first.
  const requested = request.headers.map((h) => h.toLowerCase());
  const ordered = [...requested.filter((h) => h === 'authorization'), ...requested.filter((h) => h !== 'authorization')];
  for (const name of ordered) {
    if (allowed.includes(name)) continue;
    if (wildcard && !credentials && name !== 'authorization') continue;
    let why = '';
    if (wildcard && name === 'authorization') why = ', and "*" does not cover Authorization';
    else if (wildcard && credentials) why = NO_WILDCARD_WITH_CREDENTIALS;
    return `preflight: header ${escapeForLog(name)} is not in Access-Control-Allow-Headers (${escapeForLog(allowed.join(', ')) || 'absent'})${why}`;
  }
  return undefined;
}
