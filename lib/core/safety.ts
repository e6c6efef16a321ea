// The safety rules: configurations that would leak credentials or the private network are refused at start-up.
import { parse as parseHostname } from 'tldts';
import { describeValue, type IssueCollector } from './errors.js';
import { locate, sourceLabel, type OptionSources, type PolicyPlaces } from './merge.js';
import type { OriginSpec, ResolvedCorsOptions } from './options.js';
import { isOriginAllowed } from './origin-decision.js';
import { compileOrigins, listOrigins, parseOrigin, parseOriginPattern, type OriginPattern } from './origins.js';

// README "Safety checks": configurations that leak credentials are refused, by rules that catch what `'*'` with
// credentials would do, however it is spelled. Each has one `dangerously…` opt-in; an opt-in in
// use, and a public-suffix wildcard without credentials, become start-up warnings instead.

/** The name of a safety rule, as data on a {@link CorsConfigIssue} (`issue.rule`). */
export type SafetyRule =
  | 'any-origin-with-credentials'
  | 'public-suffix-with-credentials'
  | 'insecure-origin-with-credentials'
  | 'null-origin-with-credentials'
  | 'private-network-from-any-origin'
  | 'insecure-origin-with-private-network';

/** For each rule, the option that turns it off for one policy (merged like any other key). */
export const SAFETY_OPT_INS = Object.freeze({
  'any-origin-with-credentials': 'dangerouslyAllowAnyOriginWithCredentials',
  'public-suffix-with-credentials': 'dangerouslyAllowPublicSuffixWildcards',
  'insecure-origin-with-credentials': 'dangerouslyAllowInsecureOrigins',
  'null-origin-with-credentials': 'dangerouslyAllowNullOrigin',
  'private-network-from-any-origin': 'dangerouslyAllowPrivateNetworkFromAnyOrigin',
  // The same risk as with credentials, an origin anyone on the network path can script: one
  // opt-in covers both.
  'insecure-origin-with-private-network': 'dangerouslyAllowInsecureOrigins',
} as const satisfies Record<SafetyRule, keyof ResolvedCorsOptions>);

/** An opt-in option's name. */
export type SafetyOptIn = (typeof SAFETY_OPT_INS)[SafetyRule];

// Labels no one would list. Random per process, so no configuration can name them by accident
// or on purpose. Two shapes, since RegExps often admit only some characters: one with a hyphen
// and digits (`[\w-]+`, `.+`), one of letters only (`[a-z]+`).
const RANDOM = globalThis.crypto.getRandomValues(new Uint8Array(6));
const PROBE_LABELS: readonly string[] = [
  `nco-probe-${[...RANDOM].map((b) => b.toString(16).padStart(2, '0')).join('')}`,
  `ncoprobe${[...RANDOM].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`,
];

/**
 * Origins no configuration means to admit: reserved names (RFC 2606 `.invalid`, `.example`),
 * documentation addresses (RFC 5737, RFC 3849), both schemes, with and without a port, and the
 * fixed names `nco-probe.invalid` and `nco-probe.example`. A matcher admitting one admits origins nobody listed: it reflects
 * anyone, like `'*'`.
 */
export const ARBITRARY_PROBES: readonly string[] = Object.freeze([
  ...PROBE_LABELS.flatMap((label) => [`https://${label}.invalid`, `http://${label}.invalid`, `https://${label}.example:8443`]),
  'https://nco-probe.invalid',
  'http://nco-probe.example',
  'https://203.0.113.7',
  'http://[2001:db8::7]',
  // A fully qualified host is an origin of its own (`https://a.invalid.`), as browsers send it.
  ...PROBE_LABELS.map((label) => `https://${label}.invalid.`),
]);

/**
 * Suffixes people most often wildcard (TLDs, hosting platforms). Not a copy of the Public Suffix
 * List: only probe hosts; each is kept only if tldts says it is a public suffix, and a RegExp's
 * own literals add theirs (see {@link publicSuffixesIn}), so the list decides nothing by itself.
 */
const COMMON_SUFFIXES = [
  'com', 'net', 'org', 'io', 'dev', 'app', 'co', 'co.uk', 'com.au', 'de',
  'github.io', 'gitlab.io', 'herokuapp.com', 'vercel.app', 'netlify.app', 'pages.dev', 'web.app',
  'firebaseapp.com', 'azurewebsites.net', 'cloudfront.net', 'appspot.com', 'workers.dev',
  'onrender.com', 'ngrok-free.app', 's3.amazonaws.com',
];

/** Most domain-like literals read from one RegExp's source: bounds start-up work. */
const MAX_REGEXP_LITERALS = 32;

/**
 * Whether `host` is itself on the Public Suffix List (ICANN or private section), so anyone can
 * register a site right under it. Names the list does not know (`localhost`, `corp`) are not:
 * tldts's default `*` rule would call every unknown TLD a suffix, which says nothing about who
 * can register there.
 */
export function isPublicSuffix(host: string): boolean {
  // `com.` is the fully qualified spelling of `com`: anyone can register under either. tldts
  // reads past the trailing dot, so it is compared without it.
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const r = parseHostname(name, { allowPrivateDomains: true });
  return r.publicSuffix === name && (r.isIcann === true || r.isPrivate === true);
}

/** Every trailing run of labels of `domain` that is a public suffix: `a.github.io` → github.io, io. */
function suffixesOf(domain: string): string[] {
  const labels = domain.split('.');
  const out: string[] = [];
  for (let i = 0; i < labels.length; i++) {
    const tail = labels.slice(i).join('.');
    if (tail && isPublicSuffix(tail)) out.push(tail);
  }
  return out;
}

/** The public suffixes a RegExp names in its literals (`\.myshopify\.com` → myshopify.com, com). */
export function publicSuffixesIn(re: RegExp): string[] {
  // `\.` is how a literal dot is written; any other escape, class or group ends a literal.
  const text = re.source.replace(/\\\./g, '.').toLowerCase();
  const found = new Set<string>();
  let seen = 0;
  for (const m of text.matchAll(/[a-z0-9-]+(?:\.[a-z0-9-]+)+/g)) {
    if (++seen > MAX_REGEXP_LITERALS) break;
    for (const s of suffixesOf(m[0])) found.add(s);
  }
  return [...found];
}

const COMMON_PUBLIC_SUFFIXES = COMMON_SUFFIXES.filter(isPublicSuffix);

/**
 * Probes for sites anyone can register: under each suffix, each label, on both schemes, and
 * with the host's fully qualified spelling (`evil.com.`), which is an origin of its own.
 */
function publicSuffixProbes(re: RegExp): { probe: string; suffix: string }[] {
  const suffixes = new Set([...COMMON_PUBLIC_SUFFIXES, ...publicSuffixesIn(re)]);
  return [...suffixes].flatMap((suffix) => PROBE_LABELS.flatMap((label) =>
    ['https', 'http'].flatMap((scheme) => [
      { probe: `${scheme}://${label}.${suffix}`, suffix },
      { probe: `${scheme}://${label}.${suffix}.`, suffix },
    ])));
}

/**
 * Whether an `http:` host is loopback, which no one on the network path can reach: `localhost`
 * and `*.localhost` (Secure Contexts: potentially trustworthy), 127.0.0.0/8 and `[::1]`,
 * compared after WHATWG URL host parsing (so `[0:0::1]` is `[::1]`).
 */
export function isLoopbackHost(host: string, anySubdomain = false): boolean {
  // `localhost.` and `x.localhost.` are as trustworthy as their dotless spellings (Secure
  // Contexts, "potentially trustworthy origin").
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (anySubdomain) return false; // `x.127.0.0.1` is a DNS name, not an address
  let canonical: string;
  try {
    canonical = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return canonical === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(canonical);
}

/** What one origin entry does that a rule refuses: the rule and a sentence saying why. */
interface Finding {
  readonly rule: SafetyRule;
  readonly why: string;
  readonly probe?: string;
}

const FIXES: Readonly<Record<SafetyRule, string>> = {
  'any-origin-with-credentials': 'list the origins, use a pattern under a domain you own ("https://*.example.com"), anchor the RegExp to your domains, or use a predicate',
  'public-suffix-with-credentials': 'use a pattern under a domain you own ("https://*.app.example.com"), or list the sites',
  'insecure-origin-with-credentials': 'serve that origin over https:',
  'null-origin-with-credentials': 'remove "null" (serve the page from a real origin)',
  'private-network-from-any-origin': 'list the origins that may reach the private network',
  'insecure-origin-with-private-network': 'serve that origin over https:',
};

/** The first probe the entry's runtime matcher admits, or `undefined`. Never runs a predicate. */
function admittedProbe(spec: RegExp | string, probes: readonly string[]): string | undefined {
  const matcher = compileOrigins([spec]);
  return probes.find((p) => isOriginAllowed(matcher, p, undefined) === true);
}

function anyOriginFinding(spec: RegExp | string): Finding | null {
  const probe = admittedProbe(spec, ARBITRARY_PROBES);
  return probe === undefined ? null : {
    rule: 'any-origin-with-credentials', probe,
    why: `admits ${probe}, an origin no one would list, so with supportsCredentials it reflects any site, as "*" would, and every site could read authenticated responses`,
  };
}

function publicSuffixFinding(spec: RegExp | OriginPattern): Finding | null {
  if (!(spec instanceof RegExp)) {
    if (!spec.anySubdomain || !isPublicSuffix(spec.host)) return null;
    return { rule: 'public-suffix-with-credentials', why: `is a wildcard over the public suffix "${spec.host}": anyone can register a site under it, and with supportsCredentials each such site could read authenticated responses` };
  }
  const probes = publicSuffixProbes(spec);
  const probe = admittedProbe(spec, probes.map((p) => p.probe));
  const suffix = probes.find((p) => p.probe === probe)?.suffix;
  return probe === undefined ? null : {
    rule: 'public-suffix-with-credentials', probe,
    why: `admits ${probe}, a site anyone can register under the public suffix "${suffix}", and with supportsCredentials each such site could read authenticated responses`,
  };
}

const INSECURE: Finding = {
  rule: 'insecure-origin-with-credentials',
  why: 'is an http: origin other than localhost or a loopback address: anyone on the network path can inject a script into it over plain HTTP, and with supportsCredentials read authenticated responses',
};

const INSECURE_PRIVATE_NETWORK: Finding = {
  rule: 'insecure-origin-with-private-network',
  why: 'is an http: origin other than localhost or a loopback address: anyone on the network path can inject a script into it over plain HTTP, and with allowPrivateNetwork reach into the private network through it (browsers that enforce Private Network Access let only secure contexts make such requests)',
};

/** Whether an exact origin or pattern is `http:` on a host other than loopback; `false` for what does not parse (reported as invalid). */
function isInsecureEntry(spec: string): boolean {
  if (!spec.includes('*')) {
    // Most lists are long and all https:, so only http: entries are parsed.
    if (spec.slice(0, 5).toLowerCase() !== 'http:') return false;
    const origin = parseOrigin(spec); // null: reported as invalid by checkOptions
    return origin !== null && origin.scheme === 'http' && !isLoopbackHost(origin.host);
  }
  const pattern = parseOriginPattern(spec);
  return typeof pattern !== 'string' && pattern.scheme === 'http' && !isLoopbackHost(pattern.host, pattern.anySubdomain);
}

/** What a credentialed policy's origin entry leaks, rule by rule (predicates are never called). */
function credentialFindings(spec: OriginSpec): Finding[] {
  if (spec === 'null') {
    return [{ rule: 'null-origin-with-credentials', why: 'admits the "null" origin, which sandboxed iframes and data: or file: documents of any site send, so with supportsCredentials any site could read authenticated responses' }];
  }
  if (spec instanceof RegExp) {
    // Admitting anyone implies admitting public suffixes: one finding per matcher, the stronger.
    const leak = anyOriginFinding(spec) ?? publicSuffixFinding(spec);
    return leak ? [leak] : [];
  }
  if (typeof spec !== 'string' || spec === '*') return []; // '*' has its own rule (compile.ts)
  if (!spec.includes('*')) return isInsecureEntry(spec) ? [INSECURE] : [];
  const pattern = parseOriginPattern(spec);
  if (typeof pattern === 'string') return []; // reported as invalid by checkOptions
  const out: Finding[] = [];
  if (isInsecureEntry(spec)) out.push(INSECURE);
  const leak = anyOriginFinding(spec) ?? publicSuffixFinding(pattern);
  if (leak) out.push(leak);
  return out;
}

/**
 * What an origin entry lets into the private network: any public site, or a plain-HTTP site
 * anyone on the network path can script. RegExps are probed for the first only, as for
 * credentials (README "Safety checks", limits of probing).
 */
function privateNetworkFindings(spec: OriginSpec): Finding[] {
  const rule = 'private-network-from-any-origin';
  const why = 'so with allowPrivateNetwork any public site could reach into the private network';
  if (spec === '*') return [{ rule, why: `admits any site, ${why}` }];
  const out: Finding[] = [];
  if (typeof spec === 'string' && spec !== 'null' && isInsecureEntry(spec)) out.push(INSECURE_PRIVATE_NETWORK);
  if (!(spec instanceof RegExp) && !(typeof spec === 'string' && spec.includes('*'))) return out;
  const probe = admittedProbe(spec, ARBITRARY_PROBES);
  if (probe !== undefined) out.push({ rule, probe, why: `admits ${probe}, an origin no one would list, ${why}` });
  return out;
}

/** An entry's findings, which depend on the entry alone. */
interface EntryFindings {
  credentials?: readonly Finding[];
  privateNetwork?: readonly Finding[];
}

// Route policies merged over forRoot share its entries (the same RegExp objects), and probing
// is the costly part of start-up: findings are memoized per start-up, keyed by its collector.
const MEMO = new WeakMap<IssueCollector, Map<OriginSpec, EntryFindings>>();

function findingsOf(c: IssueCollector, spec: OriginSpec): EntryFindings {
  let byEntry = MEMO.get(c);
  if (!byEntry) MEMO.set(c, (byEntry = new Map()));
  let found = byEntry.get(spec);
  if (!found) byEntry.set(spec, (found = {}));
  return found;
}

/**
 * Applies the safety rules to one merged policy. A finding is an issue naming the rule
 * and its opt-in, or, with the opt-in set, a warning. Origin predicates are the user's
 * responsibility: they are never called at start-up, since they may do I/O or have side effects.
 */
export function checkSafety(o: ResolvedCorsOptions, sources: OptionSources, places: PolicyPlaces, c: IssueCollector): void {
  // Through listOrigins, so an element of a comma-separated string is checked like any other.
  const list = listOrigins(o.origins);
  const from = sources.origins === 'default' ? 'default' : `set in ${sourceLabel(sources.origins, places.root)}`;
  list.forEach((spec, index) => {
    const option = Array.isArray(o.origins) || list.length > 1 ? `origins[${index}]` : 'origins';
    const memo = findingsOf(c, spec);
    const findings: Finding[] = [];
    if (o.supportsCredentials === true) findings.push(...(memo.credentials ??= credentialFindings(spec)));
    if (o.allowPrivateNetwork === true) {
      findings.push(...(memo.privateNetwork ??= privateNetworkFindings(spec)));
    }
    for (const f of findings) {
      const optIn = SAFETY_OPT_INS[f.rule];
      // Reported where the keys that make the finding were written (the opt-in too, for a
      // warning), so one forRoot entry inherited by many routes is one line.
      const grant = f.rule.includes('private-network') ? 'allowPrivateNetwork' : 'supportsCredentials';
      const accepted = o[optIn] === true;
      const where = locate(places, sources, accepted ? ['origins', grant, optIn] : ['origins', grant]);
      const head = `${where}: ${option} = ${describeValue(spec)} (${from})`;
      if (accepted) {
        c.warn(`${head} ${f.why}; allowed by ${optIn}: true (rule "${f.rule}")`);
        continue;
      }
      c.add({
        where, option, value: spec, reason: 'unsafe', rule: f.rule, optIn, ...(f.probe ? { probe: f.probe } : {}),
        detail: `${f.why} (rule "${f.rule}"). Fix: ${FIXES[f.rule]}; or, if that is really intended, set ${optIn}: true`,
      });
    }
    if (o.supportsCredentials !== true && typeof spec === 'string' && spec.includes('*') && spec !== '*') {
      const pattern = parseOriginPattern(spec);
      if (typeof pattern !== 'string' && pattern.anySubdomain && isPublicSuffix(pattern.host)) {
        c.warn(`${locate(places, sources, ['origins'])}: ${option} = ${describeValue(spec)} (${from}) is a wildcard over the public suffix "${pattern.host}": anyone can register a site under it and read these responses; with supportsCredentials it would be refused (rule "public-suffix-with-credentials")`);
      }
    }
  });
}
