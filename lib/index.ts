// The public API of nest-cross-origin (README "Quick start", "Options"). Anything not exported here may change.
export { CorsModule } from './nest/cors.module.js';
export { CrossOrigin, type CrossOriginValue } from './nest/cross-origin.decorator.js';
export { CorsGuard, CorsInterceptor } from './nest/cors.enhancers.js';
export { CorsService, type CorsExplanation } from './nest/cors.service.js';
export type { CorsDecisionEvent, CorsDecisionReason } from './core/index.js';
export type { RoutePolicyReport } from './nest/route-report.js';
export type { GatewayPolicyReport } from './nest/cors-gateways.js';
export { CORS_MODULE_OPTIONS, type CorsModuleAsyncOptions, type CorsOptionsFactory } from './nest/cors-module-options.interface.js';
export { CorsInternalsError } from './nest/nest-internals.js';
export type { CorsOptionsFollower, CorsOptionsSource } from './nest/options-follower.js';
export {
  CorsConfigError,
  DEFAULT_OPTIONS,
  cachedOrigins,
  type CachedOriginPredicate,
  type CachedOriginsOptions,
  type OriginLookup,
  type CorsConfigIssue,
  type CorsConfigIssueReason,
  type CorsModuleOptions,
  type CorsOptions,
  type HeaderSpec,
  type OptionSource,
  type OptionSources,
  type OriginPredicate,
  type OriginSpec,
  type ResolvedCorsOptions,
  type ResourcesOption,
  type RootLabel,
  type SafetyOptIn,
  type SafetyRule,
} from './core/index.js';
