// cachedOrigins through HTTP: one store lookup per origin per ttl, invalidation takes effect.
import { Controller, Get } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, cachedOrigins } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual } from '../utility/http.js';

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
