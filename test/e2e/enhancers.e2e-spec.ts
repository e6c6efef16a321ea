// CorsGuard and CorsInterceptor, registered by hand. On an adapter the module cannot hook
// they carry the handler's policy; beside the hook they change nothing.
import { Controller, Get, Module, UseGuards, UseInterceptors } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CorsGuard, CorsInterceptor, CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, corsHeaders, varyOf } from '../utility/http.js';

@UseGuards(CorsGuard)
@CrossOrigin({ origins: 'https://guarded.example', exposeHeaders: ['X-Total'] })
@Controller('guarded')
class GuardedController {
  @Get() list() { return 'guarded'; }
  @CrossOrigin(false) @Get('off') off() { return 'off'; }
}

@UseInterceptors(CorsInterceptor)
@Controller('intercepted')
class InterceptedController {
  @CrossOrigin({ origins: 'https://intercepted.example' }) @Get() get() { return 'intercepted'; }
  @Get('plain') plain() { return 'plain'; }
}

// A feature module: the enhancers must resolve their dependencies outside CorsModule too.
@Module({ controllers: [GuardedController, InterceptedController] })
class FeatureModule {}

/** Adapters that report a type the module does not know, so it installs no hook. */
class OpaqueExpressAdapter extends ExpressAdapter {
  override getType(): string { return 'opaque-express'; }
}
class OpaqueFastifyAdapter extends FastifyAdapter {
  override getType(): string { return 'opaque-fastify'; }
}

describe.each([
  { name: 'Express', create: () => new OpaqueExpressAdapter() },
  { name: 'Fastify', create: () => new OpaqueFastifyAdapter() },
])('enhancers without the hook on $name', ({ name, create }) => {
  let app: INestApplication;
  beforeAll(async () => {
    const ref = await Test.createTestingModule({ imports: [CorsModule.forRoot({ origins: 'https://root.example' }), FeatureModule] }).compile();
    app = ref.createNestApplication(create() as never, { logger: false });
    await app.init();
    if (name === 'Fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  });
  afterAll(() => app.close());

  it('CorsGuard applies the controller policy', async () => {
    const res = await actual(app, 'get', '/guarded', 'https://guarded.example');
    expect(corsHeaders(res.headers)).toEqual({ 'access-control-allow-origin': 'https://guarded.example', 'access-control-expose-headers': 'X-Total' });
    expect(varyOf(res.headers)).toEqual(['origin']);
    expect(corsHeaders((await actual(app, 'get', '/guarded', 'https://root.example')).headers)).toEqual({});
  });

  it('CorsGuard honours @CrossOrigin(false) on a handler', async () => {
    expect(corsHeaders((await actual(app, 'get', '/guarded/off', 'https://guarded.example')).headers)).toEqual({});
  });

  it('CorsInterceptor applies the handler policy, and forRoot where there is none', async () => {
    expect((await actual(app, 'get', '/intercepted', 'https://intercepted.example')).headers['access-control-allow-origin']).toBe('https://intercepted.example');
    expect((await actual(app, 'get', '/intercepted/plain', 'https://root.example')).headers['access-control-allow-origin']).toBe('https://root.example');
  });
});

describe.each(ADAPTERS)('enhancers beside the hook on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({
      imports: [CorsModule.forRoot({ origins: 'https://root.example' }), FeatureModule],
      providers: [{ provide: APP_INTERCEPTOR, useClass: CorsInterceptor }],
    }, adapter);
  });
  afterAll(() => app.close());

  it('change nothing the hook decided', async () => {
    const res = await actual(app, 'get', '/guarded', 'https://guarded.example');
    expect(corsHeaders(res.headers)).toEqual({ 'access-control-allow-origin': 'https://guarded.example', 'access-control-expose-headers': 'X-Total' });
    expect(varyOf(res.headers)).toEqual(['origin']);
  });
});
