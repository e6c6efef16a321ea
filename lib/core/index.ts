// The framework-free core: options → validated, compiled policy; a request and the handlers
// that may serve it → headers. Only lib/nest (and the tests) import this barrel; nothing here
// knows of Nest, Express or Fastify. Exported by name: what is not listed stays inside.
export {
  type CorsModuleOptions,
  type CorsOptions,
  DEFAULT_OPTIONS,
  type HeaderSpec,
  type OriginPredicate,
  type OriginSpec,
  POLICY_KEYS,
  type ResolvedCorsOptions,
  type ResourcesOption,
} from './options.js';
export {
  CorsConfigError,
  type CorsConfigIssue,
  type CorsConfigIssueReason,
  IssueCollector,
  describeValue,
} from './errors.js';
export {
  MAX_ORIGIN_LENGTH,
  type OriginMatcher,
  compileOrigins,
  isWellFormedOrigin,
  listOrigins,
  parseOrigin,
  parseOriginPattern,
  splitOriginList,
} from './origins.js';
export {
  type OriginVerdict,
  checkOrigin,
  isOriginAllowed,
  messageOf,
} from './origin-decision.js';
export {
  ACRH,
  ACRM,
  ACRPN,
  MAX_ACRH_NAMES,
  MAX_EMPTY_ELEMENTS,
  VARY,
  appendVary,
  checkRequestHeaders,
  compileHeaderMatcher,
} from './headers.js';
export {
  type OptionSource,
  type OptionSources,
  type RootLabel,
  mergeOptions,
} from './merge.js';
export {
  type CorsPolicy,
  type HeaderPair,
  compilePolicy,
} from './compile.js';
export {
  ARBITRARY_PROBES,
  SAFETY_OPT_INS,
  type SafetyOptIn,
  type SafetyRule,
  isLoopbackHost,
  isPublicSuffix,
  publicSuffixesIn,
} from './safety.js';
export {
  type ResourceEntry,
  compileResources,
  matchResource,
  matchesGlob,
  normalizeRequestPath,
  resolveDotSegments,
  targetPath,
} from './resources.js';
export {
  NO_HEADERS,
  PREFLIGHT_VARY,
  PREFLIGHT_VARY_PNA,
  type Refusal,
  actualResponseHeaders,
  intersectPreflights,
  preflightResponse,
  preflightVary,
} from './decide.js';
export {
  type Candidate,
  type CorsRequest,
  type Decision,
  decide,
  labelOf,
  preflightMethod,
  readCorsRequest,
} from './decision.js';
export {
  type CorsDecisionEvent,
  type CorsDecisionReason,
  decisionEvent,
  reasonOf,
} from './decision-event.js';
export {
  type RouteParams,
  type RouteToken,
  canonicalPath,
  routePath,
  hasPlainValues,
  isStaticRoute,
  resourceOfRoute,
} from './route-resources.js';
export {
  type HandshakeDecision,
  type HandshakeRequest,
  decideHandshake,
} from './handshake.js';
export {
  type CrossOriginLevel,
  PolicySet,
  markFromAsync,
} from './policy-set.js';
export {
  ABANDON_LOOKUP,
  type CachedOriginPredicate,
  type CachedOriginsOptions,
  type CachedPredicateHooks,
  LOOKUP_KEY,
  MAX_CACHE_KEY_LENGTH,
  type OriginLookup,
  cachedOrigins,
} from './origin-cache.js';
export {
  unreachableOrigin,
} from './canonical.js';
