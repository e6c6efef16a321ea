import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

/** One platform of the matrix. Declared, not inferred, so the type is portable across installs. */
export interface AdapterCase {
  readonly name: 'Express' | 'Fastify';
  readonly create: () => ExpressAdapter | FastifyAdapter;
}

/** The adapter matrix every HTTP behaviour runs on (throttler's pattern). */
export const ADAPTERS: readonly [AdapterCase, AdapterCase] = [
  { name: 'Express', create: () => new ExpressAdapter() },
  { name: 'Fastify', create: () => new FastifyAdapter() },
];

/** Builds, initialises and readies an app for `module` on the given adapter. */
export async function createApp(
  module: Type<unknown> | { imports: unknown[]; controllers?: Type<unknown>[]; providers?: unknown[] },
  adapter: AdapterCase,
  configure?: (app: INestApplication) => void | Promise<void>,
): Promise<INestApplication> {
  const metadata = typeof module === 'function' ? { imports: [module] } : module;
  const ref = await Test.createTestingModule(metadata as never).compile();
  const app = ref.createNestApplication(adapter.create() as never, { logger: false });
  await configure?.(app);
  await app.init();
  if (adapter.name === 'Fastify') {
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  }
  return app;
}
