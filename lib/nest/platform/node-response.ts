// Writing a decision on a Node.js response: the only code that touches response headers.
// The app's own headers win over the library's; `Vary` is merged, never replaced (README
// "Origins and Vary"), whether the app set it before or passes it to writeHead later.
import type { ServerResponse } from 'node:http';
import { appendVary, VARY, type Decision, type HeaderPair } from '../../core/index.js';

type WriteHead = (this: ServerResponse, statusCode: number, reason?: unknown, headers?: unknown) => ServerResponse;

/** Merges `vary` into a `Vary` entry of raw writeHead headers ([name, value…] or [[name, value]…]). */
function mergeIntoArray(list: unknown[], vary: string): boolean {
  let done = false;
  if (list.length > 0 && Array.isArray(list[0])) {
    for (const pair of list as unknown[][]) {
      if (typeof pair[0] === 'string' && pair[0].toLowerCase() === VARY) {
        pair[1] = appendVary(pair[1] as string, vary);
        done = true;
      }
    }
  } else {
    for (let i = 0; i + 1 < list.length; i += 2) {
      if (typeof list[i] === 'string' && (list[i] as string).toLowerCase() === VARY) {
        list[i + 1] = appendVary(list[i + 1] as string, vary);
        done = true;
      }
    }
  }
  return done;
}

/** Merges `vary` into a `Vary` key of a writeHead header object (any case). */
function mergeIntoObject(headers: Record<string, unknown>, vary: string): boolean {
  for (const key in headers) {
    if (key.length === 4 && key.toLowerCase() === VARY) {
      headers[key] = appendVary(headers[key] as string | string[] | undefined, vary);
      return true;
    }
  }
  return false;
}

/**
 * Puts a decision's headers on a response whose head is about to be written, given the
 * headers argument of that writeHead call (`undefined`, an object or a raw array): each
 * header the app did not set, and `Vary` merged wherever the app put its own.
 */
export function writeAtHead(res: ServerResponse, headers: readonly HeaderPair[], vary: string | null, headersArg: unknown): void {
  const object = headersArg !== null && typeof headersArg === 'object' && !Array.isArray(headersArg) ? (headersArg as Record<string, unknown>) : undefined;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0];
    if (res.hasHeader(name) || (object !== undefined && object[name] !== undefined)) continue;
    if (object !== undefined) object[name] = headers[i][1];
    else res.setHeader(name, headers[i][1]);
  }
  if (vary === null) return;
  if (Array.isArray(headersArg) ? mergeIntoArray(headersArg, vary) : object !== undefined && mergeIntoObject(object, vary)) return;
  if (object !== undefined && !res.hasHeader(VARY)) object[VARY] = vary;
  else res.setHeader(VARY, appendVary(res.getHeader(VARY) as string | undefined, vary));
}

/**
 * Ends an automatic preflight: 204, no body, every header in one writeHead call. No
 * Content-Length: RFC 9110 §8.6 forbids it on a 204, whatever expressjs/cors does for an old
 * Safari.
 */
export function endPreflight(res: ServerResponse, d: Decision): void {
  const flat: string[] = [];
  for (let i = 0; i < d.headers.length; i++) flat.push(d.headers[i][0], d.headers[i][1]);
  if (d.vary !== null) flat.push(VARY, appendVary(res.getHeader(VARY) as string | undefined, d.vary));
  res.writeHead(204, flat);
  res.end();
}

/** Sets a preflight's headers on a response the app will write (`automaticOptions: false`). */
export function setNow(res: ServerResponse, d: Decision): void {
  for (let i = 0; i < d.headers.length; i++) res.setHeader(d.headers[i][0], d.headers[i][1]);
  if (d.vary !== null) res.setHeader(VARY, appendVary(res.getHeader(VARY) as string | undefined, d.vary));
}

/**
 * Puts `onHead` in front of `writeHead` on a prototype every response of one app inherits
 * (Express's documented `app.response`), once at start-up, so the head-time decision costs no
 * per-response setup. `onHead` gets the headers argument of the call to merge into.
 */
export function overrideWriteHead(prototype: object, onHead: (res: ServerResponse, headersArg: unknown) => void): void {
  const proto = prototype as { writeHead: WriteHead };
  const previous = proto.writeHead;
  const writeHead = function writeHeadWithCors(this: ServerResponse, statusCode: number, reason?: unknown, headers?: unknown): ServerResponse {
    // writeHead(status, headers) or writeHead(status, reason, headers).
    onHead(this, headers !== undefined ? headers : typeof reason === 'object' ? reason : undefined);
    if (headers !== undefined) return previous.call(this, statusCode, reason, headers);
    return reason !== undefined ? previous.call(this, statusCode, reason) : previous.call(this, statusCode);
  } as WriteHead;
  proto.writeHead = writeHead;
}

const kDeferred = Symbol('nest-cross-origin.deferred');
const kPrevious = Symbol('nest-cross-origin.previousWriteHead');

type Deferred = ServerResponse & {
  [kDeferred]?: { readonly headers: readonly HeaderPair[]; readonly vary: string | null };
  [kPrevious]?: WriteHead;
};

/** The `writeHead` of one response with headers deferred to its head; one shared function, no closure. */
function writeHeadDeferred(this: Deferred, statusCode: number, reason?: unknown, headers?: unknown): ServerResponse {
  const deferred = this[kDeferred];
  if (deferred !== undefined) {
    this[kDeferred] = undefined;
    writeAtHead(this, deferred.headers, deferred.vary, headers !== undefined ? headers : typeof reason === 'object' ? reason : undefined);
  }
  const previous = this[kPrevious]!;
  if (headers !== undefined) return previous.call(this, statusCode, reason, headers);
  return reason !== undefined ? previous.call(this, statusCode, reason) : previous.call(this, statusCode);
}

/**
 * Keeps a decision's headers for the moment this response's head is written, whoever writes
 * it (Fastify, into the header object it passes, which keeps Node's fast path; or Nest
 * middleware on the raw response). A later decision for the same response (Nest's 404 after
 * a matched route) replaces it.
 */
export function deferToHead(res: ServerResponse, headers: readonly HeaderPair[], vary: string | null): void {
  const r = res as Deferred;
  if (headers.length === 0 && vary === null && r[kDeferred] === undefined) return;
  r[kDeferred] = { headers, vary };
  if (r[kPrevious] === undefined) {
    r[kPrevious] = r.writeHead as WriteHead;
    r.writeHead = writeHeadDeferred as ServerResponse['writeHead'];
  }
}
