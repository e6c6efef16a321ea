import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

/** Bound on every socket step, so a hang fails with its own message instead of Jest's timeout. */
const STEP_MS = 3_000;

/** A port free right now, for gateways on their own port (decorators need it as a number). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface IoAttempt {
  readonly transports: ('polling' | 'websocket')[];
  /** Sent as `Origin` (Node's client sends none unless told), plus any extra headers. */
  readonly origin?: string;
  readonly headers?: Record<string, string>;
  readonly path?: string;
}

/**
 * Connects a socket.io client from Node, on the transports given and without upgrading, and
 * resolves once connected; rejects with the client's connect_error otherwise.
 */
export function connectIo(url: string, a: IoAttempt): Promise<Socket> {
  const extraHeaders = { ...(a.origin ? { origin: a.origin } : {}), ...(a.headers ?? {}) };
  const socket = io(url, {
    transports: a.transports, upgrade: false, reconnection: false, forceNew: true, timeout: STEP_MS,
    extraHeaders, ...(a.path ? { path: a.path } : {}),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** What a refused socket.io connection reported, e.g. `{ message: 'xhr poll error', status: 403 }`. */
export async function ioRefusal(url: string, a: IoAttempt): Promise<{ message: string; status: unknown }> {
  try {
    const socket = await connectIo(url, a);
    socket.close();
  } catch (e) {
    const error = e as Error & { description?: unknown; context?: { status?: unknown } };
    const d = error.description as { status?: unknown; message?: string } | number | undefined;
    const status = typeof d === 'number' ? d : (d?.status ?? error.context?.status);
    return { message: error.message, status };
  }
  throw new Error(`expected ${url} to refuse the connection from ${a.origin ?? 'no origin'}`);
}

/** Sends `echo` and waits for the gateway's acknowledgement. */
export function echo(socket: Socket, payload: unknown): Promise<unknown> {
  return socket.timeout(STEP_MS).emitWithAck('echo', payload);
}

/** How the server answered an upgrade: 101 and an open socket, or the status it refused with. */
export type UpgradeAnswer =
  | { readonly opened: true; readonly status: 101; readonly socket: WebSocket }
  | { readonly opened: false; readonly status: number; readonly body: string };

/** Opens a plain WebSocket with an Origin (or none), as a browser or a native client would. */
export function openWebSocket(url: string, origin?: string): Promise<UpgradeAnswer> {
  const socket = new WebSocket(url, origin ? { origin } : {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no answer to the upgrade of ${url} within ${STEP_MS} ms`));
    }, STEP_MS);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve({ opened: true, status: 101, socket });
    });
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ opened: false, status: res.statusCode ?? 0, body });
      });
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Sends one `ws` message in Nest's WsAdapter format and waits for the reply. */
export function wsExchange(socket: WebSocket, event: string, data: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${event} within ${STEP_MS} ms`)), STEP_MS);
    socket.once('message', (raw) => {
      clearTimeout(timer);
      resolve(JSON.parse(raw.toString()));
    });
    socket.send(JSON.stringify({ event, data }));
  });
}

/** One plain HTTP request (a socket.io polling request or its preflight), headers as given. */
export function httpCall(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, timeout: STEP_MS }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${STEP_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The URL of an engine.io handshake on `transport`, under `path` (socket.io's default). */
export function engineUrl(base: string, transport: 'polling' | 'websocket', path = '/socket.io'): string {
  const url = `${base}${path}/?EIO=4&transport=${transport}`;
  return transport === 'websocket' ? url.replace(/^http/, 'ws') : url;
}
