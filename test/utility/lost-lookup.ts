// The HTTP check faults and cached-origins e2e tests share: a cachedOrigins lookup lost once costs one request.
import { expect } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import request from 'supertest';
import { CorsModule, cachedOrigins } from '../../lib/index.js';
import type { AdapterCase } from './adapters.js';
import { STARTS, rootModule } from './start.js';

@Controller('data')
class DataController {
  @Get() get() { return 'data'; }
}

/** The time bounds under test: the module's `originTimeout`, and the cache's own `timeout` (its default when absent). */
export interface LookupBounds {
  readonly originTimeout: number;
  readonly cacheTimeout?: number;
}

/**
 * Starts an app whose origins are a cachedOrigins store whose first lookup never settles, and
 * checks that this costs one request: the first is served without CORS once the bound passes,
 * the next asks the store again and is allowed.
 */
export async function expectLookupLostOnce(adapter: AdapterCase, { originTimeout, cacheTimeout }: LookupBounds): Promise<void> {
  let calls = 0;
  const partners = cachedOrigins(
    () => (++calls === 1 ? new Promise<boolean>(() => {}) : Promise.resolve(true)),
    { ttl: 60_000, ...(cacheTimeout === undefined ? {} : { timeout: cacheTimeout }) },
  );
  const app = await STARTS[0].start(rootModule([CorsModule.forRoot({ origins: partners, originTimeout })], [DataController]), adapter, false);
  try {
    const first = await request(app.getHttpServer()).get('/data').set('Origin', 'https://partner.example');
    expect(first.status).toBe(200);
    expect(first.headers['access-control-allow-origin']).toBeUndefined();
    // The first request waited the whole bound, so the pending lookup has expired by now.
    const second = await request(app.getHttpServer()).get('/data').set('Origin', 'https://partner.example');
    expect(second.headers['access-control-allow-origin']).toBe('https://partner.example');
    expect(calls).toBe(2);
  } finally {
    await app.close();
  }
}
