import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { resolveChromium } from './chromium.js';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Launches the system's Chromium (`CHROMIUM_PATH`, else the usual places); fails if there is none. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: resolveChromium(), args: CHROMIUM_ARGS, timeout: 20_000 });
}

/** Files a page server hands out besides its page, by path; its scripts are loaded by the page. */
export type PageAssets = Readonly<Record<string, { readonly type: string; readonly body: string | Buffer }>>;

/**
 * A server that only hands out an empty HTML document (and any `assets`), so a page gets a
 * real origin to run fetch() from. The API it calls lives elsewhere, which is what makes the
 * calls cross-origin.
 */
export async function startPageServer(assets: PageAssets = {}): Promise<{ port: number; close(): Promise<void> }> {
  const head = Object.keys(assets).filter((path) => path.endsWith('.js')).map((path) => `<script src="${path}"></script>`).join('');
  const server = createServer((req, res) => {
    const asset = req.url && Object.hasOwn(assets, req.url) ? assets[req.url] : undefined;
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      res.end(asset.body);
      return;
    }
    if (req.url === '/favicon.ico') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html><head><title>cors page</title>${head}</head><body></body></html>`);
  });
  const port = await listenOn(server);
  return { port, close: () => closeServer(server) };
}

function listenOn(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A signed-in user's session cookie for the API. */
export interface SessionCookie {
  readonly name: string;
  readonly value: string;
}

/** A session cookie named after `label` (an adapter), with a random value, so a match at the server is this suite's cookie. */
export function sessionCookie(label: string): SessionCookie {
  return { name: `session_${label.toLowerCase()}`, value: Math.random().toString(36).slice(2) };
}

/** A browser context holding the user's session cookie, with a page open on each origin. */
export interface SignedInPages {
  readonly context: BrowserContext;
  /** The page on the origin the API allows. */
  readonly allowed: Page;
  /** The page on the origin the API refuses. */
  readonly refused: Page;
}

/**
 * Signs the user in (the session cookie for localhost, SameSite=Lax) and opens one page on each
 * origin. Pages and API are all on localhost, differing in port: cross-origin yet same-site, so
 * the browser sends the cookie with the refused page's requests and upgrades too.
 */
export async function openSignedInPages(browser: Browser, cookie: SessionCookie, origins: { readonly allowed: string; readonly refused: string }): Promise<SignedInPages> {
  const context = await browser.newContext();
  try {
    await context.addCookies([{ ...cookie, domain: 'localhost', path: '/', sameSite: 'Lax' }]);
    const [allowed, refused] = await Promise.all([context.newPage(), context.newPage()]);
    await Promise.all([allowed.goto(`${origins.allowed}/`), refused.goto(`${origins.refused}/`)]);
    return { context, allowed, refused };
  } catch (error) {
    // The caller never gets the context to close, so it is closed here.
    await context.close();
    throw error;
  }
}

/** One request as the API server received it, before any framework code ran. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly tag: string | null;
  readonly origin: string | undefined;
  readonly cookie: string | undefined;
}

/**
 * Starts a Nest app on a free port and records every request at the raw node server, so a test
 * can tell a preflight the browser sent from one it answered out of its preflight cache, and an
 * actual request the browser never sent from one the server refused.
 *
 * Both adapters listen on 127.0.0.1 and are called as http://localhost:<port>, so page and API
 * differ in host (cross-origin) while cookies still flow between localhost origins (same-site).
 */
export async function listenAndRecord(app: INestApplication): Promise<{ base: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = app.getHttpServer() as Server;
  server.on('request', (req: IncomingMessage) => {
    const url = new URL(req.url ?? '/', 'http://recorder.invalid');
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      tag: url.searchParams.get('t'),
      origin: req.headers.origin,
      cookie: req.headers.cookie,
    });
  });
  await app.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { base: `http://localhost:${port}`, seen };
}

/** `METHOD /path` for each request carrying `?t=<tag>`, in arrival order. */
export function requestsTagged(seen: readonly SeenRequest[], tag: string): string[] {
  return seen.filter((r) => r.tag === tag).map((r) => `${r.method} ${r.path}`);
}

/** A fetch() the page makes. */
export interface Call {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  /** Response headers the script tries to read; unreadable ones come back as null. */
  readonly read?: readonly string[];
}

/** What the page's script was allowed to see. */
export type Outcome =
  | { readonly ok: true; readonly status: number; readonly body: string; readonly headers: Record<string, string | null> }
  | { readonly ok: false; readonly error: string; readonly message: string };

/**
 * Runs the calls inside the page and reports what the browser let the script see. A CORS
 * failure surfaces as a TypeError; every fetch also has an abort deadline so a hung server
 * shows up as a TimeoutError rather than a stalled suite, and cannot pass for a CORS refusal.
 * The fetch cache mode stays at its default: Chromium skips its preflight cache for 'no-store'
 * and 'no-cache', which would make a maxAge test pass or fail for the wrong reason.
 */
export function fetchInPage(page: Page, calls: readonly Call[], opts: { sequential?: boolean } = {}): Promise<Outcome[]> {
  return page.evaluate(
    async ({ calls, sequential }) => {
      const one = async (c: (typeof calls)[number]) => {
        try {
          const headers: Record<string, string> = { ...(c.headers ?? {}) };
          let body: string | undefined;
          if (c.json !== undefined) {
            headers['content-type'] = 'application/json';
            body = JSON.stringify(c.json);
          }
          const res = await fetch(c.url, {
            method: c.method ?? 'GET',
            headers,
            body,
            credentials: c.credentials ?? 'same-origin',
            signal: AbortSignal.timeout(5_000),
          });
          const text = await res.text();
          const read: Record<string, string | null> = {};
          for (const name of c.read ?? []) read[name] = res.headers.get(name);
          return { ok: true as const, status: res.status, body: text, headers: read };
        } catch (e) {
          const err = e as Error;
          return { ok: false as const, error: err?.name ?? String(e), message: err?.message ?? '' };
        }
      };
      if (!sequential) return Promise.all(calls.map(one));
      const out = [];
      for (const c of calls) out.push(await one(c));
      return out;
    },
    { calls: calls as Call[], sequential: !!opts.sequential },
  ) as Promise<Outcome[]>;
}

/** Narrows an outcome to a readable response, failing with what the browser said otherwise. */
export function readable(outcome: Outcome): Extract<Outcome, { ok: true }> {
  if (!outcome.ok) throw new Error(`expected a readable response, the browser refused it: ${outcome.error}: ${outcome.message}`);
  return outcome;
}

/** The shape of a fetch the browser refused for CORS: a TypeError, not a timeout. */
export const REFUSED = { ok: false, error: 'TypeError' } as const;

let counter = 0;
/** A tag unique to the process, so each test's URLs miss any preflight cached by an earlier one. */
export function freshTag(label: string): string {
  counter += 1;
  return `${label}-${counter}`;
}
