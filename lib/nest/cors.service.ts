import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { OptionSources, ResolvedCorsOptions } from '../core/index.js';
import { CorsHook } from './cors.hook.js';
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

  /** Every route Nest registered, with its effective policy and where each value came from. */
  routes(): RoutePolicyReport[] {
    return this.hook.routeReports();
  }
}
