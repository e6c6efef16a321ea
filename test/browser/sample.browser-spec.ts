import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { IncomingMessage, Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { Browser } from 'playwright-core';
import { ADAPTERS } from '../utility/adapters.js';
import { freePort } from '../utility/sockets.js';
import { launchBrowser } from './harness.js';

// The sample as a user sees it (as `npm start` runs it): its page in Chromium names the
// adapter the API runs on, every call and socket comes out as the sample itself expects, and
// each blocked call shows the server's own reason, on both adapters; the admin panel adds an
// origin at run time (CorsService.reconfigure) and the other origin's call and sockets turn
// allowed, then blocked again when it is removed. The sample reads its ports when its modules
// load, so they are set first and the modules imported after.

jest.setTimeout(30_000);

let browser: Browser;
let sample: {
  AppModule: typeof import('../../sample/api/app.module.js').AppModule;
  config: typeof import('../../sample/config.js');
  calls: typeof import('../../sample/calls.js');
  startPageServer: typeof import('../../sample/page-server.js').startPageServer;
};

beforeAll(async () => {
  const [api, page, other] = [await freePort(), await freePort(), await freePort()];
  Object.assign(process.env, { API_PORT: String(api), PAGE_PORT: String(page), OTHER_PAGE_PORT: String(other), CORS_DEBUG: '0' });
  const [{ AppModule }, config, calls, { startPageServer }] = await Promise.all([
    import('../../sample/api/app.module.js'),
    import('../../sample/config.js'),
    import('../../sample/calls.js'),
    import('../../sample/page-server.js'),
    launchBrowser().then((b) => (browser = b)),
  ]);
  sample = { AppModule, config, calls, startPageServer };
}, 30_000);

afterAll(() => browser?.close());

describe.each(ADAPTERS)('the sample on $name', (adapter) => {
  let api: INestApplication;
  let pages: { close(): Promise<void> };
  /** socket.io requests and upgrades as the API's server received them, before any library code. */
  const reached: { kind: 'request' | 'upgrade'; origin: string | undefined; cookie: string | undefined }[] = [];
  beforeAll(async () => {
    const c = sample.config;
    expect(c.CONFIG_PROBLEMS).toEqual([]);
    api = await NestFactory.create(sample.AppModule, adapter.create() as never, { logger: false, forceCloseConnections: true });
    // After init: engine.io takes over the server's request listeners when it attaches.
    await api.init();
    const server = api.getHttpServer() as Server;
    const record = (kind: 'request' | 'upgrade') => (req: IncomingMessage) => {
      if (req.url?.startsWith('/socket.io/')) reached.push({ kind, origin: req.headers.origin, cookie: req.headers.cookie });
    };
    server.on('request', record('request'));
    server.on('upgrade', record('upgrade'));
    await api.listen(c.API_PORT, 'localhost');
    pages = await sample.startPageServer({
      port: c.PAGE_PORT, apiOrigin: c.API_ORIGIN, pageOrigin: c.PAGE_ORIGIN, calls: sample.calls.SAMPLE_CALLS,
      otherPort: c.OTHER_PAGE_PORT, otherOrigin: c.OTHER_PAGE_ORIGIN, sockets: sample.calls.SAMPLE_SOCKETS,
    });
  }, 30_000);
  afterAll(async () => {
    await pages?.close();
    await api?.close();
  });

  it('shows every call and every socket as the sample expects: a round trip from the page, a refused origin', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${sample.config.PAGE_ORIGIN}/`);
      await page.waitForSelector('#socket-summary[data-state="done"]', { timeout: 20_000 });
      // The admin panel's first tries from the other origin, after the sockets.
      await page.waitForSelector('#other-summary[data-state="done"][data-run="1"]', { timeout: 20_000 });
      const shown = page.locator('#api-adapter');
      expect(await shown.getAttribute('data-adapter')).toBe(adapter.name.toLowerCase());
      expect(await shown.textContent()).toBe(adapter.name);
      // Beside each blocked call, the reason explain mode logs, from the API's /cors/explain.
      const reasons = Object.fromEntries(await page.$$eval('#results tbody tr[data-outcome="blocked"]', (rows) =>
        rows.map((r) => [r.getAttribute('data-call-id'), r.querySelector('.reason')?.textContent ?? ''])));
      expect(Object.keys(reasons).sort()).toEqual(sample.calls.SAMPLE_CALLS.filter((c) => c.expect.cors === 'blocked').map((c) => c.id).sort());
      expect(reasons['disabled']).toBe('server says: CORS refused GET /greetings/internal from ' + sample.config.PAGE_ORIGIN + ': CORS is off for GreetingsController.internal (@CrossOrigin(false))');
      expect(reasons['controller-refuses']).toMatch(/^server says: CORS refused GET \/partner\/catalog from .*: origin .* not in origins of PartnerController\.catalog \(controller @CrossOrigin\)$/);
      expect(reasons['preflight-refused']).toMatch(/^server says: CORS refused preflight for DELETE \/items\/42 from .*: method DELETE not in methods of /);
      expect(reasons['credentials-refused']).toMatch(/^server says: the server admitted .*access-control-allow-origin: .*the browser refused on its own rules/);
      const calls = await page.$$eval('#results tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-call-id'), r.getAttribute('data-match')]));
      expect(calls).toEqual(sample.calls.SAMPLE_CALLS.map((c) => [c.id, 'yes']));
      const sockets = await page.$$eval('#sockets tbody tr', (rows) =>
        rows.map((r) => [r.getAttribute('data-socket-id'), r.getAttribute('data-outcome'), r.querySelector('.outcome')?.textContent ?? '']));
      expect(sockets.map(([id, outcome]) => [id, outcome])).toEqual(sample.calls.SAMPLE_SOCKETS.map((s) => [s.id, s.expect]));
      // The page's sockets carried the session the login call opened; the other origin's were refused.
      const session = (await page.$eval('#results tr[data-call-id="credentials-login"] .body', (e) => e.textContent ?? '')).match(/"session":"([^"]+)"/)?.[1];
      expect(session).toBeTruthy();
      for (const [id, , text] of sockets) {
        if (id!.startsWith('socket-other')) expect(text).toMatch(/^refused(xhr poll error|websocket error)/);
        else expect(text).toContain(`session the gateway saw: ${session}`);
      }
      // The other origin's attempts (the sockets table's, then the admin panel's) did reach the
      // API, session cookie included: the refusal is the gateway's 403, not the browser or the
      // page's CSP holding them back.
      const fromOther = reached.filter((r) => r.origin === sample.config.OTHER_PAGE_ORIGIN);
      expect(fromOther.map((r) => r.kind).sort()).toEqual(['request', 'request', 'upgrade', 'upgrade']);
      for (const r of fromOther) expect(r.cookie).toContain(`sample_session=${session}`);
    } finally {
      await context.close();
    }
  });

  it('the admin panel adds the other origin at run time: its call and its sockets turn allowed, then blocked again once removed', async () => {
    const context = await browser.newContext();
    const other = sample.config.OTHER_PAGE_ORIGIN;
    try {
      const page = await context.newPage();
      await page.goto(`${sample.config.PAGE_ORIGIN}/`);
      await page.waitForSelector('#other-summary[data-state="done"][data-run="1"]', { timeout: 20_000 });
      /** The panel's rows: what the browser decided for the other origin, and the server's reason. */
      const tries = () => page.$$eval('#other-calls tbody tr', (rows) =>
        rows.map((r) => [r.getAttribute('data-try'), r.getAttribute('data-outcome'), r.querySelector('.reason')?.textContent ?? null]));
      const refusedAt = (label: string) =>
        `server says: CORS refused GET /greetings from ${other}: origin ${other} not in origins of resources["/*"] (${label})`;

      // Blocked at first, with forRoot's reason.
      expect(await tries()).toEqual([
        ['http', 'blocked', refusedAt('forRoot')],
        ['socket-other-websocket', 'refused', null],
        ['socket-other-polling', 'refused', null],
      ]);
      expect(await page.textContent('#admin-none')).toBe('none');
      expect(await page.inputValue('#admin-origin')).toBe(other);

      // A change the library refuses (an origin with a path): the reason shows, nothing changes.
      await page.fill('#admin-origin', `${other}/path`);
      await page.click('#admin-add');
      await page.waitForSelector('#admin-status[data-state="error"]');
      expect(await page.textContent('#admin-status')).toContain('has a path, query, fragment or trailing slash');
      expect(await page.$$eval('#admin-origins li', (items) => items.length)).toBe(0);

      // Added: the same call and both sockets are allowed at once.
      await page.fill('#admin-origin', other);
      await page.click('#admin-add');
      await page.waitForSelector('#other-summary[data-state="done"][data-run="2"]', { timeout: 20_000 });
      expect(await page.$$eval('#admin-origins li', (items) => items.map((i) => i.getAttribute('data-origin')))).toEqual([other]);
      expect(await page.getAttribute('#admin-status', 'data-state')).toBe('ok');
      expect(await tries()).toEqual([
        ['http', 'allowed', null],
        ['socket-other-websocket', 'connected', null],
        ['socket-other-polling', 'connected', null],
      ]);
      // Run again: the sockets table now expects the other origin's sockets to connect, and they do.
      await page.click('#run');
      await page.waitForSelector('#socket-summary[data-state="running"]');
      await page.waitForSelector('#socket-summary[data-state="done"]', { timeout: 20_000 });
      expect(await page.$$eval('#sockets tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-socket-id'), r.getAttribute('data-outcome'), r.getAttribute('data-match')])))
        .toEqual(sample.calls.SAMPLE_SOCKETS.map((s) => [s.id, 'connected', 'yes']));

      // Removed: blocked again, and the reason now names the options reconfigure() put in force.
      await page.click(`#admin-origins button.remove[data-origin="${other}"]`);
      await page.waitForSelector('#other-summary[data-state="done"][data-run="3"]', { timeout: 20_000 });
      expect(await tries()).toEqual([
        ['http', 'blocked', refusedAt('reconfigure')],
        ['socket-other-websocket', 'refused', null],
        ['socket-other-polling', 'refused', null],
      ]);
      expect(await page.$$eval('#admin-origins li', (items) => items.length)).toBe(0);
      expect(await page.isVisible('#admin-none')).toBe(true);
    } finally {
      await context.close();
    }
  });
});
