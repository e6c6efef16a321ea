/**
 * The one place the library learns which routes are Nest's: Nest registers every controller
 * route through the HTTP adapter's route methods (`HttpServer.get(path, handler)`, …: the
 * adapter's public interface, called by Nest's RouterExplorer), and every middleware through
 * `createMiddlewareFactory()`. Both are wrapped once per app, when the adapter is set.
 * Everything else the framework routes (plugins, GraphQL, static files, `app.use(path, …)`)
 * is foreign and gets the `resources` policy (SPEC §3 rule 6).
 */

/** The adapter methods Nest registers routes with (RouterMethodFactory), and their methods. */
const ROUTE_METHODS: Readonly<Record<string, string>> = {
  get: 'GET', post: 'POST', put: 'PUT', delete: 'DELETE', patch: 'PATCH', all: 'ALL', options: 'OPTIONS',
  head: 'HEAD', search: 'SEARCH', propfind: 'PROPFIND', proppatch: 'PROPPATCH', mkcol: 'MKCOL', copy: 'COPY',
  move: 'MOVE', lock: 'LOCK', unlock: 'UNLOCK', query: 'QUERY',
};

/** A route as Nest hands it to the adapter. */
export interface NestRoute {
  /** Upper-case method, or `ALL` for `@All()`. */
  readonly method: string;
  /** The final path: global prefix, version, RouterModule and controller paths included. */
  readonly path: string;
  /** Nest's handler, carrying the controller method's metadata. */
  readonly handler: Function;
  /**
   * The versions of a handler Nest wrapped in a version filter that reads the request
   * (header, media type, custom: not URI versioning), or `null` for one it serves whatever
   * the version.
   */
  readonly versions: readonly string[] | null;
}

type Register = (route: NestRoute, add: (...first: Function[]) => unknown) => unknown;

/**
 * Calls `register` for every route Nest registers on `adapter`; `add` registers it, optionally
 * with handlers to run before Nest's (Express runs them when, and only when, it dispatches the
 * request to that route).
 */
export function interceptNestRoutes(adapter: Record<string, unknown>, register: Register): void {
  const versioned = new WeakMap<Function, readonly string[]>();
  markVersionFilters(adapter, versioned);
  for (const [name, method] of Object.entries(ROUTE_METHODS)) {
    const original = adapter[name];
    if (typeof original !== 'function') continue;
    adapter[name] = function registerNestRoute(this: unknown, ...args: unknown[]) {
      const [path, handler] = args;
      if (args.length !== 2 || typeof path !== 'string' || typeof handler !== 'function') {
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      }
      return register({ method, path, handler, versions: versioned.get(handler) ?? null }, (...first) => (original as (...a: unknown[]) => unknown).call(this, path, ...first, handler));
    };
  }
}

/**
 * Marks every middleware function Nest registers (`MiddlewareConsumer`) in `into`, so that
 * the Express router scan can tell them, which pass requests on to routes, from foreign
 * handlers mounted on a path, which serve them.
 */
export function markNestMiddleware(adapter: Record<string, unknown>, into: WeakSet<Function>): void {
  const original = adapter.createMiddlewareFactory;
  if (typeof original !== 'function') return;
  adapter.createMiddlewareFactory = function markMiddleware(this: unknown, ...args: unknown[]) {
    const mark = (factory: unknown) =>
      typeof factory !== 'function' ? factory : (path: unknown, callback: unknown, ...rest: unknown[]) => {
        if (typeof callback === 'function') into.add(callback);
        return (factory as (...a: unknown[]) => unknown)(path, callback, ...rest);
      };
    const made = (original as (...a: unknown[]) => unknown).apply(this, args);
    return made instanceof Promise ? made.then(mark) : mark(made);
  };
}

/**
 * Marks the handlers Nest wraps in a version filter that reads the request (header, media
 * type or custom versioning): several of them share a path, and which one serves depends on
 * a header a preflight does not carry (SPEC §3 rule 7). URI versions have paths of their own.
 */
export function markVersionFilters(adapter: Record<string, unknown>, into: WeakMap<Function, readonly string[]>): void {
  const original = adapter.applyVersionFilter;
  if (typeof original !== 'function') return;
  adapter.applyVersionFilter = function markVersionFilter(this: unknown, handler: unknown, version: unknown, options: { type?: unknown } | undefined, ...rest: unknown[]) {
    const filtered = (original as (...a: unknown[]) => unknown).call(this, handler, version, options, ...rest);
    // VersioningType.URI is 0; VERSION_NEUTRAL is a symbol.
    if (typeof filtered === 'function' && options?.type !== 0 && typeof version !== 'symbol') {
      const versions = (Array.isArray(version) ? version : [version]).filter((v): v is string => typeof v === 'string');
      // VERSION_NEUTRAL in a list serves requests without a version too: not filtered.
      if (!(Array.isArray(version) && version.some((v) => typeof v === 'symbol'))) into.set(filtered, Object.freeze(versions));
    }
    return filtered;
  };
}

/**
 * Calls `onNotFound` before Nest's not-found handler (registered through the adapter's
 * `setNotFoundHandler()`) answers a request: when a route matched but Nest passed the request
 * on (a host or version filter, Fastify's empty-parameter check), the 404 is Nest's, and gets
 * the `resources` policy like any unrouted path (SPEC §3 rule 3). `proceed` runs Nest's
 * handler; its result is returned as Nest's would be.
 */
export function interceptNotFound(adapter: Record<string, unknown>, onNotFound: (req: unknown, res: unknown, proceed: () => unknown) => unknown): void {
  const original = adapter.setNotFoundHandler;
  if (typeof original !== 'function') return;
  adapter.setNotFoundHandler = function registerNotFound(this: unknown, handler: unknown, ...rest: unknown[]) {
    if (typeof handler !== 'function') return (original as (...a: unknown[]) => unknown).call(this, handler, ...rest);
    const notFound = function nestCrossOriginNotFound(this: unknown, ...args: unknown[]) {
      return onNotFound(args[0], args[1], () => (handler as (...a: unknown[]) => unknown).apply(this, args));
    };
    return (original as (...a: unknown[]) => unknown).call(this, notFound, ...rest);
  };
}
