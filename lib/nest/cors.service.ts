import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import type { OptionSources, ResolvedCorsOptions } from '../core/index.js';
import { CorsGateways, type GatewayPolicyReport } from './cors-gateways.js';
import { CorsHook } from './cors.hook.js';
import { formatRefusal } from './explain.js';
import { markCreated, markInitialised } from './init-state.js';
import type { RoutePolicyReport } from './route-report.js';

/**
 * Introspection of the compiled CORS configuration.
 * @publicApi
 */
@Injectable()
export class CorsService implements OnApplicationBootstrap {
  constructor(
    private readonly hook: CorsHook,
    private readonly gatewayPolicies: CorsGateways,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    // The adapter is set before this provider exists with NestFactory.create(), after it with
    // @nestjs/testing; the ReplaySubject covers both.
    adapterHost.init$.subscribe(() => {
      if (adapterHost.httpAdapter) markCreated(adapterHost.httpAdapter);
    });
  }

  /** @internal Records that the app was initialised, for `expectCors` (see init-state.ts). */
  onApplicationBootstrap(): void {
    if (this.adapterHost.httpAdapter) markInitialised(this.adapterHost.httpAdapter);
  }

  /**
   * The policy that applies to a request (method, URL and optionally Host), or `null` when it
   * gets no CORS headers. `label` names where the policy was written (`Controller.handler`,
   * `resources["/api/*"]`).
   */
  policyFor(method: string, url: string, host?: string): { options: ResolvedCorsOptions; sources: OptionSources; label: string } | null {
    const { policy, label } = this.hook.engine.policyFor(method, url, host);
    return policy ? { options: policy.options, sources: policy.sources, label } : null;
  }

  /**
   * What the library decides for a request, and why, in the words explain mode logs: for a
   * page or a support tool that wants to show the server's reason beside a blocked call.
   * `headers` are the request's (lower-case names: `origin`, `access-control-request-method`
   * for a preflight…). Origin predicates receive `request` (default: `null`).
   */
  async explain(method: string, url: string, headers: IncomingHttpHeaders, request: unknown = null): Promise<CorsExplanation> {
    const { outcome, refusal } = await this.hook.engine.explain(method.toUpperCase(), url, headers, request);
    return {
      allowed: refusal === null && outcome.headers.some(([name]) => name === 'access-control-allow-origin'),
      preflight: method.toUpperCase() === 'OPTIONS' && headers['access-control-request-method'] !== undefined,
      headers: Object.fromEntries(outcome.headers),
      reason: refusal === null ? null : formatRefusal(refusal),
    };
  }

  /** Every route Nest registered, with its effective policy and where each value came from. */
  routes(): RoutePolicyReport[] {
    return this.hook.routeReports();
  }

  /**
   * Every `@WebSocketGateway` with its policy (`@CrossOrigin` merged over forRoot), its port,
   * path and namespace, and the transport Nest created for it in `app.init()` (README "WebSockets").
   */
  gateways(): GatewayPolicyReport[] {
    return this.gatewayPolicies.reports();
  }
}

/** What {@link CorsService.explain} answers. */
export interface CorsExplanation {
  /** The library sent `Access-Control-Allow-Origin` and refused nothing. */
  readonly allowed: boolean;
  readonly preflight: boolean;
  /** The CORS headers the library would send (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** The line explain mode logs for this refusal, or `null` when nothing was refused. */
  readonly reason: string | null;
}
