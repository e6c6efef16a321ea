// Reading `@CrossOrigin` when the app is created: each controller method's tag (its decorator
// values and controller), and the decorators that could never apply (refused at start-up).
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { CrossOriginLevel, PolicySet } from '../core/index.js';
import { CROSS_ORIGIN_METADATA } from './cors.constants.js';
import { readGatewayMetadata } from './gateway-internals.js';
import { controllerHosts, hostMatchers, isRouteHandler, type RouteTags } from './nest-internals.js';
import type { RouteTag } from './route-state.js';

/** Every key @nestjs/graphql's `@Resolver()` writes starts so (`graphql:resolver_name`, …). */
const GRAPHQL_METADATA_PREFIX = 'graphql:';

type Constructor = Function & { prototype: Record<string, unknown> };

/**
 * Tags every controller route method with its decorator values (Nest copies the tag onto the
 * handler it registers; `tags` is `null` when only checking, as a reconfiguration does),
 * checks every value under `policies`, and returns the host patterns of host-bound
 * controllers. A decorator on a method that is no route is refused.
 */
export function tagControllers(discovery: DiscoveryService, scanner: MetadataScanner, policies: PolicySet, tags: RouteTags<RouteTag> | null): (string | RegExp | (string | RegExp)[])[] {
  const hostPatterns: (string | RegExp | (string | RegExp)[])[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Constructor | undefined;
    if (!controller || typeof controller !== 'function' || !controller.prototype) continue;
    const controllerValue = Reflect.getMetadata(CROSS_ORIGIN_METADATA, controller) as CrossOriginLevel;
    const host = controllerHosts(controller);
    if (host !== undefined) hostPatterns.push(host);
    const hosts = hostMatchers(host);
    const name = controller.name || 'AnonymousController';
    for (const method of scanner.getAllMethodNames(controller.prototype)) {
      const fn = controller.prototype[method];
      if (typeof fn !== 'function') continue;
      const handlerValue = Reflect.getMetadata(CROSS_ORIGIN_METADATA, fn) as CrossOriginLevel;
      // Compiled now, so every problem is in the start-up error.
      policies.routePolicy(controllerValue, handlerValue, name, method);
      if (!isRouteHandler(fn)) {
        if (handlerValue !== undefined) {
          policies.issues.add({
            where: `${name}.${method}`, option: '@CrossOrigin', value: handlerValue, reason: 'misplaced',
            detail: 'is on a controller method that is no route handler (no @Get(), @Post()…), so it would never apply: decorate the route handler or the controller',
          });
        }
        continue;
      }
      tags?.tag(fn, { controllerValue, handlerValue, controller: name, handler: method, hosts });
    }
  }
  return hostPatterns;
}

/**
 * `@CrossOrigin` on a class that serves no HTTP route of its own (a GraphQL resolver, any
 * other provider) would be silently ignored: refused at start-up with what to write instead.
 * WebSocket gateways are the exception.
 */
export function refuseMisplaced(discovery: DiscoveryService, scanner: MetadataScanner, policies: PolicySet): void {
  const seen = new Set<Function>();
  for (const wrapper of discovery.getProviders()) {
    const type = wrapper.metatype as Constructor | undefined;
    if (typeof type !== 'function' || !type.prototype || seen.has(type)) continue;
    seen.add(type);
    if (readGatewayMetadata(type) !== null) continue;
    const onClass = Reflect.getMetadata(CROSS_ORIGIN_METADATA, type) !== undefined;
    const methods = scanner.getAllMethodNames(type.prototype)
      .filter((m) => Reflect.getMetadata(CROSS_ORIGIN_METADATA, type.prototype[m] as object) !== undefined);
    if (!onClass && methods.length === 0) continue;
    const resolver = Reflect.getMetadataKeys(type).some((k) => typeof k === 'string' && k.startsWith(GRAPHQL_METADATA_PREFIX));
    const name = type.name || 'AnonymousProvider';
    policies.issues.add({
      where: methods.length && !onClass ? `${name}.${methods[0]}` : name,
      option: '@CrossOrigin',
      value: Reflect.getMetadata(CROSS_ORIGIN_METADATA, onClass ? type : (type.prototype[methods[0]] as object)),
      reason: 'misplaced',
      detail: resolver
        ? 'is on a GraphQL resolver, which serves no HTTP route of its own, so it would never apply: GraphQL is served at its endpoint, so give that path a policy with forRoot({ resources: { \'/graphql\': { … } } })'
        : 'is on a provider that serves no HTTP route, so it would never apply: put it on a controller or route handler, or give the path a policy with forRoot({ resources })',
    });
  }
}
