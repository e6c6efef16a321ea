// SPEC §6: app start-up fails with one error listing every problem, naming option and value,
// whether the options come from forRoot, forRootAsync or decorators, on both start-up paths.
import { Controller, Get, MiddlewareConsumer, Module, NestModule, Post, RequestMethod } from '@nestjs/common';
import type { INestApplication, NestMiddleware } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { CorsConfigError, CorsModule, CrossOrigin } from '../../lib/index.js';
import { INVALID_CASES } from '../core/cases/validation.cases.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { startupError } from '../utility/startup-error.js';

@Controller('plain')
class PlainController {
  @Get() get() { return 'ok'; }
}

describe.each(ADAPTERS)('start-up validation through CorsModule.forRoot on $name', (adapter) => {
  it.each(INVALID_CASES)('$desc', async ({ options, want }) => {
    const error = await startupError(() => createApp({ imports: [CorsModule.forRoot(options as never)], controllers: [PlainController] }, adapter));
    expect(error.issues.map((i) => ({ option: i.option, reason: i.reason }))).toEqual(expect.arrayContaining(want.map((w) => expect.objectContaining(w))));
    expect(error.issues).toHaveLength(want.length);
    expect(error.message).toMatch(/^nest-cross-origin: invalid CORS configuration/);
  });
});

describe('start-up validation of decorators', () => {
  @CrossOrigin({ origins: 'https://a.com/', supportsCredentials: true })
  @Controller('bad')
  class BadController {
    @CrossOrigin('nope') @Get('a') a() { return 'a'; }
    @CrossOrigin({ maxAge: -1, methods: ['TRACE'] }) @Get('b') b() { return 'b'; }
    @CrossOrigin({ origins: '*' }) @Post('c') c() { return 'c'; }
  }

  it.each(ADAPTERS)('lists every problem of every controller at once on $name', async (adapter) => {
    const error = await startupError(() =>
      createApp({ imports: [CorsModule.forRoot({ policies: { partners: {} } })], controllers: [BadController] }, adapter));
    const got = error.issues.map((i) => `${i.where} ${i.option} ${i.reason}`).sort();
    expect(got).toEqual([
      'BadController origins invalid',
      'BadController.a @CrossOrigin unknown-policy',
      'BadController.b maxAge invalid',
      'BadController.b methods[0] forbidden',
      'BadController.c supportsCredentials incompatible',
    ].sort());
    expect(error.message).toContain('"https://a.com/"');
  });

  @CrossOrigin({ origin: 'https://a.com' } as never)
  @Controller('typos')
  class TypoController {
    @CrossOrigin({ resources: '/*' } as never) @Get('a') a() { return 'a'; }
    @CrossOrigin(true as never) @Get('b') b() { return 'b'; }
    @CrossOrigin('p') @Get('c') c() { return 'c'; }
    @CrossOrigin({ maxAge: 'soon' } as never) helper() { return 'not a route'; }
  }

  it.each(ADAPTERS)('reports unknown keys, module-only keys, non-options, null policies and non-route methods on $name', async (adapter) => {
    const error = await startupError(() =>
      createApp({ imports: [CorsModule.forRoot({ policies: { p: null as never } })], controllers: [TypoController] }, adapter));
    expect(error.issues.map((i) => `${i.where} ${i.option} ${i.reason}`).sort()).toEqual([
      'TypoController origin unknown-option',
      'TypoController.a resources invalid',
      'TypoController.b @CrossOrigin invalid',
      'TypoController.helper @CrossOrigin misplaced',
      'TypoController.helper maxAge invalid',
      'forRoot.policies.p options invalid',
    ].sort());
    expect(error.message).toContain('did you mean "origins"?');
  });

  // Issue 15: the messages name forRootAsync when the options came from it.
  it.each(ADAPTERS)('fails forRootAsync options when the factory resolves on $name', async (adapter) => {
    const error = await startupError(() =>
      createApp({ imports: [CorsModule.forRootAsync({ useFactory: async () => ({ origins: ['ftp//x'] }) })], controllers: [PlainController] }, adapter));
    expect(error.issues).toEqual([expect.objectContaining({ where: 'forRootAsync', option: 'origins[0]', value: 'ftp//x' })]);
  });
});

// NestFactory.create() registers Fastify's middleware engine before any provider exists,
// unlike the testing module: the hook must still run before Nest middleware there.
class RejectAllMiddleware implements NestMiddleware {
  use(_req: unknown, res: import('node:http').ServerResponse): void {
    res.statusCode = 401;
    res.end('denied by middleware');
  }
}

@CrossOrigin({ origins: 'https://app.example' })
@Controller('secured')
class SecuredController {
  @Post() post() { return 'never'; }
}

@Module({ imports: [CorsModule.forRoot({ origins: 'https://app.example' })], controllers: [SecuredController] })
class ProductionLikeModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(RejectAllMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}

describe.each([
  { name: 'Express', create: () => new ExpressAdapter() },
  { name: 'Fastify', create: () => new FastifyAdapter() },
])('NestFactory.create() on $name', ({ create }) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await NestFactory.create(ProductionLikeModule, create() as never, { logger: false });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(() => app.close());

  it('answers the preflight before Nest middleware', async () => {
    const res = await request(app.getHttpServer()).options('/secured').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('puts the CORS headers on a response middleware ends', async () => {
    const res = await request(app.getHttpServer()).post('/secured').set('Origin', 'https://app.example');
    expect(res.status).toBe(401);
    expect(res.text).toBe('denied by middleware');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('fails NestFactory.create() itself on a bad configuration', async () => {
    @Module({ imports: [CorsModule.forRoot({ maxAge: -1 })] })
    class BadModule {}
    await expect(NestFactory.create(BadModule, create() as never, { logger: false, abortOnError: false })).rejects.toThrow(CorsConfigError);
  });
});
