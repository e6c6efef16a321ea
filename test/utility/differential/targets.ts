// Requests for the differential test: a path taken from one of the set's routes (or made up),
// then spelled oddly (letter case, duplicate and trailing slashes, percent-encodings, "%2F",
// malformed escapes, dot segments, ";"), with a query, a fragment or the absolute form, sent
// as an actual request (GET, POST, PUT, DELETE, HEAD) or as a preflight (OPTIONS + ACRM).
// A spec holds only numbers and choices; `concretize` reads them against a route set.
import fc from 'fast-check';
import { SERVED_BY } from './app.js';
import { routeViews, allHandlers, EVIL, VERSION_HEADER, VERBS, originOf, type RouteSet, type Segment, type Verb } from './route-sets.js';
import { servedPolicy } from './oracle.js';

type Mutation =
  | 'case' | 'upper' | 'dupSlash' | 'trailingSlash' | 'encodeChar' | 'encodeSlash' | 'malformed' | 'dot' | 'semicolon';

export interface RequestSpec {
  readonly base: { readonly kind: 'handler' | 'foreign' | 'random'; readonly index: number; readonly words: readonly number[] };
  readonly fill: readonly number[];
  readonly mutations: readonly { readonly kind: Mutation; readonly at: number; readonly variant: number }[];
  readonly query: number;
  readonly fragment: number;
  readonly absolute: number;
  readonly method: 'same' | Verb | 'HEAD';
  readonly preflight: boolean;
  readonly origin: 'own' | 'other' | 'evil' | 'none';
  readonly other: number;
  readonly host: number;
  readonly version: number;
}

/** Values for parameters and wildcards: plain, encoded, traversing, malformed. */
const FILLERS = ['7', 'x', 'Mixed', 'ns0', '%41b', 'a%2Fb', '..', '.', '%2e%2e', 'f0', '%zz', '%ff', 'a+b', 'a%20b'];
const RANDOM_WORDS = ['ns0', 'ns1', 'a', 'b', 'Mixed', 'f0', 'f1', 'legacy', 'v1', 'v2', 'zz', 'x.y'];
const QUERIES = ['', '', '', '?a=1', '?', '?p=/../ns1/x', '?%zz'];
const FRAGMENTS = ['', '', '', '', '#f', '#/../../ns1', '#?x=1'];
const ABSOLUTES = ['', '', '', '', '', '', 'http://a.test', 'HTTP://A.TEST', 'https://b.test', 'http://127.0.0.1:1'];
const DOTS = ['/.', '/..', '/zz/..', '/%2e', '/%2e%2e', '/.%2e', '/%2E%2E', '/..%2f..'];
const BAD_ESCAPES = ['%zz', '%', '%e', '%ff', '%2'];
/** Host headers: the listener's address, a bound host, a tenant of `:sub.c.test`, letter case, a port. */
export const HOST_HEADERS = ['@', '@', 'a.test', 'A.Test', 'x.c.test', 'a.test:8080', 'b.test'] as const;
const VERSIONS = [undefined, undefined, '1', '2', '3'] as const;

const mutationArb = fc.record({
  kind: fc.constantFrom<Mutation>('case', 'upper', 'dupSlash', 'trailingSlash', 'encodeChar', 'encodeSlash', 'malformed', 'dot', 'semicolon'),
  at: fc.nat(63),
  variant: fc.nat(15),
});

export const requestSpecArb: fc.Arbitrary<RequestSpec> = fc.record({
  base: fc.record({
    kind: fc.oneof(
      { weight: 6, arbitrary: fc.constant<'handler'>('handler') },
      { weight: 2, arbitrary: fc.constant<'foreign'>('foreign') },
      { weight: 1, arbitrary: fc.constant<'random'>('random') },
    ),
    index: fc.nat(63),
    words: fc.array(fc.nat(RANDOM_WORDS.length - 1), { maxLength: 3 }),
  }),
  fill: fc.array(fc.nat(FILLERS.length - 1), { minLength: 4, maxLength: 4 }),
  mutations: fc.oneof(
    { weight: 3, arbitrary: fc.constant([]) },
    { weight: 5, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 2 }) },
  ),
  query: fc.nat(QUERIES.length - 1),
  fragment: fc.nat(FRAGMENTS.length - 1),
  absolute: fc.nat(ABSOLUTES.length - 1),
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constant<'same'>('same') },
    { weight: 2, arbitrary: fc.constantFrom<Verb | 'HEAD'>(...VERBS, 'HEAD') },
  ),
  preflight: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  origin: fc.oneof(
    { weight: 5, arbitrary: fc.constant<'own'>('own') },
    { weight: 2, arbitrary: fc.constant<'other'>('other') },
    { weight: 1, arbitrary: fc.constant<'evil'>('evil') },
    { weight: 2, arbitrary: fc.constant<'none'>('none') },
  ),
  other: fc.nat(63),
  host: fc.nat(HOST_HEADERS.length - 1),
  version: fc.nat(VERSIONS.length - 1),
});

/** A request ready to send, and what the spec was aiming at (for the `own` Origin). */
export interface ConcreteRequest {
  /** The method of the actual request: the one sent, or the ACRM a preflight announces. */
  readonly method: Verb | 'HEAD';
  readonly preflight: boolean;
  readonly target: string;
  readonly origin: string | undefined;
  readonly host: string;
  /** Header versioning only: the version the actual request carries. */
  readonly version: string | undefined;
}

function fillSegments(segments: readonly Segment[], fill: readonly number[]): string {
  return segments
    .map((s, i) => {
      if (s.kind === 'static') return s.text;
      const value = FILLERS[fill[i % fill.length]];
      return s.kind === 'param' ? value : `${value}/${FILLERS[fill[(i + 1) % fill.length]]}`;
    })
    .join('/');
}

function positions(path: string, test: (ch: string, i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < path.length; i++) if (test(path[i], i)) out.push(i);
  return out;
}

/** Applies one odd spelling at a position chosen by `at` among the places it fits. */
function mutate(path: string, m: RequestSpec['mutations'][number]): string {
  const pick = (list: number[]) => (list.length === 0 ? -1 : list[m.at % list.length]);
  switch (m.kind) {
    case 'case': {
      const i = pick(positions(path, (ch) => ch.toLowerCase() !== ch.toUpperCase()));
      if (i === -1) return path;
      const ch = path[i];
      return path.slice(0, i) + (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) + path.slice(i + 1);
    }
    case 'upper':
      return path.toUpperCase();
    case 'dupSlash': {
      const i = pick(positions(path, (ch) => ch === '/'));
      return i === -1 ? path : `${path.slice(0, i)}/${path.slice(i)}`;
    }
    case 'trailingSlash':
      return path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : `${path}/`;
    case 'encodeChar': {
      const i = pick(positions(path, (ch) => /[A-Za-z0-9.]/.test(ch)));
      if (i === -1) return path;
      const hex = path.charCodeAt(i).toString(16).padStart(2, '0');
      return `${path.slice(0, i)}%${m.variant % 2 ? hex.toUpperCase() : hex}${path.slice(i + 1)}`;
    }
    case 'encodeSlash': {
      const i = pick(positions(path, (ch, j) => ch === '/' && j > 0));
      return i === -1 ? path : `${path.slice(0, i)}${m.variant % 2 ? '%2F' : '%2f'}${path.slice(i + 1)}`;
    }
    case 'malformed': {
      const i = pick(positions(path, (ch, j) => ch === '/' && j > 0).concat(path.length));
      return `${path.slice(0, i)}${BAD_ESCAPES[m.variant % BAD_ESCAPES.length]}${path.slice(i)}`;
    }
    case 'dot': {
      const i = pick(positions(path, (ch) => ch === '/'));
      return i === -1 ? path : `${path.slice(0, i)}${DOTS[m.variant % DOTS.length]}${path.slice(i)}`;
    }
    case 'semicolon': {
      const i = pick(positions(path, (ch, j) => ch === '/' && j > 0).concat(path.length));
      return `${path.slice(0, i)};x${path.slice(i)}`;
    }
  }
}

/** Every origin some policy of the set admits. */
function policyOrigins(rs: RouteSet): string[] {
  return [
    ...rs.controllers.flatMap((c) => [c, ...c.handlers].filter((x) => x.cors === 'own').map((x) => originOf(x.id))),
    ...rs.resources.map(([, origin]) => origin),
  ];
}

/** Reads a spec against a route set and the port the app listens on. */
export function concretize(spec: RequestSpec, rs: RouteSet, port: number): ConcreteRequest {
  const handlers = allHandlers(rs);
  let segments: readonly Segment[];
  let routeMethod: Verb | 'ALL' = 'GET';
  let aimed: string | undefined; // what `own` is computed as: the handler the spec aims at
  if (spec.base.kind === 'handler' && handlers.length > 0) {
    const { controller, handler } = handlers[spec.base.index % handlers.length];
    const views = routeViews(rs.versioning, controller.version, [...controller.segments, ...handler.segments]);
    segments = views[spec.base.index % views.length].segments;
    routeMethod = handler.method;
    aimed = handler.id;
  } else if (spec.base.kind === 'foreign' && rs.foreign.length > 0) {
    const f = rs.foreign[spec.base.index % rs.foreign.length];
    // A mount serves its path and everything under it.
    segments = f.kind === 'mount' && spec.base.index % 2 ? [...f.segments, { kind: 'static', text: 'deep' } as const] : f.segments;
    routeMethod = f.method;
    aimed = `foreign:${f.name}`;
  } else {
    segments = spec.base.words.map((w) => ({ kind: 'static', text: RANDOM_WORDS[w] }));
  }
  let path = `/${fillSegments(segments, spec.fill)}`;
  for (const m of spec.mutations) path = mutate(path, m);
  const target = `${ABSOLUTES[spec.absolute]}${path}${QUERIES[spec.query]}${FRAGMENTS[spec.fragment]}`;
  const sameMethod: Verb = routeMethod === 'ALL' ? VERBS[spec.other % VERBS.length] : routeMethod;
  let method: Verb | 'HEAD' = spec.method === 'same' ? sameMethod : spec.method;
  if (spec.preflight && method === 'HEAD') method = sameMethod;
  const hostChoice = HOST_HEADERS[spec.host];
  const host = hostChoice === '@' ? `127.0.0.1:${port}` : hostChoice;
  let origin: string | undefined;
  const kind = spec.preflight && spec.origin === 'none' ? 'own' : spec.origin;
  if (kind === 'own') origin = servedPolicy(rs, aimed, target).origin ?? EVIL;
  else if (kind === 'other') {
    const origins = policyOrigins(rs);
    origin = origins.length ? origins[spec.other % origins.length] : EVIL;
  } else if (kind === 'evil') origin = EVIL;
  const version = rs.versioning === 'header' ? VERSIONS[spec.version] : undefined;
  return { method, preflight: spec.preflight, target, origin, host, version };
}

/** Header versioning: the version values a preflight's candidates are found with. */
export function versionProbes(rs: RouteSet): readonly (string | undefined)[] {
  return rs.versioning === 'header' ? [undefined, '1', '2', '3'] : [undefined];
}

/** The request headers of an actual request (method, Host, Origin, version). */
export function actualHeaders(r: { host: string; origin: string | undefined }, version: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { host: r.host };
  if (r.origin !== undefined) headers.origin = r.origin;
  if (version !== undefined) headers[VERSION_HEADER.toLowerCase()] = version;
  return headers;
}

/** The handler a response names, if any. */
export function servedByOf(headers: Record<string, unknown>): string | undefined {
  const v = headers[SERVED_BY];
  return typeof v === 'string' ? v : undefined;
}
