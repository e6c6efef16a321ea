// `nest-cross-origin probe`: what a browser does for one cross-origin fetch, against any server
// reachable from here (a deployed stack, with its proxies and CDN), with the Fetch standard's
// checks from lib/fetch and findings about what breaks CORS after deployment. Node's own
// http/https clients, not fetch: fetch would follow redirects, merge repeated headers and refuse
// to let us set `Origin`.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { getDomain } from 'tldts';
import { escapeForLog } from '../core/escape.js';
import { parseOrigin } from '../core/origins.js';
import { isLoopbackHost } from '../core/safety.js';
import { isToken } from '../core/tokens.js';
import { findingsOf } from './findings.js';
import {
  CORS_SAFELISTED_METHODS, corsCheck, corsUnsafeRequestHeaderNames, isForbiddenRequestHeader,
  isRedirectStatus, methodProblem, normalizeMethod, preflightCheck, type HeaderGet,
} from '../fetch/cors-check.js';

/** A request header the page sets. Without a value, see {@link DEFAULT_VALUES}. */
export interface ProbeHeader {
  readonly name: string;
  readonly value?: string;
}

/** One cross-origin `fetch`, as a page on `origin` would make it. */
export interface ProbeOptions {
  /** The `http:` or `https:` URL the page fetches. */
  readonly url: string;
  /** The page's origin, sent as `Origin` (a serialized origin, or `null`). */
  readonly origin: string;
  /** (default: `GET`) Upper-cased as fetch does it for DELETE, GET, HEAD, OPTIONS, POST and PUT only. */
  readonly method?: string;
  readonly headers?: readonly ProbeHeader[];
  /** `credentials: 'include'`. (default: `false`) */
  readonly credentials?: boolean;
  /** Bound on each request, connection to response headers, in milliseconds. (default: 10000) */
  readonly timeout?: number;
}

export type FindingCode =
  | 'acao-duplicated'
  | 'vary-origin-missing'
  | 'preflight-redirected'
  | 'preflight-not-ok'
  | 'max-age-over-browser-cap'
  | 'wildcard-with-credentials'
  | 'allow-headers-wildcard-with-authorization';

/** Something about the answers that breaks CORS somewhere, whatever this probe's verdict. */
export interface Finding {
  readonly code: FindingCode;
  /** What was seen and why it matters; server values escaped. */
  readonly message: string;
}

/** One request the probe sent, and the answer. */
export interface ProbeExchange {
  readonly request: {
    readonly method: string;
    readonly url: string;
    /** Every header the probe set, lower-cased (Node adds `Host`, `Connection` and, for a method with a body, `Content-Length`). */
    readonly headers: Readonly<Record<string, string>>;
  };
  readonly response: {
    readonly status: number;
    /** The CORS-relevant response headers (`Access-Control-*`, `Vary`, `Location`), lower-cased, every field of each. */
    readonly headers: Readonly<Record<string, readonly string[]>>;
  };
  /** Why this response fails the browser's checks, or `null` when it passes them. */
  readonly reason: string | null;
}

/** The shape `--json` prints (README "Checking a deployed stack: probe"). */
export interface ProbeResult {
  readonly verdict: 'allowed' | 'refused';
  /** Why the browser would block the call (the failing request's reason), `null` when allowed. */
  readonly reason: string | null;
  /** The preflight, or `null` when none is needed. */
  readonly preflight: ProbeExchange | null;
  /** The request itself, or `null` when a failed preflight stopped it. */
  readonly actual: ProbeExchange | null;
  readonly findings: readonly Finding[];
}

/** The call cannot be made as given (exit code 2). */
export class ProbeUsageError extends Error {
  override name = 'ProbeUsageError';
}

/** A request got no HTTP answer: connection refused, timeout, TLS, DNS (exit code 2). */
export class ProbeNetworkError extends Error {
  override name = 'ProbeNetworkError';
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 2_147_483_647;
/** Chromium accepts response headers up to 256 KiB; Node's default (16 KiB) would fail sooner. */
const MAX_HEADER_SIZE = 256 * 1024;
const USER_AGENT = 'nest-cross-origin-probe';

/**
 * Values for `--header name` given without one: safelisted names get a value that keeps them
 * safelisted (so they need no preflight, as a page sending them would not); any other name is
 * sent empty, and counts as a header the preflight must ask for.
 */
export const DEFAULT_VALUES: Readonly<Record<string, string>> = {
  accept: '*/*',
  'accept-language': 'en',
  'content-language': 'en',
  'content-type': 'text/plain',
  range: 'bytes=0-',
};

/** The response headers shown and returned: the ones CORS reads, and where a redirect leads. */
function isCorsRelevant(lowerName: string): boolean {
  return lowerName.startsWith('access-control-') || lowerName === 'vary' || lowerName === 'location';
}

// ---------------------------------------------------------------------------------------------
// The call, checked before anything is sent.

export interface Call {
  readonly url: URL;
  readonly origin: string;
  /** As fetch sends it (normalized). */
  readonly method: string;
  /** The page's headers, one per name, values checked. */
  readonly headers: readonly (readonly [string, string])[];
  readonly credentials: boolean;
  readonly timeout: number;
}

function checkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProbeUsageError(`${JSON.stringify(escapeForLog(raw))} is not an absolute URL (e.g. https://api.example/items)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProbeUsageError(`the URL must be http: or https:, not ${escapeForLog(url.protocol)}`);
  }
  if (url.username || url.password) {
    throw new ProbeUsageError('the URL holds a user name or password, which fetch refuses (it throws a TypeError)');
  }
  url.hash = ''; // never sent
  return url;
}

function checkOrigin(raw: string, url: URL): string {
  if (raw === 'null') return raw; // sandboxed iframes, file: pages, after a cross-origin redirect
  const parsed = parseOrigin(raw);
  const example = 'e.g. https://app.example or http://localhost:3001';
  if (!parsed) {
    throw new ProbeUsageError(`--origin ${JSON.stringify(escapeForLog(raw))} is not an origin: scheme://host[:port], no path or trailing slash (${example}), or null`);
  }
  // What a browser would send for this origin; for web schemes, what the URL standard makes of it.
  let canonical = `${parsed.scheme}://${parsed.host}${parsed.port ? `:${parsed.port}` : ''}`;
  if (parsed.scheme === 'http' || parsed.scheme === 'https') {
    try {
      canonical = new URL(raw).origin;
    } catch {
      throw new ProbeUsageError(`--origin ${JSON.stringify(escapeForLog(raw))} is not a valid origin (${example})`);
    }
  }
  if (canonical !== raw) {
    throw new ProbeUsageError(`--origin ${JSON.stringify(escapeForLog(raw))} is not what a browser sends: it sends ${JSON.stringify(escapeForLog(canonical))}`);
  }
  if (raw === url.origin) {
    throw new ProbeUsageError(`--origin ${raw} is the URL's own origin: a same-origin request makes no CORS check, so there is nothing to probe`);
  }
  return raw;
}

// Node refuses to send these in a header value (everything but tab, visible ASCII and bytes 80–FF).
// eslint-disable-next-line no-control-regex
const UNSENDABLE_VALUE = /[^\t\u0020-\u007e\u0080-\u00ff]/;

function checkHeaders(headers: readonly ProbeHeader[]): [string, string][] {
  // fetch's Headers: a name given twice is one header, its values joined with ", ".
  const byName = new Map<string, [string, string]>();
  for (const h of headers) {
    const name = h.name.trim();
    if (!isToken(name)) throw new ProbeUsageError(`header name ${JSON.stringify(escapeForLog(h.name))} is not a header name (an HTTP token)`);
    const value = (h.value ?? DEFAULT_VALUES[name.toLowerCase()] ?? '').replace(/^[\t ]+|[\t ]+$/g, '');
    if (UNSENDABLE_VALUE.test(value)) {
      throw new ProbeUsageError(`the value of header ${name} holds a control character or a character beyond U+00FF, which no browser sends`);
    }
    if (isForbiddenRequestHeader(name, value)) {
      throw new ProbeUsageError(`${name} is a forbidden request header: a page cannot set it, the browser decides it (Fetch standard)`);
    }
    const key = name.toLowerCase();
    const seen = byName.get(key);
    if (seen) seen[1] = `${seen[1]}, ${value}`;
    else byName.set(key, [name, value]);
  }
  return [...byName.values()];
}

function prepare(o: ProbeOptions): Call {
  const url = checkUrl(o.url);
  const origin = checkOrigin(o.origin, url);
  const given = o.method ?? 'GET';
  const problem = methodProblem(given);
  if (problem) throw new ProbeUsageError(`--method: ${problem}`);
  const timeout = o.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_MS) {
    throw new ProbeUsageError(`--timeout must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`);
  }
  return { url, origin, method: normalizeMethod(given), headers: checkHeaders(o.headers ?? []), credentials: o.credentials === true, timeout };
}

// ---------------------------------------------------------------------------------------------
// What the browser adds on its own.

function isPotentiallyTrustworthy(scheme: string, host: string): boolean {
  return scheme === 'https' || scheme === 'wss' || (scheme === 'http' && isLoopbackHost(host));
}

/** Sec-Fetch-Site for a cross-origin request: schemeful same-site, registrable domains per the Public Suffix List. */
function fetchSite(origin: string, url: URL): 'same-site' | 'cross-site' {
  const page = parseOrigin(origin);
  if (!page || `${page.scheme}:` !== url.protocol) return 'cross-site';
  const host = url.hostname.toLowerCase();
  if (page.host === host) return 'same-site';
  const a = getDomain(page.host, { allowPrivateDomains: true });
  const b = getDomain(host, { allowPrivateDomains: true });
  return a !== null && a === b ? 'same-site' : 'cross-site';
}

/**
 * Headers Chromium sends with every CORS request and preflight that a page cannot change: the
 * `strict-origin-when-cross-origin` Referer (the page's origin), and the fetch metadata
 * `Sec-Fetch-*` headers to potentially trustworthy URLs, which some servers act on.
 */
function browserHeaders(call: Call): Record<string, string> {
  const out: Record<string, string> = { 'user-agent': USER_AGENT };
  const target = isPotentiallyTrustworthy(call.url.protocol.slice(0, -1), call.url.hostname);
  const page = call.origin === 'null' ? null : parseOrigin(call.origin);
  if (page && (target || !isPotentiallyTrustworthy(page.scheme, page.host))) out.referer = `${call.origin}/`;
  if (target) {
    out['sec-fetch-site'] = fetchSite(call.origin, call.url);
    out['sec-fetch-mode'] = 'cors';
    out['sec-fetch-dest'] = 'empty';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The wire.

export interface Answer {
  readonly status: number;
  /** Every header field as received, in order: [name as sent, value]. */
  readonly fields: readonly (readonly [string, string])[];
  readonly get: HeaderGet;
}

function answerOf(res: IncomingMessage): Answer {
  const fields: [string, string][] = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) fields.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
  const get: HeaderGet = (name) => {
    const values = fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
    return values.length ? values.join(', ') : undefined;
  };
  return { status: res.statusCode ?? 0, fields, get };
}

function describeNetworkError(error: Error & { code?: string }): string {
  const code = error.code;
  if (code === 'ECONNREFUSED') return `connection refused (${error.message})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host name does not resolve (${error.message})`;
  if (code?.startsWith('HPE_')) return `the response is not valid HTTP (${error.message})`;
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(code)) return `TLS failed: ${error.message} (${code})`;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

/** Sends one request and resolves with the status and headers; the body is not read. */
function send(what: string, call: Call, method: string, headers: Record<string, string>): Promise<Answer> {
  const label = `${what} (${method} ${call.url.href})`;
  return new Promise((resolve, reject) => {
    const open = call.url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ProbeNetworkError(`network error on the ${label}: ${escapeForLog(message)}`));
    };
    // insecureHTTPParser: browsers read header values holding control characters, which Node's
    // strict parser refuses; the probe reads heads only and never reuses a connection.
    const req = open(call.url, { method, headers, agent: false, maxHeaderSize: MAX_HEADER_SIZE, insecureHTTPParser: true }, (res) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answerOf(res));
      // The verdict needs the head only: drop the body and the connection.
      res.destroy();
    });
    const timer = setTimeout(() => {
      fail(`no response within ${call.timeout} ms (--timeout)`);
      req.destroy();
    }, call.timeout);
    req.on('error', (error) => fail(describeNetworkError(error)));
    req.end();
  });
}

function exchange(method: string, call: Call, headers: Record<string, string>, answer: Answer, reason: string | undefined): ProbeExchange {
  const shown: Record<string, string[]> = {};
  for (const [name, value] of answer.fields) {
    const key = name.toLowerCase();
    if (isCorsRelevant(key)) (shown[key] ??= []).push(value);
  }
  return { request: { method, url: call.url.href, headers }, response: { status: answer.status, headers: shown }, reason: reason ?? null };
}

// ---------------------------------------------------------------------------------------------
/** Where a redirect leads, resolved against the request URL; as written when it does not parse. */
function redirectTarget(location: string | undefined, base: URL): string | undefined {
  if (location === undefined) return undefined;
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Makes one cross-origin `fetch` as a browser would (the preflight when the Fetch standard
 * requires one, then the request; no redirect followed) and applies the standard's CORS checks.
 * Rejects with {@link ProbeUsageError} for a call that cannot be made as given, and with
 * {@link ProbeNetworkError} when a request gets no HTTP answer.
 */
export async function probe(options: ProbeOptions): Promise<ProbeResult> {
  const call = prepare(options);
  const { origin, method, credentials } = call;
  const unsafe = corsUnsafeRequestHeaderNames(call.headers);
  const extra = browserHeaders(call);
  const done = (reason: string | undefined, preflight: ProbeExchange | null, actual: ProbeExchange | null, p?: Answer, a?: Answer): ProbeResult => ({
    verdict: reason === undefined ? 'allowed' : 'refused',
    reason: reason ?? null,
    preflight,
    actual,
    findings: findingsOf(call, unsafe, p, a),
  });

  let preflight: ProbeExchange | null = null;
  let preflightAnswer: Answer | undefined;
  if (!CORS_SAFELISTED_METHODS.has(method) || unsafe.length > 0) {
    // Fetch: CORS-preflight fetch. No credentials and none of the page's headers, ever.
    const headers: Record<string, string> = { accept: '*/*', ...extra, origin, 'access-control-request-method': method };
    if (unsafe.length) headers['access-control-request-headers'] = unsafe.join(',');
    preflightAnswer = await send('preflight', call, 'OPTIONS', headers);
    const reason = preflightCheck(preflightAnswer.status, preflightAnswer.get, { origin, method, headers: unsafe, credentials });
    preflight = exchange('OPTIONS', call, headers, preflightAnswer, reason);
    if (reason !== undefined) return done(reason, preflight, null, preflightAnswer);
  }

  const headers: Record<string, string> = {};
  for (const [name, value] of call.headers) headers[name.toLowerCase()] = value;
  headers.accept ??= '*/*';
  Object.assign(headers, extra, { origin });
  const answer = await send('actual request', call, method, headers);
  // Fetch applies the CORS check to a redirect response too, before following it.
  let reason = corsCheck(answer.get, origin, credentials);
  if (reason === undefined && isRedirectStatus(answer.status)) {
    const target = redirectTarget(answer.get('location'), call.url);
    reason = `the response is a redirect (${answer.status}${target === undefined ? '' : ` to ${escapeForLog(target)}`}), which the probe does not follow: ` +
      `a browser would, sending Origin: null if it leads to another origin; probe ${target === undefined ? 'the target' : escapeForLog(target)} itself`;
  }
  // Node's client upper-cases every method on the wire, `patch` included.
  return done(reason, preflight, exchange(method.toUpperCase(), call, headers, answer, reason), preflightAnswer, answer);
}
