// SPEC §6 and §8: gateway configurations the library cannot honour fail at start-up, in the
// same single error as every other problem, on both start-up paths.
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CorsModule, CrossOrigin, type CorsConfigError } from '../../lib/index.js';
import { ADAPTERS, createApp, type AdapterCase } from '../utility/adapters.js';
import { startupError } from '../utility/startup-error.js';

const summary = (e: CorsConfigError) => e.issues.map((i) => `${i.where} ${i.option} ${i.reason}`).sort();

@CrossOrigin({ origins: ['https://app.example'] })
@WebSocketGateway({ cors: { origin: 'https://app.example' } })
class TwoLayersGateway {}

@CrossOrigin(false)
@WebSocketGateway({ path: '/off' })
class OffGateway {}

@WebSocketGateway({ path: '/methods' })
class MethodGateway {
  @CrossOrigin({ origins: ['https://app.example'] })
  @SubscribeMessage('x') x() { return 1; }
}

@CrossOrigin('missing')
@WebSocketGateway({ path: '/named' })
class UnknownPolicyGateway {}

@CrossOrigin({ origins: ['https://a.example'] })
@WebSocketGateway({ path: '/shared' })
class SharedA {}
@WebSocketGateway({ path: '/shared', namespace: 'b' })
class SharedUndecorated {}
@CrossOrigin({ origins: ['https://b.example'] })
@WebSocketGateway({ path: '/shared', namespace: 'c' })
class SharedOther {}

@CrossOrigin({ origins: '*', supportsCredentials: true })
@WebSocketGateway({ path: '/leaky' })
class LeakyGateway {}

@CrossOrigin({ origins: 'https://a.com/' })
@Controller('bad')
class BadController {
  @Get() get() { return 'x'; }
}

const CASES: { desc: string; gateways: Type<unknown>[]; want: string[]; text?: string }[] = [
  { desc: '@CrossOrigin and the gateway\'s own cors option', gateways: [TwoLayersGateway], want: ['TwoLayersGateway cors incompatible'],
    text: 'remove cors from @WebSocketGateway()' },
  { desc: '@CrossOrigin(false) on a gateway', gateways: [OffGateway], want: ['OffGateway @CrossOrigin invalid'], text: 'false means nothing on a gateway' },
  { desc: '@CrossOrigin on a message handler', gateways: [MethodGateway], want: ['MethodGateway.x @CrossOrigin invalid'], text: 'put @CrossOrigin on the gateway class' },
  { desc: 'a policy name forRoot does not declare', gateways: [UnknownPolicyGateway], want: ['UnknownPolicyGateway @CrossOrigin unknown-policy'] },
  { desc: 'a gateway policy that leaks credentials', gateways: [LeakyGateway], want: ['LeakyGateway supportsCredentials incompatible'] },
  { desc: 'gateways sharing a server: one with @CrossOrigin, one without', gateways: [SharedA, SharedUndecorated],
    want: ['SharedA, SharedUndecorated @CrossOrigin incompatible'], text: 'share one socket server (port 0, path "/shared") but not one CORS policy' },
  { desc: 'gateways sharing a server with different policies', gateways: [SharedA, SharedOther], want: ['SharedA, SharedOther @CrossOrigin incompatible'] },
];

describe.each(ADAPTERS)('gateway start-up checks on $name', (adapter: AdapterCase) => {
  it.each(CASES)('@nestjs/testing: $desc', async ({ gateways, want, text }) => {
    const error = await startupError(() => createApp({ imports: [CorsModule.forRoot()], providers: gateways }, adapter));
    expect(summary(error)).toEqual(expect.arrayContaining(want));
    if (text) expect(error.message).toContain(text);
  });

  it('NestFactory.create: every gateway and controller problem in one error', async () => {
    @Module({ imports: [CorsModule.forRoot()], controllers: [BadController], providers: [TwoLayersGateway, OffGateway, MethodGateway] })
    class AppModule {}
    const error = await startupError(() => NestFactory.create(AppModule, adapter.create() as never, { logger: false, abortOnError: false }));
    expect(summary(error)).toEqual([
      'BadController origins invalid',
      'MethodGateway.x @CrossOrigin invalid',
      'OffGateway @CrossOrigin invalid',
      'TwoLayersGateway cors incompatible',
    ]);
  });

  it('gateways sharing a server with the same options start', async () => {
    @CrossOrigin({ origins: ['https://a.example'] })
    @WebSocketGateway({ path: '/same' })
    class SameA {}
    @CrossOrigin({ origins: ['https://a.example'] })
    @WebSocketGateway({ path: '/same', namespace: 'b' })
    class SameB {}
    const app = await createApp({ imports: [CorsModule.forRoot()], providers: [SameA, SameB] }, adapter);
    await app.close();
  });
});
