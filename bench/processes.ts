import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AppSpec } from './apps.js';
import type { ServerCommand, ServerMessage } from './server.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./server.js', import.meta.url));

/**
 * CPU pinning. With two cores, the load generator (this process) gets CPU 0 and every server
 * process CPU 1, so the two never compete for a core and every variant is measured on the same
 * core under the same conditions. Without `taskset` or with one core nothing is pinned, and the
 * report says so.
 */
export const pinning = (() => {
  const cores = availableParallelism();
  const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
  const enabled = process.env.BENCH_PIN !== '0' && cores >= 2 && taskset !== undefined;
  return { enabled, taskset, clientCpu: 0, serverCpu: cores >= 2 ? 1 : 0, cores };
})();

/** Pins a process and all of its threads (`-a`) to one CPU; threads started later inherit it. */
export function pin(pid: number, cpu: number | 'all'): void {
  if (!pinning.enabled) return;
  const list = cpu === 'all' ? `0-${pinning.cores - 1}` : String(cpu);
  execFileSync(pinning.taskset!, ['-a', '-p', '-c', list, String(pid)], { stdio: 'ignore' });
}

/**
 * Scheduling priority. On a machine shared with other jobs, the harness and its servers run at a
 * raised priority (nice -15 by default, BENCH_NICE to change, 0 to keep) so that the scheduler
 * favours them while they are measured; the other jobs still run, only slower, and the whole
 * invocation is bounded in time. Needs root (or CAP_SYS_NICE); without it nothing is changed.
 */
export const priority = { nice: Number(process.env.BENCH_NICE ?? -15), applied: false };

/** Sets the nice value of every thread of a process (Linux nice is per thread). */
export function boost(pid: number): void {
  if (priority.nice === 0) return;
  try {
    const tids = readdirSync(`/proc/${pid}/task`);
    execFileSync('renice', ['-n', String(priority.nice), '-p', ...tids], { stdio: 'ignore' });
    priority.applied = true;
  } catch {
    // Not permitted or not Linux: run at normal priority; the report says so.
  }
}

/**
 * Undoes what a child inherits from a pinned, boosted harness: every CPU and nice 0 on every
 * thread. For long runs whose result does not depend on scheduling (instruction counts), so
 * they do not hold a raised priority on a shared machine for half an hour.
 */
export function unplace(pid: number): void {
  if (pinning.enabled) {
    try {
      pin(pid, 'all');
    } catch {
      // The process may have exited already.
    }
  }
  try {
    const tids = readdirSync(`/proc/${pid}/task`);
    execFileSync('renice', ['-n', '0', '-p', ...tids], { stdio: 'ignore' });
  } catch {
    // Not Linux, or gone: nothing to undo.
  }
}

/** How a server process is started, beyond its spec. */
export interface LaunchOptions {
  /** Node options of the server (e.g. --expose-gc, --cpu-prof). */
  readonly execArgv?: readonly string[];
  /**
   * A program that runs Node (valgrind): the server is started as `wrapper.command
   * ...wrapper.args <node> ...execArgv server.js <spec>`; the IPC channel passes through it.
   */
  readonly wrapper?: { readonly command: string; readonly args: readonly string[] };
  /** Extra arguments of server.js after the spec (e.g. --keep-alive=<ms>). */
  readonly serverArgs?: readonly string[];
  /** How long start-up may take (default 120 s). */
  readonly readyTimeoutMs?: number;
  /** Pin to the server CPU and raise the priority (default true): wall-time runs only. */
  readonly place?: boolean;
  /** The server's stdout: inherited (default), or piped to `child.stdout` (V8's --trace-gc lines). */
  readonly stdout?: 'inherit' | 'pipe';
}

/** A running benchmark server process. */
export class ServerProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly label: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Starts a server for `spec` (or the bare node:http server for `'raw'`). `execArgv` lets the
   * memory run add --expose-gc and the profile run --cpu-prof.
   */
  static async start(spec: AppSpec | 'raw', label: string, execArgvOrOptions: string[] | LaunchOptions = []): Promise<ServerProcess> {
    const options: LaunchOptions = Array.isArray(execArgvOrOptions) ? { execArgv: execArgvOrOptions } : execArgvOrOptions;
    const execArgv = [...(options.execArgv ?? [])];
    const args = [spec === 'raw' ? 'raw' : JSON.stringify(spec), ...(options.serverArgs ?? [])];
    const place = options.place ?? true;
    const stdio = ['ignore', options.stdout ?? 'inherit', 'inherit', 'ipc'] as const;
    // fork() runs `execPath ...execArgv script ...args`: with a wrapper, execPath is the wrapper
    // and Node with its options comes first in execArgv.
    const child = options.wrapper
      ? fork(SERVER_SCRIPT, args, {
        execPath: options.wrapper.command,
        execArgv: [...options.wrapper.args, process.execPath, ...execArgv],
        stdio: [...stdio],
      })
      : fork(SERVER_SCRIPT, args, { execArgv, stdio: [...stdio] });
    // A child inherits the harness's CPU; start-up (untimed) may use every core, then the server
    // is moved to its own CPU before anything is measured.
    if (place) pin(child.pid!, 'all');
    const readyMs = options.readyTimeoutMs ?? 120_000;
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${label}: server did not start within ${Math.round(readyMs / 1000)} s`));
      }, readyMs);
      child.once('exit', (code) => reject(new Error(`${label}: server exited with code ${code} before it was ready`)));
      child.on('message', (message: ServerMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message.port);
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${label}: ${message.message}`));
        }
      });
    });
    child.removeAllListeners('exit');
    if (place) {
      pin(child.pid!, pinning.serverCpu);
      // Threads started later inherit the nice value of the thread that starts them.
      boost(child.pid!);
    }
    return new ServerProcess(child, port, label);
  }

  /** Sends a command and resolves with the first reply of the given type. */
  private ask<K extends ServerMessage['type']>(command: ServerCommand, reply: K): Promise<Extract<ServerMessage, { type: K }>> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      const onMessage = (message: ServerMessage) => {
        if (message.type === 'error') {
          done();
          reject(new Error(`${this.label}: ${message.message}`));
        } else if (message.type === reply) {
          done();
          resolve(message as Extract<ServerMessage, { type: K }>);
        }
      };
      // A server that dies (or is killed for overrunning its time) fails the question.
      const onExit = (code: number | null, signal: string | null) => {
        done();
        reject(new Error(`${this.label}: server exited (${signal ?? `code ${code}`}) before answering ${command.type}`));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }

  /** The server's `process.memoryUsage()`, after two forced GCs when `gc` and --expose-gc. */
  async memory(gc: boolean): Promise<{ usage: NodeJS.MemoryUsage; gcAvailable: boolean }> {
    const { usage, gcAvailable } = await this.ask({ type: 'memory', gc }, 'memory');
    return { usage, gcAvailable };
  }

  /** CPU time the server process has used so far (all threads), in microseconds. */
  async cpuMicros(): Promise<number> {
    const { usage } = await this.ask({ type: 'cpu' }, 'cpu');
    return usage.user + usage.system;
  }

  async profileStart(): Promise<void> {
    await this.ask({ type: 'profile-start' }, 'profile-started');
  }

  async profileStop(file: string): Promise<void> {
    await this.ask({ type: 'profile-stop', file }, 'profile-stopped');
  }

  /**
   * Asks the server to exit and waits for it (so a CPU profile is fully written); kills it
   * after `killAfterMs` (default 15 s).
   */
  stop(options: { killAfterMs?: number } = {}): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), options.killAfterMs ?? 15_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.child.connected) this.child.send({ type: 'exit' } satisfies ServerCommand);
      else this.child.kill('SIGTERM');
    });
  }

  /** Kills the process now (a run that overran its time limit). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
