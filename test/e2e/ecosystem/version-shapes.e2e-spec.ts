// Issue 14, class 5 (SPEC §3 rule 7): versions a preflight cannot see. An unversioned
// controller takes `defaultVersion`; a version-2 controller with a stricter policy serves the
// same path. The actual request gets the policy of the version that served it; a preflight,
// which carries no version, gets only what every handler that may serve (method, path) allows,
// so it never admits what the serving version refuses. First the case as reported (header
// versioning, `defaultVersion: ['1', VERSION_NEUTRAL]`, in both registration orders), then
// every scheme (URI, header, media type, custom with an extractor returning an array) against
// every `defaultVersion` shape. The handlers that may serve are read from the responses to
// each version a client could ask for, never predicted.
import { Controller, Get, Header, Module, VERSION_NEUTRAL, VersioningType, type Type, type VersioningOptions } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { NOT_FOUND, SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startApp, startedForSuite } from './start.js';

const BOTH = 'https://both.test'; // every policy
const A_ONLY = 'https://a.test'; // the unversioned controller only
const NONE = 'https://none.test'; // no handler (the 404's forRoot policy admits everyone)
const ORIGINS = [BOTH, A_ONLY, NONE];

const A: Declared = { name: 'CatsUnversioned.list', origins: [BOTH, A_ONLY], maxAge: 60, expose: 'x-unversioned' };
const B: Declared = { name: 'CatsV2.list', origins: [BOTH], maxAge: 30, expose: 'x-v2' };
/** Nest's 404 (no version served): forRoot's options, which admit every origin here. */
const FOR_ROOT: Declared = { name: 'forRoot', origins: ORIGINS, maxAge: 600, expose: 'x-for-root' };

@CrossOrigin(optionsOf(A))
@Controller('cats')
class CatsUnversioned {
  @Get() @Header(SERVED_BY, 'unversioned') list() { return 'unversioned cats'; }
}

@CrossOrigin(optionsOf(B))
@Controller({ path: 'cats', version: '2' })
class CatsV2 {
  @Get() @Header(SERVED_BY, 'v2') list() { return 'v2 cats'; }
}

/** What `defaultVersion` takes (the type @nestjs/common does not export from its root). */
type VersionValue = string | typeof VERSION_NEUTRAL | (string | typeof VERSION_NEUTRAL)[];

const POLICY_OF: Record<string, Declared> = { unversioned: A, v2: B, [NOT_FOUND]: FOR_ROOT };

function appModule(controllers: Type<unknown>[]): Type<unknown> {
  @Module({ imports: [CorsModule.forRoot(optionsOf(FOR_ROOT))], controllers })
  class AppModule {}
  return AppModule;
}

/** One way a client asks for a version: a request target and the headers that carry it. */
interface Ask {
  readonly desc: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface Scheme {
  readonly name: string;
  readonly versioning: (defaultVersion: VersionValue) => VersioningOptions;
  /** Every request for /cats a client could send, one per version it may ask for (or none). */
  readonly asks: readonly Ask[];
  /** Whether the version is in the path, where a preflight sees it. */
  readonly inPath: boolean;
}

const VERSIONS = ['1', '2', '3', '9'];

const HEADER: Scheme = {
  name: 'header',
  versioning: (defaultVersion) => ({ type: VersioningType.HEADER, header: 'X-API-Version', defaultVersion }),
  asks: [{ desc: 'no version', target: '/cats', headers: {} }, ...VERSIONS.map((v) => ({ desc: `X-API-Version: ${v}`, target: '/cats', headers: { 'X-API-Version': v } }))],
  inPath: false,
};

const SCHEMES: readonly Scheme[] = [
  {
    name: 'URI',
    versioning: (defaultVersion) => ({ type: VersioningType.URI, defaultVersion }),
    asks: [{ desc: 'no version', target: '/cats', headers: {} }, ...VERSIONS.map((v) => ({ desc: `/v${v}`, target: `/v${v}/cats`, headers: {} }))],
    inPath: true,
  },
  HEADER,
  {
    name: 'media type',
    versioning: (defaultVersion) => ({ type: VersioningType.MEDIA_TYPE, key: 'v=', defaultVersion }),
    asks: [
      { desc: 'no version', target: '/cats', headers: { Accept: 'application/json' } },
      ...VERSIONS.map((v) => ({ desc: `Accept v=${v}`, target: '/cats', headers: { Accept: `application/json;v=${v}` } })),
    ],
    inPath: false,
  },
  {
    name: 'custom (an array of versions)',
    versioning: (defaultVersion) => ({
      type: VersioningType.CUSTOM,
      defaultVersion,
      // The versions the client accepts, most wanted first; Nest serves the highest one it has.
      extractor: (req: unknown) => {
        const value = (req as { headers: Record<string, string | undefined> }).headers['x-accept-versions'];
        return value ? value.split(',').map((v) => v.trim()) : [];
      },
    }),
    asks: [
      { desc: 'no version', target: '/cats', headers: {} },
      ...VERSIONS.map((v) => ({ desc: `x-accept-versions: ${v}`, target: '/cats', headers: { 'x-accept-versions': v } })),
      { desc: 'x-accept-versions: 2,1', target: '/cats', headers: { 'x-accept-versions': '2,1' } },
      { desc: 'x-accept-versions: 9,1', target: '/cats', headers: { 'x-accept-versions': '9,1' } },
    ],
    inPath: false,
  },
];

const DEFAULT_VERSIONS: readonly { desc: string; value: VersionValue }[] = [
  { desc: "'1'", value: '1' },
  { desc: "['1', '3']", value: ['1', '3'] },
  { desc: 'VERSION_NEUTRAL', value: VERSION_NEUTRAL },
  { desc: "['1', VERSION_NEUTRAL]", value: ['1', VERSION_NEUTRAL] },
];

/** The policy of every distinct handler that serves one of `asks` (the preflight's candidates). */
async function servingPolicies(port: number, asks: readonly Ask[]): Promise<Declared[]> {
  const servers = new Set<string>();
  for (const ask of asks) servers.add(servedBy(await send(port, 'GET', ask.target, ask.headers)));
  return [...servers].sort().map((server) => POLICY_OF[server]);
}

// The case as reported: an unversioned controller registered before the stricter v2 one.
const ORDERS = [
  { desc: 'unversioned before v2', controllers: [CatsUnversioned, CatsV2] },
  { desc: 'v2 before unversioned', controllers: [CatsV2, CatsUnversioned] },
];

describe.each(ADAPTERS.flatMap((adapter) => ORDERS.flatMap((order) => STARTERS.map((s) => ({ adapter, order, ...s })))))(
  "header versioning, defaultVersion ['1', VERSION_NEUTRAL], $order.desc, on $adapter.name ($how)",
  ({ adapter, order, start }) => {
    const s = startedForSuite(() => start(appModule(order.controllers), adapter, (app) => { app.enableVersioning(HEADER.versioning(['1', VERSION_NEUTRAL])); }));

    it('X-API-Version: 2 is served by v2, and gets its policy: the origin only the unversioned one admits is refused', async () => {
      const refused = await send(s.port, 'GET', '/cats', { 'X-API-Version': '2', Origin: A_ONLY });
      expect(servedBy(refused)).toBe('v2');
      expectActual(refused, B, A_ONLY);
      const allowed = await send(s.port, 'GET', '/cats', { 'X-API-Version': '2', Origin: BOTH });
      expect(servedBy(allowed)).toBe('v2');
      expectActual(allowed, B, BOTH);
    });

    it.each(['1', undefined])('X-API-Version: %s is served by the unversioned controller, with its policy', async (version) => {
      for (const origin of ORIGINS) {
        const res = await send(s.port, 'GET', '/cats', { ...(version ? { 'X-API-Version': version } : {}), Origin: origin });
        expect(servedBy(res)).toBe('unversioned');
        expectActual(res, A, origin);
      }
    });

    it.each(ORIGINS)('the preflight from %s gets only what both allow (the smallest maxAge)', async (origin) => {
      expectPreflight(await sendPreflight(s.port, '/cats', origin), [A, B], origin);
    });
  },
);

const MATRIX = SCHEMES.flatMap((scheme) => DEFAULT_VERSIONS.flatMap((dv) => ADAPTERS.map((adapter) => ({ scheme, dv, adapter }))));

describe.each(MATRIX)('$scheme.name versioning, defaultVersion $dv.desc, on $adapter.name', ({ scheme, dv, adapter }) => {
  const s = startedForSuite(() => startApp(appModule([CatsUnversioned, CatsV2]), adapter, (app) => { app.enableVersioning(scheme.versioning(dv.value)); }));

  // Express dispatches in registration order, and Nest runs a VERSION_NEUTRAL handler whatever
  // version a header, media type or extractor asks for: the neutral controller, registered
  // first, then serves every request and v2 is never reached. Fastify routes by the version.
  const shadowed = adapter.name === 'Express' && !scheme.inPath && dv.value === VERSION_NEUTRAL;
  it(`the unversioned controller ${shadowed ? 'serves every version' : 'and v2 are each reachable'}`, async () => {
    const servers = new Set<string>();
    for (const ask of scheme.asks) servers.add(servedBy(await send(s.port, 'GET', ask.target, ask.headers)));
    expect(servers).toContain('unversioned');
    if (shadowed) expect(servers).not.toContain('v2');
    else expect(servers).toContain('v2');
  });

  it.each(scheme.asks.flatMap((ask) => ORIGINS.map((origin) => ({ ...ask, origin }))))(
    'GET $target ($desc) from $origin gets the policy of the version that served it',
    async (ask) => {
      const res = await send(s.port, 'GET', ask.target, { ...ask.headers, Origin: ask.origin });
      expectActual(res, POLICY_OF[servedBy(res)], ask.origin);
    },
  );

  if (scheme.inPath) {
    // The version is in the path: each preflight names one handler, and gets its policy.
    it.each(scheme.asks.flatMap((ask) => ORIGINS.map((origin) => ({ ...ask, origin }))))(
      'the preflight of GET $target from $origin gets the policy of the handler its GET reaches',
      async (ask) => {
        const candidates = await servingPolicies(s.port, [ask]);
        expectPreflight(await sendPreflight(s.port, ask.target, ask.origin), candidates, ask.origin);
      },
    );
  } else {
    it.each(ORIGINS)('the preflight of GET /cats from %s gets only what every version that may serve allows', async (origin) => {
      const candidates = await servingPolicies(s.port, scheme.asks);
      expectPreflight(await sendPreflight(s.port, '/cats', origin), candidates, origin);
    });
  }
});
