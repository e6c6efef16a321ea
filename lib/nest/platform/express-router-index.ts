// The layers of an Express app's router that may serve a request, asked in the router's own
// order with each layer's own match(), for what Express decides only while it dispatches: the
// handlers a preflight's actual request may reach, and the route a response written by Nest
// middleware was on its way to. An index over leading path segments only narrows which
// layers are asked, so the answer is Express's, whatever the number of routes.
import { servesHost } from '../nest-internals.js';
import { NEUTRAL_VERSION, type RouteRef } from '../route-state.js';
import type { RouteToken } from '../../core/index.js';
import { isErrorHandler, isStaticFiles, matchLayer, mountedStack, originalHandle, type ExpressLayer } from './express-internals.js';

/** What a layer of the router is, for CORS: which policy a response it writes gets. */
export type Served =
  /** A Nest controller route: its own policy. */
  | { readonly kind: 'nest'; readonly ref: RouteRef }
  /**
   * A route no Nest controller registered: `resources` on its own spelling (`null`: none
   * readable), after `prefix`, the spelling of the mount of the router it is in (`''` for none).
   */
  | { readonly kind: 'route'; readonly tokens: readonly RouteToken[] | null; readonly prefix: string }
  /**
   * A handler mounted on a path (`app.use('/x', fn)`, a router, a sub-app): `resources` on its
   * spelling and the rest (a router's own routes: their spelling after it).
   */
  | { readonly kind: 'mount'; readonly prefix: string | null; readonly router: boolean; readonly staticFiles?: true }
  /** A function mounted at the root (static files, `app.use(fn)`, a router): `resources` on the request path (a router's own routes: their spelling). */
  | { readonly kind: 'root'; readonly router: boolean; readonly staticFiles?: true }
  /** Nest middleware or body parsers, which pass requests on: the route they were going to decides. */
  | { readonly kind: 'middleware' }
  /** Nest's own 404: `resources` on the request path. */
  | { readonly kind: 'not-found' };

/** How the index learns what a layer is (from what Nest registered through the adapter). */
export interface LayerKinds {
  /** The Nest route a registered handler serves at `path` (one handler may serve several paths: versions, path arrays). */
  refOf(handler: Function, path: unknown): RouteRef | undefined;
  isMiddleware(fn: Function): boolean;
  isNotFound(fn: Function): boolean;
  /** The library's own layer, which is none of these. */
  isOwn(fn: Function): boolean;
  /** Parses a route path in Express's syntax. */
  tokensOf(path: string): readonly RouteToken[] | null;
}

/** A handler a request may reach, with the parameters the layer read. */
export interface Found {
  readonly served: Served;
  readonly params: Record<string, unknown>;
  /** For a mount: the text of the path it matched (the request's spelling). */
  readonly matched: string;
  /** Static files: they serve only when the file exists. */
  readonly staticFiles?: boolean;
}

/** Kinds are read once per layer; a layer never changes kind. */
const KINDS = new WeakMap<ExpressLayer, Served | null>();

/** What a layer is, or `null` for one that never serves nor passes on as middleware (the library's own, error handlers). */
export function classify(layer: ExpressLayer, kinds: LayerKinds): Served | null {
  let served = KINDS.get(layer);
  if (served !== undefined) return served;
  served = classifyNow(layer, kinds);
  KINDS.set(layer, served);
  return served;
}

function classifyNow(layer: ExpressLayer, kinds: LayerKinds): Served | null {
  const handle = originalHandle(layer);
  if (kinds.isOwn(handle) || isErrorHandler(handle)) return null;
  const route = layer.route;
  if (route) {
    const handles = route.stack.map((l) => l.handle);
    for (const h of handles) {
      const ref = kinds.refOf(h, layer.rawPath);
      if (ref) return { kind: 'nest', ref };
    }
    if (handles.some((h) => kinds.isNotFound(h))) return { kind: 'not-found' };
    if (handles.length > 0 && handles.every((h) => kinds.isMiddleware(h))) return { kind: 'middleware' };
    return { kind: 'route', tokens: typeof layer.rawPath === 'string' ? kinds.tokensOf(layer.rawPath) : null, prefix: '' };
  }
  if (kinds.isMiddleware(handle)) return { kind: 'middleware' };
  if (kinds.isNotFound(handle)) return { kind: 'not-found' };
  // Nest's 404 under a global prefix is a router mounted on the prefix: still Nest's 404,
  // decided on the request's own path.
  const inner = mountedStack(handle);
  if (inner !== null && inner.some((l) => l.route?.stack.some((h) => kinds.isNotFound(h.handle)))) return { kind: 'not-found' };
  const router = inner !== null;
  if (isStaticFiles(handle)) return layer.slash ? { kind: 'root', router, staticFiles: true } : { kind: 'mount', prefix: mountSpelling(layer.rawPath), router, staticFiles: true };
  if (layer.slash) return { kind: 'root', router };
  return { kind: 'mount', prefix: mountSpelling(layer.rawPath), router };
}

/** A mount path without parameters is its own spelling; one with parameters has none to read. */
function mountSpelling(raw: unknown): string | null {
  return typeof raw === 'string' && !/[:*{(\\]/.test(raw) ? raw.replace(/\/+$/, '') : null;
}

interface Entry {
  /** Position in the router stack: Express tries layers in this order. */
  readonly index: number;
  readonly layer: ExpressLayer;
  readonly served: Served;
}

interface Node {
  readonly children: Map<string, Node>;
  readonly entries: Entry[];
}

const newNode = (): Node => ({ children: new Map(), entries: [] });

/** Lower-cased leading static segments of a registered path; none for RegExp or array paths. */
function prefixOf(rawPath: unknown): string[] {
  if (typeof rawPath !== 'string') return [];
  const dynamic = rawPath.search(/[:*{(\\]/);
  if (dynamic === -1) {
    // A static path is filed under all its segments: a lookup for it asks only its own node.
    const whole = rawPath.toLowerCase().replace(/\/+$/, '');
    return whole.length <= 1 ? [] : whole.slice(1).split('/');
  }
  const prefix = rawPath.slice(0, dynamic).toLowerCase();
  const lastSlash = prefix.lastIndexOf('/');
  return lastSlash <= 0 ? [] : prefix.slice(1, lastSlash).split('/');
}

/** The most requests a router's stack is asked about at once: bounds work on hostile paths. */
const MAX_NESTED_ROUTERS = 8;

/**
 * The app router's layers that may serve requests, indexed by leading static segments. Built
 * again when the stack grows (a late `app.use`).
 */
export class ExpressRouterIndex {
  private readonly root = newNode();
  /** Whether any Nest route is host-bound, so lookups need the request's host name at all. */
  readonly hostBound: boolean;

  constructor(stack: readonly ExpressLayer[], private readonly kinds: LayerKinds) {
    let hostBound = false;
    stack.forEach((layer, index) => {
      const served = classify(layer, kinds);
      // Middleware passes requests on; root-mounted plain functions are taken to (body
      // parsers, helmet, loggers): neither is a handler a preflight's request reaches.
      if (served === null || served.kind === 'middleware') return;
      if (served.kind === 'root' && !isStaticFiles(originalHandle(layer)) && mountedStack(originalHandle(layer)) === null) return;
      if (served.kind === 'nest' && served.ref.tag.hosts !== null) hostBound = true;
      let node = this.root;
      for (const segment of prefixOf(layer.rawPath)) {
        let child = node.children.get(segment);
        if (!child) node.children.set(segment, (child = newNode()));
        node = child;
      }
      node.entries.push({ index, layer, served });
    });
    this.hostBound = hostBound;
  }

  /**
   * The handlers Express may dispatch (method, path, host name) to, in its order: the first
   * that surely serves, preceded by those that may (a version filter, static files, a Nest
   * route whose version the request may not name). `[]` when none serves (Nest's 404), or
   * for a path Express's matcher rejects (it answers 400 itself).
   */
  candidates(method: string, path: string, hostname: string | undefined): Found[] {
    // The asterisk form (`OPTIONS *`) names no path: no route matches it.
    if (path.charCodeAt(0) !== 47 /* / */) return [];
    const entries: Entry[] = [];
    let node: Node | undefined = this.root;
    let start = 1;
    while (node) {
      for (const e of node.entries) entries.push(e);
      if (start >= path.length) break;
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      node = node.children.get(path.slice(start, end).toLowerCase());
      start = end + 1;
    }
    if (entries.length > 1) entries.sort((a, b) => a.index - b.index);
    const found: Found[] = [];
    try {
      walk(entries.map((e) => e.layer), method, path, hostname, this.kinds, found, new Set(), 0);
    } catch {
      // Express's matcher throws on a malformed escape ("/a/%zz"): Express answers 400 itself.
      return [];
    }
    return found;
  }
}

/**
 * Walks layers in order, adding to `found` each that may serve, until one surely serves.
 * Returns whether one did. `covered`: the versions earlier version filters serve, so a later
 * handler for none but those can never be reached.
 */
function walk(layers: readonly ExpressLayer[], method: string, path: string, hostname: string | undefined, kinds: LayerKinds, found: Found[], covered: Set<string>, depth: number): boolean {
  for (const layer of layers) {
    const served = classify(layer, kinds);
    if (served === null || served.kind === 'middleware') continue;
    const handle = originalHandle(layer);
    if (layer.route && !layer.route._handlesMethod(method)) continue;
    const m = matchLayer(layer, path);
    if (m === null) continue;
    switch (served.kind) {
      case 'not-found':
        return true; // Nest answers 404: no handler serves
      case 'nest': {
        if (!servesHost(served.ref.tag.hosts, hostname)) continue; // Nest's host filter passes it on
        const versions = served.ref.versions;
        if (versions === null) {
          found.push({ served, params: m.params, matched: m.matched });
          return true;
        }
        // A version filter serves only the versions it names: the next layers may serve the rest.
        if (versions.every((v) => covered.has(v))) continue;
        for (const v of versions) covered.add(v);
        found.push({ served, params: m.params, matched: m.matched });
        continue;
      }
      case 'route':
        found.push({ served, params: m.params, matched: m.matched });
        return true;
      case 'root':
      case 'mount': {
        const inner = mountedStack(handle);
        if (inner !== null) {
          if (depth >= MAX_NESTED_ROUTERS) return true;
          // A router serves by its own routes; the rest falls through to the app's next layers.
          const rest = served.kind === 'root' ? path : path.slice(m.matched.length) || '/';
          const before = found.length;
          const sure = walk(inner, method, rest.startsWith('/') ? rest : `/${rest}`, hostname, kinds, found, covered, depth + 1);
          // The router's own routes are spelt after the mount's spelling; anything else it
          // serves is the mount's.
          const outer = served.kind === 'root' ? '' : served.prefix;
          for (let i = before; i < found.length; i++) {
            const f = found[i];
            found[i] = f.served.kind === 'route' && outer !== null
              ? { served: { ...f.served, prefix: outer + f.served.prefix }, params: f.params, matched: m.matched }
              : { served, params: f.params, matched: m.matched };
          }
          if (sure) return true;
          continue;
        }
        if (isStaticFiles(handle)) {
          // Static files serve GET and HEAD when the file exists: a preflight cannot know.
          if (method === 'GET' || method === 'HEAD') found.push({ served, params: m.params, matched: m.matched, staticFiles: true });
          continue;
        }
        if (served.kind === 'mount') {
          found.push({ served, params: m.params, matched: m.matched });
          return true;
        }
        continue; // a root function passes requests on (see the constructor)
      }
    }
  }
  return false;
}

export { NEUTRAL_VERSION };
