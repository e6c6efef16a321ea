// CorsGateways: gives every @WebSocketGateway with @CrossOrigin its origin check when Nest creates the gateway's server.
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { CorsConfigError, type CorsModuleOptions, type OptionSources, type ResolvedCorsOptions, type RootLabel } from '../core/index.js';
import { CORS_MODULE_OPTIONS } from './cors-module-options.interface.js';
import { CorsInstaller } from './cors.installer.js';
import { escapeForLog, formatGatewayRefusal } from './explain.js';
import { socketIoOriginCheck, wsOriginCheck, type GatewayReporting } from './gateway-checks.js';
import {
  engineOf, honoursVerifyClient, interceptCreate, isSocketIoAdapter, watchAdapterLookups, type SocketAdapter,
} from './gateway-internals.js';
import type { GatewayServer, GatewayTable, GatewayTransport } from './gateway-table.js';
import { describeOptions } from './route-report.js';

/** The CORS of one WebSocket gateway, as `CorsService.gateways()` reports it. */
export interface GatewayPolicyReport {
  /** The gateway class's name. */
  readonly gateway: string;
  /** `0` for the app's own HTTP server, else the gateway's own port. */
  readonly port: number;
  /** `path` as the gateway options give it, or `null` for the transport's default. */
  readonly path: string | null;
  /** The socket.io namespace, or `null` for none. */
  readonly namespace: string | null;
  /** What Nest created for it in `app.init()`; `null` before, or in an app context that connects no gateways. */
  readonly transport: GatewayTransport | null;
  /** `decorator` (`@CrossOrigin`) or `own` (no decorator: left to its own options, untouched). */
  readonly kind: 'decorator' | 'own';
  /** The options in force, or `null` for a gateway without `@CrossOrigin`. */
  readonly options: ResolvedCorsOptions | null;
  /** For each option: `default`, `forRoot`, `gateway` or `policy:<name>`; `null` without `@CrossOrigin`. */
  readonly sources: OptionSources | null;
}

/** App configurations whose adapter lookups are watched: one per app, however often the module is imported. */
const WATCHED = new WeakSet<object>();

function describeNamespace(namespace: unknown): string | null {
  if (namespace === undefined || namespace === null || namespace === '') return null;
  if (typeof namespace === 'string') return namespace;
  if (namespace instanceof RegExp) return String(namespace);
  return '[dynamic namespace]';
}

function transportOf(adapter: SocketAdapter, server: unknown): GatewayTransport {
  if (isSocketIoAdapter(adapter)) return 'socket.io';
  return typeof (server as { handleUpgrade?: unknown } | null)?.handleUpgrade === 'function' ? 'ws' : 'other';
}

function unsupported(server: GatewayServer, adapter: SocketAdapter, why: string): CorsConfigError {
  return new CorsConfigError([{
    where: server.label, option: '@CrossOrigin', value: adapter.constructor?.name ?? typeof adapter, reason: 'incompatible',
    detail: `${why}: CorsModule checks origins on gateways served by @nestjs/platform-socket.io (IoAdapter) or @nestjs/platform-ws (WsAdapter)`,
  }]);
}

/**
 * Gives every `@WebSocketGateway` with `@CrossOrigin` its origin check (README "WebSockets"), when Nest
 * creates the gateway's server during `app.init()`: socket.io gets an engine.io middleware,
 * `ws` a `verifyClient`. Gateways without `@CrossOrigin` are passed through untouched.
 * Registered by `CorsModule`.
 */
@Injectable()
export class CorsGateways implements OnApplicationBootstrap {
  private readonly logger = new Logger('CorsModule');
  private readonly table: GatewayTable;
  private readonly reporting: GatewayReporting;
  private readonly debug: boolean;
  /** The call that wrote the forRoot level, for the start-up table's words. */
  private readonly root: RootLabel;
  private adapterSeen = false;

  constructor(@Inject(CORS_MODULE_OPTIONS) options: CorsModuleOptions, installer: CorsInstaller, config: ApplicationConfig) {
    this.table = installer.gateways;
    const runtime = installer.runtime;
    this.root = runtime.state.policies.label;
    this.debug = options?.debug === true;
    this.reporting = {
      // Read per refusal: a reconfiguration may turn explain mode on or off.
      onRefusal: (r) => {
        if (runtime.debug) this.logger.warn(formatGatewayRefusal(r));
      },
      runtime,
      onError: (error) => this.logger.error(
        `CORS origin check of a gateway failed; the request was refused: ${escapeForLog(String((error as Error)?.stack ?? error))}`),
    };
    // Providers exist before app.init() connects gateways, so the adapter (the app's own, or
    // the IoAdapter Nest makes) is caught the first time Nest asks for it.
    if (this.table.gateways.length === 0 || WATCHED.has(config)) return;
    WATCHED.add(config);
    watchAdapterLookups(config, (adapter) => {
      this.adapterSeen = true;
      interceptCreate(adapter, (port, options, create) => this.createServer(adapter, port, options, create));
    });
  }

  private createServer(adapter: SocketAdapter, port: number, options: Record<string, unknown> | undefined, create: SocketAdapter['create']): unknown {
    // A namespace added to a server made earlier: that server's check covers it.
    if (options?.server !== undefined) return create(port, options);
    const server = this.table.serverAt(port, options?.path);
    if (!server || server.policy === null) {
      const made = create(port, options);
      if (server) server.transport = transportOf(adapter, made);
      return made;
    }
    const checked = { policy: () => server.policy!, label: server.label };
    if (isSocketIoAdapter(adapter)) {
      const made = create(port, options);
      const engine = engineOf(made);
      if (!engine) throw unsupported(server, adapter, 'its socket.io server has no engine.use() (socket.io 4.6 or later is needed)');
      engine.use(socketIoOriginCheck(checked, this.reporting));
      server.transport = 'socket.io';
      return made;
    }
    const verify = wsOriginCheck(checked, options?.verifyClient, this.reporting);
    const made = create(port, { ...options, verifyClient: verify });
    if (!honoursVerifyClient(made, verify)) throw unsupported(server, adapter, 'the WebSocket adapter made a server that ignores verifyClient');
    server.transport = 'ws';
    return made;
  }

  /**
   * Fails start-up if a gateway with `@CrossOrigin` got a server that never came through the
   * adapter's `create()`: its origins would go unchecked, so the app must not run.
   */
  onApplicationBootstrap(): void {
    if (this.adapterSeen) {
      const missed = this.table.servers.filter((s) => s.policy !== null && s.transport === null);
      if (missed.length > 0) {
        throw new Error(
          `nest-cross-origin: ${missed.map((s) => s.label).join('; ')} ha${missed.length === 1 ? 's' : 've'} @CrossOrigin, but Nest created the socket server without the WebSocket adapter's create(), so its origins could not be checked. This @nestjs/websockets release is not supported.`);
      }
    }
    if (this.debug && this.table.gateways.length > 0) for (const line of this.tableLines()) this.logger.log(line);
  }

  /** Every gateway of the app with its policy, in discovery order. */
  reports(): GatewayPolicyReport[] {
    return this.table.gateways.map((g) => ({
      gateway: g.name,
      port: g.port,
      path: g.path ?? null,
      namespace: describeNamespace(g.namespace),
      transport: this.table.serverAt(g.port, g.path)?.transport ?? null,
      kind: g.decorated ? 'decorator' : 'own',
      options: g.policy?.options ?? null,
      sources: g.policy?.sources ?? null,
    }));
  }

  private tableLines(): string[] {
    const reports = this.reports();
    const lines = [`CORS policies of ${reports.length} gateway${reports.length === 1 ? '' : 's'}:`];
    for (const r of reports) {
      const where = [r.transport ?? 'not created', r.port === 0 ? "the app's port" : `port ${r.port}`, `path ${r.path ?? 'default'}`];
      if (r.namespace !== null) where.push(`namespace ${r.namespace}`);
      const head = `  ${r.gateway} (${where.join(', ')})`;
      lines.push(r.options && r.sources ? `${head}: ${describeOptions(r.options, r.sources, this.root, false)}` : `${head}: no @CrossOrigin, left to its own options`);
    }
    return lines;
  }
}
