// SPEC §3 rule 6 and §6 through the real GraphQL packages: `/graphql` is served by the GraphQL
// driver, not by a Nest controller, so it gets the `resources` policy of `/graphql`, never the
// policy of a Nest route whose pattern also matches (`:slug`). `@CrossOrigin` on a resolver
// serves no HTTP route and is refused at start-up, with the way to do it instead.
import { Module, type DynamicModule } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../../utility/adapters.js';
import { SLUG, SlugController } from './slug.controller.js';
import { STARTERS, startApp, startupFailure, type Started } from './start.js';

const GLOBAL = 'http://app.test';
const GQL = 'http://gql.test';
const QUERY = { query: '{ hello }' };
const ANSWER = { data: { hello: 'world' } };
const TYPE_DEFS = 'type Query { hello: String }';

@Resolver()
class HelloResolver {
  @Query() hello() { return 'world'; }
}

const CORS = CorsModule.forRoot({ origins: [GLOBAL], resources: { '/graphql': { origins: GQL }, '/*': {} } });

const DRIVERS: { name: string; adapters: readonly AdapterCase[]; graphql: () => DynamicModule; needs?: string }[] = [
  {
    name: 'Apollo',
    adapters: ADAPTERS,
    graphql: () => GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs: TYPE_DEFS }),
  },
  {
    name: 'Mercurius',
    adapters: ADAPTERS.filter((a) => a.name === 'Fastify'),
    graphql: () => GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, typeDefs: TYPE_DEFS }),
  },
];

const CASES = DRIVERS.flatMap((d) => d.adapters.flatMap((adapter) => STARTERS.map((s) => ({ ...s, driver: d, adapter, label: `${d.name} on ${adapter.name} (${s.how})` }))));

/**
 * @nestjs/apollo loads its Express integration with loadPackage(), which calls process.exit(1)
 * when the package is missing: that would end the whole Jest run, so say what is missing instead.
 */
async function assertIntegrationInstalled(driver: string, adapter: AdapterCase): Promise<void> {
  if (driver !== 'Apollo' || adapter.name !== 'Express') return;
  const name: string = '@as-integrations/express5';
  try {
    await import(name);
  } catch (error) {
    throw new Error(`Apollo on Express needs the devDependency ${name} (@nestjs/apollo loads it): ${String(error)}`);
  }
}

type Server = 'graphql' | 'slug';

/** Which handler produced a response, read from its body; fails on anything else. */
function servedBy(res: { status: number; body: unknown; text: string }): Server {
  if (res.status === 200 && JSON.stringify(res.body) === JSON.stringify(ANSWER)) return 'graphql';
  if (res.status === 201 && res.text === 'slug graphql') return 'slug';
  throw new Error(`POST /graphql served by neither GraphQL nor the slug controller: ${res.status} ${res.text}`);
}

/** The origin each handler's policy admits on /graphql: the resources entry, or @CrossOrigin. */
const ADMITTED: Record<Server, string> = { graphql: GQL, slug: SLUG };

/**
 * Who serves `POST /graphql`. Fastify routes with find-my-way, where the static `/graphql` wins
 * over the parametric `/:slug`. Express dispatches in registration order, and Nest registers its
 * routes in init() before GraphQLModule.onModuleInit() mounts Apollo with app.use('/graphql'):
 * `@Post(':slug')` serves it. Either way, the handler that serves decides (SPEC §3 rule 6).
 */
const EXPECTED_SERVER: Record<AdapterCase['name'], Server> = { Fastify: 'graphql', Express: 'slug' };

describe.each(CASES)('GraphQL: $label', ({ driver, adapter, start }) => {
  let s: Started;
  beforeAll(async () => {
    await assertIntegrationInstalled(driver.name, adapter);
    @Module({ imports: [CORS, driver.graphql()], controllers: [SlugController], providers: [HelloResolver] })
    class AppModule {}
    s = await start(AppModule, adapter);
  });
  afterAll(() => s?.app.close());

  const post = (origin: string) => request(s.url).post('/graphql').set('Origin', origin).set('Content-Type', 'application/json').send(QUERY);
  const preflightPost = (origin: string) => request(s.url).options('/graphql').set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type');

  it(`POST /graphql is served by ${EXPECTED_SERVER[adapter.name]} on ${adapter.name}`, async () => {
    expect(servedBy(await post(GQL))).toBe(EXPECTED_SERVER[adapter.name]);
  });

  it.each([GQL, SLUG, GLOBAL])('POST /graphql from %s gets the policy of the handler that serves it', async (origin) => {
    const res = await post(origin);
    const server = servedBy(res);
    expect(res.headers['access-control-allow-origin']).toBe(ADMITTED[server] === origin ? origin : undefined);
    expect(res.headers.vary).toMatch(/origin/i);
  });

  it.each([GQL, SLUG, GLOBAL])('the preflight of a JSON POST from %s gets the policy of the handler the POST reaches', async (origin) => {
    const server = servedBy(await post(origin));
    const res = await preflightPost(origin);
    if (ADMITTED[server] === origin) {
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-methods']).toMatch(/\bPOST\b/);
      expect(res.headers['access-control-allow-headers']).toBe('content-type');
    } else {
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
    }
  });

  it('the slug controller keeps its own policy on the paths it serves', async () => {
    const res = await request(s.url).post('/cats').set('Origin', SLUG);
    expect([res.status, res.text]).toEqual([201, 'slug cats']);
    expect(res.headers['access-control-allow-origin']).toBe(SLUG);
    const refused = await request(s.url).post('/cats').set('Origin', GQL);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

// A resolver is no HTTP route: its @CrossOrigin would be silently ignored, so start-up says what
// to write instead (SPEC §6). Even an invalid value (maxAge: -1) is reported this way.
@CrossOrigin({ maxAge: -1 })
@Resolver()
class DecoratedResolver {
  @Query() hello() { return 'world'; }
}

describe.each(DRIVERS.flatMap((d) => d.adapters.map((adapter) => ({ driver: d, adapter, label: `${d.name} on ${adapter.name}` }))))(
  '@CrossOrigin on a @Resolver: $label',
  ({ driver, adapter }) => {
    it('fails start-up with an error that points to resources: { "/graphql": … }', async () => {
      await assertIntegrationInstalled(driver.name, adapter);
      @Module({ imports: [CORS, driver.graphql()], controllers: [SlugController], providers: [DecoratedResolver] })
      class BadModule {}
      const error = await startupFailure(() => startApp(BadModule, adapter));
      expect(error.message).toMatch(/^nest-cross-origin:/);
      expect(error.message).toContain('DecoratedResolver');
      expect(error.message).toMatch(/resources/);
      expect(error.message).toContain('/graphql');
    });
  },
);
