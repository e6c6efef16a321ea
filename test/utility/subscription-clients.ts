// Node clients for the subscription apps, as a browser page or a native client would connect:
// the real graphql-ws and subscriptions-transport-ws clients on `ws`, with an Origin (or none)
// and the user's Cookie, and a raw `ws` upgrade to read the status a refusal answers with.
import { createClient } from 'graphql-ws';
import { SubscriptionClient } from 'subscriptions-transport-ws';
import WebSocket from 'ws';
import { TICK_SUBSCRIPTION } from './subscription-apps.js';

/** Bound on every step, so a hang fails with its own message instead of Jest's timeout. */
const STEP_MS = 3_000;

/** What a browser (Origin, Cookie) or a native client (neither) sends with an upgrade. */
export interface Caller {
  readonly origin?: string;
  readonly cookie?: string;
}

function wsOptions(caller: Caller): WebSocket.ClientOptions {
  return { ...(caller.origin ? { origin: caller.origin } : {}), headers: caller.cookie ? { cookie: caller.cookie } : {} };
}

/** How an upgrade went: refused with a status before any socket, or opened and what came first. */
export type Upgrade =
  | { readonly opened: false; readonly status: number }
  | { readonly opened: true; readonly status: 101; readonly first: string | null };

/**
 * Opens a WebSocket to `url` with sub-protocol `protocol`, sends `hello` once open (a protocol's
 * `connection_init`), and reports the first message the server sends back (`connection_ack`,
 * a greeting), or null if it closes first.
 */
export function upgrade(url: string, caller: Caller, protocol?: string, hello?: unknown): Promise<Upgrade> {
  const socket = new WebSocket(url, protocol ? [protocol] : [], wsOptions(caller));
  return new Promise((resolve, reject) => {
    const done = (answer: Upgrade) => {
      clearTimeout(timer);
      socket.terminate();
      resolve(answer);
    };
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no answer to the upgrade of ${url} within ${STEP_MS} ms`));
    }, STEP_MS);
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      done({ opened: false, status: res.statusCode ?? 0 });
    });
    socket.once('open', () => {
      if (hello !== undefined) socket.send(JSON.stringify(hello));
    });
    socket.once('message', (data) => done({ opened: true, status: 101, first: data.toString() }));
    socket.once('close', () => done({ opened: true, status: 101, first: null }));
    // `on`, not `once`: terminate() after a refusal may report one more error, which must not go unhandled.
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** What a subscription delivered before it ended: its events, or the error it ended with. */
export interface Delivery {
  readonly events: unknown[];
  readonly error?: string;
}

/** A `ws` WebSocket class that always sends the caller's Origin and Cookie. */
function webSocketFor(caller: Caller) {
  return class CallerWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, wsOptions(caller));
    }
  };
}

/**
 * Collects a subscription's events until it completes, errors or runs past STEP_MS, then closes
 * its client, once: a client may report its end more than once (an error, then a disconnect).
 * `subscribe` starts it, given where events go and how it ends.
 */
function collect(close: () => void, subscribe: (next: (value: unknown) => void, end: (error?: unknown) => void) => void): Promise<Delivery> {
  const events: unknown[] = [];
  return new Promise((resolve) => {
    let settled = false;
    const end = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close();
      resolve(error === undefined ? { events } : { events, error: describe(error) });
    };
    const timer = setTimeout(() => end(new Error(`no end within ${STEP_MS} ms`)), STEP_MS);
    subscribe((value) => events.push(value), end);
  });
}

/** Subscribes with graphql-ws's own client (protocol graphql-transport-ws) and collects until it ends. */
export function subscribeGraphqlWs(url: string, caller: Caller): Promise<Delivery> {
  const client = createClient({ url, webSocketImpl: webSocketFor(caller), retryAttempts: 0, lazy: true });
  return collect(() => void client.dispose(), (next, end) => {
    client.subscribe({ query: TICK_SUBSCRIPTION }, { next, error: end, complete: () => end() });
  });
}

/** Subscribes with subscriptions-transport-ws's own client (protocol graphql-ws) and collects until it ends. */
export function subscribeLegacy(url: string, caller: Caller): Promise<Delivery> {
  const client = new SubscriptionClient(url, { reconnect: false, timeout: STEP_MS, wsOptionArguments: [wsOptions(caller)] }, WebSocket);
  return collect(() => client.close(), (next, end) => {
    client.onError((e) => end(e));
    client.onDisconnected(() => end(new Error('disconnected')));
    client.request({ query: TICK_SUBSCRIPTION }).subscribe({ next, error: end, complete: () => end() });
  });
}

/** A readable description of whatever a client ended with (an Error, a CloseEvent, an ErrorEvent). */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  const e = error as { code?: number; reason?: string; message?: string; type?: string };
  if (typeof e?.code === 'number') return `closed ${e.code}${e.reason ? ` ${e.reason}` : ''}`;
  return e?.message ?? e?.type ?? String(error);
}
