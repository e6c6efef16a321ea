import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

/** One HTTP adapter of the matrix: its name and a factory for a fresh instance. */
export interface AdapterCase {
  readonly name: 'Express' | 'Fastify';
  create(): ExpressAdapter | FastifyAdapter;
}

/**
 * The adapter matrix every HTTP behaviour runs on (throttler's pattern). Typed by hand: an
 * inferred type names Fastify's types by a path outside the project when node_modules is a
 * symlink (a git worktree), which `declaration: true` refuses.
 */
export const ADAPTERS: readonly AdapterCase[] = [
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
