// What `onDecision` receives: one decision as data, with stable reason codes, for metrics.
import type { CorsRequest, Decision } from './decision.js';
import type { Refusal } from './decide.js';
import { escapeForLog } from './escape.js';

/**
 * Why a CORS decision went as it did, as a stable code (metrics attributes, alerts):
 * - `allowed`: everything asked for was granted;
 * - `origin-not-allowed`: no matcher of the policy admits the Origin;
 * - `origin-timeout`, `origin-error`, `origin-pending`: an origin predicate did not settle in
 *   `originTimeout`, threw or rejected, or had not settled when the response was written;
 * - `method-not-allowed`, `header-not-allowed`, `too-many-headers`: a preflight asked for a
 *   method or header the policy does not allow, or for more than 100 headers;
 * - `cors-disabled`: `@CrossOrigin(false)` on the handler;
 * - `no-policy`: no `resources` entry matches the path.
 */
export type CorsDecisionReason =
  | 'allowed'
  | 'origin-not-allowed'
  | 'origin-timeout'
  | 'origin-error'
  | 'origin-pending'
  | 'method-not-allowed'
  | 'header-not-allowed'
  | 'too-many-headers'
  | 'cors-disabled'
  | 'no-policy';

/** One CORS decision, as `onDecision` receives it. */
export interface CorsDecisionEvent {
  /** A request to a route, a preflight, or a WebSocket gateway's handshake, poll or upgrade. */
  readonly kind: 'actual' | 'preflight' | 'gateway';
  /** The request's method; for a preflight, the method it asks for. */
  readonly method: string;
  /**
   * The handler (`Controller.method`, a gateway's class name) or the `resources` pattern whose
   * policy decided; `''` when none applies. Bounded: one value per route, never the request path.
   */
  readonly route: string;
  /** Where that policy was written: `decorator`, `disabled`, `resources`, `gateway`, or `none`. */
  readonly policy: 'decorator' | 'disabled' | 'resources' | 'gateway' | 'none';
  readonly verdict: 'allowed' | 'refused';
  readonly reason: CorsDecisionReason;
  /** The request's Origin, escaped (control characters made visible) and cut to 200 characters. */
  readonly origin: string;
}

/** The stable code of a refusal. */
export function reasonOf(refusal: Refusal | null, source: string): CorsDecisionReason {
  if (refusal === null) return 'allowed';
  switch (refusal.kind) {
    case 'origin': return 'origin-not-allowed';
    case 'origin-timeout': return 'origin-timeout';
    case 'origin-error': return 'origin-error';
    case 'origin-pending': return 'origin-pending';
    case 'method': return 'method-not-allowed';
    case 'header': return 'header-not-allowed';
    case 'header-limit': return 'too-many-headers';
    case 'no-cors': return source === 'disabled' ? 'cors-disabled' : 'no-policy';
  }
}

/** The event of a decision on an HTTP request. */
export function decisionEvent(d: Decision, r: CorsRequest): CorsDecisionEvent {
  const by = d.candidates[d.by];
  const route = d.candidates.length === 1 ? by.route : d.candidates.map((c) => c.route).join(' & ');
  return {
    kind: d.kind,
    method: escapeForLog(d.kind === 'preflight' ? r.acrm ?? '' : r.method),
    route,
    policy: by.source,
    verdict: d.verdict === 'allowed' ? 'allowed' : 'refused',
    reason: reasonOf(d.refusal, by.source),
    origin: escapeForLog(r.origin ?? ''),
  };
}
