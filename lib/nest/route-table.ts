import { parse, pathToRegexp } from 'path-to-regexp';

/** Which router's rules decide a match: Express 5 (path-to-regexp 8) or Fastify 5 (find-my-way). */
export type RouterFlavor = 'express' | 'fastify';

export interface RouteMatchingOptions {
  readonly caseSensitive: boolean;
  readonly ignoreTrailingSlash: boolean;
  /** Fastify's `ignoreDuplicateSlashes`: `//` is read as `/`. */
  readonly ignoreDuplicateSlashes?: boolean;
}

/** A route as Nest registered it on the adapter, with what CORS needs to know of it. */
export interface RouteRecord<T> {
  /** Upper-case method, or `ALL` for `@All()`. */
  readonly method: string;
  /** The final path: global prefix, version, RouterModule and controller paths included. */
  readonly path: string;
  /** Host patterns of a host-bound controller (`@Controller({ host })`), or none. */
  readonly hosts: readonly (string | RegExp)[] | null;
  readonly target: T;
}

interface CompiledRoute<T> {
  readonly method: string;
  readonly hostRegExps: readonly RegExp[] | null;
  readonly regexp: RegExp | null;
  readonly target: T;
  /** Registration order: Express dispatches to the first matching route. */
  readonly index: number;
  /** Fastify (find-my-way) prefers static, then parametric, then wildcard segments. */
  readonly specificity: number;
  /** The path, for static routes: used at build time to find the routes that shadow them. */
  readonly staticPath: string | null;
  /**
   * For a static route on Express: no earlier dynamic route can match its path, so a hit
   * ends the lookup. Set once the table is built.
   */
  final: boolean;
}

function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

const HAS_UPPER = /[A-Z]/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits a find-my-way path into static text and dynamic parts, as Fastify reads it. */
function fastifyRegExpSource(path: string): { source: string; isStatic: boolean; specificity: number } {
  let source = '';
  let isStatic = true;
  let specificity = 0;
  let staticSegment = true;
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === ':' && path[i + 1] === ':') {
      source += ':'; // "::" is a literal colon in find-my-way
      i++;
    } else if (ch === ':') {
      isStatic = false;
      staticSegment = false;
      let j = i + 1;
      while (j < path.length && /[\w$]/.test(path[j])) j++;
      if (path[j] === '(') {
        let depth = 0;
        let k = j;
        for (; k < path.length; k++) {
          if (path[k] === '\\') k++;
          else if (path[k] === '(') depth++;
          else if (path[k] === ')' && --depth === 0) break;
        }
        // find-my-way drops the anchors users often write inside a parameter's pattern.
        source += `(${path.slice(j + 1, k).replace(/^\^/, '').replace(/\$$/, '')})`;
        j = k + 1;
      } else {
        // A parameter ends at "/" or, in a multi-parameter segment, at the next "-" or ".".
        const next = path[j];
        source += next === '-' || next === '.' ? `([^/]+?)` : '([^/]+)';
      }
      if (path[j] === '?') j++; // optional last parameter: matched as required, conservative
      i = j - 1;
    } else if (ch === '*') {
      isStatic = false;
      specificity -= 1000; // wildcards come last
      source += '(.*)';
    } else {
      if (ch === '/') {
        if (staticSegment && i > 0) specificity += 1;
        staticSegment = true;
      }
      source += escapeRegExp(ch);
    }
  }
  return { source, isStatic, specificity };
}

function isExpressStatic(path: string): boolean {
  return parse(path).tokens.every((t) => t.type === 'text');
}

/**
 * The whole path segments before the first dynamic part of a route path: `/api/res1/:id` gives
 * `['api', 'res1']`, `/api/file.:ext` gives `['api']`. A route can only match paths that start
 * with them, so it is filed under them and only looked at for such paths.
 */
export function staticSegments(path: string, flavor: RouterFlavor): string[] {
  let prefix: string;
  if (flavor === 'express') {
    const first = parse(path).tokens[0];
    prefix = first && first.type === 'text' ? first.value : '';
  } else {
    let end = path.length;
    for (let i = 0; i < path.length; i++) {
      const ch = path[i];
      if (ch === ':' && path[i + 1] === ':') i++;
      else if (ch === ':' || ch === '*') {
        end = i;
        break;
      }
    }
    // "::" stands for a literal colon; a prefix holding one is left at the root, conservatively.
    prefix = path.slice(0, end);
    if (prefix.includes('::')) prefix = '';
  }
  const lastSlash = prefix.lastIndexOf('/');
  return lastSlash <= 0 ? [] : prefix.slice(1, lastSlash).split('/');
}

/** A node of the segment trie: routes filed under this static prefix, and deeper prefixes. */
interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  readonly routes: CompiledRoute<T>[];
}

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), routes: [] };
}

/**
 * The routes of the app, compiled once, answering "which route would serve (method, path,
 * host)?" the way the live router would: same path syntax, same case sensitivity, same
 * trailing-slash rule, same precedence (first registered on Express, most specific on
 * Fastify). Fully static paths are found in a map; the others sit in a trie under the static
 * segments they start with, so a lookup only tests the routes that share the request's
 * leading segments, however many routes the app has.
 */
export class RouteTable<T> {
  private readonly statics = new Map<string, CompiledRoute<T>[]>();
  private readonly root: TrieNode<T> = newNode();
  private readonly ordered: boolean;

  constructor(
    records: readonly RouteRecord<T>[],
    private readonly flavor: RouterFlavor,
    private readonly matching: RouteMatchingOptions,
    onUnreadable: (record: RouteRecord<T>, error: unknown) => void = () => {},
  ) {
    this.ordered = flavor === 'express';
    records.forEach((record, index) => {
      try {
        this.add(record, index);
      } catch (error) {
        onUnreadable(record, error);
      }
    });
    const sort = (node: TrieNode<T>): void => {
      node.routes.sort((a, b) => (this.ordered ? a.index - b.index : b.specificity - a.specificity || a.index - b.index));
      for (const child of node.children.values()) sort(child);
    };
    sort(this.root);
    // On Express an earlier dynamic route wins over a static one ("/:id" before "/new"), so a
    // static hit is only final when no such route matches its path: decided here, once.
    for (const list of this.statics.values()) {
      for (const route of list) {
        const path = route.staticPath!;
        route.final = !this.ordered || !this.trail(path).some((node) => node.routes.some((r) => r.index < route.index && r.regexp!.test(path)));
      }
    }
  }

  /** The trie nodes a path passes through, root first. */
  private trail(path: string): TrieNode<T>[] {
    const nodes = [this.root];
    let node = this.root;
    let start = 1;
    while (start < path.length) {
      let end = path.indexOf('/', start);
      if (end === -1) end = path.length;
      const child = node.children.get(caseFold(path.slice(start, end), this.matching.caseSensitive));
      if (!child) break;
      nodes.push((node = child));
      start = end + 1;
    }
    return nodes;
  }

  private key(path: string): string {
    let key = this.matching.caseSensitive || !HAS_UPPER.test(path) ? path : path.toLowerCase();
    if (this.matching.ignoreTrailingSlash && key.length > 1 && key.charCodeAt(key.length - 1) === 47) {
      key = key.slice(0, -1);
    }
    return key;
  }

  private add(record: RouteRecord<T>, index: number): void {
    const { caseSensitive, ignoreTrailingSlash } = this.matching;
    const hostRegExps = record.hosts
      ? record.hosts.map((h) => (h instanceof RegExp ? new RegExp(h.source, h.flags.replace(/[gy]/g, '')) : pathToRegexp(h).regexp))
      : null;
    const path = record.path.startsWith('/') ? record.path : `/${record.path}`;
    let regexp: RegExp | null = null;
    let isStatic: boolean;
    let specificity = 0;
    if (this.flavor === 'express') {
      isStatic = isExpressStatic(path);
      if (!isStatic) {
        regexp = pathToRegexp(path, { sensitive: caseSensitive, end: true, trailing: ignoreTrailingSlash }).regexp;
      }
    } else {
      const compiled = fastifyRegExpSource(path);
      isStatic = compiled.isStatic;
      specificity = compiled.specificity;
      if (!isStatic) {
        const trailing = ignoreTrailingSlash ? '/?' : '';
        regexp = new RegExp(`^${compiled.source}${trailing}$`, caseSensitive ? '' : 'i');
      }
    }
    const route: CompiledRoute<T> = {
      method: record.method, hostRegExps, regexp, target: record.target, index, specificity, staticPath: isStatic ? path : null, final: true,
    };
    if (isStatic) {
      const key = this.key(path);
      const list = this.statics.get(key);
      if (list) list.push(route);
      else this.statics.set(key, [route]);
      return;
    }
    let node = this.root;
    for (const segment of staticSegments(path, this.flavor)) {
      const key = caseFold(segment, caseSensitive);
      let child = node.children.get(key);
      if (!child) node.children.set(key, (child = newNode()));
      node = child;
    }
    node.routes.push(route);
  }

  /**
   * The path as the router reads it. find-my-way percent-decodes all but the reserved
   * characters (what `decodeURI` does) before it matches, so "/admin/rep%6Frt" reaches the
   * "/admin/report" handler and must get its policy; Express matches the raw path.
   */
  routedPath(path: string): string {
    if (this.flavor !== 'fastify') return path;
    let routed = path;
    if (routed.includes('%')) {
      try {
        routed = decodeURI(routed);
      } catch {
        return path; // Fastify answers such a URL with 400 itself
      }
    }
    if (this.matching.ignoreDuplicateSlashes && routed.includes('//')) routed = routed.replace(/\/{2,}/g, '/');
    return routed;
  }

  /** The route that would serve the request, or `undefined` when none would (a 404). */
  find(method: string, rawPath: string, host: string | undefined): T | undefined {
    const path = this.routedPath(rawPath);
    const fromStatic = pick(this.statics.get(this.key(path)), method, host, null, undefined);
    if (fromStatic && fromStatic.final) return fromStatic.target;
    let best = fromStatic;
    if (this.ordered) {
      // Express: the first registered match wins, wherever it is filed.
      let node: TrieNode<T> | undefined = this.root;
      let start = 1;
      while (node) {
        best = this.better(best, pick(node.routes, method, host, path, best));
        if (start >= path.length) break;
        let end = path.indexOf('/', start);
        if (end === -1) end = path.length;
        node = node.children.get(caseFold(path.slice(start, end), this.matching.caseSensitive));
        start = end + 1;
      }
      return best?.target;
    }
    // Fastify: a static route wins; then routes under the longest static prefix first.
    if (best) return best.target;
    const nodes = this.trail(path);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const found = pick(nodes[i].routes, method, host, path, undefined);
      if (found) return found.target;
    }
    return undefined;
  }

  private better(a: CompiledRoute<T> | undefined, b: CompiledRoute<T> | undefined): CompiledRoute<T> | undefined {
    if (!a) return b;
    if (!b) return a;
    return b.index < a.index ? b : a;
  }
}

function methodMatches(routeMethod: string, method: string): boolean {
  return routeMethod === method || routeMethod === 'ALL' || (method === 'HEAD' && routeMethod === 'GET');
}

function caseFold(s: string, caseSensitive: boolean): string {
  return caseSensitive ? s : s.toLowerCase();
}

function pick<T>(
  list: readonly CompiledRoute<T>[] | undefined,
  method: string,
  host: string | undefined,
  path: string | null,
  before: CompiledRoute<T> | undefined,
): CompiledRoute<T> | undefined {
  if (!list) return undefined;
  let hostname: string | undefined;
  for (const route of list) {
    // Express lists are in registration order: nothing after an earlier winner can win.
    // (Fastify lookups never pass `before`.)
    if (before && route.index > before.index) break;
    if (!methodMatches(route.method, method)) continue;
    if (route.hostRegExps) {
      hostname ??= hostnameOf(host);
      const name = hostname;
      if (!route.hostRegExps.some((re) => re.test(name))) continue;
    }
    if (path !== null && !route.regexp!.test(path)) continue;
    return route;
  }
  return undefined;
}
