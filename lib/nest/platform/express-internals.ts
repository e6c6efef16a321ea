// Every detail of Express (5.x, router 2.x) the library relies on beyond Express's documented
// API lives in this file. Each has a canary in test/e2e/framework-internals.e2e-spec.ts, and
// `checkExpressInternals()` checks them when the app starts, so a release that changes one
// fails start-up with a message naming it instead of quietly sending the wrong CORS headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix } from 'node:path';
import { CorsInternalsError } from '../nest-internals.js';

export const SUPPORTED_EXPRESS = 'express 5 (router 2.x)';

type Next = (err?: unknown) => void;
export type Handler = (req: IncomingMessage, res: ServerResponse, next: Next) => unknown;

/**
 * One layer of a router's stack, as router 2.x keeps it: what Express tries, in order, for
 * every request. Read, and `handle` replaced by {@link markDispatch}.
 */
export interface ExpressLayer {
  handle: Function;
  /** Mounted at "/" with `use()`: it sees every request. */
  readonly slash?: boolean;
  /** The path as registered: a string, or a RegExp or array (no spelling to read). */
  readonly rawPath?: unknown;
  /** Express's own matcher, with its router's case and strict rules. */
  match(path: string): unknown;
  readonly route?: ExpressRoute;
  /** router before 2.3 keeps the last match's parameters here. */
  readonly params?: Record<string, unknown>;
  /** router before 2.3 keeps the last match's matched text here. */
  readonly path?: string;
}

export interface ExpressRoute {
  readonly stack: readonly { readonly handle: Function }[];
  _handlesMethod(method: string): boolean;
}

/** An Express app's router and response prototype, the two things the library reaches into. */
export interface ExpressApp {
  /** Express's documented prototype of this app's responses. */
  readonly response?: object;
  /** Created lazily by Express 5 on first use. */
  readonly router?: { readonly stack?: ExpressLayer[] };
  get?(setting: string): unknown;
}

/** The stack of an app's router (router 2.x `router.stack`), in dispatch order. */
export function routerStack(app: ExpressApp): ExpressLayer[] {
  return app.router?.stack ?? [];
}

/** The stack of a router or sub-app mounted as a layer's handler, or `null` for a plain function. */
export function mountedStack(handle: Function): readonly ExpressLayer[] | null {
  const h = handle as { stack?: unknown; router?: { stack?: unknown } };
  if (Array.isArray(h.stack)) return h.stack as ExpressLayer[]; // express.Router()
  if (h.router && Array.isArray(h.router.stack)) return h.router.stack as ExpressLayer[]; // a sub-app
  return null;
}

/** What a layer's `match()` says of a path: `null` for no match, else the parameters and the matched text. */
export function matchLayer(layer: ExpressLayer, path: string): { params: Record<string, unknown>; matched: string } | null {
  const m = layer.match(path);
  if (!m) return null;
  // router 2.3 returns the match; earlier 2.x releases return true and keep it on the layer.
  if (typeof m === 'object') {
    const o = m as { params?: Record<string, unknown>; path?: string };
    return { params: o.params ?? {}, matched: o.path ?? '' };
  }
  return { params: layer.params ?? {}, matched: layer.path ?? '' };
}

/**
 * Keeps the layer whose handler is `handle` last in the stack, moving it there when layers
 * were added after it (a late `app.use`). Returns `false` when it is not in the stack yet.
 * Express reads the stack by index as it dispatches, so this is safe between requests.
 */
export function keepLast(stack: ExpressLayer[], handle: Function): boolean {
  const at = stack.findIndex((l) => l.handle === handle);
  if (at === -1) return false;
  if (at !== stack.length - 1) stack.push(stack.splice(at, 1)[0]);
  return true;
}

/** Whether a layer is an error handler, which Express calls only with an error (four parameters). */
export function isErrorHandler(handle: Function): boolean {
  return handle.length === 4;
}

/** serve-static's middleware (`express.static`, `useStaticAssets`, `ServeStaticModule`) names itself so. */
export function isStaticFiles(handle: Function): boolean {
  return handle.name === 'serveStatic';
}

/**
 * The path of the file serve-static served for a request path after its mount (send 1.x reads
 * it so): percent-decoded, then normalised as a file path, which drops a trailing `/.` that
 * RFC 3986 would keep as `/`. `null` when it does not decode (send then passes the request on).
 */
export function staticFilePath(rest: string): string | null {
  try {
    return posix.normalize(decodeURIComponent(rest));
  } catch {
    return null;
  }
}

/**
 * Whether something may run before the library's first middleware: platform-express's adapter
 * puts a layer before every other that runs the hooks `setOnRequestHook` / `setOnResponseHook`
 * set (kept in its private fields `onRequestHook` / `onResponseHook`). The public setters are
 * watched; hooks set earlier are read from the fields. Fail-safe: when the fields are not there
 * (another release), the answer is "may", and preflights go through Express as usual.
 */
export function watchRequestHooks(adapter: object): () => boolean {
  const a = adapter as Record<string, unknown>;
  let hooked = !(Object.hasOwn(a, 'onRequestHook') && Object.hasOwn(a, 'onResponseHook')) || a.onRequestHook != null || a.onResponseHook != null;
  for (const name of ['setOnRequestHook', 'setOnResponseHook']) {
    const setter = a[name];
    if (typeof setter !== 'function') continue;
    a[name] = function watchedHookSetter(this: unknown, ...args: unknown[]): unknown {
      hooked = true;
      return setter.apply(this, args);
    };
  }
  return () => hooked;
}

const kOriginal = Symbol('nest-cross-origin.originalHandle');

/**
 * Replaces a layer's handler so that Express, when it dispatches the request to this layer,
 * first runs `onDispatch(req)`. Express calls `layer.handle` to dispatch (router 2.x
 * `Layer.prototype.handleRequest`), so this is the one place that sees which handler a request
 * really reached, foreign ones included. The replacement keeps three parameters (Express
 * treats four as an error handler) and returns what the handler returns (a promise Express
 * watches); it reads through to the handler's own properties (`stack` of a router), so code
 * that inspects the stack still finds them.
 */
export function markDispatch(layer: ExpressLayer, onDispatch: (req: IncomingMessage) => void): void {
  const original = layer.handle as Handler & { [kOriginal]?: Handler };
  if (original[kOriginal] !== undefined) return;
  const marked = function dispatchedByExpress(req: IncomingMessage, res: ServerResponse, next: Next) {
    onDispatch(req);
    return original(req, res, next);
  } as Handler & { [kOriginal]?: Handler };
  Object.setPrototypeOf(marked, original);
  marked[kOriginal] = original;
  layer.handle = marked;
}

/** The handler a layer had before {@link markDispatch}. */
export function originalHandle(layer: ExpressLayer): Function {
  return (layer.handle as { [kOriginal]?: Function })[kOriginal] ?? layer.handle;
}

/**
 * Checks, when the library is installed, that Express still works the way this file assumes:
 * the app's router keeps a stack of layers with `match()` and `handle`, route layers answer
 * `_handlesMethod()`, and dispatching calls `layer.handle` (tried on a probe layer built from
 * the router's own layer prototype, so no handler of the app runs). Throws
 * {@link CorsInternalsError} naming what changed.
 */
export function checkExpressInternals(app: ExpressApp, ownLayer: ExpressLayer | undefined): void {
  const fail = (what: string) => {
    throw new CorsInternalsError('Express', what, SUPPORTED_EXPRESS);
  };
  const stack = app.router?.stack;
  if (!Array.isArray(stack)) return fail('app.router.stack is not an array of layers');
  if (!ownLayer) return fail("the library's middleware is not a layer of app.router.stack");
  if (typeof ownLayer.match !== 'function' || typeof ownLayer.handle !== 'function') return fail('a layer has no match() or handle');
  if (!ownLayer.slash || !matchLayer(ownLayer, '/any/path')) return fail('a layer mounted with use() does not match every path (layer.slash, layer.match())');
  for (const layer of stack) {
    if (layer.route && typeof layer.route._handlesMethod !== 'function') return fail('a route layer has no route._handlesMethod()');
  }
  const proto = Object.getPrototypeOf(ownLayer) as { handleRequest?: (req: unknown, res: unknown, next: Next) => void };
  if (typeof proto.handleRequest !== 'function') return fail('a layer has no handleRequest()');
  // A probe layer: the router's own prototype, a handler of ours.
  let reached = false;
  let marked = false;
  const probe = Object.create(proto) as ExpressLayer;
  probe.handle = function probeHandler(_req: unknown, _res: unknown, _next: Next) {
    reached = true;
  };
  markDispatch(probe, () => {
    marked = true;
  });
  try {
    proto.handleRequest.call(probe, {}, {}, () => {});
  } catch {
    // judged below
  }
  if (!reached || !marked) fail('dispatching a layer no longer calls layer.handle(req, res, next)');
}
