// Header and method names are HTTP tokens (RFC 9110 §5.6.2): tchar = "!" / "#" / "$" / "%" /
// "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/** Longest header or method name accepted; real ones are far shorter. */
export const MAX_TOKEN_LENGTH = 256;

/** Whether `s[start, end)` is a non-empty HTTP token of bounded length. */
export function isTokenRange(s: string, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_TOKEN_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

export function isToken(s: string): boolean {
  return isTokenRange(s, 0, s.length);
}

/** Methods the Fetch standard forbids a page to use; allowing them is a mistake. */
export const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);
