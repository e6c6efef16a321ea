// CorsService: the configuration in force, as data, and what it decides for a request.
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import { decide, labelOf, readCorsRequest, targetPath, type Candidate, type CorsModuleOptions, type Decision, type OptionSources, type ResolvedCorsOptions } from '../core/index.js';
import { CorsGateways, type GatewayPolicyReport } from './cors-gateways.js';
import { CorsInstaller } from './cors.installer.js';
import { markCreated, markInitialised } from './init-state.js';
import { followOptions, type CorsOptionsFollower, type CorsOptionsSource } from './options-follower.js';
import type { RoutePolicyReport } from './route-report.js';

/**
 * The CORS configuration in force, and what it decides for a request, in the words explain
 * mode logs.
 * @publicApi
 */
@Injectable()
export class CorsService implements OnApplicationBootstrap {
  constructor(
    private readonly installer: CorsInstaller,
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

  /** The handlers a request may reach under the configuration in force, as the platform's router finds them. */
  private candidates(method: string, path: string, host: string | undefined): Candidate[] {
    const runtime = this.installer.runtime;
    const state = runtime.state;
    return runtime.finder ? runtime.finder(state, method, path, host) : [state.onRequestPath(path)];
  }

  /**
   * The policy that applies to a request (method, URL and optionally Host), or `null` when it
   * gets no CORS headers. `label` names where the policy was written (`Controller.handler`,
   * `resources["/api/*"]`). For a path several handlers may serve (header versions), the
   * first one the router tries.
   */
  policyFor(method: string, url: string, host?: string): { options: ResolvedCorsOptions; sources: OptionSources; label: string } | null {
    const [first] = this.candidates(method.toUpperCase(), targetPath(url), host);
    return first?.policy ? { options: first.policy.options, sources: first.policy.sources, label: labelOf(first) } : null;
  }

  /**
   * What the library decides for a request, and why, in the words explain mode logs: for a
   * page or a support tool that shows the server's reason beside a blocked call. `headers`
   * are the request's, with lower-case names (`origin`, and `access-control-request-method`
   * for a preflight…). An actual request is decided for the handler the router would
   * dispatch it to. Origin predicates receive `request` (default: `null`).
   */
  async explain(method: string, url: string, headers: IncomingHttpHeaders, request: unknown = null): Promise<CorsExplanation> {
    const upper = method.toUpperCase();
    const path = targetPath(url);
    const r = readCorsRequest(upper, path, headers, request);
    const found = this.candidates(r.acrm ?? upper, path, typeof headers.host === 'string' ? headers.host.split(':')[0] : undefined);
    const d: Decision = await decide(r.acrm !== undefined ? found : found.slice(0, 1), r, { timeout: this.installer.runtime.state.policies.originTimeout });
    return {
      allowed: d.verdict === 'allowed' && d.headers.some(([name]) => name === 'access-control-allow-origin'),
      preflight: d.kind === 'preflight',
      headers: Object.fromEntries(d.headers),
      reason: d.verdict === 'refused' ? this.installer.runtime.explain(d, r) : null,
    };
  }

  /**
   * Replaces the options given to `forRoot()` (top level, `resources`, `policies`,
   * `originTimeout`; `debug`, `onDecision` and `reportAllowed` when given) while the app
   * runs: origins kept in a database, changed by an admin without a restart. The new options
   * go through every start-up check, with the app's decorators merged over them as declared;
   * any problem rejects with one `CorsConfigError` listing them all, and nothing changes.
   * Otherwise the new configuration is put in force at once and whole: every request,
   * preflight and WebSocket handshake is decided wholly under the old or wholly under the
   * new one. `routes()` and `gateways()` show it at once; explain mode logs the change.
   * Replicas each apply it: see README "Origins that change while the app runs".
   *
   * @example
   * ```ts
   * await cors.reconfigure({ origins: await origins.fromDatabase(), supportsCredentials: true });
   * ```
   */
  async reconfigure(options: CorsModuleOptions): Promise<void> {
    this.installer.reconfigure(options);
  }

  /**
   * Keeps this process's CORS in step with a shared store, as every replica of an app does
   * (README "Origins that change while the app runs"): reads the store's options and applies
   * them with {@link reconfigure}, then again whenever `source.watch` signals a change or a
   * reconnection. The first read's failure rejects; a later one is logged (escaped) and the
   * options in force stay. Stop the returned follower when the app closes.
   *
   * @example
   * ```ts
   * const follower = await app.get(CorsService).follow({
   *   read: async () => JSON.parse((await redis.get('cors:options')) ?? 'null'),
   *   // Read again once subscribed (a change may land in between), and after every reconnection.
   *   watch: (changed) => { sub.on('ready', changed); void sub.subscribe('cors:options', changed).then(changed); },
   * });
   * ```
   */
  follow(source: CorsOptionsSource): Promise<CorsOptionsFollower> {
    return followOptions(source, (options) => this.reconfigure(options), (error) => this.installer.followFailed(error));
  }

  /** Every route Nest registered, with its effective policy and where each value came from. */
  routes(): RoutePolicyReport[] {
    return this.installer.routeReports();
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
