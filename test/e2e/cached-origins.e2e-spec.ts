// cachedOrigins through HTTP: one store lookup per origin per ttl, invalidation takes effect;
// one spelling per origin (issue 15); the module's originTimeout bounds a lookup (issue 15);
// answers per tenant with a key (issue 17), named in explain mode.
import { Controller, Get } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { CorsModule, cachedOrigins } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { actual, corsHeaders, preflight } from '../utility/http.js';
import { expectLookupLostOnce } from '../utility/lost-lookup.js';
import { STARTS, rootModule } from '../utility/start.js';

@Controller('data')
class DataController {
  @Get() get() { return 'data'; }
}

describe.each(ADAPTERS)('cachedOrigins on $name', (adapter) => {
  const store = new Set(['https://partner.example']);
  const lookups: string[] = [];
  const origins = cachedOrigins(async (origin) => (lookups.push(origin), store.has(origin)), { ttl: 60_000, max: 100 });
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot({ origins: ['https://app.example', origins] })], controllers: [DataController] }, adapter);
  });
  afterAll(() => app.close());

  it('asks the store once per origin, then answers from the cache', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await actual(app, 'get', '/data', 'https://partner.example')).headers['access-control-allow-origin']).toBe('https://partner.example');
      expect((await actual(app, 'get', '/data', 'https://stranger.example')).headers['access-control-allow-origin']).toBeUndefined();
    }
    // Listed origins never reach the store.
    await actual(app, 'get', '/data', 'https://app.example');
    expect(lookups).toEqual(['https://partner.example', 'https://stranger.example']);
  });

  it('invalidate() makes a store change visible at once', async () => {
    store.delete('https://partner.example');
    expect((await actual(app, 'get', '/data', 'https://partner.example')).headers['access-control-allow-origin']).toBe('https://partner.example');
    origins.invalidate('https://partner.example');
    expect((await actual(app, 'get', '/data', 'https://partner.example')).headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe.each(ADAPTERS)('cachedOrigins: one spelling per origin, on $name', (adapter) => {
  it('an upper-case spelling neither misses an exact store nor poisons the real origin; malformed Origins never reach it', async () => {
    const asked: string[] = [];
    // A store that compares exactly.
    const victims = cachedOrigins(async (origin) => (asked.push(origin), origin === 'https://victim.example'), { ttl: 60_000 });
    const app = await createApp({ imports: [CorsModule.forRoot({ origins: victims })], controllers: [DataController] }, adapter);
    try {
      expect((await actual(app, 'get', '/data', 'HTTPS://VICTIM.EXAMPLE')).headers['access-control-allow-origin']).toBe('HTTPS://VICTIM.EXAMPLE');
      expect((await actual(app, 'get', '/data', 'https://victim.example')).headers['access-control-allow-origin']).toBe('https://victim.example');
      expect(corsHeaders((await actual(app, 'get', '/data', 'https://victim.example/x')).headers)).toEqual({});
      expect(corsHeaders((await preflight(app, '/data', 'https://u@victim.example', 'GET')).headers)).toEqual({});
      expect(asked).toEqual(['https://victim.example']);
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)("cachedOrigins bounded by the module's originTimeout, on $name", (adapter) => {
  it('a lookup lost once costs one request: the next asks the store again, well before the cache\'s own 5 s', async () => {
    // No timeout of its own: the default 5000 ms. The module's bound is 100 ms.
    await expectLookupLostOnce(adapter, { originTimeout: 100 });
  });

  it("the cache's own timeout, when it is the smaller bound, ends the lost lookup (not the module's 4 s)", async () => {
    const started = Date.now();
    await expectLookupLostOnce(adapter, { originTimeout: 4_000, cacheTimeout: 100 });
    // Which bound fired, not how fast: the module's would have held the first request 4 s.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe.each(ADAPTERS)('cachedOrigins per tenant (key), on $name', (adapter) => {
  // Tenant a lets https://shared.example read credentialed responses; tenant b does not.
  const allowed: Record<string, ReadonlySet<string>> = { a: new Set(['https://shared.example']), b: new Set() };
  const asked: string[] = [];
  const tenantOf = (req: unknown) => String((req as { headers: Record<string, string | undefined> }).headers['x-tenant'] ?? 'none');
  const tenants = cachedOrigins(
    async (origin, req, key) => (asked.push(`${key} ${origin} ${tenantOf(req)}`), allowed[key!]?.has(origin) === true),
    { ttl: 60_000, key: (_origin, req) => tenantOf(req) },
  );
  const logger = new CaptureLogger();
  let app: INestApplication;
  beforeAll(async () => {
    app = await STARTS[0].start(rootModule([CorsModule.forRoot({ origins: tenants, supportsCredentials: true, debug: true })], [DataController]), adapter, logger);
  });
  afterAll(() => app.close());

  const call = (tenant: string) => request(app.getHttpServer()).get('/data').set('Origin', 'https://shared.example').set('X-Tenant', tenant);

  it("never reuses one tenant's answer for another", async () => {
    for (let i = 0; i < 2; i++) {
      const a = await call('a');
      expect(a.headers['access-control-allow-origin']).toBe('https://shared.example');
      expect(a.headers['access-control-allow-credentials']).toBe('true');
      expect(corsHeaders((await call('b')).headers)).toEqual({});
    }
    // One lookup per tenant, given the framework request and the key.
    expect(asked).toEqual(['a https://shared.example a', 'b https://shared.example b']);
  });

  it('keys preflights the same way, with the framework request', async () => {
    const pre = (tenant: string) => preflight(app, '/data', 'https://shared.example', 'GET').set('X-Tenant', tenant);
    expect((await pre('a')).headers['access-control-allow-origin']).toBe('https://shared.example');
    expect(corsHeaders((await pre('b')).headers)).toEqual({});
  });

  it('explain mode names the key, escaped', async () => {
    const warnings = () => logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);
    const before = warnings().length;
    await call('b');
    await call('evil\u0085tenant');
    expect(warnings().slice(before)).toEqual([
      'CORS refused GET /data from https://shared.example: origin https://shared.example not in origins of resources["/*"] (forRoot) (cachedOrigins key "b")',
      'CORS refused GET /data from https://shared.example: origin https://shared.example not in origins of resources["/*"] (forRoot) (cachedOrigins key "evil\\u0085tenant")',
    ]);
  });

  it('invalidate() by key forgets one tenant only', async () => {
    asked.length = 0;
    tenants.invalidate(undefined, { key: 'b' });
    await call('a');
    await call('b');
    expect(asked).toEqual(['b https://shared.example b']);
  });
});
