// The testing helper, used on our own apps: the verdicts match what the browser suite sees.
import { Controller, Delete, Get, Module, Put, UnauthorizedException } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { expectCors } from '../../lib/testing/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';

@CrossOrigin({ origins: 'https://app.example', allowHeaders: ['content-type', 'x-api-key'], exposeHeaders: ['X-Total'] })
@Controller('cats')
class CatsController {
  @Get() list() { return []; }
  @Put(':id') update() { return {}; }
  @CrossOrigin({ origins: 'https://app.example', methods: ['GET'] }) @Delete(':id') remove() { return {}; }
  @CrossOrigin({ origins: 'https://app.example', supportsCredentials: true }) @Get('me') me() { return {}; }
  @Get('locked') locked() { throw new UnauthorizedException(); }
}

describe.each(ADAPTERS)('expectCors on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot({ origins: 'https://root.example' })], controllers: [CatsController] }, adapter);
  });
  afterAll(() => app.close());

  it('allows what the policy allows', async () => {
    const cors = expectCors(app);
    expect(await cors.preflight('/cats/1', { origin: 'https://app.example', method: 'PUT', headers: ['Content-Type', 'X-Api-Key'] })).toMatchObject({ allowed: true, status: 204 });
    const simple = await cors.fetch('/cats', { origin: 'https://app.example' });
    expect(simple).toMatchObject({ allowed: true, status: 200 });
    expect(simple.preflight).toBeUndefined();
    const json = await cors.fetch('/cats/1', { origin: 'https://app.example', method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.allowed).toBe(true);
    expect(json.preflight?.allowed).toBe(true);
  });

  it('says why a call would be blocked', async () => {
    const cors = expectCors(app);
    expect((await cors.fetch('/cats', { origin: 'https://evil.example' })).reason).toBe('the response has no Access-Control-Allow-Origin header');
    expect((await cors.preflight('/cats/1', { origin: 'https://app.example', method: 'DELETE' })).reason).toBe(
      'preflight: method DELETE is not in Access-Control-Allow-Methods (absent)');
    expect((await cors.preflight('/cats/1', { origin: 'https://app.example', method: 'PUT', headers: ['x-secret'] })).reason).toBe(
      'preflight: header x-secret is not in Access-Control-Allow-Headers (absent)');
    expect((await cors.fetch('/cats', { origin: 'https://app.example', credentials: true })).reason).toBe(
      'a credentialed request needs Access-Control-Allow-Credentials: true');
    expect((await cors.fetch('/cats/me', { origin: 'https://app.example', credentials: true })).allowed).toBe(true);
  });

  it('a blocked preflight stops the whole fetch, and a readable error is allowed', async () => {
    const cors = expectCors(app);
    const blocked = await cors.fetch('/cats/1', { origin: 'https://app.example', method: 'DELETE' });
    expect(blocked.allowed).toBe(false);
    expect(blocked.preflight?.allowed).toBe(false);
    expect(await cors.fetch('/cats/locked', { origin: 'https://app.example' })).toMatchObject({ allowed: true, status: 401 });
  });
});

// Before init() the CORS hook already answers but Nest has registered no route: every request
// gets a 404 with CORS headers, which read as "allowed" and would let a test pass against nothing.
@Module({ imports: [CorsModule.forRoot({ origins: 'https://root.example' })], controllers: [CatsController] })
class RootedModule {}

describe.each(ADAPTERS)('expectCors on a $name app that was never initialised', (adapter) => {
  const NOT_INITIALISED = /expectCors: the app has not been initialised; call `await app\.init\(\)`/;
  const created: Record<string, () => Promise<INestApplication>> = {
    '@nestjs/testing': async () =>
      (await Test.createTestingModule({ imports: [RootedModule] }).compile()).createNestApplication(adapter.create() as never, { logger: false }),
    'NestFactory.create': () => NestFactory.create(RootedModule, adapter.create() as never, { logger: false, abortOnError: false }),
  };

  async function withApp(how: string, body: (app: INestApplication) => Promise<void>): Promise<void> {
    const app = await created[how]();
    try {
      await body(app);
    } finally {
      await app.close();
    }
  }

  it.each(Object.keys(created))('created with %s: refuses until app.init(), then describes the app', (how) =>
    withApp(how, async (app) => {
      const cors = expectCors(app);
      await expect(cors.fetch('/cats', { origin: 'https://app.example' })).rejects.toThrow(NOT_INITIALISED);
      await expect(cors.preflight('/cats/1', { origin: 'https://app.example', method: 'PUT' })).rejects.toThrow(NOT_INITIALISED);
      // init() alone: on Fastify, expectCors calls ready() itself (without it, requests hang).
      await app.init();
      // The same helper object works once the app is initialised: the check is made per call.
      expect(await cors.fetch('/cats', { origin: 'https://app.example' })).toMatchObject({ allowed: true, status: 200 });
      expect(await cors.fetch('/nowhere', { origin: 'https://root.example' })).toMatchObject({ allowed: true, status: 404 });
    }));

  it('after listen(), which initialises, describes the app', () =>
    withApp('NestFactory.create', async (app) => {
      await app.listen(0, '127.0.0.1');
      expect(await expectCors(app).fetch('/cats', { origin: 'https://app.example' })).toMatchObject({ allowed: true, status: 200 });
    }));
});
