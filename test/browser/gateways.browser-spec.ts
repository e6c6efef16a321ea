import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CorsModule } from '../../lib/index.js';
import { ADAPTERS } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { gatewayCorsOptions, socketIoGateways, startGatewayApp, type Connections, type GatewayApp, type GatewayOrigins } from '../utility/gateway-apps.js';
import { freePort } from '../utility/sockets.js';
import { launchBrowser, openSignedInPages, sessionCookie, startPageServer, type SignedInPages } from './harness.js';

// SPEC §8 in a real browser: browsers apply no CORS to WebSockets and send cookies with a
// same-site upgrade from any page, so only the server's Origin check keeps a page on a
// refused origin from opening the socket as the logged-in user.

jest.setTimeout(20_000);

// The browser bundle socket.io-client ships, served by the page servers as a page would load it.
const CLIENT_BUNDLE = join(dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json')), 'dist/socket.io.min.js');

let browser: Browser;
let pageServers: Awaited<ReturnType<typeof startPageServer>>[] = [];
let origins: GatewayOrigins;

beforeAll(async () => {
  const assets = { '/socket.io.min.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(CLIENT_BUNDLE) } };
  const [a, b] = await Promise.all([startPageServer(assets), startPageServer(assets), launchBrowser().then((x) => (browser = x))]);
  pageServers = [a, b];
  // localhost on every side: page and API differ in port (cross-origin) yet are same-site, so
  // the browser sends the session cookie with both pages' requests, the refused one's too.
  origins = { allowed: `http://localhost:${a.port}`, refused: `http://localhost:${b.port}` };
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(pageServers.map((s) => s.close()));
});

/** What the page's socket.io client got: a round trip on a transport, or the error it saw. */
type SocketOutcome =
  | { readonly ok: true; readonly transport: string; readonly reply: unknown }
  | { readonly ok: false; readonly error: string };

/** Connects socket.io-client inside the page, sends `echo` and waits for the acknowledgement. */
function connectInPage(
  page: Page, url: string, transport: 'polling' | 'websocket',
  { extraHeaders = {}, withCredentials = true, path = '/socket.io' }: { extraHeaders?: Record<string, string>; withCredentials?: boolean; path?: string } = {},
): Promise<SocketOutcome> {
  return page.evaluate(({ url, transport, extraHeaders, withCredentials, path }) => new Promise<SocketOutcome>((resolve) => {
    const { io } = globalThis as unknown as { io: (url: string, opts: object) => any };
    const socket = io(url, {
      transports: [transport], upgrade: false, reconnection: false, forceNew: true, timeout: 4_000,
      withCredentials, extraHeaders, path,
    });
    socket.on('connect', async () => {
      try {
        const reply = await socket.timeout(4_000).emitWithAck('echo', `hello over ${transport}`);
        resolve({ ok: true, transport: socket.io.engine.transport.name, reply });
      } catch (e) {
        resolve({ ok: false, error: String(e) });
      } finally {
        socket.close();
      }
    });
    socket.on('connect_error', (e: Error) => {
      socket.close();
      resolve({ ok: false, error: e.message });
    });
  }), { url, transport, extraHeaders, withCredentials, path });
}

/** Upgrade requests as the API's server received them, before any library or socket.io code. */
function recordUpgrades(server: Server): { origin: string | undefined; cookie: string | undefined }[] {
  const seen: { origin: string | undefined; cookie: string | undefined }[] = [];
  server.on('upgrade', (req: IncomingMessage) => seen.push({ origin: req.headers.origin, cookie: req.headers.cookie }));
  return seen;
}

describe.each(ADAPTERS)('socket.io gateways in a real browser against $name', (adapter) => {
  const connections: Connections = [];
  const logger = new CaptureLogger();
  const cookie = sessionCookie(adapter.name);
  let g: GatewayApp;
  let api: string;
  let upgrades: ReturnType<typeof recordUpgrades>;
  let pages: SignedInPages;

  beforeAll(async () => {
    const ownPort = await freePort();
    g = await startGatewayApp(adapter, 'NestFactory', CorsModule.forRoot(gatewayCorsOptions(origins, true)), socketIoGateways(origins, ownPort, connections), ownPort, { logger });
    api = g.base.replace('127.0.0.1', 'localhost');
    upgrades = recordUpgrades(g.app.getHttpServer());
    // Both pages' requests carry the logged-in user's session cookie.
    pages = await openSignedInPages(browser, cookie, origins);
  }, 30_000);

  afterAll(async () => {
    await pages?.context.close();
    await g?.app.close();
  });

  const refusals = () => logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);
  const from = (origin: string) => connections.filter((c) => c.origin === origin);

  it('the allowed page exchanges a message over polling, with extraHeaders and its cookie', async () => {
    const before = connections.length;
    const outcome = await connectInPage(pages.allowed, api, 'polling', { extraHeaders: { 'x-token': 'from-the-page' } });
    expect(outcome).toEqual({ ok: true, transport: 'polling', reply: { by: 'chat', echoed: 'hello over polling' } });
    const [seen] = connections.slice(before);
    expect(seen).toMatchObject({ gateway: 'chat', origin: origins.allowed });
    expect(seen.cookie).toContain(`${cookie.name}=${cookie.value}`);
  });

  it('the allowed page exchanges a message over websocket, with its cookie', async () => {
    const before = connections.length;
    const outcome = await connectInPage(pages.allowed, api, 'websocket');
    expect(outcome).toEqual({ ok: true, transport: 'websocket', reply: { by: 'chat', echoed: 'hello over websocket' } });
    expect(connections.slice(before)[0].cookie).toContain(`${cookie.name}=${cookie.value}`);
  });

  it('the allowed page reaches a namespace and a gateway on its own port', async () => {
    await expect(connectInPage(pages.allowed, `${api}/news`, 'websocket')).resolves.toMatchObject({ ok: true, reply: { by: 'news' } });
    const own = g.ownBase.replace('127.0.0.1', 'localhost');
    await expect(connectInPage(pages.allowed, own, 'polling', { withCredentials: false })).resolves.toMatchObject({ ok: true, reply: { by: 'own-port' } });
    // Its policy (forRoot's, with its own origins) sends no Access-Control-Allow-Credentials,
    // so the browser refuses a credentialed poll: the headers are the policy's, not a blanket pass.
    await expect(connectInPage(pages.allowed, own, 'polling')).resolves.toEqual({ ok: false, error: 'xhr poll error' });
  });

  it.each(['polling', 'websocket'] as const)('the refused page never gets a socket over %s, and the server says why', async (transport) => {
    const before = { logs: refusals().length, upgrades: upgrades.length };
    const outcome = await connectInPage(pages.refused, api, transport, transport === 'polling' ? { extraHeaders: { 'x-token': 'stolen' } } : {});
    expect(outcome).toEqual({ ok: false, error: transport === 'polling' ? 'xhr poll error' : 'websocket error' });
    expect(from(origins.refused)).toEqual([]);
    const logged = refusals().slice(before.logs);
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(line).toContain(`from ${origins.refused}`);
    if (transport === 'websocket') {
      // The browser did send the upgrade, and the user's cookie with it: only the Origin check stopped it.
      const sent = upgrades.slice(before.upgrades);
      expect(sent).toEqual([{ origin: origins.refused, cookie: expect.stringContaining(`${cookie.name}=${cookie.value}`) }]);
      expect(logged).toEqual([expect.stringMatching(/^CORS refused WebSocket upgrade GET \/socket\.io\/ to ChatGateway, NewsGateway from .* \(403\)/)]);
    } else {
      expect(logged[0]).toMatch(/^CORS refused (preflight for )?socket\.io polling request /);
    }
  });

  it('without @CrossOrigin the same refused page opens a socket with the cookie: the hijacking the check stops', async () => {
    // PlainGateway keeps socket.io's own cors option, which only sets headers: a WebSocket
    // needs no CORS, so the refused page gets in as the logged-in user.
    const before = connections.length;
    const outcome = await connectInPage(pages.refused, api, 'websocket', { path: '/plain' });
    expect(outcome).toEqual({ ok: true, transport: 'websocket', reply: { by: 'plain', echoed: 'hello over websocket' } });
    const [seen] = connections.slice(before);
    expect(seen).toMatchObject({ gateway: 'plain', origin: origins.refused });
    expect(seen.cookie).toContain(`${cookie.name}=${cookie.value}`);
  });
});
