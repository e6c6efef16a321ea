// SPEC §6: CorsModule together with Nest's own CORS layer (`app.enableCors()`, or
// `NestFactory.create(…, { cors })`, which calls it) is refused at start-up. The second layer
// would overwrite ours: `*` on refused origins, on @CrossOrigin(false) routes, and `*` with
// credentials, with preflights and actual responses disagreeing.
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { startApp, startupFailure, type Started } from './start.js';

@Controller('items')
class ItemsController {
  @Get() list() { return 'items'; }
  @CrossOrigin(false) @Get('private') private() { return 'private'; }
}

@Module({ imports: [CorsModule.forRoot({ origins: ['https://app.test'], supportsCredentials: true })], controllers: [ItemsController] })
class AppModule {}

/** One error that names both layers, so the user knows which one to remove. */
function expectBothLayersNamed(error: Error): void {
  expect(error.message).toMatch(/^nest-cross-origin:/);
  expect(error.message).toContain('CorsModule');
  expect(error.message).toContain('enableCors');
  expect(error.message).toMatch(/\{\s*cors\b|`cors` option|"cors" option|cors option/i);
}

describe.each(ADAPTERS)('CorsModule with Nest\'s own CORS on $name', (adapter) => {
  it('app.enableCors() before listen(): start-up fails naming both layers', async () => {
    const error = await startupFailure(() => startApp(AppModule, adapter, (app) => app.enableCors()));
    expectBothLayersNamed(error);
  });

  it('app.enableCors(options) too, whatever its options', async () => {
    const error = await startupFailure(() =>
      startApp(AppModule, adapter, (app) => app.enableCors({ origin: 'https://app.test', credentials: true })));
    expectBothLayersNamed(error);
  });

  it.each([true, { origin: '*' }])('NestFactory.create(…, { cors: %p }): start-up fails naming both layers', async (cors) => {
    const error = await startupFailure(async (): Promise<Started> => {
      const app = await NestFactory.create(AppModule, adapter.create() as never, { cors, logger: false, abortOnError: false });
      try {
        await app.listen(0, '127.0.0.1');
      } catch (e) {
        await app.close().catch(() => undefined);
        throw e;
      }
      const { port } = app.getHttpServer().address() as { port: number };
      return { app, port, url: `http://127.0.0.1:${port}` };
    });
    expectBothLayersNamed(error);
  });

  it('without the second layer the same app starts and answers (the refusal is about the pair)', async () => {
    const s = await startApp(AppModule, adapter);
    try {
      const res = await request(s.url).get('/items').set('Origin', 'https://app.test');
      expect([res.status, res.headers['access-control-allow-origin'], res.headers['access-control-allow-credentials']]).toEqual([200, 'https://app.test', 'true']);
      const off = await request(s.url).get('/items/private').set('Origin', 'https://app.test');
      expect([off.text, off.headers['access-control-allow-origin']]).toEqual(['private', undefined]);
    } finally {
      await s.app.close();
    }
  });
});
