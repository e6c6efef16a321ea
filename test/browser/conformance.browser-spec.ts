import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADAPTERS } from '../utility/adapters.js';
import { createMainApp, createVersionedApp, type HandlerLog, type PageOrigins } from './apps.js';
import {
  fetchInPage, freshTag, launchBrowser, listenAndRecord, readable, REFUSED, requestsTagged, startPageServer,
  type Call, type SeenRequest,
} from './harness.js';

// What the browser decides is the point of this suite: a response the script can read, or a
// TypeError. Headers on the wire are the e2e suite's business.

// Above each fetch's own 5 s deadline, so a hung request fails with its own message first;
// fresh browser contexts make a few tests take about a second on a 2-core machine.
jest.setTimeout(15_000);

let browser: Browser;
let pageServers: Awaited<ReturnType<typeof startPageServer>>[] = [];
let origins: PageOrigins;

beforeAll(async () => {
  const [a, b] = await Promise.all([startPageServer(), startPageServer(), launchBrowser().then((x) => (browser = x))]);
  pageServers = [a, b];
  origins = {
    listed: `http://127.0.0.1:${a.port}`,
    other: `http://127.0.0.1:${b.port}`,
    sameSite: `http://localhost:${a.port}`,
  };
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(pageServers.map((s) => s.close()));
});

async function openPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`, { timeout: 10_000 });
  return page;
}

/** A context of its own, so no preflight cache entry or cookie leaks in or out of `body`. */
async function inFreshContext<T>(origin: string, body: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  try {
    return await body(await openPage(context, origin));
  } finally {
    await context.close();
  }
}

describe.each(ADAPTERS)('a real browser against $name', (adapter) => {
  const log: HandlerLog = [];
  let main: Awaited<ReturnType<typeof createMainApp>>;
  let versioned: INestApplication;
  let api: string;
  let seen: SeenRequest[];
  let vApi: string;
  let vSeen: SeenRequest[];
  let context: BrowserContext;
  let fromListed: Page;
  let fromOther: Page;

  beforeAll(async () => {
    main = await createMainApp(adapter, origins, log);
    versioned = await createVersionedApp(adapter, origins, log);
    ({ base: api, seen } = await listenAndRecord(main.app));
    ({ base: vApi, seen: vSeen } = await listenAndRecord(versioned));
    context = await browser.newContext();
    [fromListed, fromOther] = await Promise.all([openPage(context, origins.listed), openPage(context, origins.other)]);
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    await main?.app.close();
    await versioned?.close();
  });

  const ran = (tag: string) => log.filter((entry) => entry.endsWith(`:${tag}`));

  describe('simple requests', () => {
    it('lets a listed origin read a simple GET', async () => {
      const t = freshTag('simple-ok');
      const [res] = await fetchInPage(fromListed, [{ url: `${api}/open?t=${t}` }]);
      expect(readable(res).status).toBe(200);
      expect(JSON.parse(readable(res).body)).toEqual({ items: ['a', 'b'] });
    });

    it('hides a simple GET from an unlisted origin, yet the handler runs (Flask-CORS semantics)', async () => {
      const t = freshTag('simple-refused');
      const [res] = await fetchInPage(fromOther, [{ url: `${api}/open?t=${t}` }]);
      expect(res).toMatchObject(REFUSED);
      // A simple request needs no preflight: it reached the handler, only its response is hidden.
      expect(requestsTagged(seen, t)).toEqual(['GET /open']);
      expect(ran(t)).toEqual([`open.list:${t}`]);
    });

    it('hides a simple GET on a @CrossOrigin(false) route from every origin, handler still served', async () => {
      const l = freshTag('simple-disabled');
      const o = freshTag('simple-disabled');
      const [[fromL], [fromO]] = await Promise.all([
        fetchInPage(fromListed, [{ url: `${api}/override/internal?t=${l}` }]),
        fetchInPage(fromOther, [{ url: `${api}/override/internal?t=${o}` }]),
      ]);
      expect(fromL).toMatchObject(REFUSED);
      expect(fromO).toMatchObject(REFUSED);
      expect(ran(l)).toEqual([`override.internal:${l}`]);
      expect(ran(o)).toEqual([`override.internal:${o}`]);
    });

    it('lets a listed origin read a 404 for an unrouted path', async () => {
      const [res] = await fetchInPage(fromListed, [{ url: `${api}/no-such-route` }]);
      expect(readable(res).status).toBe(404);
    });
  });

  describe('preflighted requests get the policy of the handler they reach', () => {
    it('a JSON POST under forRoot: listed origin allowed, other refused before the handler', async () => {
      const ok = freshTag('post-ok');
      const no = freshTag('post-no');
      const [[allowed], [refused]] = await Promise.all([
        fetchInPage(fromListed, [{ url: `${api}/open?t=${ok}`, method: 'POST', json: { name: 'tom' } }]),
        fetchInPage(fromOther, [{ url: `${api}/open?t=${no}`, method: 'POST', json: { name: 'tom' } }]),
      ]);
      expect(readable(allowed).status).toBe(201);
      expect(JSON.parse(readable(allowed).body)).toEqual({ received: { name: 'tom' } });
      expect(requestsTagged(seen, ok)).toEqual(['OPTIONS /open', 'POST /open']);
      expect(refused).toMatchObject(REFUSED);
      // The failed preflight stopped the browser: the POST was never sent.
      expect(requestsTagged(seen, no)).toEqual(['OPTIONS /open']);
      expect(ran(no)).toEqual([]);
    });

    it('class policy for POST, handler override for PUT, CORS off for DELETE on the same controller', async () => {
      const tags = { postL: freshTag('o'), putL: freshTag('o'), delL: freshTag('o'), postO: freshTag('o'), putO: freshTag('o'), delO: freshTag('o') };
      const calls = (who: 'L' | 'O'): Call[] => [
        { url: `${api}/override?t=${tags[`post${who}`]}`, method: 'POST', json: { n: 1 } },
        { url: `${api}/override/7?t=${tags[`put${who}`]}`, method: 'PUT', json: { n: 2 } },
        { url: `${api}/override/7?t=${tags[`del${who}`]}`, method: 'DELETE' },
      ];
      const [[postL, putL, delL], [postO, putO, delO]] = await Promise.all([
        fetchInPage(fromListed, calls('L')),
        fetchInPage(fromOther, calls('O')),
      ]);

      // The class admits only the other origin; the PUT handler only the listed one.
      expect(postL).toMatchObject(REFUSED);
      expect(readable(postO).status).toBe(201);
      expect(JSON.parse(readable(putL).body)).toEqual({ id: '7', replaced: { n: 2 } });
      expect(putO).toMatchObject(REFUSED);
      // @CrossOrigin(false): no origin gets through, and the DELETE is never sent.
      expect(delL).toMatchObject(REFUSED);
      expect(delO).toMatchObject(REFUSED);
      expect(requestsTagged(seen, tags.delL)).toEqual(['OPTIONS /override/7']);
      expect(requestsTagged(seen, tags.delO)).toEqual(['OPTIONS /override/7']);
      expect(requestsTagged(seen, tags.putO)).toEqual(['OPTIONS /override/7']);
      expect(ran(tags.putL)).toEqual([`override.replace:${tags.putL}`]);
      expect(log.filter((e) => e.startsWith('override.remove:'))).toEqual([]);
    });

    it('a handler decorator with options turns CORS back on under a class-level @CrossOrigin(false)', async () => {
      const [off, on] = await fetchInPage(fromListed, [
        { url: `${api}/dark/3?t=${freshTag('dark')}`, method: 'PUT' },
        { url: `${api}/dark/3?t=${freshTag('dark')}`, method: 'PATCH' },
      ]);
      expect(off).toMatchObject(REFUSED);
      expect(JSON.parse(readable(on).body)).toEqual({ id: '3', lit: true });
    });

    it('a named policy replaces forRoot origins for its handler', async () => {
      const [[fromL], [fromO]] = await Promise.all([
        fetchInPage(fromListed, [{ url: `${api}/partners/9?t=${freshTag('named')}`, method: 'PUT', json: {} }]),
        fetchInPage(fromOther, [{ url: `${api}/partners/9?t=${freshTag('named')}`, method: 'PUT', json: {} }]),
      ]);
      expect(fromL).toMatchObject(REFUSED);
      expect(JSON.parse(readable(fromO).body)).toEqual({ id: '9', partner: true });
    });

    it('a method the policy does not list is refused at preflight, a listed one passes', async () => {
      const put = freshTag('limited');
      const patch = freshTag('limited');
      const [putRes, patchRes] = await fetchInPage(fromListed, [
        { url: `${api}/limited/4?t=${put}`, method: 'PUT' },
        { url: `${api}/limited/4?t=${patch}`, method: 'PATCH' },
      ]);
      expect(readable(putRes).status).toBe(200);
      expect(patchRes).toMatchObject(REFUSED);
      expect(requestsTagged(seen, patch)).toEqual(['OPTIONS /limited/4']);
    });

    it('follows the global prefix and URI version to the handler that would serve', async () => {
      const t = {
        v1L: freshTag('v'), v2L: freshTag('v'), v1O: freshTag('v'), v2O: freshTag('v'),
      };
      const [[v1L, v2L, missing], [v1O, v2O]] = await Promise.all([
        fetchInPage(fromListed, [
          { url: `${vApi}/api/v1/items/5?t=${t.v1L}`, method: 'PUT', json: { a: 1 } },
          { url: `${vApi}/api/v2/items/5?t=${t.v2L}`, method: 'PUT', json: { a: 1 } },
          // No such route without the prefix: forRoot's policy applies, so the 404 is readable.
          { url: `${vApi}/v1/items/5?t=${freshTag('v')}`, method: 'PUT', json: { a: 1 } },
        ]),
        fetchInPage(fromOther, [
          { url: `${vApi}/api/v1/items/5?t=${t.v1O}`, method: 'PUT', json: { a: 1 } },
          { url: `${vApi}/api/v2/items/5?t=${t.v2O}`, method: 'PUT', json: { a: 1 } },
        ]),
      ]);
      expect(JSON.parse(readable(v1L).body)).toEqual({ version: 1, id: '5' });
      expect(v2L).toMatchObject(REFUSED);
      expect(v1O).toMatchObject(REFUSED);
      expect(JSON.parse(readable(v2O).body)).toEqual({ version: 2, id: '5' });
      expect(readable(missing).status).toBe(404);
      expect(requestsTagged(vSeen, t.v2L)).toEqual(['OPTIONS /api/v2/items/5']);
      expect(requestsTagged(vSeen, t.v1O)).toEqual(['OPTIONS /api/v1/items/5']);
      expect(ran(t.v1L)).toEqual([`v1.replace:${t.v1L}`]);
      expect(ran(t.v2O)).toEqual([`v2.replace:${t.v2O}`]);
    });
  });

  describe('request headers', () => {
    it('a custom header is admitted by the default allowHeaders', async () => {
      const t = freshTag('hdr-default');
      const [res] = await fetchInPage(fromListed, [{ url: `${api}/open?t=${t}`, headers: { 'X-Trace': 'abc' } }]);
      expect(readable(res).status).toBe(200);
      // The custom header is what made this GET preflighted.
      expect(requestsTagged(seen, t)).toEqual(['OPTIONS /open', 'GET /open']);
    });

    it('allowHeaders refuses a header it does not list and admits one it does', async () => {
      const bad = freshTag('hdr-bad');
      const good = freshTag('hdr-good');
      const [refused, allowed] = await fetchInPage(fromListed, [
        { url: `${api}/headers/restricted?t=${bad}`, method: 'POST', json: { x: 1 }, headers: { 'X-Trace': 'abc' } },
        { url: `${api}/headers/restricted?t=${good}`, method: 'POST', json: { x: 1 }, headers: { 'x-allowed': 'yes' } },
      ]);
      expect(refused).toMatchObject(REFUSED);
      expect(requestsTagged(seen, bad)).toEqual(['OPTIONS /headers/restricted']);
      expect(readable(allowed).status).toBe(201);
      expect(ran(good)).toEqual([`headers.restricted:${good}`]);
    });
  });

  describe('response headers', () => {
    it('the script reads an exposed header and cannot read an unexposed one', async () => {
      const read = ['X-Total', 'X-Secret', 'Content-Type'];
      const [exposed, unexposed] = await fetchInPage(fromListed, [
        { url: `${api}/headers/exposed`, read },
        { url: `${api}/headers/unexposed`, read },
      ]);
      expect(readable(exposed).headers).toEqual({ 'X-Total': '42', 'X-Secret': null, 'Content-Type': expect.stringMatching(/^application\/json/) });
      expect(readable(unexposed).headers).toEqual({ 'X-Total': null, 'X-Secret': null, 'Content-Type': expect.stringMatching(/^application\/json/) });
    });
  });

  describe('errors keep their CORS headers', () => {
    it('the script sees a guard 401 and a pipe 400, simple or preflighted', async () => {
      const preflighted = freshTag('err');
      const [guarded, guardedPreflighted, badId, goodId] = await fetchInPage(fromListed, [
        { url: `${api}/errors/guarded` },
        { url: `${api}/errors/guarded?t=${preflighted}`, headers: { 'X-Trace': '1' } },
        { url: `${api}/errors/items/abc`, headers: { 'X-Trace': '1' } },
        { url: `${api}/errors/items/12` },
      ]);
      expect(readable(guarded).status).toBe(401);
      expect(JSON.parse(readable(guarded).body)).toMatchObject({ statusCode: 401, message: 'a token is required' });
      expect(readable(guardedPreflighted).status).toBe(401);
      // The preflight was answered ahead of the guard; only the actual request met it.
      expect(requestsTagged(seen, preflighted)).toEqual(['OPTIONS /errors/guarded', 'GET /errors/guarded']);
      expect(ran(preflighted)).toEqual([]);
      expect(readable(badId).status).toBe(400);
      expect(JSON.parse(readable(badId).body)).toMatchObject({ statusCode: 400 });
      expect(JSON.parse(readable(goodId).body)).toEqual({ id: 12 });
    });
  });

  describe('credentials', () => {
    it('a cookie set by the API comes back with supportsCredentials and a listed origin', async () => {
      const t = freshTag('cred');
      const [login, me] = await inFreshContext(origins.sameSite, (page) =>
        fetchInPage(page, [
          { url: `${api}/session/login?t=${t}`, method: 'POST', credentials: 'include' },
          { url: `${api}/session/me?t=${t}`, credentials: 'include' },
        ], { sequential: true }),
      );
      expect(JSON.parse(readable(login).body)).toEqual({ loggedIn: true });
      expect(JSON.parse(readable(me).body)).toEqual({ cookie: `${main.cookieName}=${main.cookieValue}` });
    });

    it('without supportsCredentials a credentialed call is refused; an unlisted origin is refused too', async () => {
      const plain = freshTag('cred-plain');
      const mePlain = freshTag('cred-me-plain');
      const [loginPlain, login, readPlain] = await inFreshContext(origins.sameSite, (page) =>
        fetchInPage(page, [
          { url: `${api}/session/login-plain?t=${plain}`, method: 'POST', credentials: 'include' },
          { url: `${api}/session/login?t=${freshTag('cred')}`, method: 'POST', credentials: 'include' },
          { url: `${api}/session/me-plain?t=${mePlain}`, credentials: 'include' },
        ], { sequential: true }),
      );
      expect(loginPlain).toMatchObject(REFUSED);
      expect(ran(plain)).toEqual([`session.loginPlain:${plain}`]);
      expect(readable(login).status).toBe(201);
      // The browser did send the cookie it holds; it only refused to show the response.
      expect(readPlain).toMatchObject(REFUSED);
      expect(seen.find((r) => r.tag === mePlain)?.cookie).toContain(`${main.cookieName}=${main.cookieValue}`);

      // supportsCredentials does not help an origin the policy does not list.
      const [unlisted] = await fetchInPage(fromListed, [{ url: `${api}/session/me?t=${freshTag('cred')}`, credentials: 'include' }]);
      expect(unlisted).toMatchObject(REFUSED);
    });
  });

  // Without Access-Control-Max-Age Chromium still caches a preflight for 5 s, so "one preflight
  // for two calls" alone cannot tell 600 from nothing; the maxAge 0 case is what can fail.
  describe('maxAge', () => {
    const twice = (path: string, t: string): Call[] => [
      { url: `${api}${path}?t=${t}`, method: 'PUT', json: { n: 1 } },
      { url: `${api}${path}?t=${t}`, method: 'PUT', json: { n: 2 } },
    ];

    it('maxAge 600: the second identical call reuses the cached preflight', async () => {
      const t = freshTag('max600');
      const results = await inFreshContext(origins.listed, (page) => fetchInPage(page, twice('/cache/long', t), { sequential: true }));
      expect(results.map((r) => readable(r).status)).toEqual([200, 200]);
      expect(requestsTagged(seen, t)).toEqual(['OPTIONS /cache/long', 'PUT /cache/long', 'PUT /cache/long']);
    });

    it('maxAge 0: every call is preflighted again', async () => {
      const t = freshTag('max0');
      const results = await inFreshContext(origins.listed, (page) => fetchInPage(page, twice('/cache/none', t), { sequential: true }));
      expect(results.map((r) => readable(r).status)).toEqual([200, 200]);
      expect(requestsTagged(seen, t)).toEqual(['OPTIONS /cache/none', 'PUT /cache/none', 'OPTIONS /cache/none', 'PUT /cache/none']);
    });
  });
});
