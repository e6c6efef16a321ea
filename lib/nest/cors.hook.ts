import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HOST_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { pathToRegexp } from 'path-to-regexp';
import { CorsConfigError, PolicySet, type CorsModuleOptions, type CrossOriginLevel, type RoutePolicy } from '../core/index.js';
import { CORS_MODULE_OPTIONS, CROSS_ORIGIN_METADATA, ROUTE_POLICY_METADATA } from './cors.constants.js';
import { CorsEngine } from './cors-engine.js';
import { escapeForLog, formatRefusal } from './explain.js';
import { readGatewayMetadata } from './gateway-internals.js';
import { findGateways, type GatewayTable } from './gateway-table.js';
import { formatRouteTable, reportRoutes, versionConflicts, type RoutePolicyReport } from './route-report.js';
import { installExpress } from './platform/express.js';
import { installFastify } from './platform/fastify.js';
import type { NestHandlerPolicy, PlatformHooks } from './platform/platform.js';

/** What the library writes on each controller method: its route policy, per controller. */
interface RouteTag extends NestHandlerPolicy {
  readonly controller: string;
}

type AnyAdapter = Record<string, unknown> & { getType?(): string };

/** Adapters a CORS hook was installed on: one per app, however often the module is imported. */
const HOOKED = new WeakSet<object>();

/** Metadata keys of other Nest packages, read (never written) to name what a class is. */
/** Every key @nestjs/graphql's `@Resolver()` writes starts so (`graphql:resolver_name`, …). */
const GRAPHQL_METADATA_PREFIX = 'graphql:';

const FOREIGN: NestHandlerPolicy = Object.freeze({ route: Object.freeze({ kind: 'resources', label: 'route' }) as RoutePolicy, hosts: null });

/** A host filter compiled the way Nest's RouterExplorer compiles it (`applyHostFilter`). */
function hostRegExps(host: string | RegExp | (string | RegExp)[] | undefined): RegExp[] | null {
  if (host === undefined) return null;
  return (Array.isArray(host) ? host : [host]).map((h) => (h instanceof RegExp ? new RegExp(h.source, h.flags.replace(/[gy]/g, '')) : pathToRegexp(h).regexp));
}

/**
 * Compiles every policy when the app is created, then installs CORS on the HTTP adapter as
 * soon as there is one (before `app.init()` registers middleware and routes): one way in per
 * platform, which learns from the framework which handler serves each request.
 * Registered by `CorsModule`; nothing else needs registering.
 */
@Injectable()
export class CorsHook implements OnApplicationBootstrap {
  private readonly logger = new Logger('CorsModule');
  /** @internal The per-request half; its shape may change in any release. */
  readonly engine: CorsEngine;
  /** @internal The app's WebSocket gateways and their policies (see `CorsGateways`). */
  readonly gateways: GatewayTable;
  private installedOn: AnyAdapter | null = null;
  private loggedHookError = false;
  private readonly debug: boolean;

  constructor(
    @Inject(CORS_MODULE_OPTIONS) options: CorsModuleOptions,
    discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    adapterHost: HttpAdapterHost,
  ) {
    const policies = new PolicySet(options ?? {});
    this.engine = new CorsEngine(policies);
    this.tagControllers(discovery, policies);
    this.gateways = findGateways(discovery, scanner, policies);
    this.refuseMisplaced(discovery, policies);
    // One error listing every problem, thrown while the app is created (SPEC §6).
    policies.assertValid();
    this.debug = options?.debug === true;
    if (this.debug) {
      this.engine.onRefusal = (r) => this.logger.warn(formatRefusal(r));
      for (const warning of policies.warnings) this.logger.warn(warning); // SPEC §6 opt-ins in use
    }
    adapterHost.init$.subscribe(() => this.install(adapterHost.httpAdapter as unknown as AnyAdapter));
    // An adapter set before this provider existed has already emitted; the ReplaySubject
    // replays it, so both NestFactory.create() and Test.createTestingModule() land here.
  }

  private tagControllers(discovery: DiscoveryService, policies: PolicySet): void {
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!controller || typeof controller !== 'function' || !controller.prototype) continue;
      const classValue = Reflect.getMetadata(CROSS_ORIGIN_METADATA, controller) as CrossOriginLevel;
      const hosts = hostRegExps(Reflect.getMetadata(HOST_METADATA, controller));
      const name = controller.name || 'AnonymousController';
      for (const methodName of this.scanner.getAllMethodNames(controller.prototype)) {
        const fn = (controller.prototype as Record<string, unknown>)[methodName];
        if (typeof fn !== 'function') continue;
        const handlerValue = Reflect.getMetadata(CROSS_ORIGIN_METADATA, fn) as CrossOriginLevel;
        const isRoute = Reflect.getMetadata(METHOD_METADATA, fn) !== undefined && Reflect.getMetadata(PATH_METADATA, fn) !== undefined;
        if (!isRoute) {
          if (handlerValue !== undefined) {
            // Its options are still checked, as a typo anywhere is.
            policies.routePolicy(classValue, handlerValue, name, methodName);
            policies.issues.add({
              where: `${name}.${methodName}`, option: '@CrossOrigin', value: handlerValue, reason: 'misplaced',
              detail: 'is on a controller method that is no route handler (no @Get(), @Post()…), so it would never apply: decorate the route handler or the controller',
            });
          }
          continue;
        }
        const route = policies.routePolicy(classValue, handlerValue, name, methodName);
        // Tags are kept per app (several may share controllers, as tests do) and, for a method
        // inherited by several controllers (one function), per controller.
        let byApp = Reflect.getOwnMetadata(ROUTE_POLICY_METADATA, fn) as WeakMap<CorsEngine, RouteTag[]> | undefined;
        if (!byApp) Reflect.defineMetadata(ROUTE_POLICY_METADATA, (byApp = new WeakMap()), fn);
        const tag = `${name}.${methodName}`;
        const tags = (byApp.get(this.engine) ?? []).filter((t) => t.controller !== tag);
        tags.push({ controller: tag, route, hosts });
        byApp.set(this.engine, tags);
      }
    }
  }

  /**
   * `@CrossOrigin` on a class that serves no HTTP route of its own (a GraphQL resolver, any
   * other provider) would be silently ignored: refused at start-up with what to write
   * instead (SPEC §6). WebSocket gateways are the exception (SPEC §8).
   */
  private refuseMisplaced(discovery: DiscoveryService, policies: PolicySet): void {
    const seen = new Set<Function>();
    for (const wrapper of discovery.getProviders()) {
      const type = wrapper.metatype as Function | undefined;
      if (typeof type !== 'function' || !type.prototype || seen.has(type)) continue;
      seen.add(type);
      // Gateways take @CrossOrigin (SPEC §8); findGateways checks their decorators.
      if (readGatewayMetadata(type) !== null) continue;
      const onClass = Reflect.getMetadata(CROSS_ORIGIN_METADATA, type) !== undefined;
      const methods = this.scanner.getAllMethodNames(type.prototype)
        .filter((m) => Reflect.getMetadata(CROSS_ORIGIN_METADATA, (type.prototype as Record<string, object>)[m]) !== undefined);
      if (!onClass && methods.length === 0) continue;
      const resolver = Reflect.getMetadataKeys(type).some((k) => typeof k === 'string' && k.startsWith(GRAPHQL_METADATA_PREFIX));
      const name = type.name || 'AnonymousProvider';
      policies.issues.add({
        where: methods.length && !onClass ? `${name}.${methods[0]}` : name,
        option: '@CrossOrigin',
        value: Reflect.getMetadata(CROSS_ORIGIN_METADATA, onClass ? type : (type.prototype as Record<string, object>)[methods[0]]),
        reason: 'misplaced',
        detail: resolver
          ? 'is on a GraphQL resolver, which serves no HTTP route of its own, so it would never apply: GraphQL is served at its endpoint, so give that path a policy with forRoot({ resources: { \'/graphql\': { … } } })'
          : 'is on a provider that serves no HTTP route, so it would never apply: put it on a controller or route handler, or give the path a policy with forRoot({ resources })',
      });
    }
  }

  private install(adapter: AnyAdapter | undefined): void {
    if (!adapter || this.installedOn === adapter) return;
    this.installedOn = adapter;
    if (HOOKED.has(adapter)) {
      this.logger.warn('CorsModule is configured more than once for this app; only the first configuration applies');
      return;
    }
    HOOKED.add(adapter);
    const type = typeof adapter.getType === 'function' ? adapter.getType() : undefined;
    const hooks: PlatformHooks = { nestRoute: (handler) => this.nestRoute(handler), onError: (error) => this.hookFailed(error) };
    if (type === 'fastify') installFastify(adapter as never, this.engine, hooks);
    else if (type === 'express') installExpress(adapter as never, this.engine, hooks);
    else {
      this.logger.warn(`HTTP adapter "${escapeForLog(String(type))}" is not supported: no CORS headers will be sent (use CorsInterceptor by hand)`);
      return;
    }
    refuseSecondCorsLayer(adapter);
  }

  /** The policy and hosts a registered handler carries, or the resources policy for others. */
  private nestRoute(handler: Function): NestHandlerPolicy {
    const byApp = Reflect.getMetadata(ROUTE_POLICY_METADATA, handler) as WeakMap<CorsEngine, RouteTag[]> | undefined;
    const tags = byApp?.get(this.engine);
    if (!tags || tags.length === 0) return FOREIGN;
    // Nest 12 names the handler "Controller.method"; it tells inherited methods apart.
    return tags.find((t) => t.controller === handler.name) ?? tags[0];
  }

  /** Prints the route table in explain mode, once every route is registered. */
  onApplicationBootstrap(): void {
    if (!this.debug) return;
    for (const line of formatRouteTable(this.routeReports())) this.logger.log(line);
    for (const line of versionConflicts(this.engine)) this.logger.warn(escapeForLog(line));
  }

  /** The policy `@CrossOrigin` gives a handler of a controller, compiled once per pair of values. */
  routePolicyOf(controller: Function, handler: Function): RoutePolicy {
    return this.engine.policies.routePolicy(
      Reflect.getMetadata(CROSS_ORIGIN_METADATA, controller) as CrossOriginLevel,
      Reflect.getMetadata(CROSS_ORIGIN_METADATA, handler) as CrossOriginLevel,
      controller.name || 'AnonymousController',
      handler.name || 'handler',
    );
  }

  /** Every recorded route with its effective policy (see `CorsService.routes()`). */
  routeReports(): RoutePolicyReport[] {
    return reportRoutes(this.engine);
  }

  private hookFailed(error: unknown): void {
    // The request goes on without CORS headers (fail closed); say so once, escaped.
    if (this.loggedHookError) return;
    this.loggedHookError = true;
    this.logger.error(`CORS hook failed; the request was served without CORS headers: ${escapeForLog(String((error as Error)?.stack ?? error))}`);
  }
}

/**
 * `app.enableCors()` and `NestFactory.create(…, { cors })` both end in the adapter's public
 * `enableCors()`: a second CORS layer that would overwrite this one's headers (`*` on refused
 * origins and on `@CrossOrigin(false)` routes). Refused at start-up (SPEC §6).
 */
function refuseSecondCorsLayer(adapter: AnyAdapter): void {
  adapter.enableCors = (options: unknown) => {
    throw new CorsConfigError([{
      where: 'app', option: 'enableCors', value: options ?? true, reason: 'conflict',
      detail: 'CorsModule already handles CORS for this app; app.enableCors() or NestFactory.create(…, { cors }) would add a second CORS layer that overwrites its headers. Remove enableCors()/{ cors } and put those options in CorsModule.forRoot()',
    }]);
  };
}
