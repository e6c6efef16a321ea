// The sample as `npm start` runs it (the API through NestFactory on localhost, the page server
// beside it), opened in Chromium: the page names the adapter the API runs on, and every call
// comes out as the sample says it will.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Browser } from 'playwright-core';
import { ADAPTERS } from '../utility/adapters.js';
import { launchBrowser } from './harness.js';

jest.setTimeout(30_000);

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, 'localhost', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

// sample/config.ts reads the ports once, at import: set them first, then load the sample.
let sample: {
  AppModule: typeof import('../../sample/api/app.module.js').AppModule;
  startPageServer: typeof import('../../sample/page-server.js').startPageServer;
  config: typeof import('../../sample/config.js');
  calls: typeof import('../../sample/calls.js').SAMPLE_CALLS;
};
let browser: Browser;

beforeAll(async () => {
  process.env.API_PORT = String(await freePort());
  process.env.PAGE_PORT = String(await freePort());
  process.env.CORS_DEBUG = '0';
  const [{ AppModule }, { startPageServer }, config, { SAMPLE_CALLS }] = await Promise.all([
    import('../../sample/api/app.module.js'),
    import('../../sample/page-server.js'),
    import('../../sample/config.js'),
    import('../../sample/calls.js'),
  ]);
  sample = { AppModule, startPageServer, config, calls: SAMPLE_CALLS };
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  await browser?.close();
});

describe.each(ADAPTERS)('the sample page on $name', (adapter) => {
  let api: INestApplication;
  let page: Awaited<ReturnType<typeof sample.startPageServer>>;

  beforeAll(async () => {
    const { config } = sample;
    expect(config.CONFIG_PROBLEMS).toEqual([]);
    api = await NestFactory.create(sample.AppModule, adapter.create() as never, { logger: false, abortOnError: false, forceCloseConnections: true });
    await api.listen(config.API_PORT, 'localhost');
    page = await sample.startPageServer({ port: config.PAGE_PORT, apiOrigin: config.API_ORIGIN, pageOrigin: config.PAGE_ORIGIN, calls: sample.calls });
  });

  afterAll(async () => {
    await Promise.all([api?.close(), page?.close()]);
  });

  it(`says the API runs on ${adapter.name}, and every call comes out as expected`, async () => {
    const context = await browser.newContext();
    try {
      const tab = await context.newPage();
      await tab.goto(sample.config.PAGE_ORIGIN, { timeout: 10_000 });
      await tab.waitForSelector('#api-adapter:not([data-adapter="pending"])', { timeout: 10_000 });
      const shown = tab.locator('#api-adapter');
      expect(await shown.getAttribute('data-adapter')).toBe(adapter.name.toLowerCase());
      expect(await shown.textContent()).toBe(adapter.name);

      await tab.waitForSelector('#summary[data-state="done"]', { timeout: 15_000 });
      const mismatches = await tab.locator('tr[data-match="no"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-call-id')));
      expect(mismatches).toEqual([]);
      const summary = tab.locator('#summary');
      expect([await summary.getAttribute('data-good'), await summary.getAttribute('data-total')]).toEqual([String(sample.calls.length), String(sample.calls.length)]);
    } finally {
      await context.close();
    }
  });
});
