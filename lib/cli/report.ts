// How the probe's result is printed: for people (verdict, reason, each request and its CORS
// headers, findings) and as JSON. Everything a server sent is escaped: a response header can
// hold terminal escape sequences.
import { escapeForLog } from '../core/escape.js';
import type { ProbeExchange, ProbeResult } from './probe.js';

/** `access-control-allow-origin` → `Access-Control-Allow-Origin`. */
function displayName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Request headers the browser adds that CORS does not read: in --json, not in the report. */
const HIDDEN_REQUEST_HEADERS = new Set(['user-agent', 'referer', 'sec-fetch-site', 'sec-fetch-mode', 'sec-fetch-dest']);

function describeExchange(title: string, e: ProbeExchange): string[] {
  const lines = [`${title}: ${e.request.method} ${escapeForLog(e.request.url)}`];
  for (const [name, value] of Object.entries(e.request.headers)) {
    if (HIDDEN_REQUEST_HEADERS.has(name)) continue;
    if (name === 'accept' && value === '*/*') continue; // fetch's default
    lines.push(`  > ${displayName(name)}: ${escapeForLog(value)}`);
  }
  lines.push(`  < status ${e.response.status}`);
  const shown = Object.entries(e.response.headers);
  for (const [name, values] of shown) for (const value of values) lines.push(`  < ${escapeForLog(displayName(name))}: ${escapeForLog(value)}`);
  if (!shown.some(([name]) => name.startsWith('access-control-'))) lines.push('  < (no Access-Control-* header)');
  lines.push(e.reason === null ? '  passes the CORS checks' : `  fails: ${e.reason}`);
  return lines;
}

/** The human report: verdict, reason, each request with its CORS headers, findings. */
export function formatReport(result: ProbeResult, credentials: boolean): string {
  const first = (result.preflight ?? result.actual)!;
  const origin = first.request.headers.origin;
  // As fetch sends it: the preflight announces it so; Node upper-cases every method on the wire.
  const method = result.preflight?.request.headers['access-control-request-method'] ?? result.actual!.request.method;
  const lines: string[] = [];
  lines.push(`Verdict: ${result.verdict}`);
  if (result.reason !== null) lines.push(`Reason: ${result.reason}`);
  else lines.push(`A script on ${origin} can read the response (status ${result.actual!.response.status}).`);
  lines.push(`Call: ${escapeForLog(method)} ${escapeForLog(first.request.url)} from ${origin}${credentials ? ', credentials: include' : ''}`);
  if (method !== method.toUpperCase()) {
    lines.push(`Note: fetch sends the method ${escapeForLog(method)} as written (it upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT), ` +
      `and servers compare methods case-sensitively. (The probe's own request goes out as ${escapeForLog(method.toUpperCase())}: Node upper-cases every method.)`);
  }
  lines.push('');
  if (result.preflight) lines.push(...describeExchange('Preflight', result.preflight));
  else lines.push('Preflight: not needed (a CORS-safelisted method with CORS-safelisted headers only)');
  lines.push('');
  if (result.actual) lines.push(...describeExchange('Actual request', result.actual));
  else lines.push('Actual request: not sent, the preflight failed');
  lines.push('');
  if (result.findings.length === 0) {
    lines.push('Findings: none');
  } else {
    lines.push(`Findings (${result.findings.length}):`);
    for (const f of result.findings) lines.push(`  ${f.code}: ${f.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The result as JSON. JSON.stringify escapes C0 controls but not DEL, the C1 controls (a
 * terminal reads U+009B as CSI) or the line separators: those become \u escapes too, so the
 * output stays valid JSON and inert in a terminal.
 */
export function formatJson(result: ProbeResult): string {
  const text = JSON.stringify(result, null, 2).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `${text}\n`;
}
