// SPEC §8, second paragraph, in a real browser: a GraphQL subscription over graphql-ws that no
// gateway owns. Chromium sends no preflight for the upgrade and applies no CORS to it, and it
// sends the user's session cookie with it from any same-site page (`localhost:A` → `localhost:B`).
// Only the server's check of the upgrade's Origin against the /graphql policy keeps a page on a
// refused origin from subscribing as the signed-in user. Apollo with graphql-ws, on both adapters.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Browser, Page } from 'playwright-core';
import { CorsModule } from '../../lib/index.js';
import { ADAPTERS } from '../utility/adapters.js';
import { subscriptionModule, tickFrom, TICK_SUBSCRIPTION } from '../utility/subscription-apps.js';
import { launchBrowser, openSignedInPages, sessionCookie, startPageServer, type SignedInPages } from './harness.js';

jest.setTimeout(20_000);

// The browser bundle graphql-ws ships (global `graphqlWs`), served by the page servers.
const CLIENT_BUNDLE = join(dirname(createRequire(import.meta.url).resolve('graphql-ws/package.json')), 'umd/graphql-ws.min.js');

let browser: Browser;
let pageServers: Awaited<ReturnType<typeof startPageServer>>[] = [];
let allowed: string;
let refused: string;

beforeAll(async () => {
  const assets = { '/graphql-ws.min.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(CLIENT_BUNDLE) } };
  const [a, b] = await Promise.all([startPageServer(assets), startPageServer(assets), launchBrowser().then((x) => (browser = x))]);
  pageServers = [a, b];
  // localhost on every side: page and API differ in port (cross-origin) yet are same-site, so
  // the browser sends the session cookie with both pages' upgrades, the refused one's too.
  allowed = `http://localhost:${a.port}`;
  refused = `http://localhost:${b.port}`;
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(pageServers.map((s) => s.close()));
});

/** What the page's graphql-ws client got: the events, and how the subscription ended. */
interface PageDelivery {
  readonly events: unknown[];
  readonly ended: 'complete' | 'error' | 'timeout';
}

/** Subscribes from inside the page with graphql-ws's browser client, cookies and all. */
function subscribeInPage(page: Page, url: string): Promise<PageDelivery> {
  return page.evaluate(({ url, query }) => new Promise<PageDelivery>((resolve) => {
    const { createClient } = (globalThis as unknown as { graphqlWs: { createClient: (o: object) => any } }).graphqlWs;
    const client = createClient({ url, retryAttempts: 0, lazy: true });
    const events: unknown[] = [];
    let settled = false;
    const end = (ended: PageDelivery['ended']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.dispose();
      resolve({ events, ended });
    };
    const timer = setTimeout(() => end('timeout'), 5_000);
    client.subscribe({ query }, { next: (value: unknown) => events.push(value), error: () => end('error'), complete: () => end('complete') });
  }), { url, query: TICK_SUBSCRIPTION });
}

/** Upgrades as the API's server received them, before any library or GraphQL code. */
/**
 * Records every upgrade the server receives, refused ones included: the library checks an
 * upgrade before any 'upgrade' listener sees it, so the record is taken where the server
 * announces the event (its emit), ahead of that check.
 */
function recordUpgrades(server: Server): { path: string; origin: string | undefined; cookie: string | undefined }[] {
  const seen: { path: string; origin: string | undefined; cookie: string | undefined }[] = [];
  const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = function recordingEmit(this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === 'upgrade') {
      const req = args[0] as IncomingMessage;
      seen.push({ path: req.url ?? '', origin: req.headers.origin, cookie: req.headers.cookie });
    }
    return emit.call(this, event, ...args);
  } as Server['emit'];
  return seen;
}

describe.each(ADAPTERS)('GraphQL subscriptions (Apollo, graphql-ws) in a real browser against $name', (adapter) => {
  const cookie = sessionCookie(adapter.name);
  let app: INestApplication;
  let api: string;
  let upgrades: ReturnType<typeof recordUpgrades>;
  let pages: SignedInPages;

  beforeAll(async () => {
    const cors = CorsModule.forRoot({ origins: [allowed], resources: { '/graphql': { origins: [allowed], supportsCredentials: true }, '/*': {} } });
    app = await NestFactory.create(subscriptionModule(cors, 'Apollo'), adapter.create() as never, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    upgrades = recordUpgrades(app.getHttpServer());
    api = `ws://localhost:${(app.getHttpServer().address() as { port: number }).port}/graphql`;
    // Both pages' upgrades carry the signed-in user's session cookie.
    pages = await openSignedInPages(browser, cookie, { allowed, refused });
  }, 30_000);

  afterAll(async () => {
    await pages?.context.close();
    await app?.close();
  });

  it('the page on the allowed origin subscribes, with the cookie, and receives the event', async () => {
    const before = upgrades.length;
    const delivery = await subscribeInPage(pages.allowed, api);
    expect(delivery).toEqual({ events: [{ data: { tick: tickFrom('Apollo') } }], ended: 'complete' });
    expect(upgrades.slice(before)).toEqual([{ path: '/graphql', origin: allowed, cookie: expect.stringContaining(`${cookie.name}=${cookie.value}`) }]);
  });

  it('the page on a refused origin never gets a subscription message, though its upgrade carried the cookie', async () => {
    const before = upgrades.length;
    const delivery = await subscribeInPage(pages.refused, api);
    expect(delivery).toEqual({ events: [], ended: 'error' });
    // The browser did send the upgrade, and the user's cookie with it: only the Origin check stops it.
    expect(upgrades.slice(before)).toEqual([{ path: '/graphql', origin: refused, cookie: expect.stringContaining(`${cookie.name}=${cookie.value}`) }]);
  });
});
