import { Injectable } from '@nestjs/common';
import type { CorsPolicy, ResolvedCorsOptions } from '../core/index.js';
import { CorsHook } from './cors.hook.js';

/** The effective CORS of one route, and where each value came from. */
export interface RoutePolicyReport {
  readonly method: string;
  readonly path: string;
  /** `Controller.handler`, or `route` for routes registered outside controllers. */
  readonly handler: string;
  /** `decorator`, `disabled` (`@CrossOrigin(false)`) or `resources` (no decorator). */
  readonly kind: 'decorator' | 'disabled' | 'resources';
  /** The options in force, or `null` when the route sends no CORS headers. */
  readonly options: ResolvedCorsOptions | null;
  /** For each option: `default`, `forRoot`, `resource`, `controller`, `handler` or `policy:<name>`. */
  readonly sources: CorsPolicy['sources'] | null;
}

/**
 * Introspection of the compiled CORS configuration.
 * @publicApi
 */
@Injectable()
export class CorsService {
  constructor(private readonly hook: CorsHook) {}

  /** The policy that applies to a request (method, URL and optionally Host), or `null` for none. */
  policyFor(method: string, url: string, host?: string): { options: ResolvedCorsOptions; sources: CorsPolicy['sources']; label: string } | null {
    const { policy, label } = this.hook.engine.policyFor(method, url, host);
    return policy ? { options: policy.options, sources: policy.sources, label } : null;
  }

  /** Every route Nest registered, with its effective policy. */
  routes(): RoutePolicyReport[] {
    return this.hook.engine.routes.map((record) => {
      const route = record.target.route;
      const resolved = this.hook.engine.policyFor(record.method === 'ALL' ? 'GET' : record.method, record.path);
      const policy = route.kind === 'policy' ? route.policy : route.kind === 'resources' ? resolved.policy : null;
      return {
        method: record.method,
        path: record.path,
        handler: route.label,
        kind: route.kind === 'policy' ? 'decorator' : route.kind,
        options: policy?.options ?? null,
        sources: policy?.sources ?? null,
      };
    });
  }
}
