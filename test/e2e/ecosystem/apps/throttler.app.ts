// A Nest app with @nestjs/throttler 6 and CorsModule, run as a child `node` process by
// throttler.e2e-spec.ts: throttler is CommonJS requiring the ES module @nestjs/common, which
// Node loads (require(esm)) but Jest's module loader cannot. Usage:
//   node .build/ecosystem/test/e2e/ecosystem/apps/throttler.app.js express|fastify
// Prints one JSON line `{"port":N,…config}` once listening (the test reads the configuration
// from it: importing this file would load throttler into Jest), and exits when stdin closes.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { CorsModule } from '../../../../lib/index.js';

/** What the app is configured with, reported to the test that checks it. */
const THROTTLER_APP = { origin: 'http://app.test', limit: 2, ttlMs: 60_000 } as const;

@Controller('limited')
class LimitedController {
  @Get() get() { return 'within the limit'; }
}

@Module({
  imports: [
    CorsModule.forRoot({ origins: [THROTTLER_APP.origin], exposeHeaders: ['Retry-After'] }),
    ThrottlerModule.forRoot([{ ttl: THROTTLER_APP.ttlMs, limit: THROTTLER_APP.limit }]),
  ],
  controllers: [LimitedController],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
class ThrottledModule {}

async function main(kind: string | undefined): Promise<void> {
  if (kind !== 'express' && kind !== 'fastify') throw new Error(`usage: throttler.app.js express|fastify (got ${String(kind)})`);
  const adapter = kind === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(ThrottledModule, adapter, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.stdout.write(`${JSON.stringify({ port, ...THROTTLER_APP })}\n`);
  // The parent ends the child by closing its stdin, so no child outlives a crashed test run.
  process.stdin.resume();
  process.stdin.on('end', () => void app.close().then(() => process.exit(0)));
}

if (process.argv[1]?.endsWith('throttler.app.js')) {
  main(process.argv[2]).catch((error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  });
}
