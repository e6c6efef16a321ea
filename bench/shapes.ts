// The two requests every benchmark sends, and what a correctly configured server answers to
// them: shared by the wall-time harness (run.ts) and the instruction counts (instructions.ts).
import type { IncomingHttpHeaders } from 'node:http';
import { ALLOWED_ORIGIN, PREFLIGHT_HEADERS, PREFLIGHT_METHOD, PREFLIGHT_PATH, ACTUAL_PATH, type CorsVariant } from './apps.js';
import type { RequestShape } from './load.js';

export type ShapeName = 'actual' | 'preflight';

export const SHAPES: Record<ShapeName, RequestShape> = {
  actual: { method: 'GET', path: ACTUAL_PATH, headers: { origin: ALLOWED_ORIGIN } },
  preflight: {
    method: 'OPTIONS',
    path: PREFLIGHT_PATH,
    headers: {
      origin: ALLOWED_ORIGIN,
      'access-control-request-method': PREFLIGHT_METHOD,
      'access-control-request-headers': PREFLIGHT_HEADERS,
    },
  },
};

export const EXPECT_STATUS = { actual: 200, preflight: 204 } as const;

/**
 * What is wrong with a response to `shape` from a server of `variant` (empty: nothing): the
 * status, and the CORS headers that variant must send, or must not send without CORS.
 */
export function responseProblems(variant: CorsVariant, shape: ShapeName, status: number, headers: IncomingHttpHeaders): string[] {
  const problems: string[] = [];
  if (status !== EXPECT_STATUS[shape]) problems.push(`status ${status}, expected ${EXPECT_STATUS[shape]}`);
  const acao = headers['access-control-allow-origin'];
  if (variant === 'none') {
    if (acao !== undefined) problems.push(`unexpected ACAO ${String(acao)}`);
    return problems;
  }
  if (acao !== ALLOWED_ORIGIN) problems.push(`ACAO ${String(acao)}, expected ${ALLOWED_ORIGIN}`);
  if (headers['access-control-allow-credentials'] !== 'true') problems.push('no ACAC: true');
  if (!/origin/i.test(String(headers.vary ?? ''))) problems.push('no Vary: Origin');
  if (shape === 'actual' && !/X-Total-Count/i.test(String(headers['access-control-expose-headers'] ?? ''))) problems.push('no ACEH');
  if (shape === 'preflight') {
    if (!/\bPUT\b/.test(String(headers['access-control-allow-methods'] ?? ''))) problems.push('ACAM lacks PUT');
    if (String(headers['access-control-allow-headers'] ?? '').toLowerCase().replace(/\s/g, '') !== 'content-type,x-request-id') {
      problems.push(`ACAH ${String(headers['access-control-allow-headers'])}`);
    }
    if (headers['access-control-max-age'] !== '600') problems.push('ACMA is not 600');
  }
  return problems;
}

/** The response headers that carry CORS, as Node parsed them (names lower-cased, repeats joined). */
export function corsHeaders(headers: IncomingHttpHeaders): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && (name.startsWith('access-control-') || name === 'vary')) out.set(name, String(value));
  }
  return out;
}

/** The CORS headers that differ between two responses, described; empty when they match. */
export function corsDifferences(x: IncomingHttpHeaders, y: IncomingHttpHeaders, xName: string, yName: string): string[] {
  const xh = corsHeaders(x);
  const yh = corsHeaders(y);
  const differences: string[] = [];
  for (const name of new Set([...xh.keys(), ...yh.keys()])) {
    if (xh.get(name) !== yh.get(name)) differences.push(`${name}: ${xName} ${JSON.stringify(xh.get(name) ?? null)}, ${yName} ${JSON.stringify(yh.get(name) ?? null)}`);
  }
  return differences;
}
