import { SAFETY_OPT_INS, type CorsOptions, type SafetyRule } from '../../../lib/core/index.js';

// SPEC §6, "Configurations that leak credentials are refused": issue 11's table, row by row,
// plus the safe neighbours that must still start. Shared by test/core/safety.spec.ts and
// test/e2e/safety.e2e-spec.ts, so the unit and HTTP tests check the same configurations.

/** A policy that a safety rule refuses, and what the single issue must say. */
export interface RefusedCase {
  readonly desc: string;
  /** One policy's options (used as forRoot, @CrossOrigin, a named policy or a resource). */
  readonly options: CorsOptions;
  readonly rule: SafetyRule;
  /** The option the issue names: the offending origins entry. */
  readonly option: string;
  /** Whether the issue names a probe that got through (RegExps and probed patterns). */
  readonly probed: boolean;
  /** An origin the refused policy would have let read credentialed responses. */
  readonly attacker: string;
}

const CREDENTIALS = { supportsCredentials: true } as const;

/** Issue 11's table, then the spellings it implies. */
export const REFUSED_CASES: readonly RefusedCase[] = [
  { desc: '/.*/ with credentials', options: { ...CREDENTIALS, origins: /.*/ }, rule: 'any-origin-with-credentials', option: 'origins', probed: true, attacker: 'https://evil.example' },
  { desc: '/^https?:\\/\\/.+$/ with credentials', options: { ...CREDENTIALS, origins: /^https?:\/\/.+$/ }, rule: 'any-origin-with-credentials', option: 'origins', probed: true, attacker: 'https://evil.example' },
  { desc: 'https://*.com with credentials', options: { ...CREDENTIALS, origins: 'https://*.com' }, rule: 'public-suffix-with-credentials', option: 'origins', probed: false, attacker: 'https://evil.com' },
  { desc: 'https://*.co.uk with credentials', options: { ...CREDENTIALS, origins: 'https://*.co.uk' }, rule: 'public-suffix-with-credentials', option: 'origins', probed: false, attacker: 'https://evil.co.uk' },
  { desc: 'https://*.github.io with credentials', options: { ...CREDENTIALS, origins: 'https://*.github.io' }, rule: 'public-suffix-with-credentials', option: 'origins', probed: false, attacker: 'https://evil.github.io' },
  { desc: 'https://*.com. (fully qualified) with credentials', options: { ...CREDENTIALS, origins: 'https://*.com.' }, rule: 'public-suffix-with-credentials', option: 'origins', probed: false, attacker: 'https://evil.com.' },
  { desc: 'a RegExp over every fully qualified .com host', options: { ...CREDENTIALS, origins: /^https:\/\/[a-z0-9-]+\.com\.$/ }, rule: 'public-suffix-with-credentials', option: 'origins', probed: true, attacker: 'https://evil.com.' },
  { desc: 'http://app.example. with credentials', options: { ...CREDENTIALS, origins: ['http://app.example.'] }, rule: 'insecure-origin-with-credentials', option: 'origins[0]', probed: false, attacker: 'http://app.example.' },
  { desc: 'http://app.example with credentials', options: { ...CREDENTIALS, origins: ['http://app.example'] }, rule: 'insecure-origin-with-credentials', option: 'origins[0]', probed: false, attacker: 'http://app.example' },
  { desc: "'null' with credentials", options: { ...CREDENTIALS, origins: ['https://app.example', 'null'] }, rule: 'null-origin-with-credentials', option: 'origins[1]', probed: false, attacker: 'null' },
  { desc: "allowPrivateNetwork with origins '*' (no credentials)", options: { origins: '*', allowPrivateNetwork: true }, rule: 'private-network-from-any-origin', option: 'origins', probed: false, attacker: 'https://evil.example' },
  // Beyond the table: the same leaks, spelled otherwise.
  { desc: 'a RegExp of letter labels over vercel.app, a public suffix it names', options: { ...CREDENTIALS, origins: /^https:\/\/[a-z]+\.vercel\.app$/ }, rule: 'public-suffix-with-credentials', option: 'origins', probed: true, attacker: 'https://evil.vercel.app' },
  { desc: 'a RegExp over every .com and .net', options: { ...CREDENTIALS, origins: /https:\/\/.*\.(com|net)/ }, rule: 'public-suffix-with-credentials', option: 'origins', probed: true, attacker: 'https://evil.net' },
  { desc: 'a RegExp admitting any IP address', options: { ...CREDENTIALS, origins: [/https?:\/\/[\d.]+/] }, rule: 'any-origin-with-credentials', option: 'origins[0]', probed: true, attacker: 'https://198.51.100.9' },
  { desc: 'an http: wildcard with credentials', options: { ...CREDENTIALS, origins: 'http://*.app.example' }, rule: 'insecure-origin-with-credentials', option: 'origins', probed: false, attacker: 'http://a.app.example' },
  { desc: 'allowPrivateNetwork with a RegExp admitting anyone', options: { origins: /https:\/\/.+/, allowPrivateNetwork: true }, rule: 'private-network-from-any-origin', option: 'origins', probed: true, attacker: 'https://evil.example' },
  { desc: 'allowPrivateNetwork with an http: origin (no credentials)', options: { origins: ['https://intranet.example', 'http://intranet.example'], allowPrivateNetwork: true }, rule: 'insecure-origin-with-private-network', option: 'origins[1]', probed: false, attacker: 'http://intranet.example' },
  { desc: 'allowPrivateNetwork with an http: wildcard', options: { origins: 'http://*.corp.example', allowPrivateNetwork: true }, rule: 'insecure-origin-with-private-network', option: 'origins', probed: false, attacker: 'http://printer.corp.example' },
];

/** A configuration that must start, and the warnings it must raise (rule names), no more. */
export interface AcceptedCase {
  readonly desc: string;
  readonly options: CorsOptions;
  /** Rules named by start-up warnings, in order. */
  readonly warns: readonly SafetyRule[];
  /** An origin that gets a correct CORS response (ACAO echoed). */
  readonly origin: string;
}

/** Issue 11's safe neighbours, then more that must not be refused. */
export const ACCEPTED_CASES: readonly AcceptedCase[] = [
  { desc: 'https://*.example.com with credentials', options: { ...CREDENTIALS, origins: 'https://*.example.com' }, warns: [], origin: 'https://a.example.com' },
  { desc: 'http://localhost:3001 with credentials', options: { ...CREDENTIALS, origins: 'http://localhost:3001' }, warns: [], origin: 'http://localhost:3001' },
  { desc: '/^https:\\/\\/(a|b)\\.example\\.com$/ with credentials', options: { ...CREDENTIALS, origins: /^https:\/\/(a|b)\.example\.com$/ }, warns: [], origin: 'https://b.example.com' },
  { desc: 'https://*.github.io without credentials (a warning)', options: { origins: 'https://*.github.io' }, warns: ['public-suffix-with-credentials'], origin: 'https://someone.github.io' },
  { desc: 'loopback http: origins with credentials', options: { ...CREDENTIALS, origins: ['http://127.0.0.1:8080', 'http://[::1]:3000', 'http://localhost:*', 'http://*.localhost:*'] }, warns: [], origin: 'http://app.localhost:5173' },
  { desc: 'a fully qualified localhost with credentials', options: { ...CREDENTIALS, origins: ['http://localhost.:3000'] }, warns: [], origin: 'http://localhost.:3000' },
  { desc: 'https://*.example.com. (fully qualified) with credentials', options: { ...CREDENTIALS, origins: 'https://*.example.com.' }, warns: [], origin: 'https://a.example.com.' },
  { desc: 'https://*.com. without credentials (a warning)', options: { origins: 'https://*.com.' }, warns: ['public-suffix-with-credentials'], origin: 'https://someone.com.' },
  { desc: 'a RegExp under a domain of its own on a public suffix', options: { ...CREDENTIALS, origins: /^https:\/\/[a-z]+\.myorg\.github\.io$/ }, warns: [], origin: 'https://docs.myorg.github.io' },
  { desc: '/.*/ without credentials', options: { origins: /.*/ }, warns: [], origin: 'https://anyone.example' },
  { desc: "'null' without credentials", options: { origins: ['null'] }, warns: [], origin: 'null' },
  { desc: 'allowPrivateNetwork with a listed origin', options: { origins: 'https://intranet.example', allowPrivateNetwork: true }, warns: [], origin: 'https://intranet.example' },
  { desc: 'allowPrivateNetwork with loopback http: origins', options: { origins: ['http://localhost:3000', 'http://127.0.0.1:8080'], allowPrivateNetwork: true }, warns: [], origin: 'http://localhost:3000' },
  // Each refused configuration with its opt-in: it starts, and the opt-in is a warning.
  ...REFUSED_CASES.map((c): AcceptedCase => ({
    desc: `${c.desc}, with ${SAFETY_OPT_INS[c.rule]}`,
    options: { ...c.options, [SAFETY_OPT_INS[c.rule]]: true },
    warns: [c.rule],
    origin: c.attacker,
  })),
];
