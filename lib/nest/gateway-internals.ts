// Every @nestjs/websockets, socket.io and ws detail the gateway support relies on beyond their
// documented APIs lives in this file, and each has a canary in
// test/e2e/gateway-internals.e2e-spec.ts that fails loudly when a release changes it.
// Nothing here imports those packages: an HTTP-only app has none of them installed.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { ApplicationConfig } from '@nestjs/core';

/**
 * The metadata keys `@WebSocketGateway()` writes (`@nestjs/websockets/constants.js`:
 * `GATEWAY_METADATA`, `PORT_METADATA`, `GATEWAY_OPTIONS`). Spelled out rather than imported,
 * so the library loads without `@nestjs/websockets`.
 */
export const NEST_GATEWAY_KEYS = Object.freeze({
  gateway: 'websockets:is_gateway',
  port: 'port',
  options: 'websockets:gateway_options',
});

/** What `@WebSocketGateway(port?, options?)` declared on a class. */
export interface GatewayMetadata {
  /** `0` for the app's own HTTP server. */
  readonly port: number;
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * The gateway metadata of a class, read the way `SocketModule` and `WebSocketsController`
 * read it when they connect gateways, or `null` when the class is no gateway. This is also
 * how to tell a gateway class apart from a provider or a controller.
 */
export function readGatewayMetadata(target: Function): GatewayMetadata | null {
  if (!Reflect.getMetadataKeys(target).includes(NEST_GATEWAY_KEYS.gateway)) return null;
  const options = (Reflect.getMetadata(NEST_GATEWAY_KEYS.options, target) as Record<string, unknown> | undefined) || {};
  const port = (Reflect.getMetadata(NEST_GATEWAY_KEYS.port, target) as number | undefined) || 0;
  return { port, options };
}

/** A WebSocket adapter as `@nestjs/websockets` drives it (`WebSocketAdapter.create`, public). */
export interface SocketAdapter {
  create(port: number, options?: Record<string, unknown>): unknown;
}

/**
 * Calls `onAdapter` each time Nest fetches the app's WebSocket adapter. `SocketModule`,
 * `WebSocketsController` and `SocketServerProvider` all ask `ApplicationConfig.getIoAdapter()`
 * for it while `app.init()` connects gateways, whether the app installed one with
 * `useWebSocketAdapter()` or Nest created its default `IoAdapter`. `ApplicationConfig` is
 * exported by `@nestjs/core` and every module provides the app's instance.
 */
export function watchAdapterLookups(config: ApplicationConfig, onAdapter: (adapter: SocketAdapter) => void): void {
  const original = config.getIoAdapter;
  config.getIoAdapter = function getIoAdapterSeenByCors(this: ApplicationConfig) {
    const adapter = original.call(this);
    if (adapter) onAdapter(adapter as unknown as SocketAdapter);
    return adapter;
  } as ApplicationConfig['getIoAdapter'];
}

const INTERCEPTED = new WeakSet<object>();

/**
 * Routes the adapter's `create(port, options)` through `around`, once per adapter. Nest calls
 * `create` once per socket server with the gateway options minus `namespace` and `server`,
 * then again with `{ namespace, server }` for each namespace of a server it already made.
 */
export function interceptCreate(
  adapter: SocketAdapter,
  around: (port: number, options: Record<string, unknown> | undefined, create: SocketAdapter['create']) => unknown,
): void {
  if (INTERCEPTED.has(adapter)) return;
  INTERCEPTED.add(adapter);
  const original = adapter.create;
  adapter.create = function createSeenByCors(this: SocketAdapter, port: number, options?: Record<string, unknown>) {
    return around(port, options, (p, o) => original.call(this, p, o));
  };
}

/**
 * Whether the adapter makes socket.io servers: `IoAdapter` and its subclasses (the Redis
 * adapter recipe among them) have `createIOServer`, the documented override point. Duck-typed
 * because the class cannot be imported here, and a name check would not survive minification.
 */
export function isSocketIoAdapter(adapter: SocketAdapter): boolean {
  return typeof (adapter as { createIOServer?: unknown }).createIOServer === 'function';
}

/** An engine.io middleware (socket.io ≥ 4.6 `io.engine.use()`, documented). */
export type EngineMiddleware = (req: IncomingMessage, res: ServerResponse | object, next: (error?: unknown) => void) => void;

/**
 * The engine.io server under a socket.io server (or a namespace of one), whose `use()` runs a
 * middleware on every HTTP request and upgrade engine.io handles, before its own checks; or
 * `null` when there is none (socket.io before 4.6, or not socket.io).
 */
export function engineOf(server: unknown): { use(fn: EngineMiddleware): void } | null {
  const s = server as { engine?: { use?: unknown }; server?: { engine?: { use?: unknown } } } | null;
  const engine = s?.engine ?? s?.server?.engine;
  return engine && typeof engine.use === 'function' ? (engine as { use(fn: EngineMiddleware): void }) : null;
}

/**
 * Whether engine.io handed a middleware an upgrade: it passes a stand-in response object for
 * upgrades (`WebSocketResponse`, whose `writeHead` writes nothing), a real `ServerResponse`
 * for polling requests. The upgrade's raw socket is `req.socket`.
 */
export function isUpgradeResponse(res: ServerResponse | object): boolean {
  return !(res instanceof ServerResponse);
}

/** `ws`'s `verifyClient` (documented), async form: ws passes the Origin it read (`info.origin`). */
export type VerifyClient = (
  info: { origin: string | undefined; secure: boolean; req: IncomingMessage },
  callback: (verified: boolean, code?: number, message?: string) => void,
) => void;

/**
 * Whether a server created with `verifyClient` in its options is a `ws` server that will call
 * it: ws keeps its options as `server.options` and reads `verifyClient` from there on each
 * upgrade. `WsAdapter.create` passes the gateway options through to `new WebSocketServer()`.
 */
export function honoursVerifyClient(server: unknown, verify: VerifyClient): boolean {
  const s = server as { options?: { verifyClient?: unknown }; handleUpgrade?: unknown } | null;
  return typeof s?.handleUpgrade === 'function' && s.options?.verifyClient === verify;
}
