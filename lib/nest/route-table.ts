import { servesHost, type RouteEntry } from './cors-engine.js';

/**
 * One layer of Express's router, as router 2.x keeps it. These fields are the router's
 * internals; `test/e2e/framework-internals.e2e-spec.ts` fails loudly if a release changes them.
 */
export interface ExpressLayer {
  readonly handle: Function;
  /** Mounted at "/" with `use()`: it sees every request (body parsers, helmet, …). */
  readonly slash?: boolean;
  readonly rawPath?: unknown;
  /** Express's own matcher for the layer's path, with the router's case and strict rules. */
  match(path: string): unknown;
  readonly route?: { readonly stack: readonly { readonly handle: Function }[]; _handlesMethod(method: string): boolean };
}

/** A layer that may end a request: a Nest route, or a foreign route or path-mounted handler. */
interface Candidate {
  /** Position in the router stack: Express tries layers in this order. */
  readonly index: number;
  readonly layer: ExpressLayer;
  /** The Nest handler's entry; `undefined` for a foreign layer. */
  readonly entry: RouteEntry | undefined;
  /** The registered path: version handlers of one path share it. */
  readonly rawPath: unknown;
}

interface Node {
  readonly children: Map<string, Node>;
  readonly candidates: Candidate[];
}

const newNode = (): Node => ({ children: new Map(), candidates: [] });

/** Lower-cased leading static segments of a registered path; none for RegExp or array paths. */
function prefixOf(rawPath: unknown): string[] {
  if (typeof rawPath !== 'string') return [];
  const dynamic = rawPath.search(/[:*{(\\]/);
  const prefix = (dynamic === -1 ? rawPath : rawPath.slice(0, dynamic)).toLowerCase();
  const lastSlash = prefix.lastIndexOf('/');
  return lastSlash <= 0 ? [] : prefix.slice(1, lastSlash).split('/');
}

/**
 * The layers of an Express app's router that can serve a request, indexed by their leading
 * static segments so a lookup only asks the few layers that share the request's first
 * segments, however many routes the app has. The index only narrows the search (it folds
 * case and ignores trailing slashes); every answer comes from the layer's own `match()`,
 * in the router's own order, so it is Express's answer.
 */
export class ExpressRouteIndex {
  private readonly root = newNode();

  constructor(
    stack: readonly ExpressLayer[],
    /** The entry of a Nest route layer, found by the handler the library put first in it. */
    entryOf: (layer: ExpressLayer) => RouteEntry | undefined,
    /** Functions that pass every request on: the library's hook, Nest middleware. */
    passesOn: (handle: Function) => boolean,
  ) {
    stack.forEach((layer, index) => {
      if (passesOn(layer.handle) || layer.handle.length === 4 /* error handler */) return;
      const entry = layer.route ? entryOf(layer) : undefined;
      // Root-mounted middleware (`app.use(fn)`) passes requests on, by far most often.
      if (!layer.route && layer.slash) return;
      // A route made only of Nest middleware (`forRoutes(Controller)` binds it per method).
      if (layer.route && entry === undefined && layer.route.stack.every((l) => passesOn(l.handle))) return;
      let node = this.root;
      for (const segment of prefixOf(layer.rawPath)) {
        let child = node.children.get(segment);
        if (!child) node.children.set(segment, (child = newNode()));
        node = child;
      }
      node.candidates.push({ index, layer, entry, rawPath: layer.rawPath });
    });
  }

  private static handles(c: Candidate, method: string): boolean {
    return c.layer.route ? c.layer.route._handlesMethod(method) : true;
  }

  /**
   * The entries Express would dispatch (method, path, hostname) to, as {@link RouteFinder}
   * answers: `[undefined]` for a foreign layer, `[]` for none; for Nest routes, the first
   * match and then the handlers registered on the same path after it, which serve instead
   * when a version filter passes the request on.
   */
  candidates(method: string, path: string, hostname: string | undefined): (RouteEntry | undefined)[] {
    let best: Candidate | undefined;
    const seen: Node[] = [];
    let node: Node | undefined = this.root;
    let start = 1;
    while (node) {
      seen.push(node);
      for (const c of node.candidates) {
        if (best && c.index > best.index) break;
        if (this.serves(c, method, path, hostname)) {
          best = c;
          break;
        }
      }
      if (start >= path.length) break;
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      node = node.children.get(path.slice(start, end).toLowerCase());
      start = end + 1;
    }
    if (!best) return [];
    if (best.entry === undefined) return [undefined];
    const found = [best.entry];
    if (!best.entry.versioned) return found;
    for (const n of seen) {
      for (const c of n.candidates) {
        if (c.index > best.index && c.entry?.versioned && c.rawPath === best.rawPath && this.serves(c, method, path, hostname)) found.push(c.entry);
      }
    }
    return found;
  }

  private serves(c: Candidate, method: string, path: string, hostname: string | undefined): boolean {
    if (!ExpressRouteIndex.handles(c, method)) return false;
    if (c.entry !== undefined && !servesHost(c.entry, hostname)) return false;
    return c.layer.match(path) !== false;
  }
}
