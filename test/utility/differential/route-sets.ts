// Route sets for the differential test (SPEC §3 rules 2-8): Nest controllers with static,
// parametric and wildcard routes, URI and header versions, host-bound controllers, each
// handler with its own `@CrossOrigin` (an origin of its own, `false`, or none), next to
// handlers no Nest controller registered, and a `resources` table with one origin per
// pattern. Every policy has an origin no other policy has, so the ACAO of a response, or of a
// request sent without an Origin (`alwaysSend`), names the policy that was applied.
import fc from 'fast-check';

export type AdapterName = 'Express' | 'Fastify';
export type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RouteMethod = Verb | 'ALL';
export const VERBS: readonly Verb[] = ['GET', 'POST', 'PUT', 'DELETE'];

/** One segment of a route: literal text, a parameter, or a trailing wildcard. */
export type Segment =
  | { readonly kind: 'static'; readonly text: string }
  | { readonly kind: 'param' }
  /** `optional`: Express's `{*splat}` (zero segments too) rather than `*splat`; Fastify has `*`. */
  | { readonly kind: 'wildcard'; readonly optional: boolean };

/** What `@CrossOrigin` says at one level: an origin of its own, `false`, or nothing. */
export type CorsLevel = 'own' | 'off' | 'none';

/** `both` is `version: ['1', '2']`. */
export type VersionSpec = '1' | '2' | 'both' | 'neutral' | null;

export interface HandlerSpec {
  readonly id: string;
  readonly method: RouteMethod;
  readonly segments: readonly Segment[];
  readonly cors: CorsLevel;
}

export interface ControllerSpec {
  readonly id: string;
  /** Static segments only. */
  readonly segments: readonly Segment[];
  readonly host: string | null;
  readonly version: VersionSpec;
  readonly cors: CorsLevel;
  readonly handlers: readonly HandlerSpec[];
}

/**
 * A handler no Nest controller registered: `mount` is Express's `app.use(path, fn)` (any
 * method, the path as a prefix), `route` a route on `getInstance()`.
 */
export interface ForeignSpec {
  readonly name: string;
  readonly kind: 'mount' | 'route';
  readonly method: RouteMethod;
  readonly segments: readonly Segment[];
}

export type Versioning = 'none' | 'uri' | 'header';

export interface RouteSet {
  readonly adapter: AdapterName;
  readonly versioning: Versioning;
  readonly controllers: readonly ControllerSpec[];
  readonly foreign: readonly ForeignSpec[];
  /** `resources` as [pattern, origin] pairs. */
  readonly resources: readonly (readonly [string, string])[];
  /** How the app is started: `NestFactory.create`, or `@nestjs/testing`; both then `listen(0)`. */
  readonly startWith: 'factory' | 'testing';
}

/** A route as the router holds it: full path segments and the header version it is bound to. */
export interface RouteView {
  readonly segments: readonly Segment[];
  /** Header versioning only: the version constraint, `null` for none. */
  readonly version: '1' | '2' | null;
}

export const VERSION_HEADER = 'X-API-Version';
export const HOSTS = ['a.test', ':sub.c.test'] as const;
const CONTROLLER_WORDS = ['ns0', 'ns1', 'Mixed', 'a', 'f0'];
const HANDLER_WORDS = ['a', 'b', 'Mixed', 'ns0', 'x.y', 'legacy'];
const FOREIGN_WORDS = ['f0', 'f1', 'ns0', 'legacy', 'a'];
/** Namespaces that may get `resources` entries: "/ns0" (literal) and "/ns0/*" (pattern). */
const RESOURCE_SPACES = ['ns0', 'ns1', 'f0', 'v1', 'Mixed', 'legacy'];

export const originOf = (id: string): string => `http://${id}.test`;
export const originOfResource = (index: number): string => `http://r${index}.test`;
export const EVIL = 'http://evil.test';

const staticSeg = (words: readonly string[]) => fc.constantFrom(...words).map((text): Segment => ({ kind: 'static', text }));
const corsLevel = fc.oneof(
  { weight: 5, arbitrary: fc.constant<CorsLevel>('own') },
  { weight: 2, arbitrary: fc.constant<CorsLevel>('off') },
  { weight: 3, arbitrary: fc.constant<CorsLevel>('none') },
);
const routeMethod = fc.oneof(
  { weight: 4, arbitrary: fc.constant<RouteMethod>('GET') },
  { weight: 4, arbitrary: fc.constantFrom<RouteMethod>('POST', 'PUT', 'DELETE') },
  { weight: 1, arbitrary: fc.constant<RouteMethod>('ALL') },
);
const tail = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Segment[]>([]) },
  { weight: 1, arbitrary: fc.boolean().map((optional): Segment[] => [{ kind: 'wildcard', optional }]) },
);
const dynamicSegments = (words: readonly string[], max: number) =>
  fc
    .tuple(fc.array(fc.oneof({ weight: 3, arbitrary: staticSeg(words) }, { weight: 2, arbitrary: fc.constant<Segment>({ kind: 'param' }) }), { maxLength: max }), tail)
    .map(([segments, end]) => [...segments, ...end]);

const handlerArb = fc.record({ method: routeMethod, segments: dynamicSegments(HANDLER_WORDS, 2), cors: corsLevel });
const controllerSegments = fc.oneof({ weight: 1, arbitrary: fc.constant<Segment[]>([]) }, { weight: 3, arbitrary: staticSeg(CONTROLLER_WORDS).map((s) => [s]) });
const controllerArb = (versioning: Versioning) =>
  fc.record({
    segments: controllerSegments,
    host: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTS) }),
    version:
      versioning === 'none'
        ? fc.constant<VersionSpec>(null)
        : fc.constantFrom<VersionSpec>(null, '1', '2', 'both', 'neutral'),
    cors: corsLevel,
    handlers: fc.array(handlerArb, { minLength: 1, maxLength: 4 }),
  });

/**
 * Header versioning: one route served by two or three versions, each with its own
 * `@CrossOrigin`, so a preflight, which carries no version, has several candidates (rule 7).
 */
const versionGroupArb = fc
  .record({
    segments: controllerSegments,
    handler: fc.record({ method: routeMethod, segments: dynamicSegments(HANDLER_WORDS, 2) }),
    variants: fc.uniqueArray(fc.record({ version: fc.constantFrom<VersionSpec>('1', '2', 'neutral'), cors: corsLevel, controllerCors: corsLevel }), {
      minLength: 2, maxLength: 3, selector: (v) => v.version,
    }),
  })
  .map((g) =>
    g.variants.map((v) => ({ segments: g.segments, host: null, version: v.version, cors: v.controllerCors, handlers: [{ ...g.handler, cors: v.cors }] })),
  );

const foreignArb = (adapter: AdapterName) =>
  fc.oneof(
    ...(adapter === 'Express'
      ? [fc.record({ kind: fc.constant<'mount'>('mount'), method: fc.constant<RouteMethod>('ALL'), segments: fc.array(staticSeg(FOREIGN_WORDS), { minLength: 1, maxLength: 2 }) })]
      : []),
    fc.record({
      kind: fc.constant<'route'>('route'),
      method: routeMethod,
      segments: fc.tuple(staticSeg(FOREIGN_WORDS), dynamicSegments(FOREIGN_WORDS, 1)).map(([first, rest]) => [first, ...rest]),
    }),
  );

const resourcesArb = fc
  .tuple(
    fc.subarray(RESOURCE_SPACES.flatMap((s) => [`/${s}`, `/${s}/*`])),
    fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  )
  .map(([patterns, root]) => (root || patterns.length === 0 ? [...patterns, '/*'] : patterns));

/** Route sets for one adapter; ids (`h3`, `c1`, `x0`) are given once conflicts are removed. */
export function routeSetArb(adapter: AdapterName): fc.Arbitrary<RouteSet> {
  return fc
    .constantFrom<Versioning>('none', 'none', 'uri', 'header', 'header')
    .chain((versioning) =>
      fc.record({
        versioning: fc.constant(versioning),
        controllers: fc
          .tuple(fc.array(controllerArb(versioning), { minLength: 1, maxLength: 5 }), versioning === 'header' ? fc.array(versionGroupArb, { minLength: 1, maxLength: 2 }) : fc.constant([]))
          .map(([controllers, groups]) => [...controllers, ...groups.flat()]),
        foreign: fc.array(foreignArb(adapter), { maxLength: 3 }),
        resources: resourcesArb,
        startWith: fc.constantFrom<'factory' | 'testing'>('factory', 'factory', 'testing'),
      }),
    )
    .map((raw) => finish(adapter, raw));
}

type RawSet = {
  versioning: Versioning;
  controllers: { segments: Segment[]; host: string | null; version: VersionSpec; cors: CorsLevel; handlers: { method: RouteMethod; segments: Segment[]; cors: CorsLevel }[] }[];
  foreign: { kind: 'mount' | 'route'; method: RouteMethod; segments: Segment[] }[];
  resources: string[];
  startWith: 'factory' | 'testing';
};

/** Drops the routes Fastify would refuse as duplicates, then numbers what is left. */
function finish(adapter: AdapterName, raw: RawSet): RouteSet {
  const taken: { method: RouteMethod; view: RouteView }[] = [];
  const accept = (method: RouteMethod, views: readonly RouteView[]): boolean => {
    if (adapter === 'Express') return true; // Express takes any route; the first match serves
    const clash = views.some((v) => taken.some((t) => methodsOverlap(t.method, method) && sameRouterSlot(t.view, v)));
    if (clash) return false;
    for (const view of views) taken.push({ method, view });
    return true;
  };
  let h = 0;
  const controllers: ControllerSpec[] = [];
  raw.controllers.forEach((c) => {
    const handlers: HandlerSpec[] = [];
    for (const handler of c.handlers) {
      const views = routeViews(raw.versioning, c.version, [...c.segments, ...handler.segments]);
      if (accept(handler.method, views)) handlers.push({ id: `h${h++}`, ...handler });
    }
    if (handlers.length > 0) controllers.push({ id: `c${controllers.length}`, segments: c.segments, host: c.host, version: c.version, cors: c.cors, handlers });
  });
  const foreign: ForeignSpec[] = [];
  for (const f of raw.foreign) {
    if (accept(f.method, [{ segments: f.segments, version: null }])) foreign.push({ name: `x${foreign.length}`, ...f });
  }
  const resources = raw.resources.map((pattern, i) => [pattern, originOfResource(i)] as const);
  return { adapter, versioning: raw.versioning, controllers, foreign, resources, startWith: raw.startWith };
}

function methodsOverlap(a: RouteMethod, b: RouteMethod): boolean {
  return a === 'ALL' || b === 'ALL' || a === b;
}

/** find-my-way keeps one route per (method, path shape, constraints); hosts are Nest's filter. */
function sameRouterSlot(a: RouteView, b: RouteView): boolean {
  return a.version === b.version && shape(a.segments) === shape(b.segments);
}

function shape(segments: readonly Segment[]): string {
  return segments.map((s) => (s.kind === 'static' ? s.text : s.kind === 'param' ? ':' : '*')).join('/');
}

/** The routes one handler becomes: URI versions add a path segment, header versions a constraint. */
export function routeViews(versioning: Versioning, version: VersionSpec, segments: readonly Segment[]): RouteView[] {
  const versions: ('1' | '2')[] = version === 'both' ? ['1', '2'] : version === '1' || version === '2' ? [version] : [];
  if (versioning === 'uri' && versions.length > 0) {
    return versions.map((v) => ({ segments: [{ kind: 'static', text: `v${v}` }, ...segments], version: null }));
  }
  if (versioning === 'header' && versions.length > 0) return versions.map((v) => ({ segments, version: v }));
  return [{ segments, version: null }];
}

/** A path in the adapter's route syntax; parameters are named by position, `p0`, `p1`, … */
export function renderPath(segments: readonly Segment[], adapter: AdapterName, offset = 0): string {
  return segments
    .map((s, i) => {
      if (s.kind === 'static') return s.text;
      if (s.kind === 'param') return `:p${offset + i}`;
      if (adapter === 'Fastify') return '*';
      return s.optional ? '{*splat}' : '*splat';
    })
    .join('/');
}

/** Every handler of the set, with its controller. */
export function allHandlers(rs: RouteSet): { controller: ControllerSpec; handler: HandlerSpec }[] {
  return rs.controllers.flatMap((controller) => controller.handlers.map((handler) => ({ controller, handler })));
}

/** The set as a short readable text, for failure messages. */
export function describeRouteSet(rs: RouteSet): string {
  const lines = [`${rs.adapter}, versioning ${rs.versioning}, started with ${rs.startWith === 'factory' ? 'NestFactory.create' : '@nestjs/testing'}`];
  for (const c of rs.controllers) {
    const opts = [`path '${renderPath(c.segments, rs.adapter)}'`];
    if (c.host) opts.push(`host '${c.host}'`);
    if (c.version) opts.push(`version ${c.version}`);
    lines.push(`  ${corsText(c.cors, c.id)} @Controller({ ${opts.join(', ')} }) ${c.id}`);
    for (const h of c.handlers) {
      lines.push(`    ${corsText(h.cors, h.id)} @${h.method}('${renderPath(h.segments, rs.adapter, c.segments.length)}') ${h.id}`);
    }
  }
  for (const f of rs.foreign) {
    const path = `/${renderPath(f.segments, rs.adapter)}`;
    lines.push(`  foreign ${f.name}: ${f.kind === 'mount' ? `app.use('${path}', fn)` : `getInstance().${f.method.toLowerCase()}('${path}', fn)`}`);
  }
  lines.push(`  resources: ${rs.resources.map(([p, o]) => `'${p}' → ${o}`).join(', ')}`);
  return lines.join('\n');
}

function corsText(level: CorsLevel, id: string): string {
  return level === 'own' ? `@CrossOrigin({ origins: '${originOf(id)}' })` : level === 'off' ? '@CrossOrigin(false)' : '(no @CrossOrigin)';
}
