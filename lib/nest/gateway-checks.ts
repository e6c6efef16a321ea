// The origin checks installed on gateway servers: an engine.io middleware for socket.io, a verifyClient for ws.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  ACRH, ACRM, ACRPN, VARY, appendVary, decideHandshake, preflightVary, reasonOf, targetPath,
  type CorsPolicy, type HandshakeDecision, type HandshakeRequest, type HeaderPair, type Refusal,
} from '../core/index.js';
import type { CorsRuntime } from './cors-runtime.js';
import { escapeForLog, type GatewayRefusal } from './explain.js';
import { isUpgradeResponse, type EngineMiddleware, type VerifyClient } from './gateway-internals.js';

/** Where a check reports: refusals in explain mode (`null` otherwise), and failures. */
export interface GatewayReporting {
  readonly onRefusal: ((refusal: GatewayRefusal) => void) | null;
  readonly onError: (error: unknown) => void;
  /** The configuration in force (its `originTimeout`) and `onDecision`. */
  readonly runtime: CorsRuntime;
}

/** The policy a server's check applies (read per request: a reconfiguration may change it) and the name logs give it. */
export interface CheckedServer {
  policy(): CorsPolicy;
  readonly label: string;
}

/** Writes headers now, Vary merged; the caller ends or hands on the response. */
function setHeaders(res: ServerResponse, headers: readonly HeaderPair[], vary: string | null): void {
  for (const [name, value] of headers) res.setHeader(name, value);
  if (vary !== null) res.setHeader(VARY, appendVary(res.getHeader(VARY) as string | undefined, vary));
}

/** `onDecision` of one gateway request, refused or (with `reportAllowed`) allowed. */
function emit(reporting: GatewayReporting, label: string, method: string, origin: string | undefined, refusal: Refusal | null): void {
  if (!origin || !reporting.runtime.wantsEvent(refusal !== null)) return;
  reporting.runtime.emit({
    kind: 'gateway', method: escapeForLog(method), route: label, policy: 'gateway',
    verdict: refusal === null ? 'allowed' : 'refused', reason: reasonOf(refusal, 'gateway'), origin: escapeForLog(origin),
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readRequest(req: IncomingMessage): HandshakeRequest {
  const h = req.headers;
  return { method: req.method ?? 'GET', origin: h.origin, acrm: single(h[ACRM]), acrh: single(h[ACRH]), acrpn: single(h[ACRPN]) };
}

// engine.io's own answer to a request its allowRequest refused (errors.FORBIDDEN is 4), so a
// client that reads the body sees the refusal it knows.
const FORBIDDEN_BODY = '{"code":4,"message":"Forbidden"}';

function refusePolling(res: ServerResponse, vary: boolean): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // The answer depends on the Origin, so a shared cache must not reuse it for another (README "Origins and Vary").
  if (vary) headers[VARY] = appendVary(res.getHeader(VARY) as string | undefined, 'Origin');
  res.writeHead(403, headers);
  res.end(FORBIDDEN_BODY);
}

const FORBIDDEN_UPGRADE =
  'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nForbidden';

/**
 * Ends an upgrade with 403 on its raw socket, as `ws` ends a handshake its `verifyClient`
 * refused. engine.io's own refusal of an upgrade (`allowRequest`) is always a 400, and it
 * never asks `allowRequest` about an upgrade of an existing session.
 */
export function refuseUpgrade(socket: Socket): void {
  socket.on('error', () => {}); // a client that already left; nothing to tell it
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(FORBIDDEN_UPGRADE);
}

function isPreflight(r: HandshakeRequest): boolean {
  return r.method === 'OPTIONS' && !!r.origin && !!r.acrm;
}

/**
 * The engine.io middleware of a socket.io server whose gateways have `@CrossOrigin`: it runs
 * on every polling request, preflight and upgrade engine.io handles, before engine.io's own
 * checks. A refused Origin gets 403 before any session exists; an allowed one gets the
 * policy's headers, with preflights answered here (engine.io serves no OPTIONS). The origin
 * check runs on every request, not only on the handshake: an upgrade or poll carrying a
 * session id from another page is refused as well.
 */
export function socketIoOriginCheck(server: CheckedServer, reporting: GatewayReporting): EngineMiddleware {
  const { label } = server;
  return function nestCrossOriginGateway(req, res, next) {
    const policy = server.policy();
    const vary = policy.varyOrigin;
    const upgrade = isUpgradeResponse(res);
    const r = readRequest(req);
    const report = (status: 403 | 204, refusal: Refusal) => reporting.onRefusal?.({
      kind: upgrade ? 'upgrade' : isPreflight(r) ? 'preflight' : 'polling', status, transport: 'socket.io',
      method: r.method, path: targetPath(req.url), origin: r.origin ?? '', policyLabel: label, policy, refusal,
    });
    const refuse = () => (upgrade ? refuseUpgrade(req.socket) : refusePolling(res as ServerResponse, vary));
    const apply = (d: HandshakeDecision) => {
      emit(reporting, label, isPreflight(r) ? r.acrm! : r.method, r.origin, d.kind === 'refuse' ? d.refusal : d.kind === 'preflight' ? d.refusal : null);
      if (d.kind === 'refuse') {
        report(403, d.refusal);
        return refuse();
      }
      // A 101 carries no CORS headers: browsers apply no CORS to WebSockets.
      if (upgrade) return next();
      if (d.kind === 'preflight') {
        if (d.refusal) report(204, d.refusal);
        const out = res as ServerResponse;
        setHeaders(out, d.headers, vary ? preflightVary(policy, r.acrpn) : null);
        out.writeHead(204);
        return out.end();
      }
      setHeaders(res as ServerResponse, d.headers, vary ? 'Origin' : null);
      next();
    };
    decide(policy, r, req, apply, refuse, reporting);
  };
}

/**
 * The `verifyClient` of a `ws` server whose gateway has `@CrossOrigin`: a refused Origin gets
 * 403 before the upgrade; an allowed one goes on to the gateway's own `verifyClient`, if any.
 */
export function wsOriginCheck(server: CheckedServer, own: unknown, reporting: GatewayReporting): VerifyClient {
  const { label } = server;
  return function verifyClient(info, callback) {
    const policy = server.policy();
    const r: HandshakeRequest = { method: info.req.method ?? 'GET', origin: info.origin, acrm: undefined, acrh: undefined, acrpn: undefined };
    const refuse = () => callback(false, 403);
    const apply = (d: HandshakeDecision) => {
      emit(reporting, label, r.method, r.origin, d.kind === 'refuse' ? d.refusal : null);
      if (d.kind === 'refuse') {
        reporting.onRefusal?.({
          kind: 'upgrade', status: 403, transport: 'ws', method: r.method, path: targetPath(info.req.url),
          origin: r.origin ?? '', policyLabel: label, policy, refusal: d.refusal,
        });
        return refuse();
      }
      if (typeof own !== 'function') return callback(true);
      // ws's own contract: a two-argument verifyClient answers through the callback, a
      // one-argument one returns whether to accept (a refusal is then a 401).
      if (own.length >= 2) return (own as VerifyClient)(info, callback);
      return (own as (i: typeof info) => boolean)(info) ? callback(true) : callback(false, 401);
    };
    decide(policy, r, info.req, apply, refuse, reporting);
  };
}

/** Runs a decision, synchronous or not; anything unexpected refuses (fail closed) and is reported. */
function decide(
  policy: CorsPolicy,
  r: HandshakeRequest,
  req: IncomingMessage,
  apply: (d: HandshakeDecision) => void,
  refuse: () => void,
  reporting: GatewayReporting,
): void {
  const failed = (error: unknown) => {
    reporting.onError(error);
    refuse();
  };
  let decision: HandshakeDecision | Promise<HandshakeDecision>;
  try {
    decision = decideHandshake(policy, r, req, reporting.runtime.state.policies.originTimeout);
  } catch (error) {
    return failed(error);
  }
  if (decision instanceof Promise) {
    decision.then(apply, failed).catch(failed);
    return;
  }
  try {
    apply(decision);
  } catch (error) {
    failed(error);
  }
}
