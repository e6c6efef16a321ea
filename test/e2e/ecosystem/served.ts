// Who answered a response, and the policy that handler declared. Every handler in the issue-14
// tests names itself twice, in an `x-served-by` header and at the start of its body, so a test
// reads who served from the response instead of predicting the router, and expects exactly that
// handler's policy (SPEC §3 rule 6). Preflights run no handler: they are held to the handlers
// their actual request may reach (rule 5), all of them when the router cannot tell which (rule 7).
import { expect } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { RawClient, type RawResponse } from '../../utility/raw-http.js';

/** The response header each test handler sets to its own name. */
export const SERVED_BY = 'x-served-by';

/**
 * Nest's own not-found handler, or Express's final handler where Nest's is not mounted (outside
 * a global prefix): no route served, so the `resources` entry of the path applies (SPEC §3 rule 3).
 */
export const NOT_FOUND = '404';

/** A policy as a test declares it: what it admits, and what tells it apart from its neighbours. */
export interface Declared {
  /** The handler or `resources` entry it belongs to, for failure messages. */
  readonly name: string;
  readonly origins: readonly string[];
  /** Sent as Access-Control-Max-Age on its preflights: each test policy has its own. */
  readonly maxAge: number;
  /** Its one exposed header, sent on actual requests: each test policy has its own. */
  readonly expose: string;
  readonly methods?: readonly string[];
}

/** The CorsOptions a Declared stands for. */
export function optionsOf(p: Declared): { origins: string[]; maxAge: number; exposeHeaders: string[]; methods?: string[] } {
  return { origins: [...p.origins], maxAge: p.maxAge, exposeHeaders: [p.expose], ...(p.methods ? { methods: [...p.methods] } : {}) };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * The handler that produced `res`: its `x-served-by`, checked against the start of its body,
 * or NOT_FOUND for a 404 no route produced. Anything else fails: a test never guesses who served.
 */
export function servedBy(res: Answer): string {
  const header = res.headers[SERVED_BY];
  if (typeof header === 'string') {
    if (!res.body.startsWith(header)) throw new Error(`x-served-by says ${header} but the body is ${JSON.stringify(res.body.slice(0, 80))}`);
    return header;
  }
  if (res.status === 404 && (/"statusCode":\s*404/.test(res.body) || /<pre>Cannot [A-Z]+ /.test(res.body))) return NOT_FOUND;
  throw new Error(`answered by no known handler: ${res.status} ${JSON.stringify(res.body.slice(0, 120))}`);
}

/** The CORS headers of an actual request, as observed, in one object so a failure shows them all. */
function actualView(res: Answer) {
  return {
    acao: res.headers['access-control-allow-origin'],
    aceh: res.headers['access-control-expose-headers'],
  };
}

/** An actual request from `origin` carries exactly `policy`'s headers: its ACAO and its exposed header, or none. */
export function expectActual(res: Answer, policy: Declared, origin: string): void {
  const admitted = policy.origins.includes(origin);
  expect({ policy: policy.name, ...actualView(res) }).toEqual({
    policy: policy.name,
    acao: admitted ? origin : undefined,
    aceh: admitted ? policy.expose : undefined,
  });
  expect(String(res.headers.vary ?? '')).toMatch(/\borigin\b/i);
}

/** No CORS header at all (a refused origin, or a response no policy covers). */
export function expectNoCors(res: Answer): void {
  expect(Object.keys(res.headers).filter((k) => k.startsWith('access-control-'))).toEqual([]);
}

/**
 * A preflight from `origin` gets only what every candidate allows (SPEC §3 rules 5 and 7): with
 * one candidate, that handler's policy; with several, their intersection and the smallest maxAge.
 */
export function expectPreflight(res: Answer, candidates: readonly Declared[], origin: string, method = 'GET'): void {
  const admitted = candidates.every((c) => c.origins.includes(origin) && (c.methods ?? ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']).includes(method));
  const observed = {
    candidates: candidates.map((c) => c.name),
    status: res.status,
    acao: res.headers['access-control-allow-origin'],
    acamHasMethod: new RegExp(`(^|[ ,])${method}($|[ ,])`).test(String(res.headers['access-control-allow-methods'] ?? '')),
    acma: res.headers['access-control-max-age'],
  };
  if (admitted) {
    expect(observed).toEqual({
      candidates: candidates.map((c) => c.name),
      status: 204,
      acao: origin,
      acamHasMethod: true,
      acma: String(Math.min(...candidates.map((c) => c.maxAge))),
    });
  } else {
    const { status, ...headers } = observed;
    expect(headers).toEqual({ candidates: candidates.map((c) => c.name), acao: undefined, acamHasMethod: false, acma: undefined });
    expect(status).toBeLessThan(500);
  }
}

/** A raw client per port, closed by `closeClients()`; targets go on the request line verbatim. */
const clients = new Map<number, RawClient>();

/** Sends one request with its target verbatim (`//x`, `/A/%zz`, `*`), keep-alive on one socket. */
export function send(port: number, method: string, target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  let client = clients.get(port);
  if (!client) clients.set(port, (client = new RawClient(port)));
  return client.send({ method, target, headers });
}

/** A browser-shaped preflight for `method` (GET by default). */
export function sendPreflight(port: number, target: string, origin: string, method = 'GET', headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(port, 'OPTIONS', target, { Origin: origin, 'Access-Control-Request-Method': method, ...headers });
}

export function closeClients(): void {
  for (const client of clients.values()) client.close();
  clients.clear();
}
