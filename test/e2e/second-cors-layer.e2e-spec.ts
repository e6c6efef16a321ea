// SPEC §6: CorsModule together with app.enableCors() or NestFactory.create(…, { cors }) is two
// CORS layers, the second overwriting the first's headers; and @CrossOrigin on a class that
// serves no HTTP route would be silently ignored. Both refuse start-up with one clear error.
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { startupError } from '../utility/startup-error.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';

@Controller('plain')
class PlainController {
  @Get() get() { return 'plain'; }
}
@Module({ imports: [CorsModule.forRoot({ origins: 'https://app.example' })], controllers: [PlainController] })
class AppModule {}

@CrossOrigin({ origins: 'https://x.example' })
@Injectable()
class DecoratedProvider {}
@Injectable()
class ProviderWithDecoratedMethod {
  @CrossOrigin({ maxAge: 600 }) helper() { return 1; }
}

describe.each(ADAPTERS)('a second CORS layer on $name', (adapter) => {
  it('app.enableCors() after NestFactory.create fails start-up, naming both layers', async () => {
    const app = await NestFactory.create(AppModule, adapter.create() as never, { logger: false, abortOnError: false });
    try {
      const error = await startupError(async () => app.enableCors());
      expect(error.issues.map((i) => `${i.option} ${i.reason}`)).toEqual(['enableCors conflict']);
      expect(error.message).toMatch(/CorsModule/);
      expect(error.message).toMatch(/enableCors\(\)/);
    } finally {
      await app.close();
    }
  });

  it('NestFactory.create(…, { cors: true }) fails when the app starts', async () => {
    const app = await NestFactory.create(AppModule, adapter.create() as never, { logger: false, abortOnError: false, cors: true });
    try {
      const error = await startupError(() => app.listen(0, '127.0.0.1'));
      expect(error.message).toMatch(/CorsModule/);
      expect(error.message).toMatch(/\{ cors \}/);
    } finally {
      await app.close();
    }
  });

  it('app.enableCors() on a testing app fails too', async () => {
    const error = await startupError(() => createApp(AppModule, adapter, (app) => app.enableCors({ origin: '*' })));
    expect(error.issues[0].reason).toBe('conflict');
  });

  it('@CrossOrigin on a provider or a provider method fails start-up, saying what to use instead', async () => {
    const error = await startupError(() =>
      createApp({ imports: [CorsModule.forRoot()], providers: [DecoratedProvider, ProviderWithDecoratedMethod] }, adapter));
    expect(error.issues.map((i) => `${i.where} ${i.reason}`).sort()).toEqual([
      'DecoratedProvider misplaced',
      'ProviderWithDecoratedMethod.helper misplaced',
    ]);
    expect(error.message).toMatch(/resources/);
  });
});
