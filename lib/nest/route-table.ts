import { parse, pathToRegexp } from 'path-to-regexp';

/** Which router's rules decide a match: Express 5 (path-to-regexp 8) or Fastify 5 (find-my-way). */
export type RouterFlavor = 'express' | 'fastify';

export interface RouteMatchingOptions {
  readonly caseSensitive: boolean;
  readonly ignoreTrailingSlash: boolean;
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

function expressFirstSegmentIsStatic(path: string): boolean {
  const tokens = parse(path).tokens;
  const first = tokens[0];
  if (!first || first.type !== 'text') return false;
  const text = first.value;
  const slash = text.indexOf('/', 1);
  return slash !== -1 || tokens.length === 1;
}

function isExpressStatic(path: string): boolean {
  return parse(path).tokens.every((t) => t.type === 'text');
}

function firstSegment(path: string): string {
  const slash = path.indexOf('/', 1);
  return slash === -1 ? path.slice(1) : path.slice(1, slash);
}

/**
 * The routes of the app, compiled once, answering "which route would serve (method, path,
 * host)?" the way the live router would: same path syntax, same case sensitivity, same
 * trailing-slash rule, same precedence (first registered on Express, most specific on
 * Fastify). Fully static paths are found in a map; the others are bucketed by their first
 * path segment, so the cost of a lookup does not grow with the number of routes elsewhere.
 */
export class RouteTable<T> {
  private readonly statics = new Map<string, CompiledRoute<T>[]>();
  private readonly buckets = new Map<string, CompiledRoute<T>[]>();
  private readonly rootDynamic: CompiledRoute<T>[] = [];
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
    const sort = (list: CompiledRoute<T>[]) =>
      list.sort((a, b) => (this.ordered ? a.index - b.index : b.specificity - a.specificity || a.index - b.index));
    for (const list of this.buckets.values()) sort(list);
    sort(this.rootDynamic);
    // On Express an earlier dynamic route wins over a static one ("/:id" before "/new"), so a
    // static hit is only final when no such route matches its path: decided here, once.
    for (const list of this.statics.values()) {
      for (const route of list) {
        const path = route.staticPath!;
        const seg = firstSegment(path);
        const rivals = [...(this.buckets.get(caseFold(seg, this.matching.caseSensitive)) ?? []), ...this.rootDynamic];
        route.final = !this.ordered || !rivals.some((r) => r.index < route.index && r.regexp!.test(path));
      }
    }
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
    let bucketable: boolean;
    if (this.flavor === 'express') {
      isStatic = isExpressStatic(path);
      if (!isStatic) {
        regexp = pathToRegexp(path, { sensitive: caseSensitive, end: true, trailing: ignoreTrailingSlash }).regexp;
      }
      bucketable = expressFirstSegmentIsStatic(path);
    } else {
      const compiled = fastifyRegExpSource(path);
      isStatic = compiled.isStatic;
      specificity = compiled.specificity;
      if (!isStatic) {
        const trailing = ignoreTrailingSlash ? '/?' : '';
        regexp = new RegExp(`^${compiled.source}${trailing}$`, caseSensitive ? '' : 'i');
      }
      const seg = firstSegment(path);
      bucketable = !seg.includes(':') && !seg.includes('*') && path.indexOf('/', 1) !== -1;
    }
    const route: CompiledRoute<T> = {
      method: record.method, hostRegExps, regexp, target: record.target, index, specificity, staticPath: isStatic ? path : null, final: true,
    };
    if (isStatic) {
      const key = this.key(path);
      const list = this.statics.get(key);
      if (list) list.push(route);
      else this.statics.set(key, [route]);
    } else if (bucketable) {
      const seg = firstSegment(path);
      const key = caseSensitive ? seg : seg.toLowerCase();
      const list = this.buckets.get(key);
      if (list) list.push(route);
      else this.buckets.set(key, [route]);
    } else {
      this.rootDynamic.push(route);
    }
  }

  /** The route that would serve the request, or `undefined` when none would (a 404). */
  find(method: string, path: string, host: string | undefined): T | undefined {
    const fromStatic = pick(this.statics.get(this.key(path)), method, host, null, undefined);
    if (fromStatic && fromStatic.final) return fromStatic.target;
    let best = fromStatic;
    const seg = firstSegment(path);
    const bucket = this.buckets.get(caseFold(seg, this.matching.caseSensitive));
    best = this.better(best, pick(bucket, method, host, path, best));
    if (best && !this.ordered) return best.target;
    best = this.better(best, pick(this.rootDynamic, method, host, path, best));
    return best?.target;
  }

  private better(a: CompiledRoute<T> | undefined, b: CompiledRoute<T> | undefined): CompiledRoute<T> | undefined {
    if (!a) return b;
    if (!b) return a;
    return this.ordered ? (b.index < a.index ? b : a) : a;
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
    // Lists are in dispatch order; on Express nothing after an earlier winner can win.
    if (before && route.index > before.index && path !== null) {
      // Only meaningful for ordered (Express) tables; Fastify tables return earlier.
      break;
    }
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
