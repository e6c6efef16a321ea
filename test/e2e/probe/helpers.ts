// Servers for the probe's tests, on 127.0.0.1: plain node:http ones that answer however a test
// needs (no CORS library involved: the probe works against any server), and a raw TCP one for
// answers node:http refuses to write.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import type { ProbeResult } from '../../../lib/cli/probe.js';

/** One request as the server received it. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly seen: Seen[];
  close(): Promise<void>;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, seen, close: () => closeServer(server, sockets) };
}

/** Answers every request with `raw` (a whole HTTP response, latin1) and closes; `null` never answers. */
export async function startRawServer(raw: string | null): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createTcpServer((socket) => {
    socket.once('data', (d: Buffer) => {
      const [method = '', path = ''] = d.toString('latin1').split(' ');
      seen.push({ method, path, headers: {} });
      if (raw !== null) socket.end(Buffer.from(raw, 'latin1'));
    });
    socket.on('error', () => undefined);
  });
  const sockets = track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, seen, close: () => closeServer(server, sockets) };
}

/** The finding codes of a result, for exact comparisons. */
export function codes(result: ProbeResult): string[] {
  return result.findings.map((f) => f.code);
}
