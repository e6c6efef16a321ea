// Entry point of one benchmark server process. Each app variant runs in its own process so the
// load generator never shares an event loop with the server, and one variant's JIT state, heap
// and hooks cannot leak into another's numbers. The parent talks to it over the IPC channel.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector';
import type { AppSpec } from './apps.js';

/** Messages from the parent. */
export type ServerCommand =
  | { type: 'memory'; gc: boolean }
  | { type: 'cpu' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string }
  | { type: 'exit' };

/** Messages to the parent. */
export type ServerMessage =
  | { type: 'ready'; port: number; routes?: number }
  | { type: 'memory'; usage: NodeJS.MemoryUsage; gcAvailable: boolean }
  | { type: 'cpu'; usage: NodeJS.CpuUsage }
  | { type: 'profile-started' }
  | { type: 'profile-stopped'; file: string }
  | { type: 'error'; message: string };

const gcFn = (globalThis as { gc?: () => void }).gc;

function send(message: ServerMessage): void {
  process.send?.(message);
}

// The profiler is driven over IPC rather than with --cpu-prof so that the profile covers exactly
// the load window: no start-up, module loading or shutdown samples to filter out afterwards.
let session: Session | null = null;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

async function startProfile(): Promise<void> {
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  // 100 µs sampling: fine enough for sub-microsecond functions to show up over a few seconds.
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
}

async function stopProfile(file: string): Promise<void> {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  writeFileSync(file, JSON.stringify(profile));
  session!.disconnect();
  session = null;
}

/**
 * A bare `node:http` server answering a constant body: used once to measure how many requests/s
 * the load generator itself can drive, so we know the Nest apps, not the client, are the
 * bottleneck.
 */
function startRawServer(): Promise<number> {
  const body = JSON.stringify({ ok: true });
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  // --keep-alive=<ms>: the instruction-count harness keeps its one connection open however
  // slowly the server runs under valgrind (Node's default, which Express keeps, is 5 s).
  const keepAlive = Number(process.argv.find((a) => a.startsWith('--keep-alive='))?.slice('--keep-alive='.length) ?? NaN);
  if (arg === 'raw') {
    send({ type: 'ready', port: await startRawServer() });
  } else {
    const spec = JSON.parse(arg) as AppSpec;
    const { startApp } = await import('./apps.js');
    const { app, port } = await startApp(spec);
    if (keepAlive > 0) (app.getHttpServer() as Server).keepAliveTimeout = keepAlive;
    send({ type: 'ready', port, routes: spec.routes });
  }
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'memory') {
      // Two passes: the first frees young objects, the second anything their finalizers released.
      if (command.gc && gcFn) {
        gcFn();
        gcFn();
      }
      send({ type: 'memory', usage: process.memoryUsage(), gcAvailable: gcFn !== undefined });
    } else if (command.type === 'cpu') {
      send({ type: 'cpu', usage: process.cpuUsage() });
    } else if (command.type === 'profile-start') {
      startProfile().then(() => send({ type: 'profile-started' }), (e: unknown) => send({ type: 'error', message: String(e) }));
    } else if (command.type === 'profile-stop') {
      stopProfile(command.file).then(() => send({ type: 'profile-stopped', file: command.file }), (e: unknown) => send({ type: 'error', message: String(e) }));
    } else if (command.type === 'exit') {
      process.exit(0);
    }
  });
  // If the parent dies, do not linger as an orphan holding a port.
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  send({ type: 'error', message: String((error as Error)?.stack ?? error) });
  process.exit(1);
});
