// Which `resources` entry applies to a routed request: chosen on the path as the router matched
// it (the route's own spelling of its static segments, the request's parameter values), so a
// spelling the router folds (case, duplicate or trailing slashes, delimiters) never selects
// another entry than the canonical path would. Decided at start-up wherever the route's pattern
// alone decides it.
import { matchesGlob, resolveDotSegments, type ResourceEntry } from './resources.js';

/**
 * A route path, parsed by the platform layer from its router's syntax (path-to-regexp for
 * Express, find-my-way for Fastify) into the parts that matter here.
 * - `text`: spelled as registered;
 * - `param`: one segment's worth of the request (router-decoded), never a `/`;
 * - `wildcard`: the rest of the path, `/` included;
 * - `group`: optional; present when every parameter in it has a value.
 */
export type RouteToken =
  | { readonly type: 'text'; readonly value: string }
  | { readonly type: 'param'; readonly name: string }
  | { readonly type: 'wildcard'; readonly name: string }
  | { readonly type: 'group'; readonly tokens: readonly RouteToken[] };

/** Parameter values as routers give them: strings, or arrays of segments (path-to-regexp wildcards). */
export type RouteParams = Readonly<Record<string, string | readonly string[] | undefined>> | null | undefined;

function valueOf(params: RouteParams, name: string): string | undefined {
  const v = params?.[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  // path-to-regexp gives a wildcard as its decoded segments.
  return Array.isArray(v) ? v.join('/') : undefined;
}

function fill(tokens: readonly RouteToken[], params: RouteParams, out: string[]): boolean {
  for (const t of tokens) {
    if (t.type === 'text') out.push(t.value);
    else if (t.type === 'group') {
      const inner: string[] = [];
      if (fill(t.tokens, params, inner)) out.push(...inner);
    } else {
      const value = valueOf(params, t.name);
      if (value === undefined) return false;
      out.push(value);
    }
  }
  return true;
}

/**
 * The path a routed request is matched to `resources` on: the route's text as registered,
 * with the parameter values the router read from the request. The values are decoded by the
 * router already, so nothing is decoded again; dot segments a value brings (`../secret`,
 * from `..%2fsecret`) are resolved, so such a path never gets the policy of an entry it
 * resolves out of (CVE-2020-25032).
 */
export function canonicalPath(tokens: readonly RouteToken[], params: RouteParams): string {
  return resolveDotSegments(routePath(tokens, params));
}

/** The route's text with the request's parameter values, dot segments left as they are. */
export function routePath(tokens: readonly RouteToken[], params: RouteParams): string {
  const out: string[] = [];
  fill(tokens, params, out);
  const path = out.join('');
  return path.startsWith('/') ? path : `/${path}`;
}

function isDotSegment(s: string): boolean {
  return s === '.' || s === '..';
}

/**
 * Whether every parameter value keeps to its place: a parameter's within its segment (no
 * `/`, not `.` or `..`), a wildcard's without dot segments. Then a route's requests get the
 * entry {@link resourceOfRoute} decided from its pattern; otherwise the canonical path is
 * matched for that request.
 */
export function hasPlainValues(tokens: readonly RouteToken[], params: RouteParams): boolean {
  for (const t of tokens) {
    if (t.type === 'text') continue;
    if (t.type === 'group') {
      if (!hasPlainValues(t.tokens, params)) return false;
      continue;
    }
    const v = params?.[t.name];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      for (const segment of v) if (isDotSegment(segment) || (t.type === 'param' && segment.includes('/'))) return false;
    } else if (typeof v === 'string') {
      if (t.type === 'param' ? v.includes('/') || isDotSegment(v) : v.split('/').some(isDotSegment)) return false;
    }
  }
  return true;
}

/** Whether a route has no parameter at all: its own text is its only path. */
export function isStaticRoute(tokens: readonly RouteToken[]): boolean {
  return tokens.every((t) => t.type === 'text');
}

// Stands for a parameter's value when the pattern alone is matched: no pattern text holds it.
const SENTINEL = '\u0000';

function templateOf(tokens: readonly RouteToken[]): string {
  let out = '';
  for (const t of tokens) out += t.type === 'text' ? t.value : t.type === 'group' ? templateOf(t.tokens) : SENTINEL;
  return out;
}

/** The route with each parameter replaced by {@link SENTINEL} (groups taken as present). */
function template(tokens: readonly RouteToken[]): string {
  const out = templateOf(tokens);
  return out.startsWith('/') ? out : `/${out}`;
}

function stripGroups(tokens: readonly RouteToken[]): RouteToken[] {
  return tokens.filter((t) => t.type !== 'group');
}

/** How one entry relates to every path a route can match. */
type Relation = 'always' | 'never' | 'depends';

function relation(entry: ResourceEntry<unknown>, tokens: readonly RouteToken[]): Relation {
  // Optional groups make several shapes: decide on both extremes, else per request.
  const shapes = tokens.some((t) => t.type === 'group') ? [template(tokens), template(stripGroups(tokens))] : [template(tokens)];
  const relations = shapes.map((shape) => relationOfShape(entry, shape));
  return relations.every((r) => r === relations[0]) ? relations[0] : 'depends';
}

function relationOfShape(entry: ResourceEntry<unknown>, shape: string): Relation {
  if (!shape.includes(SENTINEL)) {
    return (entry.literal ? entry.pattern === shape : matchesGlob(entry.parts, shape)) ? 'always' : 'never';
  }
  if (entry.literal) {
    // A literal entry matches only where the parameters take its exact text.
    return couldMatchLiteral(shape, entry.pattern) ? 'depends' : 'never';
  }
  // The sentinel appears in no literal run, so a match puts every parameter inside a `*`:
  // whatever the values, the path still matches.
  if (matchesGlob(entry.parts, shape)) return 'always';
  // The entry's first and last runs against the route's fixed start and end.
  const start = shape.slice(0, shape.indexOf(SENTINEL));
  const end = shape.slice(shape.lastIndexOf(SENTINEL) + 1);
  const first = entry.parts[0];
  const last = entry.parts[entry.parts.length - 1];
  const startsApart = !first.startsWith(start) && !start.startsWith(first);
  const endsApart = !last.endsWith(end) && !end.endsWith(last);
  return startsApart || endsApart ? 'never' : 'depends';
}

/** Whether some parameter values make the route's path equal `literal`. */
function couldMatchLiteral(shape: string, literal: string): boolean {
  const parts = shape.split(SENTINEL).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  // `*`, not `+`: a wildcard may be empty.
  return new RegExp(`^${parts.join('[\\s\\S]*')}$`).test(literal);
}

/**
 * The `resources` entry a route's requests get whatever their parameter values (as long as
 * they keep to their place: {@link hasPlainValues}), decided from its pattern alone: an entry
 * (or `null` for none) when every such path gets it, `undefined` when the values decide (the
 * entry is then chosen per request on {@link canonicalPath}). `table` is in match order (most
 * specific first).
 */
export function resourceOfRoute<P>(table: readonly ResourceEntry<P>[], tokens: readonly RouteToken[]): ResourceEntry<P> | null | undefined {
  for (const entry of table) {
    const r = relation(entry, tokens);
    if (r === 'always') return entry;
    if (r === 'depends') return undefined;
  }
  return null;
}
