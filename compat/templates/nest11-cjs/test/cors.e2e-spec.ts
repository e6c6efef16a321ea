// Runs under Jest in CommonJS mode (ts-jest compiles these imports to require()), so
// 'nest-cross-origin' is loaded through the package's "require" export: dist/cjs.
import { INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CorsConfigError, CorsModule } from 'nest-cross-origin';
import { AppModule } from '../src/app.module';
import { CatsController } from '../src/cats.controller';

const ALLOWED = 'https://app.example.com';

function corsHeaderNames(headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'));
}

describe('nest-cross-origin in a NestJS 11 CommonJS app (Express)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('loads the CommonJS build through require()', () => {
    expect(require.resolve('nest-cross-origin')).toMatch(/nest-cross-origin[\\/]dist[\\/]cjs[\\/]index\.js$/);
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
});

describe('configuration errors', () => {
  it('fail app start-up with a CorsConfigError', async () => {
    @Module({ imports: [CorsModule.forRoot({ maxAge: -1 })], controllers: [CatsController] })
    class BadModule {}

    let app: INestApplication | undefined;
    const start = async () => {
      const moduleRef = await Test.createTestingModule({ imports: [BadModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    };
    const error: unknown = await start().then(
      () => undefined,
      (e: unknown) => e,
    );
    await app?.close();
    expect(error).toMatchObject({ name: 'CorsConfigError' });
    // Same class as the one exported: the app and the library share one copy of the CJS build.
    expect(error).toBeInstanceOf(CorsConfigError);
    expect((error as Error).message).toMatch(/maxAge/);
  });
});
