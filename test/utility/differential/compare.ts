// The comparison of a response's CORS headers with what the oracle expects (SPEC §4), and
// the few lines of text a mismatch is shown with.
import type { Expected } from './oracle.js';
import type { RawRequest, RawResponse } from '../raw-http.js';

export const ACAC = 'access-control-allow-credentials';
const ACAM = 'access-control-allow-methods';
const ACAH = 'access-control-allow-headers';
const ACEH = 'access-control-expose-headers';

/** A request as it went on the wire (target verbatim), one header a line. */
export function rawText(r: RawRequest): string {
  const headers = Object.entries(r.headers).map(([k, v]) => `    ${k}: ${v}`);
  return [`    ${r.method} ${r.target} HTTP/1.1`, ...headers, ...(r.body !== undefined ? [`    (body ${JSON.stringify(r.body)})`] : [])].join('\n');
}

/** The status and every CORS header of a response, on one line. */
export function corsHeadersText(res: RawResponse): string {
  const names = ['access-control-allow-origin', ACAC, ACAM, ACAH, ACEH, 'vary'];
  const parts = names.filter((n) => res.headers[n] !== undefined).map((n) => `${n}: ${n === 'access-control-allow-origin' ? res.acao.join(' + ') : String(res.headers[n])}`);
  return `${res.status}; ${parts.length ? parts.join('; ') : 'no CORS headers'}`;
}

/** What the oracle expects, on one line. */
export function expectedText(e: Expected): string {
  if (e.acao === undefined) return `no ACAO, no ACAC${e.varyOrigin ? ', Vary: Origin' : ''}`;
  const parts = [`ACAO ${e.acao}`, e.credentials ? 'ACAC true' : 'no ACAC'];
  if (e.varyOrigin) parts.push('Vary: Origin');
  if (e.method !== undefined) parts.push(e.method ? 'ACAM admits the method' : 'no ACAM/ACAH (method refused)');
  for (const h of e.headers ?? []) if (e.method) parts.push(`ACAH ${h.admitted ? 'admits' : 'refuses'} ${h.name}`);
  return parts.join(', ');
}

const listOf = (v: unknown): string[] => (typeof v === 'string' ? v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : []);

/** What differs between the expected CORS headers and the response's; empty when they agree. */
export function compare(e: Expected, res: RawResponse, method?: string): string[] {
  const problems: string[] = [];
  const acao = res.acao[0];
  if (acao !== e.acao) problems.push(e.acao === undefined ? 'ACAO where none is due' : acao === undefined ? 'ACAO missing' : 'ACAO wrong');
  const acac = res.headers[ACAC] === 'true';
  if (acac !== e.credentials) problems.push(e.credentials ? 'ACAC missing' : 'ACAC where none is due');
  if (e.varyOrigin && !listOf(res.headers.vary).includes('origin')) problems.push('Vary without Origin');
  if (e.acao === undefined) {
    if (res.headers[ACAM] !== undefined || res.headers[ACAH] !== undefined || res.headers[ACEH] !== undefined) problems.push('CORS headers where none are due');
    return problems;
  }
  if (e.method === undefined || method === undefined) return problems;
  const acam = listOf(res.headers[ACAM]).map((m) => m.toUpperCase());
  const methodAdmitted = acam.includes(method) || acam.includes('*');
  if (methodAdmitted !== e.method) problems.push(e.method ? 'ACAM does not admit the method' : 'ACAM admits a method a candidate refuses');
  if (!e.method && res.headers[ACAH] !== undefined) problems.push('ACAH with a refused method');
  if (e.method) {
    const acah = listOf(res.headers[ACAH]);
    for (const h of e.headers ?? []) {
      const admitted = acah.includes(h.name.toLowerCase()) || (acah.includes('*') && !e.credentials);
      if (admitted !== h.admitted) problems.push(h.admitted ? `ACAH does not admit ${h.name}` : `ACAH admits ${h.name}, which a candidate refuses`);
    }
  }
  return problems;
}
