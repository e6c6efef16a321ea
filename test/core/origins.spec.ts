import { compileOrigins, isOriginAllowed, isWellFormedOrigin, parseOrigin, parseOriginPattern, MAX_ORIGIN_LENGTH } from '../../lib/core/index.js';
import type { OriginSpec } from '../../lib/core/index.js';

describe('parseOrigin', () => {
  it.each([
    { desc: 'https host', input: 'https://a.example.com', want: { scheme: 'https', host: 'a.example.com', port: '' } },
    { desc: 'port', input: 'http://localhost:8080', want: { scheme: 'http', host: 'localhost', port: '8080' } },
    { desc: 'upper case folded', input: 'HTTPS://A.Example.COM', want: { scheme: 'https', host: 'a.example.com', port: '' } },
    { desc: 'IPv6', input: 'http://[::1]:3000', want: { scheme: 'http', host: '[::1]', port: '3000' } },
    { desc: 'custom scheme', input: 'chrome-extension://abcdef', want: { scheme: 'chrome-extension', host: 'abcdef', port: '' } },
    { desc: 'a host ending in a dot (fully qualified)', input: 'https://example.com.', want: { scheme: 'https', host: 'example.com.', port: '' } },
    { desc: 'localhost ending in a dot, with a port', input: 'http://localhost.:3000', want: { scheme: 'http', host: 'localhost.', port: '3000' } },
  ])('accepts $desc', ({ input, want }) => {
    expect(parseOrigin(input)).toEqual(want);
  });

  it.each([
    { desc: 'null', input: 'null' },
    { desc: 'empty', input: '' },
    { desc: 'trailing slash', input: 'https://a.com/' },
    { desc: 'path', input: 'https://a.com/x' },
    { desc: 'query', input: 'https://a.com?x' },
    { desc: 'fragment', input: 'https://a.com#x' },
    { desc: 'userinfo', input: 'https://u@a.com' },
    { desc: 'no scheme', input: 'a.com' },
    { desc: 'empty host', input: 'https://' },
    { desc: 'empty label', input: 'https://a..com' },
    { desc: 'leading dot', input: 'https://.a.com' },
    { desc: 'two trailing dots', input: 'https://a.com..' },
    { desc: 'a dot alone', input: 'https://.' },
    { desc: 'port 0', input: 'https://a.com:0' },
    { desc: 'port too big', input: 'https://a.com:65536' },
    { desc: 'port leading zero', input: 'https://a.com:080' },
    { desc: 'empty port', input: 'https://a.com:' },
    { desc: 'whitespace', input: 'https://a.com ' },
    { desc: 'non-ascii', input: 'https://résumé.com' },
    { desc: 'bad IPv6', input: 'http://[zz]' },
    { desc: 'too long', input: `https://${'a'.repeat(MAX_ORIGIN_LENGTH)}.com` },
  ])('refuses $desc', ({ input }) => {
    expect(parseOrigin(input)).toBeNull();
  });
});

describe('parseOriginPattern', () => {
  it.each([
    { desc: 'subdomains', input: 'https://*.example.com', want: { scheme: 'https', host: 'example.com', anySubdomain: true, port: '' } },
    { desc: 'any port', input: 'http://localhost:*', want: { scheme: 'http', host: 'localhost', anySubdomain: false, port: '*' } },
    { desc: 'both', input: 'http://*.local.test:*', want: { scheme: 'http', host: 'local.test', anySubdomain: true, port: '*' } },
    { desc: 'subdomains of a fully qualified host', input: 'https://*.example.com.', want: { scheme: 'https', host: 'example.com.', anySubdomain: true, port: '' } },
  ])('compiles $desc', ({ input, want }) => {
    expect(parseOriginPattern(input)).toEqual(want);
  });

  it.each([
    { desc: 'star inside a label', input: 'https://foo*.example.com' },
    { desc: 'star scheme', input: '*://example.com' },
    { desc: 'star mid host', input: 'https://a.*.example.com' },
    { desc: 'partial port', input: 'http://localhost:80*' },
    { desc: 'path', input: 'https://*.example.com/' },
    { desc: 'no scheme', input: '*.example.com' },
  ])('refuses $desc', ({ input }) => {
    expect(typeof parseOriginPattern(input)).toBe('string');
  });
});

function allows(specs: OriginSpec[], origin: string): boolean | Promise<boolean> {
  return isOriginAllowed(compileOrigins(specs), origin, {});
}

describe('isOriginAllowed (SPEC §5)', () => {
  it.each([
    { desc: 'exact, case-insensitive', specs: ['https://App.Example.com'], origin: 'https://app.example.COM', want: true },
    { desc: 'exact is not a prefix', specs: ['https://example.com'], origin: 'https://example.com.evil.io', want: false },
    { desc: 'exact is not a suffix', specs: ['https://example.com'], origin: 'https://evilexample.com', want: false },
    { desc: 'exact port must match', specs: ['http://localhost:3000'], origin: 'http://localhost:3001', want: false },
    { desc: 'exact scheme must match', specs: ['https://a.com'], origin: 'http://a.com', want: false },
    { desc: 'wildcard one label', specs: ['https://*.example.com'], origin: 'https://a.example.com', want: true },
    { desc: 'wildcard many labels', specs: ['https://*.example.com'], origin: 'https://a.b.example.com', want: true },
    { desc: 'wildcard never the apex', specs: ['https://*.example.com'], origin: 'https://example.com', want: false },
    { desc: 'wildcard look-alike', specs: ['https://*.example.com'], origin: 'https://evilexample.com', want: false },
    { desc: 'wildcard suffix attack', specs: ['https://*.example.com'], origin: 'https://a.example.com.evil.io', want: false },
    { desc: 'wildcard scheme', specs: ['https://*.example.com'], origin: 'http://a.example.com', want: false },
    { desc: 'wildcard with port refused', specs: ['https://*.example.com'], origin: 'https://a.example.com:8443', want: false },
    { desc: 'any port', specs: ['http://localhost:*'], origin: 'http://localhost:5173', want: true },
    { desc: 'any port includes none', specs: ['http://localhost:*'], origin: 'http://localhost', want: true },
    { desc: 'any port, other host', specs: ['http://localhost:*'], origin: 'http://localhost.evil.io:1', want: false },
    { desc: 'RegExp matches the whole origin', specs: [/https:\/\/.*\.example\.com/], origin: 'https://x.example.com', want: true },
    { desc: 'RegExp is anchored at the end', specs: [/https:\/\/.*\.example\.com/], origin: 'https://x.example.com.evil.io', want: false },
    { desc: 'RegExp is anchored at the start', specs: [/example\.com/], origin: 'https://example.com', want: false },
    { desc: 'star allows any valid origin', specs: ['*'], origin: 'https://anything.test', want: true },
    { desc: 'star does not allow null', specs: ['*'], origin: 'null', want: false },
    { desc: 'null when listed', specs: ['null'], origin: 'null', want: true },
    { desc: 'null not listed', specs: ['https://a.com'], origin: 'null', want: false },
    { desc: 'malformed origin never allowed, even by star', specs: ['*'], origin: 'https://a.com/path', want: false },
    { desc: 'malformed origin never reaches a RegExp', specs: [/.*/], origin: 'not an origin', want: false },
    { desc: 'a dotted host is its own origin: listed', specs: ['https://example.com.'], origin: 'https://example.com.', want: true },
    { desc: 'a dotted host is its own origin: not the dotless one', specs: ['https://example.com.'], origin: 'https://example.com', want: false },
    { desc: 'a dotless host does not admit the dotted one', specs: ['https://example.com'], origin: 'https://example.com.', want: false },
    { desc: 'star admits a dotted host', specs: ['*'], origin: 'http://localhost.:3000', want: true },
    { desc: 'a dotted wildcard admits dotted subdomains', specs: ['https://*.example.com.'], origin: 'https://a.example.com.', want: true },
    { desc: 'a dotted wildcard does not admit dotless subdomains', specs: ['https://*.example.com.'], origin: 'https://a.example.com', want: false },
    { desc: 'a dotless wildcard does not admit dotted subdomains', specs: ['https://*.example.com'], origin: 'https://a.example.com.', want: false },
    { desc: 'a dotted wildcard is never the apex', specs: ['https://*.example.com.'], origin: 'https://example.com.', want: false },
    { desc: 'any port on a dotted host', specs: ['http://localhost.:*'], origin: 'http://localhost.:5173', want: true },
    { desc: 'a RegExp sees the dotted host', specs: [/https:\/\/a\.example\.com\./], origin: 'https://a.example.com.', want: true },
    { desc: 'array: any entry', specs: ['https://a.com', 'https://*.b.com', /https:\/\/c\.com/], origin: 'https://x.b.com', want: true },
  ])('$desc', ({ specs, origin, want }) => {
    expect(allows(specs as OriginSpec[], origin)).toBe(want);
  });

  it('g and y flags never make results alternate', () => {
    const m = compileOrigins([/https:\/\/a\.com/g, /https:\/\/b\.com/y]);
    const results = [1, 2, 3, 4].flatMap(() => [isOriginAllowed(m, 'https://a.com', {}), isOriginAllowed(m, 'https://b.com', {})]);
    expect(results).toEqual(Array(8).fill(true));
  });

  it('calls a sync predicate with the origin and the request', () => {
    const seen: unknown[] = [];
    const req = { id: 1 };
    const m = compileOrigins([(o: string, r: unknown) => (seen.push(o, r), o.endsWith('.ok'))]);
    expect(isOriginAllowed(m, 'https://x.ok', req)).toBe(true);
    expect(isOriginAllowed(m, 'https://x.no', req)).toBe(false);
    expect(seen).toEqual(['https://x.ok', req, 'https://x.no', req]);
  });

  it('awaits an async predicate', async () => {
    const m = compileOrigins([async (o: string) => o === 'https://db.test']);
    await expect(isOriginAllowed(m, 'https://db.test', {})).resolves.toBe(true);
    await expect(isOriginAllowed(m, 'https://other.test', {})).resolves.toBe(false);
  });

  it('treats a throwing or rejecting predicate as a refusal and tries the next', async () => {
    const m = compileOrigins([() => { throw new Error('boom'); }, async () => { throw new Error('later'); }, (o: string) => o === 'https://c.test']);
    await expect(isOriginAllowed(m, 'https://c.test', {})).resolves.toBe(true);
    await expect(isOriginAllowed(m, 'https://d.test', {})).resolves.toBe(false);
  });

  it('admits only literal true from a predicate', () => {
    const m = compileOrigins([(() => 'yes') as never, (() => 1) as never]);
    expect(isOriginAllowed(m, 'https://a.test', {})).toBe(false);
  });

  it('a single exact origin is the static origin; anything else is not', () => {
    expect(compileOrigins(['https://a.com']).staticOrigin).toBe('https://a.com');
    expect(compileOrigins(['https://a.com', 'https://b.com']).staticOrigin).toBeNull();
    expect(compileOrigins(['https://*.a.com']).staticOrigin).toBeNull();
    expect(compileOrigins(['null']).staticOrigin).toBeNull();
  });
});

describe('isWellFormedOrigin agrees with parseOrigin', () => {
  it.each([
    'https://a.example.com', 'http://localhost:8080', 'HTTPS://A.Example.COM', 'http://[::1]:3000', 'chrome-extension://abcdef',
    'null', '', 'https://a.com/', 'https://a.com/x', 'https://a.com?x', 'https://u@a.com', 'a.com', 'https://', 'https://a..com',
    'https://.a.com', 'https://a.com.', 'https://a.com:0', 'https://a.com:65535', 'https://a.com:65536', 'https://a.com:99999',
    'https://a.com:080', 'https://a.com:', 'https://a.com ', 'https://résumé.com', 'http://[zz]', 'http://[]', 'http://[::1]:65536',
    'http://[1:2]', `https://${'a'.repeat(400)}.com`, 'https://a_b.com', 'https://-a.com', 'x+y.z://h',
    'http://localhost.:3000', 'https://a.com..', 'https://.', 'https://a.com.:8080', 'http://[::1].',
  ])('%p', (origin) => {
    expect(isWellFormedOrigin(origin)).toBe(parseOrigin(origin) !== null);
  });
});
