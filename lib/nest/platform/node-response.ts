import type { ServerResponse } from 'node:http';
import { appendVary, VARY } from '../../core/index.js';
import type { CorsOutcome } from '../cors-engine.js';

const kPreviousWriteHead = Symbol('nest-cross-origin.previousWriteHead');

type GuardedResponse = ServerResponse & { [kPreviousWriteHead]?: ServerResponse['writeHead'] };

/**
 * Stands in for `res.writeHead` on responses that must vary on Origin. The app may set `Vary`
 * after us with `setHeader` (which replaces), or Fastify may pass its own `vary` to
 * `writeHead`, whose values win over ours: either way `Origin` is merged back in when the
 * headers are finally written, so a shared cache can never serve one origin's response to
 * another (SPEC §4). One shared function, no closure per request.
 */
function writeHeadWithVaryOrigin(this: GuardedResponse, ...args: unknown[]): ServerResponse {
  const last = args.length > 1 ? args[args.length - 1] : undefined;
  let merged = false;
  if (Array.isArray(last)) {
    // Raw form: [name, value, name, value…] or [[name, value]…]; a "vary" there replaces ours.
    if (last.length > 0 && Array.isArray(last[0])) {
      for (const pair of last as unknown[][]) {
        if (typeof pair[0] === 'string' && pair[0].toLowerCase() === VARY) {
          pair[1] = appendVary(pair[1] as string, 'Origin');
          merged = true;
        }
      }
    } else {
      for (let i = 0; i + 1 < last.length; i += 2) {
        if (typeof last[i] === 'string' && (last[i] as string).toLowerCase() === VARY) {
          last[i + 1] = appendVary(last[i + 1] as string, 'Origin');
          merged = true;
        }
      }
    }
  } else if (last !== null && typeof last === 'object') {
    const headers = last as Record<string, unknown>;
    for (const key of Object.keys(headers)) {
      if (key.length === 4 && key.toLowerCase() === VARY) {
        headers[key] = appendVary(headers[key] as string | string[] | undefined, 'Origin');
        merged = true;
        break;
      }
    }
  }
  if (!merged && !this.headersSent) this.setHeader(VARY, appendVary(this.getHeader(VARY) as string | undefined, 'Origin'));
  const previous = this[kPreviousWriteHead]!;
  return (previous as (...a: unknown[]) => ServerResponse).apply(this, args);
}

/** Whether CORS headers were already decided for this response (by the hook, say). */
export function hasCorsDecision(res: ServerResponse): boolean {
  return (res as GuardedResponse)[kPreviousWriteHead] !== undefined || res.getHeader('access-control-allow-origin') !== undefined;
}

/** Writes an outcome's headers on a Node response; the caller ends preflights its own way. */
export function applyHeaders(res: ServerResponse, outcome: CorsOutcome): void {
  const headers = outcome.headers;
  for (let i = 0; i < headers.length; i++) res.setHeader(headers[i][0], headers[i][1]);
  if (outcome.varyOrigin) {
    const guarded = res as GuardedResponse;
    if (guarded[kPreviousWriteHead] === undefined) {
      guarded[kPreviousWriteHead] = res.writeHead;
      res.writeHead = writeHeadWithVaryOrigin as ServerResponse['writeHead'];
    }
  }
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
  if (outcome.varyOrigin) flat.push(VARY, appendVary(res.getHeader(VARY) as string | undefined, 'Origin'));
  res.writeHead(204, flat);
  res.end();
}
