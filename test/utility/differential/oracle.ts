// The policy model of the differential oracle, from SPEC §3 and §4 only: which options a
// handler declares (rule 1), which `resources` entry a path selects (rules 2-4), and which CORS
// headers a policy (an actual request) or a set of candidate policies (a preflight, rule 7)
// must produce. It never calls the library.
import { optionsText, type AppConfig, type ControllerConfig, type Decoration, type HandlerConfig, type PolicyOptions } from './config.js';
import { patternMatcher } from './paths.js';

/** A merged policy; `null` where CORS is off or no `resources` entry covers the path. */
export interface Policy {
  /** `*`, or the admitted origins, lower-cased. */
  readonly origins: '*' | readonly string[];
  readonly methods: readonly string[];
  /** `*`, or the admitted request header names, lower-cased. */
  readonly allowHeaders: '*' | readonly string[];
  readonly credentials: boolean;
}

/** A policy with where it comes from, for messages. */
export interface Governing {
  readonly policy: Policy | null;
  readonly label: string;
}

/** SPEC §2 defaults. */
const DEFAULTS: Policy = {
  origins: '*',
  methods: ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'PATCH', 'DELETE'],
  allowHeaders: '*',
  credentials: false,
};

/** Key-by-key merge (rule 1): a key set lower down replaces the whole value above it. */
export function merge(...layers: readonly PolicyOptions[]): Policy {
  let p: Policy = DEFAULTS;
  for (const o of layers) {
    p = {
      origins: o.origins === undefined ? p.origins : listOrStar(o.origins, (x) => x.toLowerCase()),
      methods: o.methods === undefined ? p.methods : o.methods.map((m) => m.toUpperCase()),
      allowHeaders: o.allowHeaders === undefined ? p.allowHeaders : listOrStar(o.allowHeaders, (x) => x.toLowerCase()),
      credentials: o.supportsCredentials ?? p.credentials,
    };
  }
  return p;
}

function listOrStar(value: string | readonly string[], norm: (s: string) => string): '*' | readonly string[] {
  const list = (typeof value === 'string' ? value.split(',') : value).map((s) => s.trim()).filter(Boolean);
  return list.includes('*') ? '*' : list.map(norm);
}

function decorationOptions(config: AppConfig, d: Decoration): PolicyOptions {
  if (d.kind === 'options') return d.options;
  if (d.kind === 'named') return config.cors.policies.find(([n]) => n === d.name)![1];
  return {};
}

function decorationLabel(d: Decoration, owner: string): string {
  return d.kind === 'named' ? `${owner}'s @CrossOrigin('${d.name}')` : d.kind === 'off' ? `${owner}'s @CrossOrigin(false)` : `${owner}'s @CrossOrigin(${d.kind === 'options' ? optionsText(d.options) : ''})`;
}

/**
 * Rule 1 for a Nest handler with `@CrossOrigin` on it or its controller; `undefined` for an
 * undecorated one, which `resources` governs (rule 2).
 */
export function decoratedPolicy(config: AppConfig, controller: ControllerConfig, handler: HandlerConfig): Governing | undefined {
  const hd = handler.cors;
  const cd = controller.cors;
  const top = config.cors.top;
  if (hd.kind === 'off') return { policy: null, label: decorationLabel(hd, handler.id) };
  if (hd.kind !== 'none') {
    // Handler options over a class-level `false` turn CORS back on, inheriting forRoot only.
    const layers = cd.kind === 'off' || cd.kind === 'none' ? [top, decorationOptions(config, hd)] : [top, decorationOptions(config, cd), decorationOptions(config, hd)];
    const label = cd.kind === 'none' || cd.kind === 'off' ? decorationLabel(hd, handler.id) : `${decorationLabel(cd, controller.id)} < ${decorationLabel(hd, handler.id)}`;
    return { policy: merge(...layers), label };
  }
  if (cd.kind === 'off') return { policy: null, label: decorationLabel(cd, controller.id) };
  if (cd.kind !== 'none') return { policy: merge(top, decorationOptions(config, cd)), label: decorationLabel(cd, controller.id) };
  return undefined;
}

/** The entries in the order rule 4 tries them: literal keys, then more segments, then longer; ties as written. */
function ranked(config: AppConfig): readonly (readonly [string, PolicyOptions])[] {
  const entries = config.cors.resources ?? [['/*', {}] as const];
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const [pa] = a.e;
      const [pb] = b.e;
      return Number(pb.includes('*') === false) - Number(pa.includes('*') === false) || pb.split('/').length - pa.split('/').length || pb.length - pa.length || a.i - b.i;
    })
    .map(({ e }) => e);
}

/** Rules 2-4: the most specific `resources` entry for a path (already decoded, dot segments resolved). */
export function resourcePolicy(config: AppConfig, path: string): Governing {
  for (const [pattern, options] of ranked(config)) {
    if (patternMatcher(pattern).test(path)) return { policy: merge(config.cors.top, options), label: `resources['${pattern}'] for ${JSON.stringify(path)}` };
  }
  return { policy: null, label: `no resources entry for ${JSON.stringify(path)}` };
}

/** What a policy says of one origin, method or header. */
export const admitsOrigin = (p: Policy, origin: string): boolean => p.origins === '*' || p.origins.includes(origin.toLowerCase());
const admitsMethod = (p: Policy, method: string): boolean => p.methods.includes(method);
const admitsHeader = (p: Policy, header: string): boolean => p.allowHeaders === '*' || p.allowHeaders.includes(header.toLowerCase());

/** The CORS headers a response must carry, as the test compares them. */
export interface Expected {
  /** The one ACAO value, or none. */
  readonly acao: string | undefined;
  readonly credentials: boolean;
  /** Vary must name Origin. */
  readonly varyOrigin: boolean;
  /** Preflights: whether ACAM must admit the requested method, and which requested headers ACAH must admit. */
  readonly method?: boolean;
  readonly headers?: readonly { readonly name: string; readonly admitted: boolean }[];
}

/**
 * An actual request (SPEC §4): the Origin echoed when admitted, ACAC with credentials, `Vary:
 * Origin` whenever the answer depends on the Origin; without an Origin, `alwaysSend` sends `*`
 * or the single static origin.
 */
export function expectActual(policy: Policy | null, origin: string | undefined): Expected {
  if (policy === null) return { acao: undefined, credentials: false, varyOrigin: false };
  if (origin === undefined) {
    const single = policy.origins === '*' ? '*' : policy.origins.length === 1 ? policy.origins[0] : undefined;
    return { acao: single, credentials: single !== undefined && policy.credentials, varyOrigin: false };
  }
  const admitted = admitsOrigin(policy, origin);
  return { acao: admitted ? origin : undefined, credentials: admitted && policy.credentials, varyOrigin: true };
}

/**
 * An actual response written before any handler ran, on a request several handlers may serve
 * (Express: README "How the policy is chosen"): only what every candidate grants, as for a
 * preflight. A candidate without CORS means no CORS headers.
 */
export function expectActualOfAll(candidates: readonly (Policy | null)[], origin: string | undefined): Expected {
  if (candidates.length === 1) return expectActual(candidates[0], origin);
  if (candidates.some((p) => p === null)) return { acao: undefined, credentials: false, varyOrigin: false };
  const each = candidates.map((p) => expectActual(p, origin));
  const varyOrigin = each.some((e) => e.varyOrigin);
  if (each.some((e) => e.acao === undefined)) return { acao: undefined, credentials: false, varyOrigin };
  const named = each.map((e) => e.acao!).filter((a) => a !== '*');
  if (named.some((a) => a !== named[0])) return { acao: undefined, credentials: false, varyOrigin };
  return { acao: named[0] ?? '*', credentials: each.every((e) => e.credentials), varyOrigin };
}

/**
 * A preflight (SPEC §3 rules 5 and 7, §4): only what every candidate grants. The origin must
 * pass all, the method all (else no ACAM/ACAH), each requested header all, credentials only
 * when all give them. A candidate with CORS off means the preflight gets no CORS headers.
 */
export function expectPreflight(candidates: readonly (Policy | null)[], origin: string, method: string, headers: readonly string[]): Expected {
  if (candidates.length === 0 || candidates.some((p) => p === null)) return { acao: undefined, credentials: false, varyOrigin: false };
  const all = candidates as readonly Policy[];
  if (!all.every((p) => admitsOrigin(p, origin))) return { acao: undefined, credentials: false, varyOrigin: true };
  const methodOk = all.every((p) => admitsMethod(p, method));
  return {
    acao: origin,
    credentials: all.every((p) => p.credentials),
    varyOrigin: true,
    method: methodOk,
    headers: headers.map((name) => ({ name, admitted: methodOk && all.every((p) => admitsHeader(p, name)) })),
  };
}

/** A policy in one line, for messages. */
export function policyText(p: Policy | null): string {
  if (p === null) return 'no CORS';
  const origins = p.origins === '*' ? '*' : p.origins.join(',');
  return `origins ${origins}; methods ${p.methods.join(',')}; headers ${p.allowHeaders === '*' ? '*' : p.allowHeaders.join(',')}${p.credentials ? '; credentials' : ''}`;
}
