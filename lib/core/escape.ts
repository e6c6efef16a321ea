// Making request-supplied text safe for a log line or a terminal.
const MAX_LOGGED_LENGTH = 200;

/**
 * Makes a request-supplied value safe for a log line (CVE-2024-1681): control characters,
 * CR and LF included, become visible escapes, and the value is cut to a bounded length.
 * Framework-free, so the probe CLI escapes what a server sends the same way explain mode
 * escapes what a request sends.
 */
export function escapeForLog(value: string): string {
  const cut = value.length > MAX_LOGGED_LENGTH ? `${value.slice(0, MAX_LOGGED_LENGTH)}…` : value;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g, (ch) => {
    if (ch === '\\') return '\\\\';
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
