// Every detail of NestJS (11, 12) the library relies on beyond Nest's documented API lives in
// this file, each with a canary in test/e2e/framework-internals.e2e-spec.ts and a check when
// the app starts: a Nest release that changes one fails start-up with a message naming it,
// never a silently different CORS policy.
//
// Read from Nest, none of it written:
// - the metadata keys of @Controller/@Get… (`path`, `method`, `host`), spelled out here
//   (checked against the real decorators by `checkNestMetadataKeys`);
// - Nest copies a controller method's metadata onto the function it registers with the
//   router (RouterExplorer's copyMetadataToCallback): a route is recognised by the tag the
//   library writes on the method (checked by `RouteTags.assertAllSeen`);
// - Nest 12 names each registered handler `Controller.method` (only relied on to tell apart
//   one method inherited by controllers with different policies; refused otherwise);
// - Nest's host filter compiles `@Controller({ host })` with path-to-regexp and tests the
//   request's host name (mirrored by `hostMatchers`, compared with Nest's own
//   `RouterExplorer.applyHostFilter` by `checkHostFilters`).
import { Controller, Get, RequestMethod, VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import { pathToRegexp } from 'path-to-regexp';

export const SUPPORTED_NEST = '@nestjs/core 11 and 12';

/**
 * Start-up failed because a framework no longer works the way the library relies on: the
 * library refuses to guess, since a wrong guess would send another handler's CORS policy.
 */
export class CorsInternalsError extends Error {
  constructor(framework: string, what: string, supported: string) {
    super(
      `nest-cross-origin: ${framework} does not work as this release of nest-cross-origin relies on: ${what}. ` +
        `Supported: ${supported}. Pin the framework to a supported release, or update nest-cross-origin.`,
    );
    this.name = 'CorsInternalsError';
  }
}

/** The metadata keys `@Controller()` and `@Get()`… write (`@nestjs/common/constants`). */
export const NEST_KEYS = Object.freeze({ path: 'path', method: 'method', host: 'host' });

/** Fails start-up unless Nest's decorators still write {@link NEST_KEYS}, tried on a probe class. */
export function checkNestMetadataKeys(): void {
  class Probe {
    handler(): void {}
  }
  const method = Object.getOwnPropertyDescriptor(Probe.prototype, 'handler')!;
  Get('probe-path')(Probe.prototype, 'handler', method);
  Controller({ path: 'probe', host: 'probe.host' })(Probe);
  const fn = Probe.prototype.handler;
  const ok = Reflect.getMetadata(NEST_KEYS.path, fn) === 'probe-path'
    && Reflect.getMetadata(NEST_KEYS.method, fn) === RequestMethod.GET
    && Reflect.getMetadata(NEST_KEYS.host, Probe) === 'probe.host';
  if (!ok) throw new CorsInternalsError('NestJS', 'its route decorators no longer write the metadata keys "path", "method" and "host"', SUPPORTED_NEST);
}

/** Whether a controller method is a route handler (`@Get()`, `@Post()`…). */
export function isRouteHandler(fn: Function): boolean {
  return Reflect.getMetadata(NEST_KEYS.method, fn) !== undefined && Reflect.getMetadata(NEST_KEYS.path, fn) !== undefined;
}

/** `@Controller({ host })` of a controller class, as written. */
export function controllerHosts(controller: Function): string | RegExp | (string | RegExp)[] | undefined {
  return Reflect.getMetadata(NEST_KEYS.host, controller) as string | RegExp | (string | RegExp)[] | undefined;
}

/** A controller's host patterns compiled as Nest's host filter compiles them, or `null` for none. */
export function hostMatchers(host: string | RegExp | (string | RegExp)[] | undefined): RegExp[] | null {
  if (host === undefined) return null;
  return (Array.isArray(host) ? host : [host]).map((h) =>
    h instanceof RegExp ? new RegExp(h.source, h.flags.replace(/[gy]/g, '')) : pathToRegexp(h).regexp);
}

/** Whether a host-bound handler's filter lets `hostname` through. */
export function servesHost(hosts: readonly RegExp[] | null, hostname: string | undefined): boolean {
  if (hosts === null) return true;
  const name = hostname ?? '';
  for (const re of hosts) if (re.test(name)) return true;
  return false;
}

/** Host names to try a host pattern on: one it should admit (parameters filled in) and one it should not. */
function sampleHosts(host: string | RegExp): string[] {
  if (host instanceof RegExp) return ['nco-probe.invalid'];
  return [host.replace(/:[A-Za-z_$][\w$]*/g, 'probe').replace(/[{}]/g, ''), 'nco-probe.invalid', `x.${host}`];
}

type HostFilter = (host: unknown, handler: Function) => (req: unknown, res: unknown, next: () => void) => unknown;

/**
 * Fails start-up unless Nest's own host filter (`RouterExplorer.applyHostFilter`, run here on
 * a handler of ours, never the app's) agrees with {@link hostMatchers} on sample host names of
 * every host pattern the app uses. Skipped when no controller is host-bound.
 */
export async function checkHostFilters(hosts: readonly (string | RegExp | (string | RegExp)[])[]): Promise<void> {
  if (hosts.length === 0) return;
  let applyHostFilter: HostFilter | undefined;
  try {
    const mod = (await import('@nestjs/core/router/router-explorer.js')) as unknown as { RouterExplorer?: { prototype: { applyHostFilter?: HostFilter } } };
    applyHostFilter = mod.RouterExplorer?.prototype.applyHostFilter;
  } catch {
    applyHostFilter = undefined;
  }
  if (typeof applyHostFilter !== 'function') {
    throw new CorsInternalsError('NestJS', 'RouterExplorer.applyHostFilter (the host filter of @Controller({ host })) was not found', SUPPORTED_NEST);
  }
  const explorer = {
    container: { getHttpAdapterRef: () => ({ getRequestHostname: (req: { hostname: string }) => req.hostname, getRequestMethod: () => 'GET', getRequestUrl: () => '/' }) },
    logger: { error() {}, warn() {}, log() {} },
  };
  for (const host of hosts) {
    let served = false;
    const filter = applyHostFilter.call(explorer, host, () => {
      served = true;
    });
    const ours = hostMatchers(host);
    for (const hostname of (Array.isArray(host) ? host : [host]).flatMap(sampleHosts)) {
      served = false;
      filter({ hostname }, {}, () => {});
      if (served !== servesHost(ours, hostname)) {
        throw new CorsInternalsError('NestJS', `its host filter and the library disagree on host name ${JSON.stringify(hostname)} for @Controller({ host: ${String(host)} })`, SUPPORTED_NEST);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The adapter's HttpServer interface: the methods Nest registers routes, middleware, version
// filters and its 404 through. Public, but wrapped, so each is checked present.

/** The adapter methods Nest registers controller routes with, and their methods. */
const ROUTE_METHODS: Readonly<Record<string, string>> = {
  get: 'GET', post: 'POST', put: 'PUT', delete: 'DELETE', patch: 'PATCH', all: 'ALL', options: 'OPTIONS',
  head: 'HEAD', search: 'SEARCH', propfind: 'PROPFIND', proppatch: 'PROPPATCH', mkcol: 'MKCOL', copy: 'COPY',
  move: 'MOVE', lock: 'LOCK', unlock: 'UNLOCK', query: 'QUERY',
};

type AnyFn = (...args: unknown[]) => unknown;
type Adapter = Record<string, unknown>;

function required(adapter: Adapter, names: readonly string[]): void {
  const missing = names.filter((n) => typeof adapter[n] !== 'function');
  if (missing.length > 0) {
    throw new CorsInternalsError('NestJS', `the HTTP adapter has no ${missing.join(', ')}`, SUPPORTED_NEST);
  }
}

/** A route as Nest hands it to the adapter. */
export interface NestRoute {
  /** Upper-case method, or `ALL` for `@All()`. */
  readonly method: string;
  /** The final path: global prefix, version, RouterModule and controller paths included. */
  readonly path: string;
  /** Nest's handler, carrying the controller method's metadata. */
  readonly handler: Function;
}

/**
 * Calls `register` for every route Nest registers on `adapter` (`adapter.get(path, handler)`…,
 * RouterExplorer's only way to add a route); `add` registers it, with handlers to run before
 * Nest's if given.
 */
export function interceptNestRoutes(adapter: Adapter, register: (route: NestRoute, add: (...before: Function[]) => unknown) => unknown): void {
  required(adapter, ['get', 'post', 'put', 'delete', 'patch', 'all', 'options', 'head']);
  for (const [name, method] of Object.entries(ROUTE_METHODS)) {
    const original = adapter[name] as AnyFn | undefined;
    if (typeof original !== 'function') continue;
    adapter[name] = function registerNestRoute(this: unknown, ...args: unknown[]) {
      const [path, handler] = args;
      if (args.length !== 2 || typeof path !== 'string' || typeof handler !== 'function') return original.apply(this, args);
      return register({ method, path, handler }, (...before) => original.call(this, path, ...before, handler));
    };
  }
}

/**
 * Calls `mark` with every middleware function Nest registers: `MiddlewareConsumer` middleware
 * (`createMiddlewareFactory()`), body parsers (`registerParserMiddleware()`,
 * `useBodyParser()`). They pass requests on to routes, unlike foreign handlers that serve them.
 */
export function markNestMiddleware(adapter: Adapter, mark: (fn: Function) => void): void {
  required(adapter, ['createMiddlewareFactory', 'use']);
  const factory = adapter.createMiddlewareFactory as AnyFn;
  adapter.createMiddlewareFactory = function markMiddleware(this: unknown, ...args: unknown[]) {
    const wrap = (made: unknown) =>
      typeof made !== 'function' ? made : (path: unknown, callback: unknown, ...rest: unknown[]) => {
        if (typeof callback === 'function') mark(callback);
        return (made as AnyFn)(path, callback, ...rest);
      };
    const made = factory.apply(this, args);
    return made instanceof Promise ? made.then(wrap) : wrap(made);
  };
  // Parsers are added through the adapter's own use() while these run.
  const use = adapter.use as AnyFn;
  let parsing = 0;
  adapter.use = function useSeenByCors(this: unknown, ...args: unknown[]) {
    if (parsing > 0) for (const a of args) if (typeof a === 'function') mark(a);
    return use.apply(this, args);
  };
  for (const name of ['registerParserMiddleware', 'useBodyParser']) {
    const original = adapter[name] as AnyFn | undefined;
    if (typeof original !== 'function') continue;
    adapter[name] = function parsersSeenByCors(this: unknown, ...args: unknown[]) {
      parsing++;
      try {
        return original.apply(this, args);
      } finally {
        parsing--;
      }
    };
  }
}

/** The versions a handler's version filter lets through, kept on the function itself. */
const kVersions = Symbol('nest-cross-origin.versions');

/**
 * Marks the handlers Nest wraps in a version filter that reads the request (header, media
 * type or custom versioning): which one serves depends on what the request says, and a
 * preflight says nothing. An enumerable symbol property, so it survives Nest's
 * `Object.assign` copy of a handler. `neutral` stands for VERSION_NEUTRAL in a list.
 */
export function markVersionFilters(adapter: Adapter, neutral: string): void {
  required(adapter, ['applyVersionFilter']);
  const original = adapter.applyVersionFilter as AnyFn;
  adapter.applyVersionFilter = function versionFilterSeenByCors(this: unknown, handler: unknown, version: unknown, options: { type?: unknown } | undefined, ...rest: unknown[]) {
    const filtered = original.call(this, handler, version, options, ...rest);
    // URI versions have paths of their own; VERSION_NEUTRAL alone serves every request.
    if (typeof filtered === 'function' && options?.type !== VersioningType.URI && version !== VERSION_NEUTRAL) {
      const list = Array.isArray(version) ? version : [version];
      (filtered as unknown as Record<symbol, readonly string[]>)[kVersions] = Object.freeze(
        list.map((v) => (v === VERSION_NEUTRAL ? neutral : String(v))));
    }
    return filtered;
  };
}

/** The versions {@link markVersionFilters} recorded on a registered handler, or `null`. */
export function versionsOf(handler: Function): readonly string[] | null {
  return (handler as unknown as Record<symbol, readonly string[] | undefined>)[kVersions] ?? null;
}

/**
 * Calls `onNotFound` before Nest's not-found handler (`setNotFoundHandler()`, which Nest calls
 * in `init()`) answers, and reports the handler Nest registered, so a platform can tell it
 * apart from a route that serves.
 */
export function interceptNotFound(
  adapter: Adapter,
  onRegister: (handler: Function) => void,
  onNotFound?: (req: unknown, res: unknown, proceed: () => unknown) => unknown,
): void {
  required(adapter, ['setNotFoundHandler']);
  const original = adapter.setNotFoundHandler as AnyFn;
  adapter.setNotFoundHandler = function notFoundSeenByCors(this: unknown, handler: unknown, ...rest: unknown[]) {
    if (typeof handler !== 'function') return original.call(this, handler, ...rest);
    const notFound = onNotFound
      ? function nestCrossOriginNotFound(this: unknown, ...args: unknown[]) {
        return onNotFound(args[0], args[1], () => (handler as AnyFn).apply(this, args));
      }
      : handler;
    onRegister(notFound);
    return original.call(this, notFound, ...rest);
  };
}

// ---------------------------------------------------------------------------------------
// Route tags: how a registered handler is recognised as a controller method's.

/** Metadata key the library writes on controller methods; Nest copies it onto registered handlers. */
const ROUTE_TAG_METADATA = 'nest-cross-origin:route-tag';

/** Tags of one app's controller methods (an app is keyed by its own object: tests share controllers). */
export class RouteTags<T extends { readonly controller: string; readonly handler: string }> {
  private readonly seen = new Set<T>();
  private readonly written: T[] = [];

  constructor(private readonly app: object) {}

  /** Tags a controller method; several controllers may inherit one method. */
  tag(fn: Function, tag: T): void {
    let byApp = Reflect.getOwnMetadata(ROUTE_TAG_METADATA, fn) as WeakMap<object, T[]> | undefined;
    if (!byApp) Reflect.defineMetadata(ROUTE_TAG_METADATA, (byApp = new WeakMap()), fn);
    const tags = (byApp.get(this.app) ?? []).filter((t) => t.controller !== tag.controller);
    tags.push(tag);
    byApp.set(this.app, tags);
    this.written.push(tag);
  }

  /**
   * The tag of a handler Nest registers, read from the metadata Nest copied onto it, or
   * `undefined` for a handler no controller method tagged. For a method several controllers
   * inherit, the handler's name (`Controller.method`, Nest 12) says which.
   */
  of(handler: Function): T | undefined {
    const byApp = Reflect.getMetadata(ROUTE_TAG_METADATA, handler) as WeakMap<object, T[]> | undefined;
    const tags = byApp?.get(this.app);
    if (!tags || tags.length === 0) return undefined;
    let tag = tags[0];
    if (tags.length > 1) {
      const named = tags.find((t) => `${t.controller}.${t.handler}` === handler.name);
      if (!named) {
        throw new CorsInternalsError('NestJS',
          `the handler of ${tags.map((t) => `${t.controller}.${t.handler}`).join(', ')} (one method several controllers inherit) is not named "Controller.method", so its controller cannot be told; give each controller its own method`,
          '@nestjs/core 12');
      }
      tag = named;
    }
    this.seen.add(tag);
    return tag;
  }

  /**
   * Fails start-up if a tagged route was never recognised when Nest registered it: Nest no
   * longer copies a method's metadata onto its handler, and those routes would get the
   * `resources` policy instead of their own.
   */
  assertAllSeen(): void {
    const missed = this.written.filter((t) => !this.seen.has(t));
    if (missed.length === 0) return;
    throw new CorsInternalsError('NestJS',
      `routes were registered without the metadata of their controller method (RouterExplorer's copyMetadataToCallback): ${missed.slice(0, 5).map((t) => `${t.controller}.${t.handler}`).join(', ')}`,
      SUPPORTED_NEST);
  }
}
