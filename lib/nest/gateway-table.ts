// The app's @WebSocketGateway classes, their policies, and the socket servers Nest will make for them.
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { POLICY_KEYS, type CorsPolicy, type CrossOriginLevel, type PolicySet } from '../core/index.js';
import { CROSS_ORIGIN_METADATA } from './cors.constants.js';
import { readGatewayMetadata } from './gateway-internals.js';

/** One `@WebSocketGateway` class of the app, with its policy compiled at start-up. */
export interface GatewayEntry {
  readonly name: string;
  readonly port: number;
  /** `path` as the gateway options give it (`undefined`: the transport's default). */
  readonly path: string | undefined;
  readonly namespace: unknown;
  /** Whether the class has `@CrossOrigin`. */
  readonly decorated: boolean;
  /** The `@CrossOrigin` policy, or `null` for a gateway left to its own options (replaced by a reconfiguration). */
  policy: CorsPolicy | null;
}

/** What a socket server turned out to be once Nest made it. */
export type GatewayTransport = 'socket.io' | 'ws' | 'other';

/**
 * The gateways one socket server serves. Nest makes one server per (port, path) and adds
 * each gateway's namespace to it, so its origin check, made when a connection opens and
 * before any namespace is known, has to be the same for all of them.
 */
export interface GatewayServer {
  readonly port: number;
  readonly path: string | undefined;
  readonly gateways: readonly GatewayEntry[];
  /** Shared by every gateway of the server (checked at start-up), or `null` for none; replaced by a reconfiguration. */
  policy: CorsPolicy | null;
  /** `Gateway` or `GatewayA, GatewayB`, as logs name the server. */
  readonly label: string;
  /** Set when Nest creates the server, during `app.init()`. */
  transport: GatewayTransport | null;
}

/** The key Nest's `SocketsContainer` files a server under: its port and path. */
function serverKey(port: number, path: unknown): string {
  return JSON.stringify([port, path ?? null]);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof RegExp && b instanceof RegExp) return a.source === b.source && a.flags === b.flags;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return false;
}

/** Whether two gateways can share a server's origin check; a policy that failed to compile was reported already. */
function samePolicy(a: GatewayEntry, b: GatewayEntry): boolean {
  if (a.decorated !== b.decorated) return false;
  if (a.policy === null || b.policy === null || a.policy === b.policy) return true;
  const pa = a.policy;
  const pb = b.policy;
  return POLICY_KEYS.every((key) => sameValue(pa.options[key], pb.options[key]));
}

/** Every gateway of an app and the servers Nest will make for them. */
export class GatewayTable {
  private readonly byKey = new Map<string, GatewayServer>();

  constructor(readonly gateways: readonly GatewayEntry[], readonly servers: readonly GatewayServer[]) {
    for (const s of servers) this.byKey.set(serverKey(s.port, s.path), s);
  }

  /** The server Nest is creating for (port, path), as `adapter.create()` receives them. */
  serverAt(port: number, path: unknown): GatewayServer | undefined {
    return this.byKey.get(serverKey(port, path));
  }

  /**
   * Takes the policies of a table built from the same gateways under new options (a
   * reconfiguration): each server's check reads its policy per request, so this is the swap.
   */
  adopt(next: GatewayTable): void {
    this.gateways.forEach((g, i) => {
      g.policy = next.gateways[i]?.policy ?? g.policy;
    });
    for (const server of this.servers) {
      const fresh = next.serverAt(server.port, server.path);
      if (fresh) server.policy = fresh.policy;
    }
  }
}

/**
 * Finds the app's gateways and compiles their `@CrossOrigin` policies into `policies`, whose
 * issues are thrown with every other start-up problem (README "Validation at start-up", "WebSockets").
 */
export function findGateways(discovery: DiscoveryService, scanner: MetadataScanner, policies: PolicySet): GatewayTable {
  const seen = new Set<Function>();
  const entries: GatewayEntry[] = [];
  for (const wrapper of discovery.getProviders()) {
    const target = wrapper.metatype as Function | undefined;
    if (!target || typeof target !== 'function' || wrapper.isNotMetatype || seen.has(target)) continue;
    const metadata = readGatewayMetadata(target);
    if (!metadata) continue;
    seen.add(target);
    const name = target.name || 'AnonymousGateway';
    checkMethods(target, name, scanner, policies);
    const value = Reflect.getMetadata(CROSS_ORIGIN_METADATA, target) as CrossOriginLevel;
    const options = metadata.options;
    if (value === false) {
      policies.issues.add({
        where: name, option: '@CrossOrigin', value, reason: 'invalid',
        detail: 'false means nothing on a gateway: remove @CrossOrigin to leave the gateway to its own options, or give it the origins it accepts',
      });
    } else if (value !== undefined && options.cors !== undefined) {
      policies.issues.add({
        where: name, option: 'cors', value: options.cors, reason: 'incompatible',
        detail: 'the gateway has @CrossOrigin and its own socket.io cors option: remove cors from @WebSocketGateway(), @CrossOrigin gives the gateway its CORS headers',
      });
    }
    const policy = value === undefined ? null : policies.gatewayPolicy(value, name);
    entries.push({ name, port: metadata.port, path: options.path as string | undefined, namespace: options.namespace, decorated: value !== undefined, policy });
  }
  return new GatewayTable(entries, groupServers(entries, policies));
}

/** A gateway's origins are checked when its connection opens: a method decorator means nothing. */
function checkMethods(target: Function, name: string, scanner: MetadataScanner, policies: PolicySet): void {
  const proto = target.prototype as Record<string, unknown> | undefined;
  if (!proto) return;
  for (const method of scanner.getAllMethodNames(proto)) {
    const fn = proto[method];
    const value = typeof fn === 'function' ? Reflect.getMetadata(CROSS_ORIGIN_METADATA, fn) : undefined;
    if (value === undefined) continue;
    policies.issues.add({
      where: `${name}.${method}`, option: '@CrossOrigin', value, reason: 'invalid',
      detail: "a gateway's origins are checked once, when a connection opens, not per message: put @CrossOrigin on the gateway class",
    });
  }
}

function groupServers(entries: readonly GatewayEntry[], policies: PolicySet): GatewayServer[] {
  const groups = new Map<string, GatewayEntry[]>();
  for (const e of entries) {
    const key = serverKey(e.port, e.path);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.values()].map((gateways) => {
    const [first] = gateways;
    const mismatch = gateways.find((g) => !samePolicy(g, first));
    if (mismatch) {
      const names = gateways.map((g) => g.name).join(', ');
      policies.issues.add({
        where: names, option: '@CrossOrigin', value: mismatch.name, reason: 'incompatible',
        detail: `${first.name} and ${mismatch.name} share one socket server (port ${first.port}, path ${JSON.stringify(first.path ?? null)}) but not one CORS policy; origins are checked when a connection opens, before its namespace is known. Give them the same @CrossOrigin (a named policy), or different paths or ports`,
      });
    }
    return { port: first.port, path: first.path, gateways, policy: first.policy, label: gateways.map((g) => g.name).join(', '), transport: null };
  });
}
