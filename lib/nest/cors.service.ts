import { Injectable } from '@nestjs/common';
import type { OptionSources, ResolvedCorsOptions } from '../core/index.js';
import { CorsGateways, type GatewayPolicyReport } from './cors-gateways.js';
import { CorsHook } from './cors.hook.js';
import type { RoutePolicyReport } from './route-report.js';

/**
 * Introspection of the compiled CORS configuration.
 * @publicApi
 */
@Injectable()
export class CorsService {
  constructor(
    private readonly hook: CorsHook,
    private readonly gatewayPolicies: CorsGateways,
  ) {}

  /**
   * The policy that applies to a request (method, URL and optionally Host), or `null` when it
   * gets no CORS headers. `label` names where the policy was written (`Controller.handler`,
   * `resources["/api/*"]`).
   */
  policyFor(method: string, url: string, host?: string): { options: ResolvedCorsOptions; sources: OptionSources; label: string } | null {
    const { policy, label } = this.hook.engine.policyFor(method, url, host);
    return policy ? { options: policy.options, sources: policy.sources, label } : null;
  }

  /** Every route Nest registered, with its effective policy and where each value came from. */
  routes(): RoutePolicyReport[] {
    return this.hook.routeReports();
  }

  /**
   * Every `@WebSocketGateway` with its policy (`@CrossOrigin` merged over forRoot), its port,
   * path and namespace, and the transport Nest created for it in `app.init()` (SPEC §8).
   */
  gateways(): GatewayPolicyReport[] {
    return this.gatewayPolicies.reports();
  }
}
