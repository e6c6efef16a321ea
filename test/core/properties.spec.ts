// Property-based tests of the pure core against an oracle written from SPEC §3-§5 and §7
// (test/utility/adversarial.ts): random configurations × random, often hostile, requests.
// The library's matchers are only ever the system under test, never the oracle; work bounds
// are asserted on counts (characters read, matcher calls), never on timings.
import fc from 'fast-check';
import {
  actualResponseHeaders,
  checkRequestHeaders,
  isOriginAllowed,
  normalizeRequestPath,
  preflightResponse,
  PolicySet,
  type CorsPolicy,
  type HeaderPair,
} from '../../lib/core/index.js';
import {
  ACRM_VALUES,
  acrhArb,
  checkAgainst,
  checkSafety,
  configArb,
  coreOnlyOrigin,
  expectActual,
  expectPreflight,
  isHttpToken,
  nullOrigin,
  ORIGIN_ENTRIES,
  requestOrigin,
  responseDependsOnOrigin,
  toOptions,
  validOrigin,
  type GenConfig,
  type ReqOrigin,
  COUNTED_HEADER_PREFIX,
  countMatcherCalls,
} from '../utility/adversarial.js';

const RUNS = 400;
const REQUEST = Object.freeze({ url: '/', headers: {} });

function compile(c: GenConfig): CorsPolicy {
  const set = new PolicySet(toOptions(c));
  expect(set.issues.issues).toEqual([]);
  expect(set.everywhere).not.toBeNull();
  return set.everywhere!;
}

/** Response headers as a map; fails on a header written twice (SPEC §4: ACAO is one value). */
function asMap(headers: readonly HeaderPair[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of headers) {
    expect(name).toBe(name.toLowerCase());
    expect(map.has(name)).toBe(false);
    map.set(name, value);
  }
  return map;
}

/** Runs the library's origin check twice: `g`/`y` RegExps must not make results alternate. */
function allowedBy(policy: CorsPolicy, origin: string): boolean {
  const first = isOriginAllowed(policy.origins, origin, REQUEST);
  const second = isOriginAllowed(policy.origins, origin, REQUEST);
  expect(typeof first).toBe('boolean'); // only sync predicates are generated
  expect(second).toBe(first);
  return first as boolean;
}

const anyOrigin = fc.oneof({ weight: 5, arbitrary: requestOrigin }, { weight: 1, arbitrary: coreOnlyOrigin });
const acrpnArb = fc.constantFrom(undefined, 'true', 'false', 'TRUE');

describe('origins (SPEC §4, §5): ACAO is the own Origin or "*", only when admitted', () => {
  it('actual requests', () => {
    fc.assert(
      fc.property(configArb, fc.array(anyOrigin, { minLength: 1, maxLength: 8 }), acrpnArb, (c, origins, acrpn) => {
        const policy = compile(c);
        for (const o of origins) {
          const h = asMap(actualResponseHeaders(policy, o.value, allowedBy(policy, o.value), acrpn));
          checkSafety(c, h, o.value);
          checkAgainst(expectActual(c, o, acrpn), h);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('preflights', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.array(fc.tuple(anyOrigin, fc.constantFrom(...ACRM_VALUES), acrhArb, acrpnArb), { minLength: 1, maxLength: 6 }),
        (c, requests) => {
          const policy = compile(c);
          for (const [o, acrm, acrh, acrpn] of requests) {
            const outcome = preflightResponse(policy, o.value, allowedBy(policy, o.value), acrm, acrh, acrpn);
            const h = asMap(outcome.headers);
            checkSafety(c, h, o.value);
            checkAgainst(expectPreflight(c, o, acrm, acrh, acrpn), h);
            const acah = h.get('access-control-allow-headers');
            if (acah !== undefined) expect(acah.split(', ').length).toBeLessThanOrEqual(100);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('requests without Origin: "*" or the single static origin, never "*" with credentials', () => {
    fc.assert(
      fc.property(configArb, fc.constantFrom(undefined, ''), acrpnArb, (c, origin, acrpn) => {
        const policy = compile(c);
        const h = asMap(actualResponseHeaders(policy, origin, false, acrpn));
        checkSafety(c, h, undefined);
        const e = expectActual(c, undefined, acrpn);
        expect(h.get('access-control-allow-origin')).toBe(e.acao);
        expect(h.get('access-control-allow-credentials')).toBe(e.acac);
      }),
      { numRuns: RUNS },
    );
  });

  it('Vary: Origin whenever the response depends on the Origin (SPEC §4)', () => {
    // The probes are what browsers send: no Origin, the opaque "null", and real origins.
    const probes: fc.Arbitrary<(ReqOrigin | undefined)[]> = fc
      .array(validOrigin, { minLength: 1, maxLength: 6 })
      .map((valid) => [undefined, nullOrigin, ...valid]);
    fc.assert(
      fc.property(configArb, probes, (c, origins) => {
        const policy = compile(c);
        if (!c.varyHeader) {
          expect(policy.varyOrigin).toBe(false);
          return;
        }
        if (responseDependsOnOrigin(c, origins)) expect(policy.varyOrigin).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('look-alikes never pass an exact origin, a wildcard pattern or a RegExp', () => {
    // Hand-picked cases on top of the random ones, each named by the bypass it would be.
    const c = (label: string): GenConfig => ({
      origins: [ORIGIN_ENTRIES.find((e) => e.label === label)!], bare: true, sendWildcard: false,
      supportsCredentials: label !== '*', varyHeader: true, alwaysSend: true, allowPrivateNetwork: false,
      maxAge: undefined, methods: ['GET'], allowHeaders: '*', exposeHeaders: undefined,
    });
    const refused: [string, string][] = [
      ['https://*.example.com', 'https://example.com'],
      ['https://*.example.com', 'https://evilexample.com'],
      ['https://*.example.com', 'https://a.example.com.evil.io'],
      ['https://*.example.com', 'https://u@a.example.com'],
      ['https://*.example.com', 'https://a.example.com:443'],
      ['https://*.example.com', 'http://a.example.com'],
      ['https://*.example.com', 'https://a.example.com/'],
      ['https://*.example.com', 'https://.example.com'],
      ['http://localhost:*', 'http://localhost.evil.io:3000'],
      ['http://localhost:*', 'http://localhost:3000@evil.io'],
      ['http://localhost:*', 'http://evil-localhost:3000'],
      ['https://example.com', 'https://example.com.evil.io'],
      ['https://example.com', 'https://example.com/path'],
      ['https://example.com', 'https://u@example.com'],
      ['https://example.com', 'https://example.com, https://evil.io'],
      ['https://example.com', 'https://example.co'],
      ['http://[::1]:8080', 'http://[::2]:8080'],
      ['http://[::1]:8080', 'http://[::1]:80800'],
      ['http://[::1]:8080', 'http://:8080'],
      [String.raw`/https:\/\/.*\.example\.com/`, 'https://x.example.com.evil.io'],
      [String.raw`/https:\/\/.*\.example\.com/`, 'https://u@x.example.com'],
      [String.raw`/https?:\/\/partner\.test|https:\/\/example\.com/`, 'https://partner.test.evil.io'],
      [String.raw`/https?:\/\/partner\.test|https:\/\/example\.com/`, 'https://evil.io#https://example.com'],
      ['*', 'null'],
      ['null', 'https://null'],
    ];
    for (const [label, origin] of refused) {
      const policy = compile(c(label));
      expect({ label, origin, allowed: allowedBy(policy, origin) }).toEqual({ label, origin, allowed: false });
    }
    const admitted: [string, string][] = [
      ['https://*.example.com', 'https://a.b.example.com'],
      ['https://*.example.com', 'HTTPS://A.EXAMPLE.COM'],
      ['http://localhost:*', 'http://localhost:65535'],
      ['https://example.com', 'https://EXAMPLE.com'],
      ['http://[::1]:8080', 'http://[::1]:8080'],
      ['null', 'null'],
    ];
    for (const [label, origin] of admitted) {
      const policy = compile(c(label));
      const h = asMap(actualResponseHeaders(policy, origin, allowedBy(policy, origin), undefined));
      expect({ label, acao: h.get('access-control-allow-origin') }).toEqual({ label, acao: origin });
    }
  });

  it('g and y flags never make results alternate (SPEC §5)', () => {
    const policy = new PolicySet({ origins: [/http:\/\/localhost:\d+/g, /https:\/\/[a-z]+\.example\.org/y] }).everywhere!;
    for (const origin of ['http://localhost:3000', 'https://abc.example.org']) {
      const results = Array.from({ length: 4 }, () => isOriginAllowed(policy.origins, origin, REQUEST));
      expect({ origin, results }).toEqual({ origin, results: [true, true, true, true] });
    }
    const headers = new PolicySet({ allowHeaders: [/x-cnt-[a-z0-9]+/gy] }).everywhere!.allowHeaders;
    const echoes = Array.from({ length: 4 }, () => checkRequestHeaders(headers, 'x-cnt-a, x-cnt-a').allowed);
    expect(echoes).toEqual(Array(4).fill('x-cnt-a, x-cnt-a'));
  });

  it('rejects credentials with origins "*" at start-up (SPEC §6)', () => {
    fc.assert(
      fc.property(configArb, (c) => {
        const options = { ...toOptions(c), origins: ['*', ...c.origins.map((e) => e.make())], supportsCredentials: true };
        const set = new PolicySet(options);
        expect(set.issues.issues.some((i) => i.option === 'supportsCredentials' && i.reason === 'incompatible')).toBe(true);
        expect(() => set.assertValid()).toThrow(/supportsCredentials/);
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// SPEC §7: hostile Access-Control-Request-Headers and Origin values. Work is measured as
// COUNTS: characters the library reads from the input, and calls of the allowHeaders RegExp.

interface ReadCount {
  reads: number;
}

/**
 * Wraps a string so that every character the library reads is counted: `charCodeAt` and
 * indexing cost 1, `indexOf` the distance scanned, `slice` the length copied, and any other
 * method (or conversion to a primitive) the whole length, the worst case.
 */
function counted(s: string, count: ReadCount): string {
  const target = new String(s);
  const proxy = new Proxy(target, {
    get(t, prop) {
      if (prop === 'length') return s.length;
      if (typeof prop === 'string' && /^\d+$/.test(prop)) {
        count.reads++;
        return s[Number(prop)];
      }
      const value = Reflect.get(t, prop);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        switch (prop) {
          case 'charCodeAt': case 'charAt': case 'codePointAt': case 'at':
            count.reads++;
            break;
          case 'indexOf': {
            const from = Math.max(0, Number(args[1] ?? 0));
            const found = s.indexOf(String(args[0]), from);
            count.reads += found === -1 ? s.length - from : found - from + String(args[0]).length;
            break;
          }
          case 'slice': case 'substring': {
            const a = Number(args[0] ?? 0);
            const b = args[1] === undefined ? s.length : Number(args[1]);
            count.reads += Math.max(0, (b < 0 ? s.length + b : b) - (a < 0 ? s.length + a : a));
            break;
          }
          case 'startsWith':
            count.reads += String(args[0]).length;
            break;
          default:
            count.reads += s.length;
        }
        return (value as (...a: unknown[]) => unknown).apply(s, args);
      };
    },
  });
  return proxy as unknown as string;
}

const MARKER = COUNTED_HEADER_PREFIX;


function hostileSetUp() {
  const set = new PolicySet({ origins: ['https://app.test', 'https://*.example.com', /https:\/\/[a-z]+\.example\.org/], allowHeaders: ['content-type', /x-cnt-[a-z0-9]+/] });
  set.assertValid();
  return set.everywhere!;
}

/** Non-empty elements of an ACRH list, as SPEC §7 counts them. */
function namesIn(acrh: string): number {
  return acrh.split(',').filter((e) => e.replace(/^[ \t]+|[ \t]+$/g, '') !== '').length;
}

/** Chunks hostile lists are made of: long OWS runs, commas, tokens, non-token bytes. */
const chunk = fc.oneof(
  fc.constantFrom('x-cnt-1', 'X-CNT-a9', 'content-type', 'x-other', ',', ', ', ',,', '\t', '"', '(', '@', '\u0085', '\u00ff', 'ü'),
  fc.tuple(fc.constantFrom(' ', '\t', ',', 'a', 'x-cnt-', '\u009b', ', x-cnt-z'), fc.integer({ min: 1, max: 5000 })).map(([s, k]) => s.repeat(k)),
);
const hostileAcrh = fc.array(chunk, { minLength: 1, maxLength: 60 }).map((a) => a.join(''));

describe('hostile Access-Control-Request-Headers (SPEC §7)', () => {
  const policy = hostileSetUp();

  it('echoes at most 100 admitted tokens, and only tokens that were requested', () => {
    const star = new PolicySet({ allowHeaders: '*' }).everywhere!;
    fc.assert(
      fc.property(hostileAcrh, fc.boolean(), (acrh, any) => {
        const check = checkRequestHeaders((any ? star : policy).allowHeaders, acrh);
        const names = namesIn(acrh);
        if (check.allowed !== null) {
          const echoed = check.allowed.split(', ');
          expect(echoed.length).toBeLessThanOrEqual(100);
          expect(echoed.length).toBeLessThanOrEqual(names);
          for (const n of echoed) {
            expect(isHttpToken(n)).toBe(true);
            if (!any) expect(n.toLowerCase() === 'content-type' || n.toLowerCase().startsWith(MARKER)).toBe(true);
          }
        }
        const empties = acrh.split(',').length - names;
        expect(check.overLimit).toBe(names > 100 || empties > 16);
        if (check.overLimit) expect(check.allowed).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it('reads each character a bounded number of times, and stops reading at the limits', () => {
    fc.assert(
      fc.property(hostileAcrh, (acrh) => {
        const count = { reads: 0 };
        const { result, calls } = countMatcherCalls(() => checkRequestHeaders(policy.allowHeaders, counted(acrh, count)));
        // Linear: a fixed number of reads per input character, whatever the shape.
        expect(count.reads).toBeLessThanOrEqual(4 * acrh.length + 16);
        // Capped: the allowHeaders RegExp runs at most once per name and never past 100 names.
        expect(calls).toBeLessThanOrEqual(Math.min(100, namesIn(acrh)));
        expect(result.allowed === null || result.allowed.split(', ').length <= 100).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('work grows linearly with size and is capped for long lists (sizes up to 1 MiB)', () => {
    const shapes: Record<string, (n: number) => string> = {
      'many matching names': (n) => 'x-cnt-1, '.repeat(Math.ceil(n / 9)),
      'many empty elements': (n) => ','.repeat(n),
      'one name, a long whitespace run': (n) => `x-cnt-a${' \t'.repeat(n / 2)}, x-cnt-b`,
      'one huge token': (n) => 'x'.repeat(n),
      'non-token bytes': (n) => '\u0085("@'.repeat(n / 4),
      'names and blanks interleaved': (n) => 'x-cnt-q,   ,'.repeat(Math.ceil(n / 12)),
    };
    const capped = new Set(['many matching names', 'many empty elements', 'names and blanks interleaved']);
    for (const [shape, make] of Object.entries(shapes)) {
      const rows: { size: number; reads: number; calls: number }[] = [];
      for (const size of [1_000, 10_000, 100_000, 1_000_000]) {
        const acrh = make(size);
        const count = { reads: 0 };
        const { calls, result } = countMatcherCalls(() => checkRequestHeaders(policy.allowHeaders, counted(acrh, count)));
        rows.push({ size: acrh.length, reads: count.reads, calls });
        expect({ shape, size, linear: count.reads <= 4 * acrh.length + 16 }).toEqual({ shape, size, linear: true });
        expect(calls).toBeLessThanOrEqual(100);
        if (result.allowed !== null) expect(result.allowed.split(', ').length).toBeLessThanOrEqual(100);
      }
      if (capped.has(shape)) {
        // Past the bounds of SPEC §7 the library must stop: a 1 MiB list costs what a 1 KiB one does.
        expect({ shape, reads: rows[3].reads }).toEqual({ shape, reads: rows[0].reads });
      }
    }
  });

  it('the whole preflight stays bounded on a 1 MiB list', () => {
    const acrh = Array.from({ length: 150_000 }, (_, i) => `x-cnt-${i}`).join(',');
    const { result, calls } = countMatcherCalls(() => preflightResponse(policy, 'https://app.test', true, 'GET', acrh, undefined));
    expect(calls).toBeLessThanOrEqual(100);
    expect(result.refusal).toEqual({ kind: 'header-limit' });
    expect(result.headers.find(([n]) => n === 'access-control-allow-headers')).toBeUndefined();
  });

  it('exactly 100 names and exactly 16 empty elements are still answered', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `x-cnt-${i}`).join(', ');
    expect(checkRequestHeaders(policy.allowHeaders, hundred).allowed?.split(', ')).toHaveLength(100);
    expect(checkRequestHeaders(policy.allowHeaders, `${hundred}, x-cnt-100`)).toMatchObject({ allowed: null, overLimit: true });
    expect(checkRequestHeaders(policy.allowHeaders, `x-cnt-a${','.repeat(16)}`).allowed).toBe('x-cnt-a');
    expect(checkRequestHeaders(policy.allowHeaders, `x-cnt-a${','.repeat(17)}`)).toMatchObject({ allowed: null, overLimit: true });
  });
});

describe('hostile Origin values (SPEC §7)', () => {
  const policy = hostileSetUp();
  // A predicate that counts its calls: user code must never be handed a malformed origin.
  const predicateCalls = { n: 0 };
  const refuseAll = (): boolean => {
    predicateCalls.n++;
    return false;
  };
  const withPredicate = new PolicySet({ origins: [refuseAll] }).everywhere!;

  it('huge or malformed origins are refused after a bounded number of reads', () => {
    const hugeOrigin = fc.tuple(
      fc.constantFrom('https://', 'https://a.', 'http://localhost:', 'https://[', 'null', ''),
      fc.constantFrom('a', '.', ':', '9', ' ', '\u0085', 'example.com.'),
      fc.integer({ min: 400, max: 1_000_000 }),
      fc.constantFrom('', '.example.com', ':8080', ']'),
    ).map(([head, unit, k, tail]) => `${head}${unit.repeat(Math.ceil(k / unit.length))}${tail}`);
    fc.assert(
      fc.property(hugeOrigin, (origin) => {
        for (const p of [policy, withPredicate]) {
          const count = { reads: 0 };
          const before = predicateCalls.n;
          const allowed = isOriginAllowed(p.origins, counted(origin, count), REQUEST);
          expect(allowed).toBe(false);
          // Capped: an origin is at most 326 characters long, so longer values are not scanned.
          expect(count.reads).toBeLessThanOrEqual(2 * 326 + 16);
          expect(predicateCalls.n).toBe(before); // user code never sees a malformed origin
          expect(actualResponseHeaders(p, origin, allowed as boolean, undefined)).toHaveLength(0);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('origin checks read each character a bounded number of times', () => {
    fc.assert(
      fc.property(anyOrigin, (o) => {
        const count = { reads: 0 };
        isOriginAllowed(policy.origins, counted(o.value, count), REQUEST);
        expect(count.reads).toBeLessThanOrEqual(8 * Math.min(o.value.length, 326) + 16);
      }),
      { numRuns: 500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// SPEC §3 rule 4: resources ordering (CVE-2024-6839), case (CVE-2024-6866), '+' (CVE-2024-6844),
// dot segments (CVE-2020-25032), with the matching done by an independent glob matcher.

/** Whole-string glob match where `*` is any run of characters, written as a two-pointer walk. */
function glob(pattern: string, path: string): boolean {
  let p = 0;
  let s = 0;
  let star = -1;
  let mark = 0;
  while (s < path.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === path[s]) {
      p++;
      s++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = s;
    } else if (star !== -1) {
      p = star + 1;
      s = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** SPEC's specificity: literal paths first, then more segments, then longer. */
function rank(pattern: string): [number, number, number] {
  return [pattern.includes('*') ? 0 : 1, pattern.split('/').length - 1, pattern.length];
}

function compareRank(a: [number, number, number], b: [number, number, number]): number {
  return b[0] - a[0] || b[1] - a[1] || b[2] - a[2];
}

/** The most specific matching patterns: one, several on a tie, or none. */
function winners(patterns: readonly string[], path: string): string[] {
  const matching = patterns.filter((p) => glob(p, path)).sort((a, b) => compareRank(rank(a), rank(b)));
  if (matching.length === 0) return [];
  return matching.filter((p) => compareRank(rank(p), rank(matching[0])) === 0);
}

const PATTERNS = [
  '/*', '/api/*', '/api/v1/*', '/api/v1/secure', '/api/v1/secure/*', '/api/*/secure', '/*/v1/*', '/api/v1/*/x',
  '/Admin/*', '/admin', '/static/*.js', '/api', '/apiary/*', '/a*', '/service+path', '/service path', '/service+*',
  '/api/v1/*/*', '/*/secure',
] as const;
const SEGMENTS = ['api', 'v1', 'secure', 'x', 'Admin', 'admin', 'ADMIN', 'static', 'app.js', 'apiary', 'service+path', 'service path', 'a', ''] as const;
const pathArb = fc.oneof(
  fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
  fc.constantFrom('/', '/api', '/api/', '/apiary', '/api/v1/secure', '/api/v1/x', '/admin', '/Admin/x', '/service+path', '/service path'),
);

/** A resource table with a recognisable policy per pattern (maxAge = index in PATTERNS). */
function resourceSet(patterns: readonly string[]): PolicySet {
  const resources: Record<string, { maxAge: number; origins: string }> = {};
  for (const p of patterns) resources[p] = { maxAge: PATTERNS.indexOf(p as (typeof PATTERNS)[number]), origins: 'https://app.test' };
  const set = new PolicySet({ resources });
  set.assertValid();
  return set;
}

function chosen(set: PolicySet, path: string): string | null {
  const policy = set.resourcePolicy(path);
  return policy === null ? null : PATTERNS[policy.options.maxAge!];
}

describe('resources (SPEC §3 rule 4)', () => {
  it('the most specific pattern wins whatever the insertion order (CVE-2024-6839)', () => {
    const scenario = fc
      .uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 8 })
      .chain((patterns) => fc.tuple(fc.constant(patterns), fc.shuffledSubarray(patterns, { minLength: patterns.length }), fc.array(pathArb, { minLength: 1, maxLength: 8 })));
    fc.assert(
      fc.property(scenario, ([patterns, shuffled, paths]) => {
        const a = resourceSet(patterns);
        const b = resourceSet(shuffled);
        for (const path of paths) {
          const best = winners(patterns, path);
          const got = chosen(a, path);
          if (best.length === 0) expect({ path, got }).toEqual({ path, got: null });
          else expect({ path, ok: best.includes(got!) }).toEqual({ path, ok: true });
          // Insertion order may only matter between patterns SPEC ranks equal.
          if (best.length === 1) expect({ path, got: chosen(b, path) }).toEqual({ path, got: best[0] });
        }
      }),
      { numRuns: 400 },
    );
  });

  it('the CVE-2024-6839 cases and the 6.0.0 inversion', () => {
    for (const order of [['/api/v1/secure', '/*'], ['/*', '/api/v1/secure'], ['/api/v1/*', '/*'], ['/*', '/api/v1/*']]) {
      const set = resourceSet(order);
      const specific = order.find((p) => p !== '/*')!;
      expect(chosen(set, specific === '/api/v1/secure' ? '/api/v1/secure' : '/api/v1/x')).toBe(specific);
      expect(chosen(set, '/other')).toBe('/*');
    }
    // 6.0.0 sorted fewer slashes first: "/*" before "/api/v1/*/x" must never happen.
    expect(chosen(resourceSet(['/*', '/api/*', '/api/v1/*', '/api/v1/*/x']), '/api/v1/y/x')).toBe('/api/v1/*/x');
    // The CVE proper: up to 5.0.1 the longest pattern won, so a long but broad pattern
    // shadowed a literal path, or a pattern with more segments.
    const long = new PolicySet({ resources: { '/*a*p*i*v*1*s*e*c*u*r*e*': { maxAge: 1 }, '/api/v1/secure': { maxAge: 2 }, '/api/v1/*': { maxAge: 3 } } });
    long.assertValid();
    expect(long.resourcePolicy('/api/v1/secure')?.options.maxAge).toBe(2);
    expect(long.resourcePolicy('/api/v1/xsecure')?.options.maxAge).toBe(3);
    expect(long.resourcePolicy('/xapi/v1/secure')?.options.maxAge).toBe(1);
  });

  it('paths are case-sensitive (CVE-2024-6866)', () => {
    const set = resourceSet(['/Admin/*', '/admin']);
    expect(chosen(set, '/Admin/x')).toBe('/Admin/*');
    expect(chosen(set, '/admin/x')).toBeNull();
    expect(chosen(set, '/ADMIN/x')).toBeNull();
    expect(chosen(set, '/Admin')).toBeNull();
    expect(chosen(set, '/ADMIN')).toBeNull();
    // test_try_match_pattern: "/foo" vs "/fo*" matches, vs "/Fo*" does not.
    const foo = new PolicySet({ resources: { '/Fo*': { maxAge: 1 }, '/fo*': { maxAge: 2 } } });
    expect(foo.resourcePolicy(normalizeRequestPath('/foo'))?.options.maxAge).toBe(2);
    expect(foo.resourcePolicy(normalizeRequestPath('/Foo'))?.options.maxAge).toBe(1);
    expect(foo.resourcePolicy(normalizeRequestPath('/FOO'))).toBeNull();
  });

  it('"+" stays "+" and %20 is a space (CVE-2024-6844)', () => {
    const set = resourceSet(['/service+path', '/service path']);
    const at = (raw: string) => chosen(set, normalizeRequestPath(raw));
    expect(at('/service+path')).toBe('/service+path');
    expect(at('/service%2Bpath')).toBe('/service+path');
    expect(at('/service%2bpath')).toBe('/service+path');
    expect(at('/service%20path')).toBe('/service path');
    expect(at('/service path')).toBe('/service path');
    // A "+" beside an escape is still a "+": decoding must not be unquote_plus's.
    expect(at('/service+%70ath')).toBe('/service+path');
    expect(at('/service%20path+')).toBeNull();
    const wild = resourceSet(['/service+*']);
    expect(chosen(wild, normalizeRequestPath('/service+path'))).toBe('/service+*');
    expect(chosen(wild, normalizeRequestPath('/service%20path'))).toBeNull();
    expect(chosen(wild, normalizeRequestPath('/servicepath'))).toBeNull(); // "+" is not a RegExp quantifier
    expect(chosen(wild, normalizeRequestPath('/serviceeee+path'))).toBeNull();
    expect(chosen(wild, normalizeRequestPath('/service+%70ath'))).toBe('/service+*');
  });
});

/**
 * Percent-decoding as SPEC §3 asks ("the percent-decoded path"), escape by escape: valid UTF-8
 * sequences are decoded; a malformed or non-UTF-8 escape stays as written, while its ASCII
 * neighbours (a "%2e" among them) are still decoded.
 */
function decodeEscapes(path: string): string {
  return path.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-7][0-9a-fA-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
  });
}

/** RFC 3986 §5.2.4 remove_dot_segments, step by step as the RFC writes it. */
function removeDotSegments(input: string): string {
  let inp = input;
  let out = '';
  const dropLast = () => {
    const i = out.lastIndexOf('/');
    out = i === -1 ? '' : out.slice(0, i);
  };
  while (inp.length > 0) {
    if (inp.startsWith('../')) inp = inp.slice(3);
    else if (inp.startsWith('./')) inp = inp.slice(2);
    else if (inp.startsWith('/./')) inp = inp.slice(2);
    else if (inp === '/.') inp = '/';
    else if (inp.startsWith('/../')) {
      inp = inp.slice(3);
      dropLast();
    } else if (inp === '/..') {
      inp = '/';
      dropLast();
    } else if (inp === '.' || inp === '..') inp = '';
    else {
      const next = inp.indexOf('/', 1);
      const seg = next === -1 ? inp : inp.slice(0, next);
      out += seg;
      inp = inp.slice(seg.length);
    }
  }
  return out;
}

describe('dot segments (CVE-2020-25032)', () => {
  const set = new PolicySet({ resources: { '/api/*': { origins: 'https://api.client' }, '/*': { origins: 'https://other.client' } } });
  set.assertValid();
  const apiPolicy = set.resourcePolicy('/api/x');
  const DOT_SEGMENTS = ['api', 'secret', 'x', '.', '..', '%2e', '%2E', '%2e%2e', '%2E%2e', '.%2e', '%2e.', 'a%2Fb', '..%2f', '%ff', '%', '%zz', '%E2%82%AC', '+', '%2B', '%25', '%252e%252e'] as const;
  const rawPath = fc.array(fc.constantFrom(...DOT_SEGMENTS), { minLength: 1, maxLength: 6 }).chain((segs) =>
    fc.constantFrom(`/${segs.join('/')}`, `/api/${segs.join('/')}`, `/api/${segs.join('/')}/`),
  );

  it('a path that resolves outside "/api/*" never gets its policy', () => {
    fc.assert(
      fc.property(rawPath, (raw) => {
        const resolved = removeDotSegments(decodeEscapes(raw));
        const got = set.resourcePolicy(normalizeRequestPath(raw));
        if (!glob('/api/*', resolved)) expect({ raw, resolved, apiPolicy: got === apiPolicy }).toEqual({ raw, resolved, apiPolicy: false });
        // Non-vacuity: a plain path under /api/ does get it.
        if (!/[%.]/.test(raw) && glob('/api/*', raw)) expect(got).toBe(apiPolicy);
      }),
      { numRuns: 1000 },
    );
  });

  it('the advisory\'s examples', () => {
    const outside = ['/api/../secret', '/api/%2e%2e/secret', '/api/%2E%2E/secret', '/api/.%2e/secret', '/api/%2e./secret',
      '/api/..%2fsecret', '/api/foo/../../secret', '/api/./../secret', '/api/x/%2e%2e/%2e%2e/secret', '/api/..'];
    for (const raw of outside) expect({ raw, api: set.resourcePolicy(normalizeRequestPath(raw)) === apiPolicy }).toEqual({ raw, api: false });
    for (const raw of ['/api/x', '/api/./x', '/api/foo/../x', '/api/%2e/x']) expect({ raw, api: set.resourcePolicy(normalizeRequestPath(raw)) === apiPolicy }).toEqual({ raw, api: true });
  });

  it('a malformed escape elsewhere in the path does not turn dot-segment resolution off', () => {
    // "%ff" is not UTF-8 and "%" alone is no escape; neither makes "%2e%2e" anything but "..".
    for (const raw of ['/api/%2e%2e/secret%', '/api/%2e%2e/%ff', '/api/%2E%2E/secret%zz', '/api/%ff/%2e%2e/%2e%2e/secret']) {
      expect({ raw, api: set.resourcePolicy(normalizeRequestPath(raw)) === apiPolicy }).toEqual({ raw, api: false });
    }
  });
});
