// Compiling merged options into a policy: the checks only the merged result allows, then every header value that does not depend on the request, as strings.
import { asList, issue, namesOf } from './checks.js';
import type { IssueCollector } from './errors.js';
import { ACAC, ACAM, ACEH, ACMA, compileHeaderMatcher, type HeaderMatcher } from './headers.js';
import { locate, placesAt, type MergedOptions, type PolicyPlaces, type RootLabel } from './merge.js';
import type { HeaderSpec, ResolvedCorsOptions } from './options.js';
import { compileOrigins, listOrigins, type OriginMatcher } from './origins.js';
import { checkSafety } from './safety.js';

/** A response header as written: lower-case name, final value. */
export type HeaderPair = readonly [name: string, value: string];

/**
 * A policy compiled once at start-up: matchers plus every header value that does not depend on
 * the request, as immutable strings. Nothing here is computed again per request.
 */
export interface CorsPolicy {
  readonly origins: OriginMatcher;
  readonly allowHeaders: HeaderMatcher;
  /** Allowed methods, upper-cased, for the exact ACRM check. */
  readonly methods: ReadonlySet<string>;
  /** `'*'` is in `methods`: every method passes, and preflights answer `ACAM: *` (Fetch's wildcard). */
  readonly anyMethod: boolean;
  /** Send `ACAO: *` for every allowed origin (`origins: '*'` with `sendWildcard`). */
  readonly wildcard: boolean;
  /** Whether responses get `Vary: Origin` (whenever they depend on the Origin: README "Origins and Vary"). */
  readonly varyOrigin: boolean;
  /** ACAO for requests without Origin (`alwaysSend`), or `null` for none. */
  readonly noOriginAcao: string | null;
  /** Headers of every allowed response after ACAO: ACEH, ACAC. */
  readonly sharedHeaders: readonly HeaderPair[];
  /** Headers of an allowed preflight whose method is allowed, after ACAH: ACAM, ACMA. */
  readonly preflightHeaders: readonly HeaderPair[];
  readonly allowPrivateNetwork: boolean;
  readonly automaticOptions: boolean;
  /**
   * The merged options, kept for introspection; never read per request. `origins` written as
   * a comma-separated string is kept as the list it stands for.
   */
  readonly options: ResolvedCorsOptions;
  readonly sources: MergedOptions['sources'];
  /** Which call wrote the forRoot level, so explanations name it as the user wrote it. */
  readonly root: RootLabel;
}

/**
 * Compiles merged options (already checked level by level) into a {@link CorsPolicy}, after
 * the checks that only make sense on the merged result. Returns `null` once any issue has been
 * collected, since start-up then fails and the options may not be of the expected types.
 */
const ORIGIN_MATCHERS = new WeakMap<object, OriginMatcher>();

export function compilePolicy(merged: MergedOptions, placement: string | PolicyPlaces, c: IssueCollector): CorsPolicy | null {
  const o = merged.options;
  const places = typeof placement === 'string' ? placesAt(placement) : placement;
  // A problem of a combination is reported where its keys were written (the deepest of
  // them), so routes inheriting one forRoot mistake report it once.
  const at = (...keys: (keyof ResolvedCorsOptions)[]) => locate(places, merged.sources, keys);
  const originSpecs = listOrigins(o.origins);
  const anyOrigin = originSpecs.some((s) => s === '*');
  if (o.supportsCredentials === true && anyOrigin) {
    const star = merged.sources.origins === 'default' ? 'origins "*" (default)' : 'origins "*"';
    issue(c, at('supportsCredentials', 'origins'), 'supportsCredentials', true, 'incompatible',
      `cannot be combined with ${star}: browsers refuse credentials with ACAO "*", and echoing any origin with credentials lets every site read authenticated responses. List the origins, use a pattern such as "https://*.example.com", a RegExp or a predicate`);
  }
  const expose = namesOf(o.exposeHeaders);
  if (o.supportsCredentials === true && expose.includes('*')) {
    issue(c, at('supportsCredentials', 'exposeHeaders'), 'exposeHeaders', o.exposeHeaders, 'incompatible',
      '"*" exposes nothing to credentialed requests (Fetch standard): list the header names');
  }
  if (o.supportsCredentials === true && namesOf(o.methods).includes('*')) {
    issue(c, at('supportsCredentials', 'methods'), 'methods', o.methods, 'incompatible',
      '"*" is a wildcard only for requests without credentials: with credentials a browser reads Access-Control-Allow-Methods "*" as a method named "*", so every preflighted method would be refused. List the methods');
  }
  checkSafety(o, merged.sources, places, c);
  // With any issue the app will not start: nothing is compiled from options not known good.
  if (c.issues.length > 0) return null;

  const methods = namesOf(o.methods).map((m) => m.toUpperCase());
  // '*' is Fetch's wildcard in ACAM (without credentials, refused above): a browser that reads
  // it lets any method through and caches that, so the library must let any method through
  // too, and sends '*' alone: listing methods beside it would say nothing more.
  const anyMethod = methods.includes('*');
  const uniqueMethods = anyMethod ? ['*'] : [...new Set(methods)];
  const allowHeaders: HeaderSpec[] = asList<HeaderSpec>(o.allowHeaders).flatMap((s): HeaderSpec[] =>
    typeof s === 'string' ? s.split(',').map((p) => p.trim()).filter(Boolean) : [s],
  );
  // One matcher per origins list: the route policies that inherit forRoot's list (10,000
  // origins, say) share it instead of each building its own Set.
  let origins = typeof o.origins === 'object' && o.origins !== null ? ORIGIN_MATCHERS.get(o.origins) : undefined;
  if (origins === undefined) {
    origins = compileOrigins(originSpecs);
    if (typeof o.origins === 'object' && o.origins !== null) ORIGIN_MATCHERS.set(o.origins, origins);
  }
  const wildcard = anyOrigin && o.sendWildcard;
  const sharedHeaders: HeaderPair[] = [];
  if (expose.length > 0) sharedHeaders.push([ACEH, [...new Set(expose)].join(', ')]);
  if (o.supportsCredentials) sharedHeaders.push([ACAC, 'true']);
  const preflightHeaders: HeaderPair[] = [];
  if (uniqueMethods.length > 0) preflightHeaders.push([ACAM, uniqueMethods.join(', ')]);
  if (o.maxAge !== undefined) preflightHeaders.push([ACMA, String(o.maxAge)]);
  let noOriginAcao: string | null = null;
  if (o.alwaysSend) {
    if (anyOrigin && !o.supportsCredentials) noOriginAcao = '*';
    else if (!anyOrigin && origins.staticOrigin !== null) noOriginAcao = origins.staticOrigin;
  }
  return Object.freeze({
    origins,
    allowHeaders: compileHeaderMatcher(allowHeaders),
    methods: new Set(uniqueMethods),
    anyMethod,
    wildcard,
    // Even with "*" for every allowed origin, "null" and malformed Origins get nothing, so
    // every response depends on the Origin (README "Origins and Vary"); Fetch's no-Vary advice for a constant
    // "*" does not apply.
    varyOrigin: o.varyHeader,
    noOriginAcao,
    sharedHeaders: Object.freeze(sharedHeaders.map((h) => Object.freeze(h) as HeaderPair)),
    preflightHeaders: Object.freeze(preflightHeaders.map((h) => Object.freeze(h) as HeaderPair)),
    allowPrivateNetwork: o.allowPrivateNetwork,
    automaticOptions: o.automaticOptions,
    // A comma-separated string is shown as the list it stands for (CorsService.policyFor(),
    // the start-up table), so what was read from an environment variable can be checked.
    options: asList(o.origins).some((spec) => typeof spec === 'string' && spec.includes(','))
      ? Object.freeze({ ...o, origins: Object.freeze(originSpecs) })
      : o,
    sources: merged.sources,
    root: places.root,
  });
}
