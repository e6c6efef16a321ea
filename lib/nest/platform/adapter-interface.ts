// The HTTP adapter's own interface (HttpServer), through which Nest registers controller
// routes, middleware, body parsers, version filters and its 404: public methods, wrapped once
// per app so the library knows which routes and functions are Nest's. Each wrapped method is
// checked present; a missing one fails start-up (CorsInternalsError).
import { VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import { CorsInternalsError, SUPPORTED_NEST } from '../nest-internals.js';

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
export function markVersionFilters(adapter: Adapter, neutral: string, onType?: (type: unknown) => void): void {
  required(adapter, ['applyVersionFilter']);
  const original = adapter.applyVersionFilter as AnyFn;
  adapter.applyVersionFilter = function versionFilterSeenByCors(this: unknown, handler: unknown, version: unknown, options: { type?: unknown } | undefined, ...rest: unknown[]) {
    onType?.(options?.type);
    const filtered = original.call(this, handler, version, options, ...rest);
    // URI versions have paths of their own; VERSION_NEUTRAL alone serves every request.
    if (typeof filtered === 'function' && options?.type !== VersioningType.URI && version !== VERSION_NEUTRAL) {
      // A custom extractor names versions, never "none": VERSION_NEUTRAL in its list serves nothing more.
      const list = (Array.isArray(version) ? version : [version]).filter((v) => v !== VERSION_NEUTRAL || options?.type !== VersioningType.CUSTOM);
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
