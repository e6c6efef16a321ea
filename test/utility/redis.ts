// A real redis-server on a loopback port, started by a test in a temp directory of its own
// (no persistence: `--save ""`, `--appendonly no`) and stopped by its pid. Needs the
// redis-server binary: `REDIS_SERVER_PATH`, else /usr/bin/redis-server (Debian's
// `apt-get install redis-server`, which .ci/run does), else `redis-server` on PATH. Without it
// the test fails, saying so; it never skips.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { startDaemon } from './daemon.js';

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

/** Starts redis-server on a free loopback port and resolves once it accepts connections. */
export async function startRedis(limitMs = 10_000): Promise<RedisServer> {
  const redis = await startDaemon({
    name: 'redis-server',
    binary: redisServerPath(),
    prefix: 'nco-redis-',
    limitMs,
    args: (dir, port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'],
  });
  return { port: redis.port, url: `redis://127.0.0.1:${redis.port}`, output: redis.printed, stop: redis.stop };
}
