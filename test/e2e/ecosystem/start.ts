// Apps in the ecosystem tests start the way production starts them: NestFactory.create() and a
// real listen(0), with the adapter's own readiness. Requests go to the URL, over a socket.
import 'reflect-metadata';
import { afterAll, beforeAll } from '@jest/globals';
import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { AdapterCase } from '../../utility/adapters.js';
import { closeClients } from './served.js';

export interface Started {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
}

/** Hook to run between create() and listen(): app.use(), enableVersioning(), routes on the instance… */
export type Configure = (app: INestApplication) => void | Promise<void>;

async function listen(app: INestApplication, configure?: Configure): Promise<Started> {
  try {
    await configure?.(app);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    // A refused start-up must not leave a half-started app (and its port) behind.
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, port: address.port };
}

/** `NestFactory.create(module, adapter, { logger: false, abortOnError: false })` + `listen(0)`; a logger to read explain mode. */
export async function startApp(module: Type<unknown>, adapter: AdapterCase, configure?: Configure, logger: LoggerService | false = false): Promise<Started> {
  const app = await NestFactory.create(module, adapter.create() as never, { logger, abortOnError: false });
  return listen(app, configure);
}

/** The same app built through `@nestjs/testing`, as users' own e2e tests build it. */
export async function startTestingApp(module: Type<unknown>, adapter: AdapterCase, configure?: Configure, logger: LoggerService | false = false): Promise<Started> {
  const ref = await Test.createTestingModule({ imports: [module] }).compile();
  const app = ref.createNestApplication(adapter.create() as never, { logger, abortOnError: false });
  return listen(app, configure);
}

/** Both ways of starting an app, for the cases that must hold whichever way users start it. */
export const STARTERS = [
  { how: 'NestFactory.create', start: startApp },
  { how: '@nestjs/testing', start: startTestingApp },
] as const;

/**
 * Starts an app before the enclosing describe block's tests and, after them, closes the raw
 * clients (served.ts `send`) and the app: every block of these tests needs that pair of hooks.
 * The result reads through to the app `start` gave; read before it started (its beforeAll
 * failed), it throws instead of handing out undefined.
 */
export function startedForSuite(start: () => Promise<Started>): Started {
  let started: Started | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    closeClients();
    await started?.app.close();
  });
  const current = (): Started => {
    if (!started) throw new Error('the app of this describe block did not start');
    return started;
  };
  return {
    get app() { return current().app; },
    get url() { return current().url; },
    get port() { return current().port; },
  };
}

/** The error start-up fails with; fails the test when start-up succeeds. */
export async function startupFailure(start: () => Promise<Started>): Promise<Error> {
  let started: Started;
  try {
    started = await start();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  await started.app.close();
  throw new Error('start-up did not fail');
}
