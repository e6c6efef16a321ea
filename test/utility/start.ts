import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { connect } from 'node:net';
import type { AdapterCase } from './adapters.js';

/** A root module class, as `NestFactory.create` needs one, from imports and controllers. */
export function rootModule(imports: (DynamicModule | Type<unknown>)[], controllers: Type<unknown>[]): Type<unknown> {
  @Module({ imports, controllers })
  class AppModule {}
  return AppModule;
}

/** The two ways an app starts: as production starts it, and through `@nestjs/testing`. Both listen. */
export const STARTS = [
  {
    how: 'NestFactory.create + listen(0)',
    start: async (module: Type<unknown>, adapter: AdapterCase, logger: LoggerService | false): Promise<INestApplication> => {
      const app = await NestFactory.create(module, adapter.create() as never, { logger, abortOnError: false });
      await app.listen(0, '127.0.0.1');
      return app;
    },
  },
  {
    how: '@nestjs/testing + listen(0)',
    start: async (module: Type<unknown>, adapter: AdapterCase, logger: LoggerService | false): Promise<INestApplication> => {
      const ref = await Test.createTestingModule({ imports: [module] }).compile();
      const app = ref.createNestApplication(adapter.create() as never, { logger });
      await app.listen(0, '127.0.0.1');
      return app;
    },
  },
] as const;

/** The port a started app listens on. */
export function portOf(app: INestApplication): number {
  return (app.getHttpServer().address() as { port: number }).port;
}

/**
 * Writes `text` to one socket at once (several requests in it are pipelined on the same
 * keep-alive connection) and returns everything the server sends until it closes. Fails
 * after `limitMs` rather than hang, so a wedged request shows up as a failure.
 */
export function rawExchange(port: number, text: string, limitMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(Buffer.from(text, 'latin1')));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${limitMs} ms; got: ${JSON.stringify(data)}`));
    }, limitMs);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
