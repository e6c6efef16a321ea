// WebSocket upgrades that no @WebSocketGateway owns (GraphQL subscriptions over graphql-ws or
// subscriptions-transport-ws, Mercurius subscriptions): browsers apply no CORS to a WebSocket,
// so a page on any origin could open one with the user's cookies. The upgrade is an HTTP
// request to a path: it is checked against that path's policy (its `resources` entry, or
// forRoot's) and refused with 403 before any listener upgrades it. The same stand-in for the
// server's `emit` lets a platform answer a `request` before its framework sees it (Express
// preflights, `EarlyAnswers`), while the framework is the server's only `request` listener.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { decideHandshake, reasonOf, targetPath, type HandshakeDecision } from '../core/index.js';
import type { CorsRuntime } from './cors-runtime.js';
import { escapeForLog, formatGatewayRefusal } from './explain.js';
import { refuseUpgrade } from './gateway-checks.js';
import type { GatewayTable } from './gateway-table.js';

type Emit = (event: string | symbol, ...args: unknown[]) => boolean;

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * Whether a gateway on the app's own server owns an upgrade to `path`: socket.io serves its
 * path and everything under it (`/socket.io/` by default); Nest's WsAdapter serves its path
 * exactly (`/` by default). Those upgrades keep their gateway's own policy (or none).
 */
function ownedByGateway(table: GatewayTable, path: string): boolean {
  for (const server of table.servers) {
    if (server.port !== 0) continue;
    const own = trimSlash(server.path ?? (server.transport === 'ws' ? '/' : '/socket.io'));
    if (server.transport === 'ws' ? trimSlash(path) === own : path === own || path.startsWith(`${own}/`)) return true;
  }
  return false;
}

const CHECKED = new WeakSet<object>();

/**
 * Requests a platform answers at the HTTP server, before its framework sees them (Express
 * preflights): only while `listener` (the framework) is the server's only `request` listener,
 * so nothing that would have run first (engine.io's polling, another listener) is skipped.
 */
export interface EarlyAnswers {
  readonly listener: Function;
  /** Answers `req` when it can; `false` hands it to the listeners as usual. */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * Checks every upgrade the app's HTTP server receives before its `upgrade` listeners see it,
 * by standing in for the server's `emit` of that one event (every other event goes straight
 * through). Upgrades without an Origin (no browser sent them) and to paths with no policy pass
 * untouched; an async origin decision holds the upgrade until it settles (bounded by
 * `originTimeout`).
 */
export function installUpgradeCheck(server: unknown, runtime: CorsRuntime, gateways: GatewayTable, early?: EarlyAnswers): void {
  const s = server as (Server & { emit: Emit }) | null | undefined;
  if (!s || typeof s.emit !== 'function' || CHECKED.has(s)) return;
  CHECKED.add(s);
  const emit = s.emit;
  // Whether `early.listener` alone listens to `request`, worked out again after a change.
  let alone: boolean | undefined;
  if (early !== undefined) {
    const changed = (name: string | symbol) => {
      if (name === 'request') alone = undefined;
    };
    s.on('newListener', changed);
    s.on('removeListener', changed);
  }
  s.emit = function emitWithUpgradeCheck(this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request') {
      if (early !== undefined) {
        if (alone === undefined) {
          const listeners = this.rawListeners('request');
          alone = listeners.length === 1 && listeners[0] === early.listener;
        }
        if (alone && early.answer(args[0] as IncomingMessage, args[1] as ServerResponse)) return true;
      }
      return emit.call(this, event, ...args);
    }
    if (event !== 'upgrade') return emit.call(this, event, ...args);
    const [req, socket] = args as [IncomingMessage, Socket];
    const origin = req.headers.origin;
    const path = targetPath(req.url);
    if (!origin || ownedByGateway(gateways, path)) return emit.call(this, event, ...args);
    let decision: HandshakeDecision | Promise<HandshakeDecision>;
    const state = runtime.state;
    const target = state.onRequestPath(path);
    if (target.policy === null) return emit.call(this, event, ...args);
    const policy = target.policy;
    const proceed = (d: HandshakeDecision): void => {
      const refusal = d.kind === 'refuse' ? d.refusal : null;
      if (runtime.wantsEvent(refusal !== null)) {
        runtime.emit({ kind: 'gateway', method: 'GET', route: target.route, policy: 'resources', verdict: refusal ? 'refused' : 'allowed', reason: reasonOf(refusal, 'resources'), origin: escapeForLog(origin) });
      }
      if (d.kind !== 'refuse') {
        emit.call(this, event, ...args);
        return;
      }
      if (runtime.debug) {
        runtime.log(formatGatewayRefusal({
          kind: 'upgrade', status: 403, transport: 'ws', method: req.method ?? 'GET', path, origin,
          policyLabel: `resources[${JSON.stringify(target.route)}] (no @WebSocketGateway owns this path)`, policy, refusal: d.refusal,
        }));
      }
      refuseUpgrade(socket);
    };
    try {
      decision = decideHandshake(policy, { method: 'GET', origin, acrm: undefined, acrh: undefined, acrpn: undefined }, req, state.policies.originTimeout);
    } catch (error) {
      runtime.failed(error);
      refuseUpgrade(socket);
      return true;
    }
    if (decision instanceof Promise) {
      decision.then(proceed, (error: unknown) => {
        runtime.failed(error);
        refuseUpgrade(socket);
      });
      return true;
    }
    proceed(decision);
    return true;
  } as Emit;
}
