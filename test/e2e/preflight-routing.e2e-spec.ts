// SPEC §3 rule 5: a preflight gets the policy of the handler the actual request would reach,
// after path parameters, global prefix (with and without exclude), URI versioning,
// RouterModule prefixes and host-bound controllers. The handler never runs for it.
import { All, Controller, Get, Module, Options, Patch, Post, Put, Delete, RequestMethod, VersioningType, Version } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, corsHeaders, preflight } from '../utility/http.js';

const runs: string[] = [];

@Controller('items')
class ItemsController {
  @CrossOrigin({ origins: 'https://get.example' }) @Get(':id') get() { runs.push('get'); return 'get'; }
  @CrossOrigin({ origins: 'https://put.example', methods: ['PUT'] }) @Put(':id') put() { runs.push('put'); return 'put'; }
  @CrossOrigin({ origins: 'https://patch.example' }) @Patch(':id/tags/:tag') patch() { runs.push('patch'); return 'patch'; }
  @CrossOrigin({ origins: 'https://delete.example' }) @Delete(':id') remove() { runs.push('delete'); return 'delete'; }
  @CrossOrigin({ origins: 'https://all.example' }) @All('any/thing') any() { runs.push('all'); return 'all'; }
  @CrossOrigin({ origins: 'https://post.example' }) @Post() create() { runs.push('post'); return 'post'; }
  @Options('explicit') explicit() { runs.push('options'); return 'explicit options'; }
}

@Controller({ path: 'versioned', version: '1' })
class V1Controller {
  @CrossOrigin({ origins: 'https://v1.example' }) @Post() create() { return 'v1'; }
}
@Controller({ path: 'versioned', version: '2' })
class V2Controller {
  @CrossOrigin({ origins: 'https://v2.example' }) @Post() create() { return 'v2'; }
  @Version('3') @CrossOrigin({ origins: 'https://v3.example' }) @Put() put() { return 'v3'; }
}

@Controller('health')
class HealthController {
  @CrossOrigin({ origins: 'https://health.example' }) @Post() check() { return 'health'; }
}

@Controller('stats')
class StatsController {
  @CrossOrigin({ origins: 'https://stats.example' }) @Post() stats() { return 'stats'; }
}
@Module({ controllers: [StatsController] })
class StatsModule {}

@Controller({ path: 'hosted', host: 'admin.localhost' })
class AdminHostController {
  @CrossOrigin({ origins: 'https://admin.example' }) @Post() post() { return 'admin'; }
}
// Fastify refuses a second route on one path that only Nest's host filter tells apart, so
// there the tenant controller gets a path of its own.
@Controller({ path: 'hosted', host: ':tenant.tenants.localhost' })
class TenantHostController {
  @CrossOrigin({ origins: 'https://tenant.example' }) @Post() post() { return 'tenant'; }
}
@Controller('hosted')
class AnyHostController {
  @CrossOrigin({ origins: 'https://anyhost.example' }) @Post() post() { return 'any'; }
}
@Controller({ path: 'hosted-tenant', host: ':tenant.tenants.localhost' })
class FastifyTenantHostController {
  @CrossOrigin({ origins: 'https://tenant.example' }) @Post() post() { return 'tenant'; }
}

const HOST_CONTROLLERS = {
  Express: [AdminHostController, TenantHostController, AnyHostController],
  Fastify: [AdminHostController, FastifyTenantHostController],
};

describe.each(ADAPTERS)('preflight routing on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp(
      {
        imports: [
          CorsModule.forRoot({ origins: 'https://root.example' }),
          StatsModule,
          RouterModule.register([{ path: 'admin', module: StatsModule }]),
        ],
        controllers: [ItemsController, V1Controller, V2Controller, HealthController, ...HOST_CONTROLLERS[adapter.name]],
      },
      adapter,
      (a) => {
        a.setGlobalPrefix('api', { exclude: [{ path: 'health', method: RequestMethod.ALL }] });
        a.enableVersioning({ type: VersioningType.URI });
      },
    );
  });
  afterAll(() => app.close());

  it.each([
    { desc: 'path parameter, GET', path: '/api/items/42', acrm: 'GET', origin: 'https://get.example', served: 'get' },
    { desc: 'same path, PUT', path: '/api/items/42', acrm: 'PUT', origin: 'https://put.example', served: 'put' },
    { desc: 'same path, DELETE', path: '/api/items/42', acrm: 'DELETE', origin: 'https://delete.example', served: 'delete' },
    { desc: 'two parameters', path: '/api/items/42/tags/red', acrm: 'PATCH', origin: 'https://patch.example', served: 'patch' },
    { desc: '@All() serves every method', path: '/api/items/any/thing', acrm: 'DELETE', origin: 'https://all.example', served: 'all' },
    { desc: 'POST without parameter', path: '/api/items', acrm: 'POST', origin: 'https://post.example', served: 'post' },
    { desc: 'URI version 1', path: '/api/v1/versioned', acrm: 'POST', origin: 'https://v1.example', served: 'v1' },
    { desc: 'URI version 2', path: '/api/v2/versioned', acrm: 'POST', origin: 'https://v2.example', served: 'v2' },
    { desc: 'method-level @Version', path: '/api/v3/versioned', acrm: 'PUT', origin: 'https://v3.example', served: 'v3' },
    { desc: 'excluded from the global prefix', path: '/health', acrm: 'POST', origin: 'https://health.example', served: 'health' },
    { desc: 'RouterModule prefix', path: '/api/admin/stats', acrm: 'POST', origin: 'https://stats.example', served: 'stats' },
  ])('$desc: answered with that handler policy', async ({ path, acrm, origin, served }) => {
    // The handler whose policy is expected is the one the framework dispatches the actual
    // request to: it says so (its body) and grants the origin.
    const res = await actual(app, acrm.toLowerCase() as never, path, origin);
    expect([res.text, res.headers['access-control-allow-origin']]).toEqual([served, origin]);
    const before = runs.length;
    const allowed = await preflight(app, path, origin, acrm, 'content-type');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(origin);
    expect(allowed.headers['access-control-allow-headers']).toBe('content-type');
    // Another route's origin is refused: the policy really is this handler's.
    const other = await preflight(app, path, 'https://root.example', acrm);
    expect(other.status).toBe(204);
    expect(corsHeaders(other.headers)).toEqual({});
    expect(runs.length).toBe(before);
  });

  it('the actual request gets the same policy as its preflight', async () => {
    expect((await actual(app, 'put', '/api/items/42', 'https://put.example')).headers['access-control-allow-origin']).toBe('https://put.example');
    expect(corsHeaders((await actual(app, 'put', '/api/items/42', 'https://get.example')).headers)).toEqual({});
  });

  it('the method list is the policy of the announced handler', async () => {
    const res = await preflight(app, '/api/items/42', 'https://put.example', 'PUT');
    expect(res.headers['access-control-allow-methods']).toBe('PUT');
  });

  it('paths outside the prefix, version or RouterModule are unrouted: the forRoot policy answers', async () => {
    for (const path of ['/items/42', '/api/versioned', '/api/stats', '/api/health']) {
      // No handler serves the actual request: the framework answers 404.
      expect([path, (await actual(app, 'post', path)).status]).toEqual([path, 404]);
      const res = await preflight(app, path, 'https://root.example', 'POST');
      expect([path, res.headers['access-control-allow-origin']]).toEqual([path, 'https://root.example']);
    }
  });

  it('a method no handler serves at that path falls back to the forRoot policy (rule 3)', async () => {
    expect((await actual(app, 'post', '/api/items/42')).status).toBe(404);
    const res = await preflight(app, '/api/items/42', 'https://root.example', 'POST');
    expect(res.headers['access-control-allow-origin']).toBe('https://root.example');
  });

  it('host-bound controllers: each host gets its controller policy', async () => {
    const cases = adapter.name === 'Express'
      ? [
          { path: '/api/hosted', host: 'admin.localhost', origin: 'https://admin.example' },
          { path: '/api/hosted', host: 'acme.tenants.localhost', origin: 'https://tenant.example' },
          { path: '/api/hosted', host: 'elsewhere.localhost', origin: 'https://anyhost.example' },
        ]
      : [
          { path: '/api/hosted', host: 'admin.localhost', origin: 'https://admin.example' },
          { path: '/api/hosted-tenant', host: 'acme.tenants.localhost', origin: 'https://tenant.example' },
          // No controller serves this host: unrouted, so the forRoot policy answers.
          { path: '/api/hosted', host: 'elsewhere.localhost', origin: 'https://root.example' },
        ];
    for (const { path, host, origin } of cases) {
      const res = await preflight(app, path, origin, 'POST').set('Host', host);
      expect([host, res.headers['access-control-allow-origin']]).toEqual([host, origin]);
      const actualRes = await actual(app, 'post', path, origin).set('Host', host);
      expect([host, actualRes.headers['access-control-allow-origin']]).toEqual([host, origin]);
    }
  });

  it('an OPTIONS without ACRM reaches an explicit @Options() handler', async () => {
    const res = await actual(app, 'options', '/api/items/explicit', 'https://root.example');
    expect(res.status).toBe(200);
    expect(res.text).toBe('explicit options');
  });

  it('a preflight never reaches an explicit @Options() handler while automaticOptions is on', async () => {
    const before = runs.length;
    const res = await preflight(app, '/api/items/explicit', 'https://root.example', 'GET');
    expect(res.status).toBe(204);
    expect(runs.length).toBe(before);
  });

  it('an OPTIONS without Origin is not a preflight', async () => {
    const res = await actual(app, 'options', '/api/items/42').set('Access-Control-Request-Method', 'PUT');
    expect(res.status).toBe(404);
  });
});
