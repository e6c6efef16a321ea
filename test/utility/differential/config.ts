// App configurations for the differential test (SPEC §3 rules 1-8): everything about an app
// that decides which handler serves a request and which policy that handler declares. Router
// options of both adapters (both spellings of Fastify's), global prefix and its exclusions,
// RouterModule paths with parameters, every versioning type and `defaultVersion` shape,
// host-bound controllers, static directories with and without a prefix, handlers no Nest
// controller registered, rewriting middleware, a Nest middleware that answers by itself, and a
// CorsModule.forRoot whose `resources` nest (`/teams/*/billing/*` beside `/*`). Every policy
// admits an origin of its own, so a response's ACAO names the policy that was applied.
import fc from 'fast-check';
import { match } from 'path-to-regexp';

export type AdapterName = 'Express' | 'Fastify';
export type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RouteMethod = Verb | 'ALL';
export const VERBS: readonly Verb[] = ['GET', 'POST', 'PUT', 'DELETE'];

/** One segment of a route as the generator writes it; rendered per adapter by `renderPath`. */
export type Segment =
  | { readonly kind: 'lit'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string }
  /** A trailing wildcard: Express `*rest` (one segment or more), Fastify `*`. */
  | { readonly kind: 'wild' };

/** `N` stands for VERSION_NEUTRAL. */
export type Version = '1' | '2' | 'N';
/** What `version` (controller, handler) or `defaultVersion` says. */
export type VersionValue = Version | readonly Version[];

export type OriginsShape = 'own' | 'own+shared' | 'single' | 'any';

/** The options of one policy source, as CorsModule or @CrossOrigin receives them. */
export interface PolicyOptions {
  readonly origins?: string | readonly string[];
  readonly methods?: readonly string[];
  readonly allowHeaders?: string | readonly string[];
  readonly supportsCredentials?: boolean;
}

/** What `@CrossOrigin` says at one level. */
export type Decoration =
  | { readonly kind: 'none' }
  | { readonly kind: 'off' }
  | { readonly kind: 'options'; readonly options: PolicyOptions }
  | { readonly kind: 'named'; readonly name: string };

export interface HandlerConfig {
  readonly id: string;
  readonly method: RouteMethod;
  readonly path: readonly Segment[];
  /** Handler-level `@Version()`. */
  readonly version?: VersionValue;
  readonly cors: Decoration;
}

export interface ControllerConfig {
  readonly id: string;
  readonly path: readonly Segment[];
  readonly host?: string;
  readonly version?: VersionValue;
  readonly cors: Decoration;
  readonly handlers: readonly HandlerConfig[];
  /** The RouterModule path of the module the controller is declared in, if any. */
  readonly modulePath?: readonly Segment[];
}

/** One route of a foreign router (Express) or on the Fastify instance. */
export interface ForeignRoute {
  readonly id: string;
  readonly method: RouteMethod;
  readonly path: readonly Segment[];
}

/**
 * Something registered on the framework before Nest's routes, in this order (Express) or
 * anywhere (Fastify's router does not care about order).
 */
export type Mount =
  /** Express `app.use([path,] express.Router(options))`; Fastify routes on the instance, or in a plugin with a prefix. */
  | { readonly kind: 'router'; readonly id: string; readonly at: string | null; readonly caseSensitive: boolean; readonly strict: boolean; readonly routes: readonly ForeignRoute[] }
  /** Express `app.use('/legacy', fn)`: serves every method and every path under it. */
  | { readonly kind: 'fn'; readonly id: string; readonly at: string }
  /** `app.useStaticAssets`: Express `(dir, { prefix? })`, Fastify `({ root, prefix? })`. */
  | { readonly kind: 'static'; readonly id: string; readonly prefix: string | null; readonly redirect: boolean }
  /** Express `app.use(fn)` rewriting `/{from}/…` to `/{to}/…`. */
  | { readonly kind: 'rewrite'; readonly from: string; readonly to: string };

export type Versioning =
  | { readonly type: 'none' }
  | { readonly type: 'uri' | 'header' | 'media'; readonly defaultVersion?: VersionValue }
  | { readonly type: 'custom'; readonly defaultVersion?: VersionValue; readonly extractor: 'string' | 'array' };

export interface ExpressRouting {
  /** `case sensitive routing` and `strict routing` of the app Express routes with. */
  readonly caseSensitive: boolean;
  readonly strict: boolean;
  /**
   * How they are given: `new ExpressAdapter()` (defaults), `app.set` or `app.enable/disable` on
   * `express()` before `new ExpressAdapter(app)`, or `nestApp.set(...)` after creation, which
   * Express ignores since its router already exists (the router keeps the defaults).
   */
  readonly how: 'default' | 'set' | 'enable' | 'late';
}

export interface FastifyRouting {
  readonly caseSensitive?: boolean;
  readonly ignoreTrailingSlash?: boolean;
  readonly ignoreDuplicateSlashes?: boolean;
  readonly useSemicolonDelimiter?: boolean;
  readonly maxParamLength?: number;
  /** `new FastifyAdapter({ ...options })` or `new FastifyAdapter({ routerOptions: options })`. */
  readonly spelling: 'top' | 'routerOptions';
}

export interface AppConfig {
  readonly adapter: AdapterName;
  readonly start: 'factory' | 'testing';
  readonly express?: ExpressRouting;
  readonly fastify?: FastifyRouting;
  readonly prefix?: { readonly path: string; readonly exclude: readonly { readonly path: string; readonly method?: Verb }[] };
  readonly versioning: Versioning;
  readonly controllers: readonly ControllerConfig[];
  readonly mounts: readonly Mount[];
  /** Nest middleware (`forRoutes('*')`): `deny` answers 401 to `x-deny: 1`; `rewrite` maps a path prefix (Express only). */
  readonly nestMiddleware: { readonly deny: boolean; readonly rewrite?: { readonly from: string; readonly to: string } };
  /** Fastify's `rewriteUrl` option: `/{from}/…` to `/{to}/…` before routing. */
  readonly rewriteUrl?: { readonly from: string; readonly to: string };
  /** forRoot: top-level options, `resources` (absent: the default `'/*'`), named policies. */
  readonly cors: {
    readonly top: PolicyOptions;
    readonly resources: readonly (readonly [string, PolicyOptions])[] | null;
    readonly policies: readonly (readonly [string, PolicyOptions])[];
  };
}

export const VERSION_HEADER = 'x-api-version';
export const CUSTOM_VERSION_HEADER = 'x-cv';
export const MEDIA_KEY = 'v=';
export const SHARED_ORIGIN = 'https://shared.test';
export const FOREIGN_ORIGIN = 'https://evil.test';
/** The origin a policy source admits, from its label: `https://h3.test`, `https://r0.test`. */
export const originOf = (label: string): string => `https://${label}.test`;
export const HOSTS = ['admin.localhost', ':sub.t.localhost'] as const;

const lit = (text: string): Segment => ({ kind: 'lit', text });
const param = (name: string): Segment => ({ kind: 'param', name });
const WILD: Segment = { kind: 'wild' };
const path = (...segments: Segment[]): readonly Segment[] => segments;

const MODULE_PATHS = [path(lit('admin')), path(lit('t'), param('tenant'))];
const CONTROLLER_PATHS = [path(), path(), path(lit('teams')), path(lit('teams')), path(lit('Teams')), path(lit('billing')), path(lit('legacy')), path(lit('x')), path(lit('api'))];
const HANDLER_PATHS = [
  path(), path(param('slug')), path(param('id')), path(param('id'), lit('billing'), param('bid')), path(param('id'), lit('billing'), param('bid')),
  path(lit('billing'), param('bid')), path(lit('legacy')), path(lit('health')), path(WILD), path(lit('Mixed')), path(lit('export')),
  path(lit('teams'), param('id'), lit('billing'), param('bid')),
];
/** Express routers: where they are mounted, and their routes. */
const ROUTER_MOUNTS: (string | null)[] = [null, null, '/x', '/legacy', '/teams'];
const ROUTER_ROUTES = [
  path(lit('legacy')), path(lit('legacy'), param('lid')), path(lit('teams'), param('id'), lit('billing'), lit('export')), path(lit('health')),
  path(lit('Mixed')), path(), path(param('fid')), path(lit('billing'), param('bid')), path(lit('ext'), param('eid')),
];
const FN_MOUNTS = ['/legacy', '/old', '/x'];
const STATIC_PREFIXES: (string | null)[] = [null, null, '/assets', '/teams', '/legacy', '/Assets'];
const REWRITES = [{ from: 'old', to: 'teams' }, { from: 'old', to: 'legacy' }, { from: 'v0', to: 'billing' }];
/** Resource patterns, nested on purpose: a strict literal-ish pattern beside a permissive one. */
export const RESOURCE_PATTERNS = [
  '/teams/*/billing/*', '/teams/*', '/Teams/*', '/billing/*', '/legacy', '/legacy/*', '/api/*', '/api/teams/*/billing/*',
  '/assets/*', '/v1/*', '/v2/*', '/health', '/admin/*', '/t/*', '/x/*', '/old/*', '/t/*/teams/*/billing/*',
];
const POLICY_NAMES = ['strict', 'partner'];

// ---------------------------------------------------------------------------------------------
// Raw arbitraries: shapes and choices only; `finish` gives ids and origins and removes what
// the framework would refuse.

interface RawPolicy {
  origins: OriginsShape | null;
  methods: readonly string[] | null;
  allowHeaders: string | readonly string[] | null;
  credentials: boolean;
}

const rawPolicyArb: fc.Arbitrary<RawPolicy> = fc.record({
  origins: fc.oneof(
    { weight: 5, arbitrary: fc.constant<OriginsShape>('own') },
    { weight: 3, arbitrary: fc.constant<OriginsShape>('own+shared') },
    { weight: 2, arbitrary: fc.constant<OriginsShape>('single') },
    { weight: 1, arbitrary: fc.constant<OriginsShape>('any') },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
  methods: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom<readonly string[]>(['GET', 'POST'], ['GET', 'PUT', 'DELETE'], ['GET'], ['POST', 'PUT'], ['GET', 'HEAD', 'POST', 'PUT', 'DELETE']) },
  ),
  allowHeaders: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constantFrom<string | readonly string[]>(['x-a'], 'x-b', ['x-a', VERSION_HEADER, CUSTOM_VERSION_HEADER], '*') },
  ),
  credentials: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

type RawDecoration = { kind: 'none' } | { kind: 'off' } | { kind: 'options'; policy: RawPolicy } | { kind: 'named'; name: string };
const rawDecorationArb = (noneWeight: number): fc.Arbitrary<RawDecoration> =>
  fc.oneof(
    { weight: noneWeight, arbitrary: fc.constant<RawDecoration>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.constant<RawDecoration>({ kind: 'off' }) },
    { weight: 3, arbitrary: rawPolicyArb.map((policy): RawDecoration => ({ kind: 'options', policy })) },
    { weight: 1, arbitrary: fc.constantFrom(...POLICY_NAMES).map((name): RawDecoration => ({ kind: 'named', name })) },
  );

const versionValueArb: fc.Arbitrary<VersionValue> = fc.constantFrom<VersionValue>('1', '2', 'N', ['1', '2'], ['1', 'N'], ['2', 'N']);
const optionalVersion = (weight: number) => fc.oneof({ weight, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: versionValueArb });

const rawHandlerArb = fc.record({
  method: fc.oneof(
    { weight: 5, arbitrary: fc.constant<RouteMethod>('GET') },
    { weight: 4, arbitrary: fc.constantFrom<RouteMethod>('POST', 'PUT', 'DELETE') },
    { weight: 1, arbitrary: fc.constant<RouteMethod>('ALL') },
  ),
  path: fc.constantFrom(...HANDLER_PATHS),
  version: optionalVersion(6),
  cors: rawDecorationArb(6),
});

const rawControllerArb = fc.record({
  path: fc.constantFrom(...CONTROLLER_PATHS),
  module: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.nat(MODULE_PATHS.length - 1) }),
  host: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTS) }),
  version: optionalVersion(3),
  cors: rawDecorationArb(6),
  handlers: fc.array(rawHandlerArb, { minLength: 1, maxLength: 4 }),
});

type RawController = {
  path: readonly Segment[];
  module: number;
  host: string | undefined;
  version: VersionValue | undefined;
  cors: RawDecoration;
  handlers: { method: RouteMethod; path: readonly Segment[]; version: VersionValue | undefined; cors: RawDecoration }[];
};

/**
 * Controllers planted on purpose, beside the random ones, because each is half of a situation
 * issue 14 found: an undecorated `teams/:id/billing/:bid` beside nested `resources`; a
 * decorated root `:slug` beside root-mounted foreign handlers and static files; the same path
 * served by an unversioned controller registered before a version-2 one.
 */
const plantedArb = fc.record({
  billing: fc.option(fc.record({ cors: rawDecorationArb(8), method: fc.constantFrom<RouteMethod>('GET', 'POST', 'ALL') }), { nil: undefined, freq: 2 }),
  slug: fc.option(fc.record({ cors: rawPolicyArb, method: fc.constantFrom<RouteMethod>('GET', 'POST', 'ALL') }), { nil: undefined, freq: 2 }),
  versions: fc.option(
    fc.record({ path: fc.constantFrom(path(lit('teams'), param('id')), path(lit('pets')), path(param('slug'))), first: rawDecorationArb(3), second: rawPolicyArb, method: fc.constantFrom<RouteMethod>('GET', 'PUT') }),
    { nil: undefined, freq: 2 },
  ),
});

function planted(p: { billing?: { cors: RawDecoration; method: RouteMethod }; slug?: { cors: RawPolicy; method: RouteMethod }; versions?: { path: readonly Segment[]; first: RawDecoration; second: RawPolicy; method: RouteMethod } }, versioned: boolean): { before: RawController[]; after: RawController[] } {
  const before: RawController[] = [];
  const after: RawController[] = [];
  if (p.billing) after.push({ path: path(lit('teams')), module: -1, host: undefined, version: undefined, cors: { kind: 'none' }, handlers: [{ method: p.billing.method, path: path(param('id'), lit('billing'), param('bid')), version: undefined, cors: p.billing.cors }] });
  if (p.slug) after.push({ path: path(), module: -1, host: undefined, version: undefined, cors: { kind: 'none' }, handlers: [{ method: p.slug.method, path: path(param('slug')), version: undefined, cors: { kind: 'options', policy: p.slug.cors } }] });
  if (p.versions && versioned) {
    const { path: at, first, second, method } = p.versions;
    before.push({ path: at, module: -1, host: undefined, version: undefined, cors: first, handlers: [{ method, path: path(), version: undefined, cors: { kind: 'none' } }] });
    before.push({ path: at, module: -1, host: undefined, version: '2', cors: { kind: 'options', policy: second }, handlers: [{ method, path: path(), version: undefined, cors: { kind: 'none' } }] });
  }
  return { before, after };
}

const rawRouterArb = fc.record({
  at: fc.constantFrom(...ROUTER_MOUNTS),
  caseSensitive: fc.boolean(),
  strict: fc.boolean(),
  routes: fc.array(fc.record({ method: fc.constantFrom<RouteMethod>('GET', 'GET', 'POST', 'ALL'), path: fc.constantFrom(...ROUTER_ROUTES) }), { minLength: 1, maxLength: 3 }),
});

type RawMount =
  | { kind: 'router'; at: string | null; caseSensitive: boolean; strict: boolean; routes: { method: RouteMethod; path: readonly Segment[] }[] }
  | { kind: 'fn'; at: string }
  | { kind: 'static'; prefix: string | null; redirect: boolean }
  | { kind: 'rewrite'; from: string; to: string };

const rawMountArb = (adapter: AdapterName): fc.Arbitrary<RawMount> =>
  fc.oneof(
    { weight: 3, arbitrary: rawRouterArb.map((r): RawMount => ({ kind: 'router', ...r })) },
    { weight: adapter === 'Express' ? 2 : 0, arbitrary: fc.constantFrom(...FN_MOUNTS).map((at): RawMount => ({ kind: 'fn', at })) },
    { weight: 3, arbitrary: fc.record({ prefix: fc.constantFrom(...STATIC_PREFIXES), redirect: fc.boolean() }).map((s): RawMount => ({ kind: 'static', ...s })) },
    { weight: adapter === 'Express' ? 1 : 0, arbitrary: fc.constantFrom(...REWRITES).map((r): RawMount => ({ kind: 'rewrite', ...r })) },
  );

const versioningArb: fc.Arbitrary<Versioning> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Versioning>({ type: 'none' }) },
  {
    weight: 6,
    arbitrary: fc
      .record({
        type: fc.constantFrom<'uri' | 'header' | 'media' | 'custom'>('uri', 'header', 'header', 'media', 'custom'),
        defaultVersion: fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 3, arbitrary: fc.constantFrom<VersionValue>('1', ['1', '2'], 'N', ['1', 'N']) }),
        extractor: fc.constantFrom<'string' | 'array'>('string', 'array'),
      })
      .map(({ type, defaultVersion, extractor }): Versioning => {
        const base = defaultVersion === undefined ? {} : { defaultVersion };
        return type === 'custom' ? { type, extractor, ...base } : { type, ...base };
      }),
  },
);

const fastifyRoutingArb: fc.Arbitrary<FastifyRouting> = fc
  .record({
    caseSensitive: fc.option(fc.boolean(), { nil: undefined }),
    ignoreTrailingSlash: fc.option(fc.boolean(), { nil: undefined }),
    ignoreDuplicateSlashes: fc.option(fc.boolean(), { nil: undefined }),
    useSemicolonDelimiter: fc.option(fc.boolean(), { nil: undefined }),
    maxParamLength: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(30, 60) }),
    spelling: fc.constantFrom<'top' | 'routerOptions'>('top', 'routerOptions'),
  })
  .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as FastifyRouting);

const expressRoutingArb: fc.Arbitrary<ExpressRouting> = fc.record({
  caseSensitive: fc.boolean(),
  strict: fc.boolean(),
  how: fc.constantFrom<ExpressRouting['how']>('default', 'set', 'set', 'enable', 'late'),
});

/** The app configurations of one adapter. */
export function appConfigArb(adapter: AdapterName): fc.Arbitrary<AppConfig> {
  return fc
    .record({
      start: fc.constantFrom<'factory' | 'testing'>('factory', 'factory', 'testing'),
      express: expressRoutingArb,
      fastify: fastifyRoutingArb,
      prefix: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 2, arbitrary: fc.constant(true) }),
      excludes: fc.array(fc.record({ index: fc.nat(63), method: fc.constantFrom<Verb | undefined>(undefined, undefined, 'GET') }), { maxLength: 2 }),
      versioning: versioningArb,
      controllers: fc.array(rawControllerArb, { minLength: 2, maxLength: 6 }),
      planted: plantedArb,
      mounts: fc.array(rawMountArb(adapter), { maxLength: 4 }),
      deny: fc.boolean(),
      nestRewrite: fc.option(fc.constantFrom(...REWRITES), { nil: undefined, freq: 6 }),
      rewriteUrl: fc.option(fc.constantFrom(...REWRITES), { nil: undefined, freq: 3 }),
      top: rawPolicyArb,
      topGiven: fc.boolean(),
      resources: fc.option(
        fc.tuple(
          fc.shuffledSubarray(RESOURCE_PATTERNS, { minLength: 1, maxLength: 6 }),
          fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
          fc.array(rawPolicyArb, { minLength: 9, maxLength: 9 }),
          fc.nat(8),
          fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
        ),
        { nil: null, freq: 8 },
      ),
      policies: fc.array(rawPolicyArb, { minLength: POLICY_NAMES.length, maxLength: POLICY_NAMES.length }),
    })
    .map((raw) => finish(adapter, raw));
}

type Raw = {
  start: 'factory' | 'testing';
  express: ExpressRouting;
  fastify: FastifyRouting;
  prefix: boolean;
  excludes: { index: number; method: Verb | undefined }[];
  versioning: Versioning;
  controllers: RawController[];
  planted: Parameters<typeof planted>[0];
  mounts: RawMount[];
  deny: boolean;
  nestRewrite: { from: string; to: string } | undefined;
  rewriteUrl: { from: string; to: string } | undefined;
  top: RawPolicy;
  topGiven: boolean;
  resources: [string[], boolean, RawPolicy[], number, boolean] | null;
  policies: RawPolicy[];
};

// ---------------------------------------------------------------------------------------------
// Finishing: ids, origins, valid credentials, and no route the framework would refuse.

function originsFor(shape: OriginsShape, label: string): string | readonly string[] {
  switch (shape) {
    case 'own':
      return [originOf(label)];
    case 'own+shared':
      return [originOf(label), SHARED_ORIGIN];
    case 'single':
      return originOf(label);
    case 'any':
      return '*';
  }
}

/**
 * Options from a raw policy. Credentials come with an explicit list of origins (SPEC §6 refuses
 * credentials with `*`), and `inheritsCredentials` makes a `*` set here turn credentials off
 * explicitly, so that no merge (rule 1) ends with credentials and `*`.
 */
function optionsOf(raw: RawPolicy, label: string, inheritsCredentials: boolean, keepEmpty = true): PolicyOptions {
  const out: { -readonly [K in keyof PolicyOptions]: PolicyOptions[K] } = {};
  let origins = raw.origins;
  if (raw.credentials && (origins === null || origins === 'any')) origins = 'own';
  if (origins !== null) out.origins = originsFor(origins, label);
  if (raw.methods) out.methods = raw.methods;
  if (raw.allowHeaders) out.allowHeaders = raw.allowHeaders;
  if (raw.credentials) out.supportsCredentials = true;
  else if (origins === 'any' && inheritsCredentials) out.supportsCredentials = false;
  if (!keepEmpty && Object.keys(out).length === 0) out.origins = originsFor('own', label);
  return out;
}

function decorationOf(raw: RawDecoration, label: string, inheritsCredentials: boolean, keepEmpty: boolean): Decoration {
  if (raw.kind === 'options') return { kind: 'options', options: optionsOf(raw.policy, label, inheritsCredentials, keepEmpty) };
  return raw;
}

function finish(adapter: AdapterName, raw: Raw): AppConfig {
  const top = raw.topGiven ? optionsOf(raw.top, 'top', false) : {};
  const topCredentials = top.supportsCredentials === true;
  const policies = POLICY_NAMES.map((name, i) => [name, optionsOf(raw.policies[i], `p-${name}`, topCredentials, false)] as const);
  const credentialsOf = (d: Decoration): boolean | undefined => {
    if (d.kind === 'options') return d.options.supportsCredentials;
    if (d.kind === 'named') return policies.find(([n]) => n === d.name)![1].supportsCredentials;
    return undefined;
  };

  const versioning = raw.versioning;
  const resources = raw.resources
    ? (() => {
        const [picked, root, options, emptyAt, nested] = raw.resources;
        // The nested pair of issue 14 (a strict pattern inside a permissive one) most of the time.
        const patterns = nested && !picked.includes('/teams/*/billing/*') ? [...picked, '/teams/*/billing/*'] : picked;
        const list = root && !patterns.includes('/*') ? [...patterns, '/*'] : patterns;
        // An entry given as `{}` inherits forRoot's top level (rule 2), as Flask-CORS's list form does.
        return list.map((pattern, i) => [pattern, i === emptyAt % Math.max(list.length, 1) ? {} : optionsOf(options[i % options.length], `r${i}`, topCredentials)] as const);
      })()
    : null;

  // Controllers, with the Fastify routes that would clash removed (Fastify refuses a second
  // route for one method, path shape and version; Nest's host filter does not tell routes apart).
  const routing = adapter === 'Fastify' ? raw.fastify : undefined;
  const taken = new Set<string>();
  const claim = (keys: string[]): boolean => {
    if (adapter === 'Express') return true;
    if (keys.some((k) => taken.has(k))) return false;
    for (const k of keys) taken.add(k);
    return true;
  };

  // The global prefix's exclusions are chosen among the handlers' own paths first, so that
  // each route's registered path (prefixed or not) is known when Fastify clashes are checked.
  const plants = planted(raw.planted, raw.versioning.type !== 'none');
  raw = { ...raw, controllers: [...plants.before, ...raw.controllers, ...plants.after] };
  const rawPaths = raw.controllers
    .flatMap((c) => c.handlers.map((rh) => [...(c.module >= 0 ? MODULE_PATHS[c.module] : []), ...c.path, ...rh.path]))
    .filter((segments) => segments.every((s) => s.kind !== 'wild'))
    .map((segments) => renderPath(segments, adapter));
  const prefix = raw.prefix ? { path: 'api', exclude: [] as { path: string; method?: Verb }[] } : undefined;
  if (prefix) {
    for (const e of raw.excludes) {
      const p = rawPaths.length ? rawPaths[e.index % rawPaths.length] : 'health';
      if (!prefix.exclude.some((x) => x.path === p)) prefix.exclude.push({ path: p, ...(e.method ? { method: e.method } : {}) });
    }
  }
  const prefixOf = (method: RouteMethod, full: readonly Segment[]): string => {
    if (!prefix) return '';
    const own = renderPath(full, adapter);
    const excluded = prefix.exclude.some((e) => (e.method === undefined || e.method === method) && excludes(e.path, own));
    return excluded ? '' : `${prefix.path}/`;
  };

  let h = 0;
  const controllers: ControllerConfig[] = [];
  for (const c of raw.controllers) {
    const id = `c${controllers.length}`;
    const modulePath = c.module >= 0 ? MODULE_PATHS[c.module] : undefined;
    const cors = decorationOf(c.cors, id, topCredentials, true);
    const classCredentials = credentialsOf(cors) ?? topCredentials;
    const handlers: HandlerConfig[] = [];
    for (const rh of c.handlers) {
      const hid = `h${h}`;
      // A handler's options over a class-level `false` turn CORS back on (rule 1): never with
      // an empty object, which the SPEC leaves open.
      const handlerCors = decorationOf(rh.cors, hid, cors.kind === 'off' ? topCredentials : classCredentials, cors.kind !== 'off');
      const version = versioning.type === 'none' ? undefined : rh.version;
      const full = [...(modulePath ?? []), ...c.path, ...rh.path];
      if (full.filter((s) => s.kind === 'wild').length > 1) continue;
      const effective = versioning.type === 'none' ? undefined : (version ?? c.version ?? versioning.defaultVersion);
      if (!claim(fastifyKeys(routing, versioning, effective, rh.method, full, prefixOf(rh.method, full)))) continue;
      handlers.push({ id: hid, method: rh.method, path: rh.path, ...(version !== undefined ? { version } : {}), cors: handlerCors });
      h++;
    }
    if (handlers.length === 0) continue;
    controllers.push({
      id,
      path: c.path,
      ...(c.host ? { host: c.host } : {}),
      ...(versioning.type !== 'none' && c.version !== undefined ? { version: c.version } : {}),
      cors,
      handlers,
      ...(modulePath ? { modulePath } : {}),
    });
  }

  const mounts: Mount[] = [];
  let rewrites = 0;
  let fns = 0;
  for (const m of raw.mounts) {
    const id = `${m.kind === 'router' ? 'f' : m.kind === 'fn' ? 'm' : 's'}${mounts.length}`;
    if (m.kind === 'router') {
      const routes: ForeignRoute[] = [];
      m.routes.forEach((r, i) => {
        const mountSegs = m.at ? m.at.split('/').filter(Boolean).map(lit) : [];
        if (!claim(fastifyKeys(routing, { type: 'none' }, undefined, r.method, [...mountSegs, ...r.path], ''))) return;
        routes.push({ id: `${id}.${i}`, method: r.method, path: r.path });
      });
      if (routes.length) mounts.push({ kind: 'router', id, at: m.at, caseSensitive: m.caseSensitive, strict: m.strict, routes });
    } else if (m.kind === 'fn') {
      if (fns++ < 2) mounts.push({ kind: 'fn', id, at: m.at });
    } else if (m.kind === 'static') {
      const segs = m.prefix ? m.prefix.split('/').filter(Boolean).map(lit) : [];
      if (adapter === 'Express' ? mounts.some((x) => x.kind === 'static' && x.prefix === m.prefix) : !claim(fastifyKeys(routing, { type: 'none' }, undefined, 'GET', [...segs, WILD], ''))) continue;
      mounts.push({ kind: 'static', id, prefix: m.prefix, redirect: adapter === 'Express' && m.redirect });
    } else if (adapter === 'Express' && rewrites++ === 0) {
      mounts.push({ kind: 'rewrite', from: m.from, to: m.to });
    }
  }

  fixCredentials(controllers, top, policies);
  return {
    adapter,
    start: raw.start,
    ...(adapter === 'Express' ? { express: raw.express } : { fastify: raw.fastify }),
    ...(prefix ? { prefix } : {}),
    versioning,
    controllers,
    mounts,
    nestMiddleware: { deny: raw.deny, ...(adapter === 'Express' && raw.nestRewrite ? { rewrite: raw.nestRewrite } : {}) },
    ...(adapter === 'Fastify' && raw.rewriteUrl ? { rewriteUrl: raw.rewriteUrl } : {}),
    cors: { top, resources, policies },
  };
}

/**
 * Makes every merged policy valid (SPEC §6 refuses credentials with `*` origins): where the
 * layers of rule 1 end with credentials and `*`, the lowest layer gets `supportsCredentials:
 * false` (a named policy is replaced by its options with that key).
 */
function fixCredentials(controllers: ControllerConfig[], top: PolicyOptions, policies: readonly (readonly [string, PolicyOptions])[]): void {
  const optionsOf = (d: Decoration): PolicyOptions | undefined => (d.kind === 'options' ? d.options : d.kind === 'named' ? policies.find(([n]) => n === d.name)![1] : undefined);
  const invalid = (layers: (PolicyOptions | undefined)[]) => {
    let origins: string | readonly string[] = '*';
    let credentials = false;
    for (const l of layers) {
      if (l?.origins !== undefined) origins = l.origins;
      if (l?.supportsCredentials !== undefined) credentials = l.supportsCredentials;
    }
    return credentials && (origins === '*' || (Array.isArray(origins) && origins.includes('*')));
  };
  const repaired = (d: Decoration): Decoration => ({ kind: 'options', options: { ...optionsOf(d), supportsCredentials: false } });
  controllers.forEach((c, i) => {
    let cors = c.cors;
    if (invalid([top, optionsOf(cors)])) cors = repaired(cors);
    const handlers = c.handlers.map((h) => {
      if (h.cors.kind === 'none' || h.cors.kind === 'off') return h;
      const layers = cors.kind === 'off' || cors.kind === 'none' ? [top, optionsOf(h.cors)] : [top, optionsOf(cors), optionsOf(h.cors)];
      return invalid(layers) ? { ...h, cors: repaired(h.cors) } : h;
    });
    controllers[i] = { ...c, cors, handlers };
  });
}

/**
 * The slots one route takes in find-my-way: one per method (GET brings HEAD) and per version
 * constraint, on the path shape as the router compares paths (case folded when it is
 * case-insensitive, parameters nameless, trailing slash dropped). Conservative: a clash
 * Fastify would accept only drops a route.
 */
function fastifyKeys(routing: FastifyRouting | undefined, versioning: Versioning, version: VersionValue | undefined, method: RouteMethod, full: readonly Segment[], prefix: string): string[] {
  if (!routing) return [];
  const caseSensitive = routing.caseSensitive !== false;
  const shape = (segments: readonly Segment[]) =>
    segments.map((s) => (s.kind === 'lit' ? (caseSensitive ? s.text : s.text.toLowerCase()) : s.kind === 'param' ? ':' : '*')).join('/');
  const versions: (string | null)[] = [];
  const paths: string[] = [];
  const list = version === undefined ? [] : Array.isArray(version) ? version : [version as Version];
  if (versioning.type === 'uri' && list.length) {
    for (const v of list) paths.push(shape(v === 'N' ? full : [lit(`v${v}`), ...full]));
    versions.push(null);
  } else {
    paths.push(shape(full));
    // Nest registers VERSION_NEUTRAL routes on Fastify without a version constraint.
    versions.push(versioning.type === 'none' || version === undefined || version === 'N' ? null : JSON.stringify(version));
  }
  const methods = method === 'ALL' ? ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] : method === 'GET' ? ['GET', 'HEAD'] : [method];
  const fold = (p: string) => (caseSensitive ? p : p.toLowerCase());
  return paths.flatMap((pa) => versions.flatMap((v) => methods.map((m) => `${m} ${fold(prefix)}${pa} ${v}`)));
}

/** A path in the adapter's route syntax (no leading slash). */
export function renderPath(segments: readonly Segment[], adapter: AdapterName): string {
  return segments.map((s) => (s.kind === 'lit' ? s.text : s.kind === 'param' ? `:${s.name}` : adapter === 'Fastify' ? '*' : '*rest')).join('/');
}

/** Whether a Nest exclusion path (path-to-regexp syntax) covers a route path, as Nest tests it. */
export function excludes(excludePath: string, routePath: string): boolean {
  try {
    return match(`/${excludePath.replace(/^\//, '')}`, { decode: false })(`/${routePath.replace(/^\//, '')}`) !== false;
  } catch {
    return false;
  }
}

/** Every handler of the configuration, with its controller. */
export function allHandlers(config: AppConfig): { controller: ControllerConfig; handler: HandlerConfig }[] {
  return config.controllers.flatMap((controller) => controller.handlers.map((handler) => ({ controller, handler })));
}

// ---------------------------------------------------------------------------------------------
// Compact text of a configuration, for failure messages.

function versionText(v: VersionValue | undefined): string {
  if (v === undefined) return '';
  const one = (x: Version) => (x === 'N' ? 'NEUTRAL' : `'${x}'`);
  return Array.isArray(v) ? `[${v.map(one).join(',')}]` : one(v as Version);
}

export function optionsText(o: PolicyOptions): string {
  const parts: string[] = [];
  if (o.origins !== undefined) parts.push(`origins:${typeof o.origins === 'string' ? o.origins : `[${o.origins.join(',')}]`}`);
  if (o.methods) parts.push(`methods:[${o.methods.join(',')}]`);
  if (o.allowHeaders !== undefined) parts.push(`allowHeaders:${typeof o.allowHeaders === 'string' ? o.allowHeaders : `[${o.allowHeaders.join(',')}]`}`);
  if (o.supportsCredentials !== undefined) parts.push(`credentials:${o.supportsCredentials}`);
  return `{${parts.join(' ')}}`;
}

function decorationText(d: Decoration): string {
  switch (d.kind) {
    case 'none':
      return '';
    case 'off':
      return '@CrossOrigin(false) ';
    case 'named':
      return `@CrossOrigin('${d.name}') `;
    case 'options':
      return `@CrossOrigin(${optionsText(d.options)}) `;
  }
}

/** The configuration as a few compact lines. */
export function describeConfig(config: AppConfig): string {
  const head = [`${config.adapter} via ${config.start === 'factory' ? 'NestFactory.create' : '@nestjs/testing'}`];
  if (config.express) head.push(`express(case sensitive routing ${config.express.caseSensitive}, strict routing ${config.express.strict}, given by ${config.express.how})`);
  if (config.fastify) {
    const { spelling, ...o } = config.fastify;
    head.push(`FastifyAdapter(${spelling === 'top' ? '' : 'routerOptions: '}${JSON.stringify(o)})`);
  }
  if (config.prefix) head.push(`setGlobalPrefix('${config.prefix.path}', exclude ${JSON.stringify(config.prefix.exclude)})`);
  const v = config.versioning;
  if (v.type !== 'none') head.push(`versioning ${v.type}${v.type === 'custom' ? `(${v.extractor})` : ''}${v.defaultVersion !== undefined ? ` default ${versionText(v.defaultVersion)}` : ''}`);
  if (config.nestMiddleware.deny) head.push('Nest middleware: deny on x-deny');
  if (config.nestMiddleware.rewrite) head.push(`Nest middleware: rewrite /${config.nestMiddleware.rewrite.from}/ → /${config.nestMiddleware.rewrite.to}/`);
  if (config.rewriteUrl) head.push(`rewriteUrl /${config.rewriteUrl.from}/ → /${config.rewriteUrl.to}/`);
  const lines = [head.join('; ')];
  const { top, resources, policies } = config.cors;
  lines.push(`  forRoot top ${optionsText(top)}; policies ${policies.map(([n, o]) => `${n}=${optionsText(o)}`).join(' ')}`);
  lines.push(`  resources ${resources === null ? '(default)' : resources.map(([p, o]) => `'${p}'→${optionsText(o)}`).join(' ')}`);
  for (const m of config.mounts) {
    if (m.kind === 'router') {
      const where = config.adapter === 'Express' ? `app.use(${m.at ? `'${m.at}', ` : ''}Router(case ${m.caseSensitive}, strict ${m.strict}))` : m.at ? `register(plugin, { prefix: '${m.at}' })` : 'routes on the instance';
      lines.push(`  ${m.id}: ${where} ${m.routes.map((r) => `${r.id} ${r.method} /${renderPath(r.path, config.adapter)}`).join(', ')}`);
    }
    else if (m.kind === 'fn') lines.push(`  ${m.id}: app.use('${m.at}', fn)`);
    else if (m.kind === 'static') lines.push(`  ${m.id}: useStaticAssets(${m.prefix ? `prefix '${m.prefix}'` : 'no prefix'}${config.adapter === 'Express' ? `, redirect ${m.redirect}` : ''})`);
    else lines.push(`  app.use(rewrite /${m.from}/ → /${m.to}/)`);
  }
  for (const c of config.controllers) {
    const opts = [`'${renderPath(c.path, config.adapter)}'`];
    if (c.host) opts.push(`host '${c.host}'`);
    if (c.version !== undefined) opts.push(`version ${versionText(c.version)}`);
    const module = c.modulePath ? ` in RouterModule '${renderPath(c.modulePath, config.adapter)}'` : '';
    lines.push(`  ${decorationText(c.cors)}@Controller(${opts.join(', ')}) ${c.id}${module}: ${c.handlers.map((x) => `${decorationText(x.cors)}${x.version !== undefined ? `@Version(${versionText(x.version)}) ` : ''}@${x.method}('${renderPath(x.path, config.adapter)}') ${x.id}`).join('; ')}`);
  }
  return lines.join('\n');
}
