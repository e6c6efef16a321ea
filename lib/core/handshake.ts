// The decision for a request to a WebSocket gateway's server: refuse with 403, answer a preflight, or pass.
import type { CorsPolicy, HeaderPair } from './compile.js';
import { actualResponseHeaders, preflightResponse, type Refusal } from './decide.js';
import { checkOrigin, type OriginRefusal, type OriginVerdict } from './origin-decision.js';
import { DEFAULT_ORIGIN_TIMEOUT } from './options.js';

/**
 * What to do with one request to a WebSocket gateway's server (README "WebSockets"): a socket.io polling
 * request or its preflight, or an upgrade (socket.io or `ws`).
 * - `refuse`: the Origin is not allowed; answer 403 before any socket exists.
 * - `preflight`: answer 204 with these headers; the request goes no further.
 * - `pass`: hand the request on to the socket server with these headers.
 */
export type HandshakeDecision =
  | { readonly kind: 'refuse'; readonly refusal: OriginRefusal }
  | { readonly kind: 'preflight'; readonly headers: readonly HeaderPair[]; readonly refusal: Refusal | null }
  | { readonly kind: 'pass'; readonly headers: readonly HeaderPair[] };

/** The request fields a decision reads, as Node exposes them (lower-case names, one value each). */
export interface HandshakeRequest {
  readonly method: string;
  readonly origin: string | undefined;
  readonly acrm: string | undefined;
  readonly acrh: string | undefined;
  readonly acrpn: string | undefined;
}

/**
 * Decides a gateway request. Unlike an HTTP route, where a refused Origin still gets its
 * response (only without CORS headers), a gateway refuses the request itself: browsers apply
 * no CORS to a WebSocket, so a page on any origin could otherwise open one with the user's
 * cookies (cross-site WebSocket hijacking).
 *
 * A request without an Origin is passed, whatever `alwaysSend` says: browsers send Origin on
 * every upgrade and every cross-origin request, so its absence means a native client or a
 * same-origin polling GET, neither of which a hijacking page can make. `alwaysSend` keeps its
 * HTTP meaning: whether such a response carries `Access-Control-Allow-Origin`.
 *
 * Synchronous unless an origin predicate is async, and then bounded by `timeout` (the module's
 * `originTimeout`, README "Faults"); `request` is handed to predicates as is.
 */
export function decideHandshake(policy: CorsPolicy, r: HandshakeRequest, request: unknown, timeout = DEFAULT_ORIGIN_TIMEOUT): HandshakeDecision | Promise<HandshakeDecision> {
  const origin = r.origin;
  if (!origin) return { kind: 'pass', headers: actualResponseHeaders(policy, undefined, false, undefined) };
  const finish = (allowed: OriginVerdict): HandshakeDecision => {
    if (allowed !== true) return { kind: 'refuse', refusal: allowed };
    if (r.method === 'OPTIONS' && r.acrm) {
      const outcome = preflightResponse(policy, origin, true, r.acrm, r.acrh, r.acrpn);
      return { kind: 'preflight', headers: outcome.headers, refusal: outcome.refusal };
    }
    return { kind: 'pass', headers: actualResponseHeaders(policy, origin, true, r.acrpn) };
  };
  const allowed = checkOrigin(policy.origins, origin, request, timeout);
  return allowed instanceof Promise ? allowed.then(finish) : finish(allowed);
}
