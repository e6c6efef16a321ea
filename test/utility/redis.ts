// A real redis-server on a loopback port, started by a test in a temp directory of its own
// (no persistence: `--save ""`, `--appendonly no`) and stopped by its pid. Needs the
// redis-server binary: `REDIS_SERVER_PATH`, else /usr/bin/redis-server (Debian's
// `apt-get install redis-server`, which .ci/run does), else `redis-server` on PATH. Without it
// the test fails, saying so; it never skips.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './sockets.js';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** What the server printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The redis-server binary the suite starts; throws, naming what to install, when there is none. */
export function redisServerPath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.REDIS_SERVER_PATH?.trim();
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`REDIS_SERVER_PATH is ${JSON.stringify(explicit)}, which is not an executable file: point it at redis-server, or unset it`);
  }
  const tried = ['/usr/bin/redis-server', ...(env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'redis-server'))];
  const found = tried.find(isExecutable);
  if (found) return found;
  throw new Error(
    'redis-server not found: the replica tests start a real Redis. Install it (Debian: apt-get install -y redis-server; .ci/run does) ' +
      `or set REDIS_SERVER_PATH to its binary. Looked for ${tried.join(', ')}`,
  );
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts redis-server on a free loopback port and resolves once it accepts connections. */
export async function startRedis(limitMs = 10_000): Promise<RedisServer> {
  const binary = redisServerPath();
  const dir = mkdtempSync(join(tmpdir(), 'nco-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`redis-server (${binary}) exited with ${child.exitCode ?? child.signalCode} before listening:\n${output.trim() || '(nothing printed)'}`);
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server (${binary}) did not listen on 127.0.0.1:${port} within ${limitMs} ms:\n${output.trim() || '(nothing printed)'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, url: `redis://127.0.0.1:${port}`, output: () => output, stop };
}
