// expectCors(): what a browser would decide about a cross-origin call to an app, for users' own tests.
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CORS_SAFELISTED_METHODS, corsCheck, corsUnsafeRequestHeaderNames, preflightCheck, type HeaderGet } from '../fetch/cors-check.js';
import { isInitialised } from '../nest/init-state.js';

/** What a browser would decide about a cross-origin call, and why. */
export interface CorsVerdict {
  /** Whether the script could read the response (for a preflight: whether the browser would go on). */
  readonly allowed: boolean;
  /** Why it would be blocked, in the words of the Fetch standard's checks; absent when allowed. */
  readonly reason?: string;
  /** The status the server answered (a script sees it only when `allowed`). */
  readonly status: number;
  /** Every response header, as the server sent them. */
  readonly headers: IncomingHttpHeaders;
  /** The preflight the browser sent first, when it would send one. */
  readonly preflight?: CorsVerdict;
}

/** The preflight a page's `fetch` would make: who asks, for which method, with which headers. */
export interface PreflightOptions {
  /** The page's origin, sent as `Origin`. */
  readonly origin: string;
  /** The method the page wants to use (sent as Access-Control-Request-Method). */
  readonly method: string;
  /** Request header names the page sets that are not CORS-safelisted. */
  readonly headers?: readonly string[];
  /** `credentials: 'include'`. (default: `false`) */
  readonly credentials?: boolean;
}

/** A cross-origin `fetch` as a page would make it. */
export interface FetchOptions {
  /** The page's origin, sent as `Origin`. */
  readonly origin: string;
  /** (default: `GET`) */
  readonly method?: string;
  /** Request headers the page sets, with their values (they decide whether a preflight is needed). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request body, if any. */
  readonly body?: string;
  /** `credentials: 'include'`. (default: `false`) */
  readonly credentials?: boolean;
}

interface HttpServerHolder {
  getHttpServer(): Server;
  getHttpAdapter?(): object;
}

interface AdapterLike {
  getType?(): string;
  getInstance?(): { ready?(): PromiseLike<unknown> };
}

/** The app was created but `init()` never ran: it has no routes yet, so it cannot be described. */
function assertInitialised(target: HttpServerHolder | Server): void {
  if (!('getHttpAdapter' in target) || typeof target.getHttpAdapter !== 'function') return;
  if (isInitialised(target.getHttpAdapter()) !== false) return;
  throw new Error(
    'expectCors: the app has not been initialised; call `await app.init()` (or `app.listen()`) first. ' +
      'Until then Nest has registered no route, so every request would get a 404 and the verdict would describe an empty app.',
  );
}

/** Node's parsed headers read as the Fetch standard's "get" reads a header list. */
function getter(headers: IncomingHttpHeaders): HeaderGet {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

function send(server: Server, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const address = server.address() as AddressInfo;
    const req = httpRequest({ host: '127.0.0.1', port: address.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Asks a Nest app (or a Node HTTP server) what a browser would decide about a cross-origin
 * call, applying the Fetch standard's CORS checks to the real responses. For a user's own
 * tests as much as ours: `allowed` is the verdict, `reason` says why a call would be blocked.
 *
 * The app must have been initialised (`await app.init()`, or `listen()`); on a Nest app with
 * `CorsModule` that was not, every call rejects with an error saying so. (A bare Node server
 * cannot be checked for that: pass the app itself.) A Fastify app is made ready first.
 *
 * @example
 * ```ts
 * const verdict = await expectCors(app).preflight('/cats', { origin: 'https://app.example', method: 'PUT', headers: ['x-api-key'] });
 * expect(verdict.reason).toBeUndefined();
 * ```
 * @publicApi
 */
export function expectCors(target: HttpServerHolder | Server) {
  const server = 'getHttpServer' in target ? target.getHttpServer() : target;

  async function withServer<T>(run: () => Promise<T>): Promise<T> {
    assertInitialised(target);
    // Fastify answers nothing until ready(), which Nest's init() does not call (listen() does):
    // without it every request would hang. ready() is idempotent.
    const adapter = 'getHttpAdapter' in target ? (target.getHttpAdapter?.() as AdapterLike | undefined) : undefined;
    if (adapter?.getType?.() === 'fastify') await adapter.getInstance?.().ready?.();
    if (server.listening) return run();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      return await run();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async function preflightNow(path: string, o: PreflightOptions): Promise<CorsVerdict> {
    const credentials = o.credentials === true;
    const requested = (o.headers ?? []).map((h) => h.toLowerCase()).sort();
    const headers: Record<string, string> = { origin: o.origin, 'access-control-request-method': o.method };
    if (requested.length) headers['access-control-request-headers'] = requested.join(',');
    const res = await send(server, 'OPTIONS', path, headers);
    const verdict = (reason?: string): CorsVerdict => ({ allowed: reason === undefined, reason, status: res.status, headers: res.headers });
    return verdict(preflightCheck(res.status, getter(res.headers), { origin: o.origin, method: o.method, headers: requested, credentials }));
  }

  return {
    /** Sends the preflight a browser would send, and checks it as the browser would. */
    preflight(path: string, options: PreflightOptions): Promise<CorsVerdict> {
      return withServer(() => preflightNow(path, options));
    },

    /** Runs a whole cross-origin `fetch`: the preflight when one is needed, then the request. */
    fetch(path: string, options: FetchOptions): Promise<CorsVerdict> {
      return withServer(async () => {
        const method = (options.method ?? 'GET').toUpperCase();
        const credentials = options.credentials === true;
        const pageHeaders = options.headers ?? {};
        const unsafe = corsUnsafeRequestHeaderNames(Object.entries(pageHeaders));
        let preflight: CorsVerdict | undefined;
        if (!CORS_SAFELISTED_METHODS.has(method) || unsafe.length > 0) {
          preflight = await preflightNow(path, { origin: options.origin, method, headers: unsafe, credentials });
          if (!preflight.allowed) return { ...preflight, allowed: false, preflight };
        }
        const res = await send(server, method, path, { ...pageHeaders, origin: options.origin }, options.body);
        const reason = corsCheck(getter(res.headers), options.origin, credentials);
        return { allowed: reason === undefined, reason, status: res.status, headers: res.headers, preflight };
      });
    },
  };
}
