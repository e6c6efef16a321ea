// The options users write (CorsOptions, CorsModuleOptions), their defaults, and the bounds they must keep.
import type { CorsDecisionEvent } from './decision-event.js';

/**
 * Decides whether a request's Origin is allowed. Receives the Origin exactly as sent and the
 * framework's request object (Express `Request` or Fastify `FastifyRequest`). Only `true`
 * (or a promise of `true`) admits the origin; a throw, a rejection, or a promise not settled
 * within `originTimeout` refuses it, and explain mode logs which.
 */
export type OriginPredicate = (origin: string, request: unknown) => boolean | Promise<boolean>;

/** One entry of {@link CorsOptions.origins}. */
export type OriginSpec = string | RegExp | OriginPredicate;

/** One entry of {@link CorsOptions.allowHeaders}. */
export type HeaderSpec = string | RegExp;

/**
 * The CORS options of one policy. Names are the camelCase of Flask-CORS's, with its defaults.
 * Every key is optional; a key left `undefined` inherits from the level above (README "Which options apply").
 */
export interface CorsOptions {
  /**
   * Origins allowed to read responses: `'*'`, an exact origin (`'https://app.example.com'`),
   * a wildcard pattern (`'https://*.example.com'`: one or more labels, never the apex;
   * `'http://localhost:*'`: any port), a `RegExp` that must match the whole Origin, a predicate,
   * or an array of these. `'null'` is admitted only when listed explicitly. A string holding
   * commas is a list, as environment variables give it (`'https://a.example, https://b.example'`):
   * no origin contains a comma. (default: `'*'`)
   */
  origins?: OriginSpec | readonly OriginSpec[];
  /**
   * Methods a preflight may ask for, sent as `Access-Control-Allow-Methods`; upper-cased.
   * (default: `GET, HEAD, POST, OPTIONS, PUT, PATCH, DELETE`)
   */
  methods?: string | readonly string[];
  /**
   * Request headers a preflight may ask for: `'*'`, header names, `RegExp`s; matched
   * case-insensitively and echoed as requested. (default: `'*'`)
   */
  allowHeaders?: HeaderSpec | readonly HeaderSpec[];
  /** Response headers scripts may read, sent as `Access-Control-Expose-Headers`. (default: none) */
  exposeHeaders?: string | readonly string[];
  /** Send `Access-Control-Allow-Credentials: true` on every allowed response. (default: `false`) */
  supportsCredentials?: boolean;
  /**
   * Seconds a browser may cache a successful preflight, sent as `Access-Control-Max-Age`;
   * `0` is sent and turns the cache off. At most 86400, the longest any browser keeps one;
   * Chromium keeps it at most 7200 s and WebKit 600 s, which explain mode points out.
   * (default: none, so browsers use 5 s)
   */
  maxAge?: number;
  /** With `origins: '*'`, answer `Access-Control-Allow-Origin: *` instead of the echoed Origin. (default: `false`) */
  sendWildcard?: boolean;
  /** Add `Vary: Origin` to responses whose CORS headers depend on the Origin. (default: `true`) */
  varyHeader?: boolean;
  /** Send `Access-Control-Allow-Origin` (`*` or the single static origin) on requests without Origin. (default: `true`) */
  alwaysSend?: boolean;
  /** Answer preflights automatically; the handler never runs for them. (default: `true`) */
  automaticOptions?: boolean;
  /** Answer `Access-Control-Request-Private-Network: true` with `…-Allow-Private-Network: true`. (default: `false`) */
  allowPrivateNetwork?: boolean;
  /**
   * Accept, with `supportsCredentials`, a `RegExp` or pattern that admits origins no one would
   * list (it is probed at start-up with `https://nco-probe-….invalid` and the like), so any site
   * can read authenticated responses. Logged as a warning in explain mode. (default: `false`)
   */
  dangerouslyAllowAnyOriginWithCredentials?: boolean;
  /**
   * Accept, with `supportsCredentials`, a wildcard over a public suffix (`https://*.github.io`,
   * `https://*.co.uk`) or a `RegExp` admitting a site under one, where anyone can register a
   * site. Logged as a warning in explain mode. (default: `false`)
   */
  dangerouslyAllowPublicSuffixWildcards?: boolean;
  /**
   * Accept, with `supportsCredentials`, `http:` origins other than localhost and loopback
   * addresses, into which anyone on the network path can inject a script. Logged as a warning
   * in explain mode. (default: `false`)
   */
  dangerouslyAllowInsecureOrigins?: boolean;
  /**
   * Accept, with `supportsCredentials`, the `'null'` origin, which sandboxed iframes and `data:`
   * documents of any site send. Logged as a warning in explain mode. (default: `false`)
   */
  dangerouslyAllowNullOrigin?: boolean;
  /**
   * Accept `allowPrivateNetwork` with `origins: '*'` (or a matcher admitting any origin), which
   * lets any public site reach into the private network. Logged as a warning in explain mode.
   * (default: `false`)
   */
  dangerouslyAllowPrivateNetworkFromAnyOrigin?: boolean;
}

/** `resources` of {@link CorsModuleOptions}: path patterns, alone or mapped to their options. */
export type ResourcesOption = string | readonly string[] | Readonly<Record<string, CorsOptions>>;

/** What `CorsModule.forRoot()` takes: the app-wide options plus `resources` and `policies`. */
export interface CorsModuleOptions extends CorsOptions {
  /**
   * Path patterns and their options, for routes without `@CrossOrigin` and for unrouted paths.
   * In a pattern `*` matches any run of characters, `/` included; the whole path must match;
   * the most specific pattern wins. With `resources` given and none matching, no CORS headers.
   * (default: `'/*'`)
   */
  resources?: ResourcesOption;
  /** Named option sets, selected with `@CrossOrigin('name')`. (default: none) */
  policies?: Readonly<Record<string, CorsOptions>>;
  /**
   * Log, through Nest's `Logger`, one line per refused CORS decision with its reason, and the
   * route policy table at start-up. (default: `false`)
   */
  debug?: boolean;
  /**
   * Milliseconds an async origin decision (a predicate returning a promise) may take. One that
   * has not settled by then refuses CORS for that request: the request goes on without CORS
   * headers, and explain mode says so. A whole number from 1 to 2147483647, the longest delay
   * a timer takes. (default: `5000`)
   */
  originTimeout?: number;
  /**
   * Called after every refused CORS decision (and, with `reportAllowed`, every allowed one),
   * on HTTP requests, preflights and WebSocket gateways, with the decision as data: stable
   * reason codes for metrics and alerts, the Origin escaped. It runs after the response was
   * written or handed on, so it never delays or changes it; what it throws or rejects is
   * logged, escaped. (default: none)
   */
  onDecision?: (event: CorsDecisionEvent) => unknown;
  /** Report allowed decisions to `onDecision` too, not only refusals. (default: `false`) */
  reportAllowed?: boolean;
}

/**
 * The options of one policy after defaults and merging: every key of {@link CorsOptions}
 * present, with the meaning documented there.
 */
export interface ResolvedCorsOptions {
  readonly origins: OriginSpec | readonly OriginSpec[];
  readonly methods: string | readonly string[];
  readonly allowHeaders: HeaderSpec | readonly HeaderSpec[];
  readonly exposeHeaders: string | readonly string[] | undefined;
  readonly supportsCredentials: boolean;
  readonly maxAge: number | undefined;
  readonly sendWildcard: boolean;
  readonly varyHeader: boolean;
  readonly alwaysSend: boolean;
  readonly automaticOptions: boolean;
  readonly allowPrivateNetwork: boolean;
  readonly dangerouslyAllowAnyOriginWithCredentials: boolean;
  readonly dangerouslyAllowPublicSuffixWildcards: boolean;
  readonly dangerouslyAllowInsecureOrigins: boolean;
  readonly dangerouslyAllowNullOrigin: boolean;
  readonly dangerouslyAllowPrivateNetworkFromAnyOrigin: boolean;
}

/**
 * Flask-CORS's defaults (`DEFAULT_OPTIONS` in flask_cors/core.py), in this library's names, and
 * the safety opt-ins of README "Safety checks" (Flask-CORS has no such rules), all off.
 */
export const DEFAULT_OPTIONS: ResolvedCorsOptions = Object.freeze({
  origins: '*',
  methods: Object.freeze(['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']),
  allowHeaders: '*',
  exposeHeaders: undefined,
  supportsCredentials: false,
  maxAge: undefined,
  sendWildcard: false,
  varyHeader: true,
  alwaysSend: true,
  automaticOptions: true,
  allowPrivateNetwork: false,
  dangerouslyAllowAnyOriginWithCredentials: false,
  dangerouslyAllowPublicSuffixWildcards: false,
  dangerouslyAllowInsecureOrigins: false,
  dangerouslyAllowNullOrigin: false,
  dangerouslyAllowPrivateNetworkFromAnyOrigin: false,
});

/** The keys a policy may set, at any level. */
export const POLICY_KEYS: readonly (keyof CorsOptions)[] = Object.freeze(
  Object.keys(DEFAULT_OPTIONS) as (keyof CorsOptions)[],
);

/** The keys only `forRoot` takes. */
export const MODULE_ONLY_KEYS: readonly string[] = Object.freeze(['resources', 'policies', 'debug', 'originTimeout', 'onDecision', 'reportAllowed']);

/**
 * The largest `maxAge`, in seconds: no browser keeps a preflight longer (Firefox caps it at
 * 24 hours), so a larger value promises what no browser does.
 */
export const MAX_MAX_AGE = 86_400;
/** Chromium keeps a preflight at most this many seconds, whatever `maxAge` says. */
export const CHROMIUM_MAX_AGE = 7_200;
/** WebKit (Safari) keeps a preflight at most this many seconds, whatever `maxAge` says. */
export const WEBKIT_MAX_AGE = 600;

/** {@link CorsModuleOptions.originTimeout} when not given, in milliseconds. */
export const DEFAULT_ORIGIN_TIMEOUT = 5000;

/**
 * The longest `originTimeout`: Node (like browsers) stores timer delays as signed 32-bit
 * integers and fires anything longer after 1 ms, which would refuse every async origin.
 */
export const MAX_ORIGIN_TIMEOUT = 2_147_483_647;
