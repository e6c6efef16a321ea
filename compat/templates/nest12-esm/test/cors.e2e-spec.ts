// Runs under Vitest as an ES module app ("type": "module"): Vitest leaves node_modules to
// Node's own loader, so 'nest-cross-origin' is loaded through the package's "import" export
// (dist/*.js), next to the ESM-only Nest 12 packages.
import { Module, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorsConfigError, CorsModule } from 'nest-cross-origin';
import { AppModule } from '../src/app.module.js';
import { CatsController } from '../src/cats.controller.js';

const ALLOWED = 'https://app.example.com';

const ADAPTERS = [
  { name: 'Express', create: () => new ExpressAdapter() },
  { name: 'Fastify', create: () => new FastifyAdapter() },
];

function corsHeaderNames(headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'));
}

async function createApp(module: unknown, adapter: ExpressAdapter | FastifyAdapter): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module as never] }).compile();
  const app = moduleRef.createNestApplication(adapter, { logger: false });
  await app.init();
  // Fastify only accepts requests once its plugins are loaded; Express has no such step.
  const instance = app.getHttpAdapter().getInstance() as { ready?: () => PromiseLike<unknown> };
  if (adapter instanceof FastifyAdapter) await instance.ready?.();
  return app;
}

it('loads the ESM build through import', () => {
  expect(import.meta.resolve('nest-cross-origin')).toMatch(/\/nest-cross-origin\/dist\/index\.js$/);
});

describe.each(ADAPTERS)('nest-cross-origin in a NestJS 12 ESM app ($name)', ({ create }) => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await createApp(AppModule, create());
  });

  afterAll(async () => {
    await app?.close();
  });

  it('echoes an allowed origin on a GET, with Vary: Origin', async () => {
    const res = await request(app.getHttpServer()).get('/cats').set('Origin', ALLOWED).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers.vary).toMatch(/\borigin\b/i);
    expect(res.body).toEqual([{ name: 'Tom' }]);
  });

  it('admits an origin through a wildcard pattern', async () => {
    const res = await request(app.getHttpServer()).get('/cats').set('Origin', 'https://shop.partner.example').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.partner.example');
  });

  it('serves a refused origin normally but without CORS headers', async () => {
    const res = await request(app.getHttpServer()).get('/cats').set('Origin', 'https://evil.example').expect(200);
    expect(corsHeaderNames(res.headers)).toEqual([]);
    expect(res.body).toEqual([{ name: 'Tom' }]);
  });

  it('answers a preflight for a @Post with the handler-level maxAge', async () => {
    const res = await request(app.getHttpServer())
      .options('/cats')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers['access-control-allow-methods']).toMatch(/\bPOST\b/);
  });

  it('sends no CORS headers on a @CrossOrigin(false) route', async () => {
    const res = await request(app.getHttpServer()).get('/cats/internal').set('Origin', ALLOWED).expect(200);
    expect(corsHeaderNames(res.headers)).toEqual([]);
  });

  it("puts CORS headers on a guard's 401", async () => {
    const res = await request(app.getHttpServer()).get('/cats/secret').set('Origin', ALLOWED).expect(401);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('fails app start-up with a CorsConfigError on an invalid configuration', async () => {
    @Module({ imports: [CorsModule.forRoot({ maxAge: -1 })], controllers: [CatsController] })
    class BadModule {}

    const error: unknown = await createApp(BadModule, create()).then(
      async (started) => {
        await started.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'CorsConfigError' });
    // Same class as the one exported: the app and the library share one copy of the ESM build.
    expect(error).toBeInstanceOf(CorsConfigError);
    expect((error as Error).message).toMatch(/maxAge/);
  });
});
