// SPEC §3 rule 6: handlers no Nest controller registered (app.use(path, fn) on Express, a route
// on the Fastify instance) get the `resources` policy, never the policy of a Nest route whose
// pattern also matches (`:slug`). Where the framework dispatches to the Nest route instead
// (Express runs handlers in registration order), that route's policy applies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import request from 'supertest';
import { CorsModule } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { SLUG, SlugController } from './slug.controller.js';
import { startApp, type Started } from './start.js';

const GLOBAL = 'http://app.test';
const LEGACY = 'http://legacy.test';

const CORS = CorsModule.forRoot({ origins: [GLOBAL], resources: { '/legacy*': { origins: LEGACY }, '/late*': { origins: LEGACY }, '/*': {} } });

/** A plain Node handler that ends the response itself, as legacy code mounted with app.use does. */
function plainHandler(name: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} ${req.method}`);
  };
}

type Server = 'legacy' | 'late' | 'slug';
const ADMITTED: Record<Server, string> = { legacy: LEGACY, late: LEGACY, slug: SLUG };

function servedBy(res: { text: string }): Server {
  if (res.text.startsWith('legacy ')) return 'legacy';
  if (res.text.startsWith('late ')) return 'late';
  if (res.text.startsWith('slug ')) return 'slug';
  throw new Error(`answered by no known handler: ${res.text}`);
}

/**
 * Mounts `/late` from onModuleInit, as @nestjs/apollo and @nestjs/serve-static mount theirs:
 * Nest has registered its routes by then, so Express runs `:slug` first for `/late`.
 */
@Injectable()
class LateMount implements OnModuleInit {
  constructor(private readonly host: HttpAdapterHost) {}
  onModuleInit() {
    const adapter = this.host.httpAdapter;
    if (adapter.getType() === 'express') adapter.use('/late', plainHandler('late'));
    else (adapter.getInstance() as FastifyRoutes).get('/late/*', (_req, reply) => reply.type('text/plain').send('late GET'));
  }
}

interface FastifyRoutes {
  get(path: string, handler: (req: unknown, reply: { type(t: string): { send(body: string): void } }) => void): void;
}

@Module({ imports: [CORS], controllers: [SlugController], providers: [LateMount] })
class AppModule {}

describe.each(ADAPTERS)('foreign handlers beside @Get(":slug") on $name', (adapter) => {
  let s: Started;
  beforeAll(async () => {
    s = await startApp(AppModule, adapter, (app) => {
      // Before listen(), so before Nest registers its routes: the framework runs it for /legacy.
      if (adapter.name === 'Express') app.use('/legacy', plainHandler('legacy'));
      else (app.getHttpAdapter().getInstance() as FastifyRoutes).get('/legacy', (_req, reply) => reply.type('text/plain').send('legacy GET'));
    });
  });
  afterAll(() => s?.app.close());

  const get = (path: string, origin: string) => request(s.url).get(path).set('Origin', origin);
  const preflight = (path: string, origin: string) => request(s.url).options(path).set('Origin', origin).set('Access-Control-Request-Method', 'GET');

  it('GET /legacy is served by the foreign handler', async () => {
    const res = await get('/legacy', LEGACY);
    expect([res.status, res.text]).toEqual([200, 'legacy GET']);
  });

  it.each([LEGACY, SLUG, GLOBAL])('GET /legacy from %s gets the resources policy of /legacy*', async (origin) => {
    const res = await get('/legacy', origin);
    expect(servedBy(res)).toBe('legacy');
    expect(res.headers['access-control-allow-origin']).toBe(origin === LEGACY ? LEGACY : undefined);
    expect(res.headers.vary).toMatch(/origin/i);
  });

  it.each([LEGACY, SLUG, GLOBAL])('the preflight of GET /legacy from %s gets the same policy', async (origin) => {
    const res = await preflight('/legacy', origin);
    if (origin === LEGACY) {
      expect([res.status, res.headers['access-control-allow-origin']]).toEqual([204, LEGACY]);
      expect(res.headers['access-control-allow-methods']).toMatch(/\bGET\b/);
    } else {
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('the slug controller keeps its policy on what it serves', async () => {
    const res = await get('/cats', SLUG);
    expect([res.status, res.text, res.headers['access-control-allow-origin']]).toEqual([200, 'slug cats', SLUG]);
    expect((await preflight('/cats', SLUG)).headers['access-control-allow-origin']).toBe(SLUG);
    expect((await get('/cats', LEGACY)).headers['access-control-allow-origin']).toBeUndefined();
  });

  // Mounted after Nest's routes: on Express `:slug` serves /late (one segment) and the late
  // handler serves /late/x (two segments); Fastify serves /late/x from the instance route.
  it.each([
    { path: '/late', server: 'slug' },
    { path: '/late/x', server: 'late' },
  ])('$path is served by $server, and gets its policy (actual and preflight)', async ({ path, server }) => {
    for (const origin of [LEGACY, SLUG]) {
      const res = await get(path, origin);
      expect(servedBy(res)).toBe(server);
      const want = ADMITTED[server as Server] === origin ? origin : undefined;
      expect(res.headers['access-control-allow-origin']).toBe(want);
      expect((await preflight(path, origin)).headers['access-control-allow-origin']).toBe(want);
    }
  });
});
