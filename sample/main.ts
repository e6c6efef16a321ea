import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './api/app.module.js';
import { SAMPLE_CALLS, SAMPLE_SOCKETS } from './calls.js';
import {
  ADAPTER, API_ORIGIN, API_PORT, CONFIG_PROBLEMS, OTHER_PAGE_ORIGIN, OTHER_PAGE_PORT, PAGE_ORIGIN, PAGE_PORT, type AdapterName,
} from './config.js';
import { startPageServer, type PageServer } from './page-server.js';

// Loaded on demand so that a copy of this sample only needs the platform package it runs on.
async function createAdapter(name: AdapterName) {
  if (name === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return new FastifyAdapter();
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  return new ExpressAdapter();
}

async function main(): Promise<void> {
  if (CONFIG_PROBLEMS.length) {
    for (const problem of CONFIG_PROBLEMS) console.error(problem);
    process.exit(2);
  }
  let api: INestApplication | undefined;
  let page: PageServer | undefined;
  let stopping = false;

  const closeAll = async () => {
    const results = await Promise.allSettled([api?.close(), page?.close()]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) console.error('Error while stopping:', f.reason);
    return failed.length === 0;
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl+C means "now".
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal} received, stopping…`);
    // Only fires if something still holds the event loop once both servers are closed.
    setTimeout(() => {
      console.error('Servers did not close in 5 s; exiting anyway.');
      process.exit(1);
    }, 5000).unref();
    // Exit by emptying the event loop rather than process.exit(), so pending writes finish.
    void closeAll().then((ok) => {
      process.exitCode = ok ? 0 : 1;
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    // forceCloseConnections: an open browser tab keeps keep-alive sockets that would
    // otherwise delay app.close() until they time out.
    api = await NestFactory.create(AppModule, await createAdapter(ADAPTER), { forceCloseConnections: true });
    await api.listen(API_PORT, 'localhost');
    page = await startPageServer({
      port: PAGE_PORT, apiOrigin: API_ORIGIN, pageOrigin: PAGE_ORIGIN, calls: SAMPLE_CALLS,
      otherPort: OTHER_PAGE_PORT, otherOrigin: OTHER_PAGE_ORIGIN, sockets: SAMPLE_SOCKETS,
    });
  } catch (error) {
    await closeAll();
    throw error;
  }
  if (stopping) {
    // The signal came while starting up, before the servers it closed existed.
    await closeAll();
    return;
  }

  const platform = ADAPTER === 'fastify' ? 'Fastify' : 'Express';
  console.log('');
  console.log(`API (${platform}):  ${API_ORIGIN}`);
  console.log(`Open this page: ${PAGE_ORIGIN}`);
  console.log(`(It frames ${OTHER_PAGE_ORIGIN}, an origin no policy lists, to show a refused socket;`);
  console.log(' its admin panel adds that origin while the API runs, and removes it. No authentication: localhost only.)');
  console.log('');
  console.log('Use "localhost" in the address bar: 127.0.0.1 is another origin, and the API does not allow it.');
  console.log('Press Ctrl+C to stop.');
}

main().catch((error: unknown) => {
  if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    console.error(`${(error as Error).message}: another program uses the port; pick others with API_PORT=… PAGE_PORT=… OTHER_PAGE_PORT=…`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
