// The provider that makes CorsModule work: compiles every policy when the app is created
// (one error listing every problem), installs the platform's door on the HTTP adapter as soon
// as there is one (before app.init() registers middleware and routes), and checks the
// framework internals once routes are registered.
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { CorsConfigError, markFromAsync, PolicySet, type CorsModuleOptions } from '../core/index.js';
import { CORS_MODULE_OPTIONS, CORS_OPTIONS_ORIGIN } from './cors-module-options.interface.js';
import { CorsRuntime } from './cors-runtime.js';
import { escapeForLog } from './explain.js';
import { findGateways, type GatewayTable } from './gateway-table.js';
import { checkHostFilters, checkNestMetadataKeys, RouteTags } from './nest-internals.js';
import { installExpress } from './platform/express-door.js';
import { installFastify } from './platform/fastify-door.js';
import { refuseMisplaced, tagControllers } from './route-discovery.js';
import { formatRouteTable, reportRoutes, versionConflicts, type RoutePolicyReport } from './route-report.js';
import type { RouteTag } from './route-state.js';
import { installUpgradeCheck, type EarlyAnswers } from './upgrade-check.js';

type AnyAdapter = Record<string, unknown> & { getType?(): string; getHttpServer?(): unknown };

/** Adapters CORS was installed on: one per app, however often the module is imported. */
const INSTALLED = new WeakSet<object>();

/** Installs CorsModule's request path. Registered by `CorsModule`; not part of the public API. */
@Injectable()
export class CorsInstaller implements OnApplicationBootstrap {
  private readonly logger = new Logger('CorsModule');
  readonly runtime: CorsRuntime;
  /** The app's WebSocket gateways and their policies (see `CorsGateways`). */
  readonly gateways: GatewayTable;
  private readonly tags: RouteTags<RouteTag>;
  private readonly hostPatterns: (string | RegExp | (string | RegExp)[])[];
  private door: { check(): void; early?: EarlyAnswers } | null = null;
  private adapter: AnyAdapter | null = null;

  constructor(
    @Inject(CORS_MODULE_OPTIONS) options: CorsModuleOptions,
    @Optional() @Inject(CORS_OPTIONS_ORIGIN) origin: string | undefined,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    adapterHost: HttpAdapterHost,
  ) {
    checkNestMetadataKeys();
    // Options a forRootAsync() factory returned are marked so (a factory that returned nothing
    // is refused rather than read as "every default"), and messages name the call the user wrote.
    const fromAsync = origin === 'forRootAsync';
    const given = fromAsync ? markFromAsync(options) : options ?? {};
    const policies = new PolicySet(given, { label: fromAsync ? 'forRootAsync' : 'forRoot' });
    this.tags = new RouteTags<RouteTag>(this);
    this.hostPatterns = tagControllers(discovery, scanner, policies, this.tags);
    this.gateways = findGateways(discovery, scanner, policies);
    refuseMisplaced(discovery, scanner, policies);
    // One error listing every problem, thrown while the app is created.
    policies.assertValid();
    this.runtime = new CorsRuntime(policies, given, this.logger);
    if (this.runtime.debug) for (const warning of policies.warnings) this.logger.warn(warning);
    // The ReplaySubject replays an adapter set before this provider existed, so both
    // NestFactory.create() and Test.createTestingModule() land here.
    adapterHost.init$.subscribe(() => this.install(adapterHost.httpAdapter as unknown as AnyAdapter));
  }

  private install(adapter: AnyAdapter | undefined): void {
    if (!adapter || this.adapter === adapter) return;
    this.adapter = adapter;
    if (INSTALLED.has(adapter)) {
      this.logger.warn('CorsModule is configured more than once for this app; only the first configuration applies');
      return;
    }
    INSTALLED.add(adapter);
    const type = typeof adapter.getType === 'function' ? adapter.getType() : undefined;
    if (type === 'fastify') this.door = installFastify(adapter as never, this.runtime, this.tags);
    else if (type === 'express') this.door = installExpress(adapter as never, this.runtime, this.tags);
    else {
      this.logger.warn(`HTTP adapter "${escapeForLog(String(type))}" is not supported: no CORS headers will be sent (use CorsInterceptor by hand)`);
      return;
    }
    refuseSecondCorsLayer(adapter);
  }

  /**
   * Once every route is registered: the framework internals are checked (start-up fails
   * naming any that changed), and explain mode prints the route table.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.door === null) return;
    this.door.check();
    this.tags.assertAllSeen();
    await checkHostFilters(this.hostPatterns);
    // The HTTP server exists by now (Express's is made after the adapter is set).
    installUpgradeCheck(this.adapter?.getHttpServer?.(), this.runtime, this.gateways, this.door.early);
    if (!this.runtime.debug) return;
    for (const line of formatRouteTable(this.routeReports())) this.logger.log(line);
    for (const line of versionConflicts(this.runtime)) this.logger.warn(escapeForLog(line));
  }

  /**
   * Replaces forRoot's options while the app runs (see `CorsService.reconfigure`): every
   * start-up check runs on the new options with the app's decorators, and only when all pass
   * is the new state put in force, in one synchronous step, gateways included.
   */
  reconfigure(options: CorsModuleOptions): void {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new CorsConfigError([{
        where: 'reconfigure', option: 'options', value: options, reason: 'missing',
        detail: 'must be an options object: nothing would mean every default, which allows every origin',
      }]);
    }
    const policies = new PolicySet(options, { label: 'reconfigure', listening: this.runtime.listening });
    tagControllers(this.discovery, this.scanner, policies, null);
    const gateways = findGateways(this.discovery, this.scanner, policies);
    policies.assertValid();
    // Checked: the swap. Nothing asynchronous between these lines, so no request sees half of it.
    this.runtime.swap(policies, options);
    this.gateways.adopt(gateways);
    if (!this.runtime.debug) return;
    this.logger.log('CORS configuration replaced by CorsService.reconfigure()');
    for (const warning of policies.warnings) this.logger.warn(warning);
    for (const line of formatRouteTable(this.routeReports())) this.logger.log(line);
  }

  /** A change a followed store signalled could not be applied: the options in force stay. */
  followFailed(error: unknown): void {
    // The store's text is outside data: every line escaped, each problem on its own line.
    const lines = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 50);
    this.logger.error(`CORS options from the followed store were not applied; the options in force stay: ${lines.map(escapeForLog).join(' | ')}`);
  }

  /** Whether the platform door decides this app's responses (the enhancers then do nothing). */
  get installed(): boolean {
    return this.door !== null;
  }

  /** Every recorded route with its effective policy (see `CorsService.routes()`). */
  routeReports(): RoutePolicyReport[] {
    return reportRoutes(this.runtime);
  }
}

/**
 * `app.enableCors()` and `NestFactory.create(…, { cors })` both end in the adapter's public
 * `enableCors()`: a second CORS layer that would overwrite this one's headers (`*` on refused
 * origins and on `@CrossOrigin(false)` routes). Refused at start-up.
 */
function refuseSecondCorsLayer(adapter: AnyAdapter): void {
  adapter.enableCors = (options: unknown) => {
    throw new CorsConfigError([{
      where: 'app', option: 'enableCors', value: options ?? true, reason: 'conflict',
      detail: 'CorsModule already handles CORS for this app; app.enableCors() or NestFactory.create(…, { cors }) would add a second CORS layer that overwrites its headers. Remove enableCors()/{ cors } and put those options in CorsModule.forRoot()',
    }]);
  };
}
