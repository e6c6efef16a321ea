// What docs/RECIPES.md says about helmet, decided by a real browser: helmet's default
// `Cross-Origin-Resource-Policy: same-origin` blocks another site's no-cors load (<img>) but not
// its CORS fetch(), which ACAO alone decides; `policy: 'cross-origin'` lets the <img> load too.
// The headers on the wire are checked in test/e2e/ecosystem/helmet.e2e-spec.ts.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Module, StreamableFile, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet, { type HelmetOptions } from 'helmet';
import type { Browser, Page } from 'playwright-core';
import { CorsModule } from '../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../utility/adapters.js';
import { launchBrowser, startPageServer } from './harness.js';

jest.setTimeout(15_000);

// A 1×1 PNG: an image type, so Chromium's opaque-response blocking leaves the no-cors load to CORP.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

let browser: Browser;
let pageServer: Awaited<ReturnType<typeof startPageServer>>;
let page: Page;
/** http://127.0.0.1:<port>: another site than the API on http://localhost:<port>. */
let pageOrigin: string;

beforeAll(async () => {
  [pageServer, browser] = await Promise.all([startPageServer(), launchBrowser()]);
  pageOrigin = `http://127.0.0.1:${pageServer.port}`;
  page = await (await browser.newContext()).newPage();
  await page.goto(`${pageOrigin}/`, { timeout: 10_000 });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await pageServer?.close();
});

async function startApi(adapter: AdapterCase, options: HelmetOptions | undefined): Promise<{ app: INestApplication; base: string }> {
  @Controller('api')
  class ApiController {
    @Get('items') items() { return ['a', 'b']; }
    @Get('logo.png') logo() { return new StreamableFile(PNG, { type: 'image/png' }); }
  }
  @Module({ imports: [CorsModule.forRoot({ origins: [pageOrigin] })], controllers: [ApiController] })
  class ApiModule {}
  const app = await NestFactory.create(ApiModule, adapter.create() as never, { logger: false, abortOnError: false });
  app.use(helmet(options));
  await app.listen(0, '127.0.0.1');
  return { app, base: `http://localhost:${(app.getHttpServer().address() as { port: number }).port}` };
}

/** A CORS fetch and a no-cors <img> load from the page, as the browser lets the script see them. */
function fromPage(base: string): Promise<{ fetched: string; image: 'load' | 'error' }> {
  return page.evaluate(async (b) => {
    let fetched: string;
    try {
      fetched = await (await fetch(`${b}/api/items`, { signal: AbortSignal.timeout(5_000) })).text();
    } catch (e) {
      fetched = (e as Error).name;
    }
    // Runs in the page; the project compiles without the DOM library, so Image is typed here.
    const { Image } = globalThis as unknown as { Image: new () => { onload: () => void; onerror: () => void; src: string } };
    const image = await new Promise<'load' | 'error'>((resolve) => {
      const img = new Image();
      img.onload = () => resolve('load');
      img.onerror = () => resolve('error');
      img.src = `${b}/api/logo.png?${Math.random()}`;
    });
    return { fetched, image };
  }, base);
}

const SETUPS = [
  { desc: 'helmet() defaults (CORP same-origin)', options: undefined, image: 'error' },
  { desc: "crossOriginResourcePolicy: 'cross-origin'", options: { crossOriginResourcePolicy: { policy: 'cross-origin' as const } }, image: 'load' },
];

describe.each(ADAPTERS.flatMap((adapter) => SETUPS.map((setup) => ({ adapter, ...setup }))))('Chromium, $desc, on $adapter.name', ({ adapter, options, image }) => {
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => { api = await startApi(adapter, options); });
  afterAll(() => api?.app.close());

  it(`the CORS fetch is readable; the cross-site <img> ${image === 'load' ? 'loads' : 'is blocked'}`, async () => {
    expect(await fromPage(api.base)).toEqual({ fetched: '["a","b"]', image });
  });
});
