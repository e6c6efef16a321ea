// Shared kit for the property-based and adversarial specs: request-origin and configuration
// generators that know, by construction, what SPEC §5 says about each value, an oracle for
// the CORS headers written from SPEC §4/§5/§7 without calling the library's matchers, and the
// assertions the core and HTTP properties share.
import { expect } from '@jest/globals';
import fc from 'fast-check';
import type { CorsOptions, HeaderSpec, OriginSpec } from '../../lib/index.js';
import { SAFETY_OPT_INS } from '../../lib/core/index.js';

/** Three-valued verdict: SPEC pins some cases down and leaves a few open ('either'). */
export type Verdict = 'yes' | 'no' | 'either';

function or(a: Verdict, b: Verdict): Verdict {
  if (a === 'yes' || b === 'yes') return 'yes';
  if (a === 'either' || b === 'either') return 'either';
  return 'no';
}

// ---------------------------------------------------------------------------------------------
// Request origins

/**
 * A request Origin and what is known about it. `form` is 'valid' for a serialized origin
 * `scheme://host[:port]` (any letter case), 'null' for the opaque origin, 'invalid' for values
 * that are not origins at all (userinfo, path, list, bad port…; SPEC §7 and the library's
 * contract: nothing malformed is ever echoed), and 'doubtful' for strings whose status as
 * an origin SPEC does not settle (a trailing-dot FQDN, 'NULL'): only the safety properties
 * are checked for those.
 */
export interface ReqOrigin {
  readonly value: string;
  readonly form: 'valid' | 'null' | 'invalid' | 'doubtful';
  /** For 'valid' (and trailing-dot 'doubtful'): the parts, lower-cased; port '' when absent. */
  readonly scheme?: string;
  readonly host?: string;
  readonly port?: string;
  readonly note?: string;
}

export const HOSTS = [
  'example.com', 'a.example.com', 'a.b.example.com', 'evilexample.com', 'example.com.evil.io',
  'a.example.com.evil.io', 'localhost', 'app.test', 'admin.test', 'partner.test', 'x.trusted.test',
  'trusted.test', 'example.org', 'a.example.org', 'b-c.example.org', '[::1]', '[2001:db8::1]',
  '127.0.0.1', 'xn--bcher-kva.example.com', 'aaaa.example.co',
] as const;
const SCHEMES = ['http', 'https', 'wss'] as const;
const PORTS = ['', '80', '443', '3000', '8080', '8443', '65535'] as const;

/** Flips the case of the letters at the positions set in `mask` (bit i for letter i mod 31). */
function flipCase(s: string, mask: number): string {
  if (mask === 0) return s;
  let out = '';
  let letter = 0;
  for (const ch of s) {
    const lower = ch.toLowerCase();
    const upper = ch.toUpperCase();
    if (lower !== upper) {
      out += (mask >>> letter % 31) & 1 ? (ch === lower ? upper : lower) : ch;
      letter++;
    } else out += ch;
  }
  return out;
}

// Origins each configured entry admits (exact, pattern, RegExp, predicate): drawn often, so
// that every kind of matcher, and every RegExp flag, is exercised on a hit and not only on
// misses. Random combinations supply the near misses.
const TARGETS: readonly (readonly [string, string, string])[] = [
  ['http', 'localhost', '3000'], ['http', 'localhost', '8080'], ['https', 'a.example.com', ''], ['https', 'a.b.example.com', ''],
  ['http', 'a.example.com', '8080'], ['https', 'app.test', ''], ['https', 'admin.test', ''], ['https', 'a.example.org', ''],
  ['https', 'example.org', ''], ['https', 'example.org', '8443'], ['https', 'a.example.org', '8443'], ['http', 'partner.test', ''],
  ['https', 'partner.test', ''], ['wss', 'partner.test', ''], ['https', 'x.trusted.test', ''], ['http', '[::1]', '8080'],
  ['https', 'example.com', ''],
];

const baseParts = fc.record({
  target: fc.oneof(
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...SCHEMES), fc.constantFrom(...HOSTS), fc.constantFrom(...PORTS)) },
    { weight: 1, arbitrary: fc.constantFrom(...TARGETS) },
  ),
  mask: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x7fffffff }) }),
}).map(({ target: [scheme, host, port], mask }) => ({ scheme, host, port, mask }));

/** A well-formed origin, random letter case (mixed-case hosts are the same origin). */
export const validOrigin: fc.Arbitrary<ReqOrigin> = baseParts.map(({ scheme, host, port, mask }) => {
  const text = `${scheme}://${host}${port ? `:${port}` : ''}`;
  return { value: flipCase(text, mask), form: 'valid' as const, scheme, host, port };
});

/** Values that are not serialized origins: look-alikes a lax parser would accept. */
export const invalidOrigin: fc.Arbitrary<ReqOrigin> = fc
  .tuple(baseParts, fc.constantFrom(...HOSTS), fc.nat(23))
  .map(([{ scheme, host, port, mask }, other, kind]): ReqOrigin => {
    const p = port ? `:${port}` : '';
    const base = flipCase(`${scheme}://${host}${p}`, mask);
    const make = (value: string, note: string): ReqOrigin => ({ value, form: 'invalid', note });
    switch (kind) {
      case 0: return make(`${scheme}://u@${host}${p}`, 'userinfo');
      case 1: return make(`${scheme}://u:p@${host}${p}`, 'userinfo with password');
      case 2: return make(`${base}/`, 'trailing slash');
      case 3: return make(`${base}/x/y`, 'path');
      case 4: return make(`${base}?q=1`, 'query');
      case 5: return make(`${base}#f`, 'fragment');
      case 6: return make(`${scheme}://${host}:0`, 'port 0');
      case 7: return make(`${scheme}://${host}:99999`, 'port out of range');
      case 8: return make(`${scheme}://${host}:080`, 'port with a leading zero');
      case 9: return make(`${scheme}://${host}:`, 'empty port');
      case 10: return make(`${host}${p}`, 'no scheme');
      case 11: return make(`//${host}${p}`, 'scheme-relative');
      case 12: return make(`${base}, ${scheme}://${other}`, 'a list of two origins');
      case 13: return make(`${base} ${scheme}://${other}`, 'two origins separated by a space');
      case 14: return make(`${base}\\@${other}`, 'backslash');
      case 15: return make(`${scheme}://a%2e${host}`, 'percent-encoding in host');
      case 16: return make(`${scheme}://bücher.${host}`, 'non-ASCII host (browsers send punycode)');
      case 17: return make(`${scheme}://${'a'.repeat(400)}.${host}`, 'host longer than DNS allows');
      case 18: return make(`${scheme}://${scheme}://${host}`, 'doubled scheme');
      case 19: return make(`${scheme}:///${host}${p}`, 'three slashes');
      case 20: return make(`${scheme}://${host.replace(/^\[|\]$/g, '')}:8080x`, 'garbage after port');
      case 21: return make(`${scheme}://[${host}${p}`, 'unclosed IPv6 bracket');
      case 22: return make(`${scheme}://${host}:${port || '8080'}.${other}`, 'origin with a port used as a prefix');
      default: return make(`${scheme}:/${host}${p}`, 'one slash');
    }
  });

/** Origins SPEC does not settle, checked only for the safety properties. */
export const doubtfulOrigin: fc.Arbitrary<ReqOrigin> = fc.oneof(
  baseParts
    .filter(({ host }) => !host.startsWith('['))
    .map(({ scheme, host, port }) => ({
      value: `${scheme}://${host}.${port ? `:${port}` : ''}`,
      form: 'doubtful' as const,
      scheme, host: `${host}.`, port, note: 'trailing-dot FQDN',
    })),
  fc.constantFrom<ReqOrigin>({ value: 'NULL', form: 'doubtful', note: 'upper-case null' }),
);

export const nullOrigin: ReqOrigin = { value: 'null', form: 'null' };

/** Strings only the pure core can receive (an HTTP parser rejects them or trims them). */
export const coreOnlyOrigin: fc.Arbitrary<ReqOrigin> = fc.oneof(
  validOrigin.map((o) => ({ value: ` ${o.value}`, form: 'invalid' as const, note: 'leading space' })),
  validOrigin.map((o) => ({ value: `${o.value}\r\nX-Injected: 1`, form: 'invalid' as const, note: 'CRLF' })),
  validOrigin.map((o) => ({ value: `${o.value}\u0000`, form: 'invalid' as const, note: 'NUL' })),
  validOrigin.map((o) => ({ value: `${o.value}\n`, form: 'invalid' as const, note: 'trailing LF' })),
  fc.string({ maxLength: 40 }).map((value) => ({ value, form: 'invalid' as const, note: 'random string' }))
    .filter((o) => !/^[a-z][a-z0-9+.-]*:\/\/[a-z0-9._-]+(:[1-9][0-9]{0,4})?$/i.test(o.value) && o.value !== 'null' && o.value !== ''),
);

/** Origins any HTTP client can send as is (no controls, no surrounding whitespace). */
export const requestOrigin: fc.Arbitrary<ReqOrigin> = fc.oneof(
  { weight: 6, arbitrary: validOrigin },
  { weight: 4, arbitrary: invalidOrigin },
  { weight: 1, arbitrary: doubtfulOrigin },
  { weight: 1, arbitrary: fc.constant(nullOrigin) },
);

// ---------------------------------------------------------------------------------------------
// Configuration

/** One entry of `origins`, with SPEC §5's verdict on a request origin. */
export interface OriginEntry {
  readonly label: string;
  readonly make: () => OriginSpec;
  /** The verdict for a 'valid' or 'doubtful' origin; 'invalid' and 'null' are decided apart. */
  readonly admits: (o: ReqOrigin) => boolean;
  readonly kind: 'any' | 'null' | 'exact' | 'pattern' | 'regexp' | 'predicate';
}

/** `scheme://host[:port]` in lower case, for exact comparison. */
function lowerText(o: ReqOrigin): string {
  return o.value.toLowerCase();
}

function exact(spec: string): OriginEntry {
  return { label: spec, kind: 'exact', make: () => spec, admits: (o) => lowerText(o) === spec.toLowerCase() };
}

/**
 * A wildcard pattern, read the way SPEC §2/§5 describes it: `*.` is one or more whole labels
 * (never the apex), a `*` port is any port (none included), everything else exact.
 */
function pattern(spec: string): OriginEntry {
  const [scheme, rest] = spec.split('://');
  const sub = rest.startsWith('*.');
  const hostPort = sub ? rest.slice(2) : rest;
  const colon = hostPort.lastIndexOf(':');
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const port = colon === -1 ? '' : hostPort.slice(colon + 1);
  return {
    label: spec,
    kind: 'pattern',
    make: () => spec,
    admits: (o) => {
      if (o.scheme === undefined || o.host === undefined) return false;
      if (o.scheme !== scheme) return false;
      if (port !== '*' && o.port !== port) return false;
      if (!sub) return o.host === host;
      const h = o.host;
      return h.length > host.length + 1 && h.slice(h.length - host.length - 1) === `.${host}`;
    },
  };
}

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (const c of s) if (c < '0' || c > '9') return false;
  return true;
}

function isLowerAlpha(s: string): boolean {
  if (s.length === 0) return false;
  for (const c of s) if (c < 'a' || c > 'z') return false;
  return true;
}

/**
 * RegExps, each with its whole-string language written out by hand (SPEC §5: a RegExp must
 * match the whole Origin; its own flags apply; `g`/`y` never make results alternate).
 */
const REGEXPS: readonly OriginEntry[] = [
  {
    label: String.raw`/https:\/\/.*\.example\.com/`, kind: 'regexp',
    make: () => /https:\/\/.*\.example\.com/,
    admits: (o) => o.value.startsWith('https://') && o.value.endsWith('.example.com') && o.value.length >= 'https://.example.com'.length,
  },
  {
    label: String.raw`/^https:\/\/(app|admin)\.test$/i`, kind: 'regexp',
    make: () => /^https:\/\/(app|admin)\.test$/i,
    admits: (o) => ['https://app.test', 'https://admin.test'].includes(o.value.toLowerCase()),
  },
  {
    label: String.raw`/http:\/\/localhost:\d+/g`, kind: 'regexp',
    make: () => /http:\/\/localhost:\d+/g,
    admits: (o) => o.value.startsWith('http://localhost:') && isDigits(o.value.slice('http://localhost:'.length)),
  },
  {
    label: String.raw`/https:\/\/[a-z]+\.example\.org/y`, kind: 'regexp',
    make: () => /https:\/\/[a-z]+\.example\.org/y,
    admits: (o) => o.value.startsWith('https://') && o.value.endsWith('.example.org') &&
      isLowerAlpha(o.value.slice('https://'.length, o.value.length - '.example.org'.length)),
  },
  {
    label: String.raw`/https?:\/\/partner\.test|https:\/\/example\.com/`, kind: 'regexp',
    make: () => /https?:\/\/partner\.test|https:\/\/example\.com/,
    admits: (o) => ['http://partner.test', 'https://partner.test', 'https://example.com'].includes(o.value),
  },
];

/** Synchronous predicates; only `true` admits (OriginPredicate's documented contract). */
const PREDICATES: readonly OriginEntry[] = [
  {
    label: 'endsWith(".trusted.test")', kind: 'predicate',
    make: () => (origin: string) => origin.endsWith('.trusted.test'),
    admits: (o) => o.value.length > 13 && o.value.slice(-13) === '.trusted.test',
  },
  {
    label: 'throws', kind: 'predicate',
    make: () => () => {
      throw new Error('predicate failure');
    },
    admits: () => false,
  },
  {
    label: 'truthy but not true', kind: 'predicate',
    make: () => ((origin: string) => (origin.length > 0 ? 1 : 0)) as unknown as OriginSpec,
    admits: () => false,
  },
  {
    label: 'equals https://example.org (any case)', kind: 'predicate',
    make: () => (origin: string) => origin.toLowerCase() === 'https://example.org',
    admits: (o) => o.value.toLowerCase() === 'https://example.org',
  },
];

export const ORIGIN_ENTRIES: readonly OriginEntry[] = [
  { label: '*', kind: 'any', make: () => '*', admits: () => true },
  { label: 'null', kind: 'null', make: () => 'null', admits: () => false },
  exact('https://example.com'),
  exact('https://a.example.com'),
  exact('http://localhost:3000'),
  exact('https://App.Test'),
  exact('http://[::1]:8080'),
  exact('https://example.org:8443'),
  exact('wss://partner.test'),
  pattern('https://*.example.com'),
  pattern('http://localhost:*'),
  pattern('https://*.example.org:8443'),
  pattern('http://*.example.com:*'),
  ...REGEXPS,
  ...PREDICATES,
];

/** One entry of `allowHeaders`, with its verdict on a requested header name (a token). */
export interface HeaderEntry {
  readonly label: string;
  readonly make: () => HeaderSpec;
  readonly admits: (name: string) => boolean;
}

export const HEADER_ENTRIES: readonly HeaderEntry[] = [
  { label: 'Content-Type', make: () => 'Content-Type', admits: (n) => n.toLowerCase() === 'content-type' },
  { label: 'x-a', make: () => 'x-a', admits: (n) => n.toLowerCase() === 'x-a' },
  { label: 'X-B', make: () => 'X-B', admits: (n) => n.toLowerCase() === 'x-b' },
  {
    // Matched case-insensitively (SPEC §2) although the RegExp has no `i` flag.
    label: '/x-cnt-[a-z0-9]+/', make: () => /x-cnt-[a-z0-9]+/,
    admits: (n) => {
      const l = n.toLowerCase();
      if (!l.startsWith('x-cnt-') || l.length === 6) return false;
      for (const c of l.slice(6)) if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
      return true;
    },
  },
];

export interface GenConfig {
  readonly origins: readonly OriginEntry[];
  /** Pass a lone entry bare rather than as a one-element array. */
  readonly bare: boolean;
  readonly sendWildcard: boolean;
  readonly supportsCredentials: boolean;
  readonly varyHeader: boolean;
  readonly alwaysSend: boolean;
  readonly allowPrivateNetwork: boolean;
  readonly maxAge: number | undefined;
  readonly methods: readonly string[];
  /** `'*'` or a list of entries. */
  readonly allowHeaders: '*' | readonly HeaderEntry[];
  readonly exposeHeaders: readonly string[] | undefined;
}

const METHOD_POOL = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'patch', 'Propfind', 'QUERY'] as const;

export const configArb: fc.Arbitrary<GenConfig> = fc
  .record({
    origins: fc.uniqueArray(fc.constantFrom(...ORIGIN_ENTRIES), { minLength: 1, maxLength: 5, selector: (e) => e.label }),
    bare: fc.boolean(),
    sendWildcard: fc.boolean(),
    wantCredentials: fc.boolean(),
    varyHeader: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    alwaysSend: fc.boolean(),
    allowPrivateNetwork: fc.boolean(),
    maxAge: fc.constantFrom(undefined, 0, 600),
    methods: fc.uniqueArray(fc.constantFrom(...METHOD_POOL), { minLength: 1, maxLength: 5 }),
    allowHeaders: fc.oneof(fc.constant('*' as const), fc.uniqueArray(fc.constantFrom(...HEADER_ENTRIES), { minLength: 1, maxLength: 4, selector: (e) => e.label })),
    exposeHeaders: fc.constantFrom(undefined, ['X-Total'], ['X-Total', 'X-Page']),
  })
  .map((r): GenConfig => ({
    ...r,
    // Credentials only where SPEC §6 allows them: never together with origins '*'.
    supportsCredentials: r.wantCredentials && !r.origins.some((e) => e.kind === 'any'),
  }));

// The generator explores origins SPEC §6's safety rules refuse with credentials ('null',
// `http://*.example.com:*`) and PNA with '*': every opt-in is set, so those configurations still
// start, and the properties also show that an opt-in changes no header.
const ALL_OPT_INS: CorsOptions = Object.freeze(Object.fromEntries(Object.values(SAFETY_OPT_INS).map((k) => [k, true])));

/** The options object the library receives for a generated configuration. */
export function toOptions(c: GenConfig): CorsOptions {
  const specs = c.origins.map((e) => e.make());
  return {
    ...ALL_OPT_INS,
    origins: c.bare && specs.length === 1 ? specs[0] : specs,
    sendWildcard: c.sendWildcard,
    supportsCredentials: c.supportsCredentials,
    varyHeader: c.varyHeader,
    alwaysSend: c.alwaysSend,
    allowPrivateNetwork: c.allowPrivateNetwork,
    maxAge: c.maxAge,
    methods: [...c.methods],
    allowHeaders: c.allowHeaders === '*' ? '*' : c.allowHeaders.map((h) => h.make()),
    exposeHeaders: c.exposeHeaders ? [...c.exposeHeaders] : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// The oracle

/** Whether the configuration admits a request origin (SPEC §5, plus §7 for malformed values). */
export function admits(c: GenConfig, o: ReqOrigin): Verdict {
  if (o.form === 'null') return c.origins.some((e) => e.kind === 'null') ? 'yes' : 'no';
  if (o.form === 'invalid') return 'no';
  if (o.form === 'doubtful') {
    // Only a rule that could not tell it from a valid origin may admit it; SPEC is silent.
    if (o.value === 'NULL') return c.origins.some((e) => e.kind === 'null') ? 'either' : 'no';
    return c.origins.some((e) => e.kind === 'any' || ((e.kind === 'regexp' || e.kind === 'predicate') && e.admits(o))) ? 'either' : 'no';
  }
  let v: Verdict = 'no';
  for (const e of c.origins) v = or(v, e.admits(o) ? 'yes' : 'no');
  return v;
}

/** Whether every allowed origin gets `ACAO: *` (SPEC §2 sendWildcard). */
export function wildcardMode(c: GenConfig): boolean {
  return c.sendWildcard && c.origins.some((e) => e.kind === 'any');
}

/** The Allow-Methods a policy sends: names upper-cased, first occurrence kept. */
export function expectedMethods(c: GenConfig): string[] {
  return [...new Set(c.methods.map((m) => m.toUpperCase()))];
}

const TCHARS = "!#$%&'*+-.^_`|~";

/** RFC 9110 token, written out char by char. */
export function isHttpToken(s: string): boolean {
  if (s.length === 0) return false;
  for (const ch of s) {
    const ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || TCHARS.includes(ch);
    if (!ok) return false;
  }
  return true;
}

/** What SPEC §4/§7 say a preflight's Access-Control-Request-Headers earns. */
export interface AcrhVerdict {
  /** The names echoed in Allow-Headers, in order; `null` for no header at all. */
  readonly echoed: readonly string[] | null;
  readonly overLimit: boolean;
  /** Some element is a token longer than 256 chars; how such a name is treated is open. */
  readonly doubtful: boolean;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return s.slice(a, b);
}

export function acrhVerdict(c: GenConfig, acrh: string | undefined): AcrhVerdict {
  if (acrh === undefined) return { echoed: null, overLimit: false, doubtful: false };
  const elements = acrh.split(',').map(trimOws);
  const names = elements.filter((e) => e !== '');
  const empties = elements.length - names.length;
  // SPEC §7: more than 100 names or more than 16 empty elements fail the preflight.
  if (names.length > 100 || empties > 16) return { echoed: null, overLimit: true, doubtful: false };
  const echoed = names.filter(
    (n) => isHttpToken(n) && (c.allowHeaders === '*' || c.allowHeaders.some((h) => h.admits(n))),
  );
  return { echoed: echoed.length ? echoed : null, overLimit: false, doubtful: names.some((n) => n.length > 256 && isHttpToken(n)) };
}

/**
 * The CORS headers SPEC §4 expects, as a lower-case map; `undefined` for a header that must
 * be absent. Only headers whose presence SPEC settles are listed; ACEH on preflights and the
 * companions of ACAO on requests without Origin are left to the caller.
 */
export interface Expected {
  /** 'either' when the origin is doubtful: ACAO may be absent or the verdict below. */
  readonly admitted: Verdict;
  readonly acao: string | undefined;
  readonly acac: string | undefined;
  readonly acapn: string | undefined;
  readonly aceh: string | undefined;
  readonly acam?: string | undefined;
  readonly acah?: readonly string[] | null;
  readonly acma?: string | undefined;
  readonly acahDoubtful?: boolean;
}

export function expectActual(c: GenConfig, origin: ReqOrigin | undefined, acrpn: string | undefined): Expected {
  const creds = c.supportsCredentials ? 'true' : undefined;
  const aceh = c.exposeHeaders ? c.exposeHeaders.join(', ') : undefined;
  if (origin === undefined) {
    // SPEC §4: with alwaysSend, `*` (never with credentials) or the single static origin.
    let acao: string | undefined;
    if (c.alwaysSend) {
      if (c.origins.some((e) => e.kind === 'any')) acao = c.supportsCredentials ? undefined : '*';
      else if (c.origins.length === 1 && c.origins[0].kind === 'exact') acao = c.origins[0].label;
    }
    return { admitted: acao ? 'yes' : 'no', acao, acac: acao ? creds : undefined, acapn: undefined, aceh: undefined };
  }
  const admitted = admits(c, origin);
  if (admitted === 'no') return { admitted, acao: undefined, acac: undefined, acapn: undefined, aceh: undefined };
  return {
    admitted,
    acao: wildcardMode(c) ? '*' : origin.value,
    acac: creds,
    acapn: acrpn === 'true' ? String(c.allowPrivateNetwork) : undefined,
    aceh,
  };
}

export function expectPreflight(
  c: GenConfig, origin: ReqOrigin, acrm: string, acrh: string | undefined, acrpn: string | undefined,
): Expected {
  const base = expectActual(c, origin, acrpn);
  if (base.admitted === 'no') return { ...base, acam: undefined, acah: null, acma: undefined };
  const methods = expectedMethods(c);
  // SPEC §4: ACRM is an exact, case-sensitive token match; a refused method gets no ACAM/ACAH/ACMA.
  if (!methods.includes(acrm)) return { ...base, acam: undefined, acah: null, acma: undefined };
  const h = acrhVerdict(c, acrh);
  return {
    ...base,
    acam: methods.join(', '),
    acah: h.echoed,
    acahDoubtful: h.doubtful,
    acma: c.maxAge === undefined ? undefined : String(c.maxAge),
  };
}

/** SPEC §4: would two browser-realistic requests get different CORS headers from this policy? */
export function responseDependsOnOrigin(c: GenConfig, probes: readonly (ReqOrigin | undefined)[]): boolean {
  const seen = new Set<string>();
  for (const o of probes) {
    const e = expectActual(c, o, undefined);
    if (e.admitted === 'either') continue;
    seen.add(JSON.stringify([e.acao === undefined ? null : e.acao === '*' ? '*' : 'echo', e.acac ?? null]));
  }
  // An echoed ACAO differs between two allowed origins by construction.
  return seen.size > 1 || seen.has(JSON.stringify(['echo', null])) || seen.has(JSON.stringify(['echo', 'true']));
}

// ---------------------------------------------------------------------------------------------
// Assertions shared by the core and HTTP properties

/** The invariants that hold whatever the oracle says: own Origin or `*`, one value, no `*` with credentials. */
export function checkSafety(c: GenConfig, h: Map<string, string>, origin: string | undefined): void {
  const acao = h.get('access-control-allow-origin');
  if (acao === undefined) return;
  expect(acao === '*' || acao === origin || (origin === undefined && c.origins.length === 1)).toBe(true);
  if (origin !== undefined && acao !== '*') expect(acao).toBe(origin);
  expect(acao).not.toMatch(/[,\s]/);
  if (c.supportsCredentials) {
    expect(acao).not.toBe('*');
    expect(h.get('access-control-allow-credentials')).toBe('true');
  }
  if (acao === '*' && origin !== undefined) expect(wildcardMode(c)).toBe(true);
}

export function checkAgainst(e: Expected, h: Map<string, string>): void {
  if (e.admitted === 'either' && !h.has('access-control-allow-origin')) {
    expect(h.size).toBe(0);
    return;
  }
  if (e.admitted === 'no') {
    // SPEC §4: a refused origin gets no CORS headers at all.
    expect([...h.keys()]).toEqual([]);
    return;
  }
  expect(h.get('access-control-allow-origin')).toBe(e.acao);
  expect(h.get('access-control-allow-credentials')).toBe(e.acac);
  expect(h.get('access-control-allow-private-network')).toBe(e.acapn);
  if ('acam' in e) {
    expect(h.get('access-control-allow-methods')).toBe(e.acam);
    expect(h.get('access-control-max-age')).toBe(e.acma);
    if (!e.acahDoubtful) {
      const acah = h.get('access-control-allow-headers');
      expect(acah === undefined ? null : acah.split(', ')).toEqual(e.acah ?? null);
    }
    // ACEH on a preflight is harmless and SPEC does not settle it; when sent it must be right.
    if (h.has('access-control-expose-headers')) expect(h.get('access-control-expose-headers')).toBe(e.aceh);
  } else {
    expect(h.get('access-control-expose-headers')).toBe(e.aceh);
  }
}

// ---------------------------------------------------------------------------------------------
// ACRH values

const ACRH_NAMES = [
  'content-type', 'Content-Type', 'x-a', 'X-A', 'x-b', 'x-cnt-1', 'X-CNT-abc', 'x-cnt-', 'x-other',
  'authorization', 'x(b)', 'x@y', '"q"', 'x y', 'x/y', 'x;y', 'x=y', 'x{}', 'ü-header', 'x-cnt-9z',
] as const;

/** An element of an ACRH list: names, non-tokens, or nothing, with optional whitespace around. */
const acrhElement = fc.tuple(
  fc.constantFrom('', ' ', '\t', '   ', ' \t '),
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ACRH_NAMES) }, { weight: 1, arbitrary: fc.constant('') }, {
    weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'abc-_!#(),;: "\t'), maxLength: 6 }),
  }),
  fc.constantFrom('', ' ', '\t', '  '),
).map(([a, n, b]) => `${a}${n}${b}`);

/** ACRH values a browser or a hostile client could send; some exceed SPEC §7's bounds. */
export const acrhArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.array(acrhElement, { minLength: 1, maxLength: 8 }).map((a) => a.join(',')) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom(...ACRH_NAMES), fc.integer({ min: 95, max: 110 })).map(([n, k]) => Array(k).fill(n).join(', ')),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 12, max: 20 }), fc.constantFrom('x-a', 'content-type')).map(([k, n]) => `${n}${','.repeat(k)}`),
  },
);

/** HTTP header values Node's client accepts and its server passes on unchanged. */
export function isSendableHeaderValue(v: string): boolean {
  // eslint-disable-next-line no-control-regex
  return v.length > 0 && !/[^\t\x20-\x7e\x80-\xff]/.test(v) && v === v.replace(/^[ \t]+|[ \t]+$/g, '');
}

export const ACRM_VALUES = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'patch', 'get', 'HEAD', 'OPTIONS', 'PROPFIND', 'QUERY', 'G ET', 'GET, POST', 'X'] as const;

/** Names in allowHeaders entries built with this prefix are the ones whose matcher calls are counted. */
export const COUNTED_HEADER_PREFIX = 'x-cnt-';

function countingTest(original: RegExp['test'], onCall: () => void): RegExp['test'] {
  return function countingTest(this: RegExp, input: string): boolean {
    if (this.source.includes(COUNTED_HEADER_PREFIX)) onCall();
    return original.call(this, input);
  };
}

/** Counts, while `fn` runs, calls of RegExp.prototype.test on RegExps built from a counted allowHeaders entry. */
export function countMatcherCalls<T>(fn: () => T): { result: T; calls: number } {
  const original = RegExp.prototype.test;
  let calls = 0;
  RegExp.prototype.test = countingTest(original, () => calls++);
  try {
    return { result: fn(), calls };
  } finally {
    RegExp.prototype.test = original;
  }
}

/** The same, for work that completes asynchronously (an HTTP round trip). */
export async function countMatcherCallsAsync<T>(fn: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const original = RegExp.prototype.test;
  let calls = 0;
  RegExp.prototype.test = countingTest(original, () => calls++);
  try {
    const result = await fn();
    return { result, calls };
  } finally {
    RegExp.prototype.test = original;
  }
}
