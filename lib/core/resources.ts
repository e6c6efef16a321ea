// The `resources` table: patterns checked and ordered most specific first, matched on decoded paths with dot segments resolved.
import type { IssueCollector } from './errors.js';
import type { CorsOptions, ResourcesOption } from './options.js';

/** One `resources` entry: its pattern, split on `*`, and the options written for it. */
export interface ResourceEntry<P> {
  readonly pattern: string;
  readonly literal: boolean;
  /** The literal runs between the `*`s (the first and last may be empty). */
  readonly parts: readonly string[];
  readonly policy: P;
}

/** `resources` as given, as [pattern, options] pairs. */
export function resourceEntries(resources: ResourcesOption | undefined): [string, CorsOptions][] {
  if (resources === undefined) return [['/*', {}]];
  if (typeof resources === 'string') return [[resources, {}]];
  if (Array.isArray(resources)) return (resources as readonly string[]).map((p) => [p, {}]);
  return Object.entries(resources as Record<string, CorsOptions>).map(([p, o]) => [p, o]);
}

/**
 * Checks the shape of `resources` and every key; options are checked by the caller. `root`
 * names the call that wrote them (`forRoot` or `forRootAsync`).
 */
export function checkResources(resources: unknown, c: IssueCollector, root = 'forRoot'): boolean {
  if (resources === undefined) return true;
  const okShape =
    typeof resources === 'string' ||
    (Array.isArray(resources) && resources.every((r) => typeof r === 'string')) ||
    (resources !== null && typeof resources === 'object' && !Array.isArray(resources) && !(resources instanceof RegExp));
  if (!okShape) {
    c.add({ where: root, option: 'resources', value: resources, reason: 'invalid',
      detail: 'must be a path pattern, an array of them, or an object mapping patterns to options' });
    return false;
  }
  let ok = true;
  for (const [pattern] of resourceEntries(resources as ResourcesOption)) {
    const problem = patternProblem(pattern);
    if (problem) {
      ok = false;
      c.add({ where: root, option: `resources[${JSON.stringify(pattern)}]`, value: pattern, reason: 'invalid', detail: problem });
    }
  }
  return ok;
}

function patternProblem(pattern: string): string | null {
  if (pattern === '*') return null;
  if (!pattern.startsWith('/')) return 'must be a path starting with "/" ("*" matches any run of characters)';
  if (/\/:/.test(pattern)) {
    return 'uses a route parameter: resource patterns match request paths, where "*" stands for any run of characters, e.g. "/users/*"';
  }
  if (/\.\*|\\|[()[\]^$?{}|]/.test(pattern)) {
    return 'uses regular-expression syntax: in a resource pattern "*" alone matches any run of characters, e.g. "/api/*"';
  }
  return null;
}

/**
 * Compiles `resources` into match order (README "Which options apply", rule 4, hardened against CVE-2024-6839): the
 * most specific pattern first whatever the insertion order: literal paths, then patterns with
 * more segments, then longer ones. Paths are case-sensitive (CVE-2024-6866).
 */
export function compileResources<P>(entries: readonly (readonly [string, P])[]): readonly ResourceEntry<P>[] {
  const compiled = entries.map(([raw, policy], index) => {
    const pattern = raw === '*' ? '/*' : raw;
    const literal = !pattern.includes('*');
    return { pattern, literal, parts: Object.freeze(pattern.split('*')), policy, index, segments: pattern.split('/').length };
  });
  compiled.sort(
    (a, b) =>
      Number(b.literal) - Number(a.literal) ||
      b.segments - a.segments ||
      b.pattern.length - a.pattern.length ||
      a.index - b.index,
  );
  return Object.freeze(compiled.map(({ pattern, literal, parts, policy }) => Object.freeze({ pattern, literal, parts, policy })));
}

/**
 * Whether `path` matches a pattern whose only wildcard is `*` (any run of characters, line
 * breaks included). The first run must start the path and the last must end it; each run in
 * between is found with indexOf, leftmost first, which is exact for `*`-only patterns. So the
 * work is linear in the path for a given pattern, where the backtracking RegExp this replaced
 * took seconds on a 2 KB path for a pattern of three stars before an "x".
 */
export function matchesGlob(parts: readonly string[], path: string): boolean {
  if (parts.length === 1) return parts[0] === path;
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (path.length < first.length + last.length || !path.startsWith(first) || !path.endsWith(last)) return false;
  const end = path.length - last.length;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const run = parts[i];
    if (run.length === 0) continue;
    const found = path.indexOf(run, at);
    if (found === -1 || found + run.length > end) return false;
    at = found + run.length;
  }
  return true;
}

/** The most specific entry matching an already normalized path, or `undefined`. */
export function matchResource<P>(table: readonly ResourceEntry<P>[], path: string): ResourceEntry<P> | undefined {
  for (const entry of table) {
    if (entry.literal ? entry.pattern === path : matchesGlob(entry.parts, path)) return entry;
  }
  return undefined;
}

/**
 * The path resources are matched on: percent-decoded once with `+` kept as `+`
 * (CVE-2024-6844), then with dot segments resolved (RFC 3986 §5.2.4), so `/api/../secret` is
 * `/secret` and never gets the policy of `/api/*` (CVE-2020-25032). When some escape is
 * malformed, the ASCII escapes are still decoded, so a stray `%zz` cannot keep `%2e%2e` or
 * `%2f` from being seen as the dots and slashes they are.
 */
export function normalizeRequestPath(rawPath: string): string {
  let path = rawPath;
  if (path.includes('%')) {
    try {
      path = decodeURIComponent(path);
    } catch {
      path = rawPath.replace(/%([0-7][0-9a-fA-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
  }
  return resolveDotSegments(path);
}

/**
 * A path with its dot segments resolved (RFC 3986 §5.2.4): `/api/../secret` is `/secret`, so
 * it never gets the policy of `/api/*` (CVE-2020-25032). Nothing is decoded.
 */
export function resolveDotSegments(path: string): string {
  if (!path.includes('/.')) return path;
  const out: string[] = [];
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part === '.') {
      if (i === parts.length - 1) out.push('');
    } else if (part === '..') {
      out.pop();
      if (i === parts.length - 1) out.push('');
    } else out.push(part);
  }
  return `/${out.join('/')}`;
}

/**
 * The path of a request target as routers read it: the absolute form (RFC 9112 §3.2.2,
 * "http://host/path") reduced to its path, query and fragment dropped. The asterisk form
 * (`*`) stays `*`: no route and no `resources` entry matches it.
 */
export function targetPath(target: string | undefined): string {
  let path = target ?? '/';
  if (path.charCodeAt(0) !== 47 /* / */) {
    const scheme = path.indexOf('://');
    if (scheme !== -1) {
      const slash = path.indexOf('/', scheme + 3);
      path = slash === -1 ? '/' : path.slice(slash);
    }
  }
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return path.slice(0, i);
  }
  return path;
}
