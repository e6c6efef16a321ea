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
  /** The Nest handler's entry, or a foreign layer's (the `resources` policy). */
  readonly entry: RouteEntry;
  /** Whether a Nest controller registered it. */
  readonly nest: boolean;
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
  if (dynamic === -1) {
    // A static path is filed under all its segments: a lookup for it asks only its own node.
    const whole = rawPath.toLowerCase().replace(/\/+$/, '');
    return whole.length <= 1 ? [] : whole.slice(1).split('/');
  }
  const prefix = rawPath.slice(0, dynamic).toLowerCase();
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
  /** Whether any layer is host-bound, so lookups need the request's host name at all. */
  hostBound = false;

  constructor(
    stack: readonly ExpressLayer[],
    /** The entry of a Nest route layer, found by the handler the library put first in it. */
    entryOf: (layer: ExpressLayer) => RouteEntry | undefined,
    /** The entry of a foreign layer: the `resources` policy of the paths it is mounted on. */
    foreignEntryOf: (layer: ExpressLayer) => RouteEntry,
    /** Functions that pass every request on: the library's hook, Nest middleware. */
    passesOn: (handle: Function) => boolean,
  ) {
    stack.forEach((layer, index) => {
      if (passesOn(layer.handle) || layer.handle.length === 4 /* error handler */) return;
      const nestEntry = layer.route ? entryOf(layer) : undefined;
      // Root-mounted middleware (`app.use(fn)`) passes requests on, by far most often.
      if (!layer.route && layer.slash) return;
      // A route made only of Nest middleware (`forRoutes(Controller)` binds it per method).
      if (layer.route && nestEntry === undefined && layer.route.stack.every((l) => passesOn(l.handle))) return;
      const entry = nestEntry ?? foreignEntryOf(layer);
      if (entry.hosts !== null) this.hostBound = true;
      let node = this.root;
      for (const segment of prefixOf(layer.rawPath)) {
        let child = node.children.get(segment);
        if (!child) node.children.set(segment, (child = newNode()));
        node = child;
      }
      node.candidates.push({ index, layer, entry, nest: nestEntry !== undefined });
    });
  }

  private static handles(c: Candidate, method: string): boolean {
    return c.layer.route ? c.layer.route._handlesMethod(method) : true;
  }

  /**
   * The entries Express would dispatch (method, path, hostname) to, as {@link RouteFinder}
   * answers: `[]` when no layer serves (a 404, or a path Express's matcher rejects: a 400).
   * When the first is a version handler, the layers after it that serve when its version
   * filter passes the request on follow, up to the first that serves whatever the version;
   * handlers whose versions earlier ones already cover can never serve and are left out.
   */
  candidates(method: string, path: string, hostname: string | undefined): RouteEntry[] {
    let best: Candidate | undefined;
    const trail: Node[] = [];
    let node: Node | undefined = this.root;
    let start = 1;
    try {
      while (node) {
        trail.push(node);
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
      if (!best.nest || best.entry.versions === null) return [best.entry];
      return this.versionCandidates(best, trail, method, path, hostname);
    } catch {
      // Express's matcher throws on a malformed escape ("/a/%zz"): Express answers 400 itself.
      return [];
    }
  }

  private versionCandidates(best: Candidate, trail: readonly Node[], method: string, path: string, hostname: string | undefined): RouteEntry[] {
    const later: Candidate[] = [];
    for (const n of trail) for (const c of n.candidates) if (c.index > best.index && this.serves(c, method, path, hostname)) later.push(c);
    later.sort((a, b) => a.index - b.index);
    const found = [best.entry];
    const covered = new Set(best.entry.versions);
    for (const c of later) {
      const versions = c.nest ? c.entry.versions : null;
      if (versions === null) {
        found.push(c.entry);
        break;
      }
      if (versions.every((v) => covered.has(v))) continue;
      for (const v of versions) covered.add(v);
      found.push(c.entry);
    }
    return found;
  }

  private serves(c: Candidate, method: string, path: string, hostname: string | undefined): boolean {
    if (!ExpressRouteIndex.handles(c, method)) return false;
    if (!servesHost(c.entry, hostname)) return false;
    return c.layer.match(path) !== false;
  }
}
