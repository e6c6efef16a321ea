import type { ServerResponse } from 'node:http';
import { ACAO, appendVary, VARY, type HeaderPair } from '../../core/index.js';
import type { CorsOutcome } from '../cors-engine.js';

const kPreviousWriteHead = Symbol('nest-cross-origin.previousWriteHead');
const kDeferred = Symbol('nest-cross-origin.deferredHeaders');
const kVary = Symbol('nest-cross-origin.vary');
const kApplied = Symbol('nest-cross-origin.applied');

type GuardedResponse = ServerResponse & {
  [kPreviousWriteHead]?: ServerResponse['writeHead'];
  /** Headers to add when the head is written (Fastify), unless the app set them itself. */
  [kDeferred]?: readonly HeaderPair[];
  /** The names the response's `Vary` must list, or `undefined`. */
  [kVary]?: string | null;
  /** The decision whose headers were set on the response (Express). */
  [kApplied]?: CorsOutcome;
};

function mergeIntoObject(res: ServerResponse, headers: Record<string, unknown>, deferred: readonly HeaderPair[] | undefined, vary: string | null | undefined): boolean {
  let varyDone = !vary;
  if (deferred) {
    for (let i = 0; i < deferred.length; i++) {
      // Fastify lower-cases the names it passes; a header the app set wins over ours.
      if (headers[deferred[i][0]] === undefined) headers[deferred[i][0]] = deferred[i][1];
    }
  }
  if (!varyDone) {
    // Fastify passes lower-case names; a raw writer may not. for…in builds no key array.
    for (const key in headers) {
      if (key.length === 4 && key.toLowerCase() === VARY) {
        headers[key] = appendVary(headers[key] as string | string[] | undefined, vary!);
        varyDone = true;
        break;
      }
    }
    if (!varyDone) {
      // Into the object too: a setHeader() now would send Node down its slow merge path.
      headers[VARY] = appendVary(res.getHeader(VARY) as string | undefined, vary!);
      varyDone = true;
    }
  }
  return varyDone;
}

function mergeIntoArray(list: unknown[], vary: string | null | undefined): boolean {
  // Raw form: [name, value, name, value…] or [[name, value]…]; a "vary" there replaces ours.
  if (!vary) return true;
  let varyDone = false;
  if (list.length > 0 && Array.isArray(list[0])) {
    for (const pair of list as unknown[][]) {
      if (typeof pair[0] === 'string' && pair[0].toLowerCase() === VARY) {
        pair[1] = appendVary(pair[1] as string, vary);
        varyDone = true;
      }
    }
  } else {
    for (let i = 0; i + 1 < list.length; i += 2) {
      if (typeof list[i] === 'string' && (list[i] as string).toLowerCase() === VARY) {
        list[i + 1] = appendVary(list[i + 1] as string, vary);
        varyDone = true;
      }
    }
  }
  return varyDone;
}

/**
 * Stands in for `res.writeHead` on responses with CORS work left for the moment the head is
 * written:
 * - deferred headers (Fastify) go into the header object Fastify passes, so Node keeps its
 *   fast path (an earlier `setHeader` makes it merge every header one by one); a response
 *   written on the raw socket (Nest middleware) gets them through `setHeader` instead;
 * - `Vary: Origin` is merged into whatever `Vary` the app set after us, with `setHeader`
 *   (which replaces) or in the `writeHead` arguments (which win over `setHeader`), so a
 *   shared cache never serves one origin's response to another (SPEC §4).
 * One shared function: no closure per request.
 */
function writeHeadWithCors(this: GuardedResponse, statusCode: number, reason?: unknown, headers?: unknown): ServerResponse {
  const deferred = this[kDeferred];
  const vary = this[kVary];
  // Most responses have nothing left to add: no argument array is built for them.
  if (deferred === undefined && !vary) return (this[kPreviousWriteHead] as (...a: unknown[]) => ServerResponse).call(this, statusCode, reason, headers);
  const args: unknown[] = headers !== undefined ? [statusCode, reason, headers] : reason !== undefined ? [statusCode, reason] : [statusCode];
  const last = args.length > 1 ? args[args.length - 1] : undefined;
  let varyDone = !vary;
  let deferredDone = deferred === undefined;
  if (Array.isArray(last)) {
    varyDone = mergeIntoArray(last, vary);
  } else if (last !== null && typeof last === 'object') {
    varyDone = mergeIntoObject(this, last as Record<string, unknown>, deferred, vary);
    deferredDone = true;
  }
  if (!this.headersSent) {
    if (!deferredDone) {
      for (let i = 0; i < deferred!.length; i++) if (!this.hasHeader(deferred![i][0])) this.setHeader(deferred![i][0], deferred![i][1]);
    }
    if (!varyDone) this.setHeader(VARY, appendVary(this.getHeader(VARY) as string | undefined, vary!));
  }
  return (this[kPreviousWriteHead] as (...a: unknown[]) => ServerResponse).apply(this, args);
}

function guard(res: GuardedResponse): void {
  if (res[kPreviousWriteHead] === undefined) {
    res[kPreviousWriteHead] = res.writeHead;
    res.writeHead = writeHeadWithCors as ServerResponse['writeHead'];
  }
}

/**
 * Puts the `writeHead` stand-in on a prototype every response of one app inherits from
 * (Express's documented `app.response`), once at start-up, so no response is touched per
 * request. Responses with nothing for it pass straight through.
 */
export function guardResponses(prototype: object): void {
  const proto = prototype as GuardedResponse;
  if (Object.prototype.hasOwnProperty.call(proto, kPreviousWriteHead)) return;
  proto[kPreviousWriteHead] = proto.writeHead;
  proto.writeHead = writeHeadWithCors as ServerResponse['writeHead'];
}

/** Whether CORS headers were already decided for this response (by the hook, say). */
export function hasCorsDecision(res: ServerResponse): boolean {
  const guarded = res as GuardedResponse;
  return guarded[kApplied] !== undefined || guarded[kDeferred] !== undefined || res.getHeader(ACAO) !== undefined;
}

/**
 * Writes an outcome's headers on a Node response now, replacing those of an earlier
 * decision for the same response (when the handler Express dispatched to is not the one
 * predicted); the caller ends preflights its own way.
 */
export function applyHeaders(res: ServerResponse, outcome: CorsOutcome): void {
  const guarded = res as GuardedResponse;
  const previous = guarded[kApplied];
  if (previous !== undefined && previous !== outcome) {
    for (const [name] of previous.headers) res.removeHeader(name);
  }
  guarded[kApplied] = outcome;
  const headers = outcome.headers;
  for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1]);
  if (outcome.vary !== null || guarded[kVary] != null) {
    guarded[kVary] = outcome.vary;
    guard(guarded);
  }
}

/** The decision last applied to a response with {@link applyHeaders}, if any. */
export function appliedOutcome(res: ServerResponse): CorsOutcome | undefined {
  return (res as GuardedResponse)[kApplied];
}

/**
 * Keeps an outcome's headers for the moment the head is written (see `writeHeadWithCors`).
 * Until then `getHeader()` does not show them.
 */
export function deferHeaders(res: ServerResponse, outcome: CorsOutcome): void {
  const guarded = res as GuardedResponse;
  // A later decision for the same response (Nest's 404 after a matched route) replaces it.
  if (outcome.headers.length === 0 && outcome.vary === null && guarded[kDeferred] === undefined && guarded[kVary] == null) return;
  guarded[kDeferred] = outcome.headers.length > 0 ? outcome.headers : undefined;
  guarded[kVary] = outcome.vary;
  guard(guarded);
}

/**
 * Ends an automatic preflight: 204, no body, every header in one `writeHead` call (cheaper
 * than one `setHeader` each; Node merges them with any header set earlier). No
 * Content-Length: RFC 9110 §8.6 forbids it on a 204, whatever expressjs/cors does for an old
 * Safari.
 */
export function endPreflight(res: ServerResponse, outcome: CorsOutcome): void {
  const headers = outcome.headers;
  const flat: string[] = [];
  for (let i = 0; i < headers.length; i++) flat.push(headers[i][0], headers[i][1]);
  if (outcome.vary !== null) flat.push(VARY, appendVary(res.getHeader(VARY) as string | undefined, outcome.vary));
  // Ours is in the list already: the stand-in must not merge it a second time.
  if ((res as GuardedResponse)[kVary] != null) (res as GuardedResponse)[kVary] = null;
  res.writeHead(204, flat);
  res.end();
}
