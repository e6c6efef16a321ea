import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HOST_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, HttpAdapterHost, MetadataScanner } from '@nestjs/core';
import { PolicySet, type CorsModuleOptions, type CrossOriginLevel, type RoutePolicy } from '../core/index.js';
import { CORS_MODULE_OPTIONS, CROSS_ORIGIN_METADATA, ROUTE_POLICY_METADATA } from './cors.constants.js';
import { CorsEngine, type RouteEntry } from './cors-engine.js';
import { escapeForLog, formatRefusal } from './explain.js';
import { findGateways, type GatewayTable } from './gateway-table.js';
import { formatRouteTable, reportRoutes, type RoutePolicyReport } from './route-report.js';
import { expressMatching, installExpressHook } from './platform/express.js';
import { fastifyMatching, installFastifyHook } from './platform/fastify.js';

/** What the library writes on each controller method: its route policy, per controller. */
interface RouteTag {
  readonly controller: string;
  readonly route: RoutePolicy;
  readonly hosts: readonly (string | RegExp)[] | null;
}

// The adapter methods Nest registers routes with (RouterMethodFactory), and their methods.
const ROUTE_METHODS: Readonly<Record<string, string>> = {
  get: 'GET', post: 'POST', put: 'PUT', delete: 'DELETE', patch: 'PATCH', all: 'ALL', options: 'OPTIONS',
  head: 'HEAD', search: 'SEARCH', propfind: 'PROPFIND', proppatch: 'PROPPATCH', mkcol: 'MKCOL', copy: 'COPY',
  move: 'MOVE', lock: 'LOCK', unlock: 'UNLOCK', query: 'QUERY',
};

type AnyAdapter = Record<string, unknown> & { getType?(): string };

/** Adapters a CORS hook was installed on: one per app, however often the module is imported. */
const HOOKED = new WeakSet<object>();

/**
 * Compiles every policy when the app is created, then installs the CORS hook on the HTTP
 * adapter as soon as there is one (before `app.init()` registers middleware and routes), and
 * records each route as Nest registers it, with the final path the router will match.
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
    // One error listing every problem, thrown while the app is created (SPEC §6).
    policies.assertValid();
    this.debug = options?.debug === true;
    if (this.debug) {
      this.engine.onRefusal = (r) => this.logger.warn(formatRefusal(r));
    }
    this.engine.onUnreadableRoute = (record, error) =>
      this.logger.warn(`route ${escapeForLog(record.method)} ${escapeForLog(record.path)} could not be read for CORS (${escapeForLog(String(error))}); it gets the resources policy`);
    adapterHost.init$.subscribe(() => this.install(adapterHost.httpAdapter as unknown as AnyAdapter));
    // An adapter set before this provider existed has already emitted; the ReplaySubject
    // replays it, so both NestFactory.create() and Test.createTestingModule() land here.
  }

  private tagControllers(discovery: DiscoveryService, policies: PolicySet): void {
    for (const wrapper of discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
      if (!controller || typeof controller !== 'function' || !controller.prototype) continue;
      const classValue = Reflect.getMetadata(CROSS_ORIGIN_METADATA, controller) as CrossOriginLevel;
      const host = Reflect.getMetadata(HOST_METADATA, controller) as string | RegExp | (string | RegExp)[] | undefined;
      const hosts = host === undefined ? null : Array.isArray(host) ? host : [host];
      const name = controller.name || 'AnonymousController';
      for (const methodName of this.scanner.getAllMethodNames(controller.prototype)) {
        const fn = (controller.prototype as Record<string, unknown>)[methodName];
        if (typeof fn !== 'function') continue;
        const handlerValue = Reflect.getMetadata(CROSS_ORIGIN_METADATA, fn) as CrossOriginLevel;
        const isRoute = Reflect.getMetadata(METHOD_METADATA, fn) !== undefined && Reflect.getMetadata(PATH_METADATA, fn) !== undefined;
        if (!isRoute) {
          // Not a route, so never used; its options are still checked, as a typo anywhere is.
          if (handlerValue !== undefined) policies.routePolicy(classValue, handlerValue, name, methodName);
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

  private install(adapter: AnyAdapter | undefined): void {
    if (!adapter || this.installedOn === adapter) return;
    this.installedOn = adapter;
    if (HOOKED.has(adapter)) {
      this.logger.warn('CorsModule is configured more than once for this app; only the first configuration applies');
      return;
    }
    HOOKED.add(adapter);
    const type = typeof adapter.getType === 'function' ? adapter.getType() : undefined;
    const onError = (error: unknown) => this.hookFailed(error);
    if (type === 'fastify') {
      this.engine.configureRouter('fastify', fastifyMatching(adapter as never));
      installFastifyHook(adapter as never, this.engine, onError);
    } else if (type === 'express') {
      this.engine.configureRouter('express', expressMatching(adapter as never));
      installExpressHook(adapter as never, this.engine, onError);
    } else {
      this.logger.warn(`HTTP adapter "${escapeForLog(String(type))}" is not supported: no CORS headers will be sent (use CorsInterceptor by hand)`);
      return;
    }
    this.recordRoutes(adapter);
  }

  /** Wraps the adapter's route methods to learn each route's final path as it is registered. */
  private recordRoutes(adapter: AnyAdapter): void {
    for (const [name, method] of Object.entries(ROUTE_METHODS)) {
      const original = adapter[name];
      if (typeof original !== 'function') continue;
      const engine = this.engine;
      adapter[name] = function recordRoute(this: unknown, ...args: unknown[]) {
        const [path, handler] = args;
        if (typeof path === 'string' && typeof handler === 'function') {
          engine.addRoute({ method, path, ...routeOf(handler, engine) });
        }
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  }

  /** Compiles the route table once routes are registered, and prints it in explain mode. */
  onApplicationBootstrap(): void {
    // Compile now rather than on the first request; routes added later recompile lazily.
    this.engine.compileRoutes();
    if (this.debug) for (const line of formatRouteTable(this.routeReports())) this.logger.log(line);
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

const FOREIGN: RouteEntry = Object.freeze({ route: Object.freeze({ kind: 'resources', label: 'route' }) as RoutePolicy });

/** The policy and hosts a registered handler carries, or the resources policy for foreign routes. */
function routeOf(handler: Function, engine: CorsEngine): { target: RouteEntry; hosts: readonly (string | RegExp)[] | null } {
  const byApp = Reflect.getMetadata(ROUTE_POLICY_METADATA, handler) as WeakMap<CorsEngine, RouteTag[]> | undefined;
  const tags = byApp?.get(engine);
  if (!tags || tags.length === 0) return { target: FOREIGN, hosts: null };
  // Nest 12 names the handler "Controller.method"; it tells inherited methods apart.
  const tag = tags.find((t) => t.controller === handler.name) ?? tags[0];
  return { target: { route: tag.route }, hosts: tag.hosts };
}
