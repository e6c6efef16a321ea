// Starts a test's daemon (nginx, redis-server) on a free loopback port in a temp dir of its own; stops it by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sockets.js';

export interface DaemonOptions {
  /** What failure messages call it: `nginx`, `redis-server`. */
  readonly name: string;
  readonly binary: string;
  /** Start of its temp directory's name, so a leftover one says whose it is. */
  readonly prefix: string;
  /** Its arguments, given its directory and port; it may write its config there first. */
  args(dir: string, port: number): string[];
  /**
   * What failure messages show of it, from what it printed (stdout and stderr); called before
   * its directory goes, so it may read its log there. `early`: it exited before listening.
   */
  report?(printed: string, early: boolean, dir: string): string;
  readonly limitMs: number;
}

export interface Daemon {
  readonly port: number;
  /** What it printed so far (stdout and stderr). */
  printed(): string;
  stop(): Promise<void>;
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

/**
 * Starts the daemon (in the foreground) and resolves once it accepts connections; if it exits
 * first or takes over `limitMs`, stops it and throws with what it said.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { name, binary, limitMs } = options;
  const report = options.report ?? ((printed) => printed.trim() || '(nothing printed)');
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  const port = await freePort();
  const child = spawn(binary, options.args(dir, port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
  // By the pid we spawned: each daemon runs in the foreground, so that pid is the daemon itself.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + limitMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = report(printed, true, dir);
      await stop();
      throw new Error(`${name} (${binary}) exited with ${child.exitCode ?? child.signalCode} before listening:\n${why}`);
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      const why = report(printed, false, dir);
      await stop();
      throw new Error(`${name} (${binary}) did not listen on 127.0.0.1:${port} within ${limitMs} ms:\n${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, printed: () => printed, stop };
}
