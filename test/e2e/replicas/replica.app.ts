// One replica of an app kept in step through Redis by the recipe (cors-replicas.ts), run as a
// child `node` process by replicas-redis.e2e-spec.ts, as a replica runs in production: its own
// process, its own connections. Usage:
//   node .build/replicas/test/e2e/replicas/replica.app.js express|fastify <redis-url> <name>
// Prints one JSON line per event on stdout: `{"ready":{"port":N}}` once listening, then
// `{"log":{"level","context","message"}}` for every line Nest's logger writes (the test reads
// the refusals from them). Exits when stdin closes.
import 'reflect-metadata';
import { Controller, Get, Module, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CorsModule } from '../../../lib/index.js';
import { CorsReplicaModule } from './cors-replicas.js';

/** The options every replica starts with, before anything is stored in Redis. */
export const REPLICA_START_ORIGINS = ['https://app.example'];

@Controller('data')
class DataController {
  @Get() get() { return 'data'; }
}

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Every log line as a JSON event, so the test can read what the replica said and when. */
class JsonLinesLogger implements LoggerService {
  private line(level: string, message: unknown, context: unknown) {
    emit({ log: { level, context: typeof context === 'string' ? context : undefined, message: String(message), at: Date.now() } });
  }
  log(message: unknown, context?: unknown) { this.line('log', message, context); }
  warn(message: unknown, context?: unknown) { this.line('warn', message, context); }
  error(message: unknown, _trace?: unknown, context?: unknown) { this.line('error', message, context); }
  debug() {}
  verbose() {}
}

async function main([kind, url, name]: string[]): Promise<void> {
  if ((kind !== 'express' && kind !== 'fastify') || !url || !name) {
    throw new Error(`usage: replica.app.js express|fastify <redis-url> <name> (got ${JSON.stringify([kind, url, name])})`);
  }
  @Module({
    imports: [CorsModule.forRoot({ origins: REPLICA_START_ORIGINS }), CorsReplicaModule.forRoot({ url, name })],
    controllers: [DataController],
  })
  class ReplicaModule {}

  const adapter = kind === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(ReplicaModule, adapter, { logger: new JsonLinesLogger(), abortOnError: false });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  emit({ ready: { port } });
  // The parent ends the child by closing its stdin, so no replica outlives a crashed test run.
  process.stdin.resume();
  process.stdin.on('end', () => void app.close().then(() => process.exit(0)));
}

if (process.argv[1]?.endsWith('replica.app.js')) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  });
}
