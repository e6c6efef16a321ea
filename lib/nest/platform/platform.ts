import type { RoutePolicy } from '../../core/index.js';

/** What a Nest handler carries for CORS: its route policy, and its controller's host filter. */
export interface NestHandlerPolicy {
  readonly route: RoutePolicy;
  readonly hosts: readonly RegExp[] | null;
}

/** What the platform integrations get from `CorsHook`. */
export interface PlatformHooks {
  /** The policy of a handler Nest registers (`resources` for one no controller declared). */
  nestRoute(handler: Function): NestHandlerPolicy;
  /** The request goes on without CORS headers (fail closed); logged once. */
  onError(error: unknown): void;
}
