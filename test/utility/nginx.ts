// A real nginx on a loopback port, started by a test in a temp directory of its own (config,
// pid, logs, temp paths: nothing root-owned, nothing shared) and stopped by its pid. One
// process (`master_process off`), in the foreground (`daemon off`), so the pid we spawned is
// nginx itself and no worker switches user. Needs the nginx binary: `NGINX_PATH`, else
// /usr/sbin/nginx (Debian's `apt-get install nginx`, which .ci/run does). Without it the test
// fails, saying so; it never skips.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sockets.js';

export interface Nginx {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

export function nginxPath(): string {
  const path = process.env.NGINX_PATH || '/usr/sbin/nginx';
  if (!existsSync(path)) {
    throw new Error(`nginx not found at ${path}: install it (Debian: apt-get install -y nginx; .ci/run does) or set NGINX_PATH to its binary`);
  }
  return path;
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
 * Starts nginx with `serverBody` (directives inside `server { … }`, after `listen`) and
 * resolves once it accepts connections.
 */
export async function startNginx(serverBody: string, limitMs = 10_000): Promise<Nginx> {
  const binary = nginxPath();
  const dir = mkdtempSync(join(tmpdir(), 'nco-nginx-'));
  const port = await freePort();
  const errorLog = join(dir, 'error.log');
  const config = `
daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  server {
    listen 127.0.0.1:${port};
${serverBody}
  }
}
`;
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  // -e: the error log before the config is read, which would otherwise be a root-owned path.
  const child = spawn(binary, ['-p', dir, '-c', configPath, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const log = () => {
    const file = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
    return `${stderr}${file}`.trim() || '(nothing logged)';
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    await exited(child);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + limitMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = log();
      await stop();
      throw new Error(`nginx (${binary}) exited with ${child.exitCode ?? child.signalCode} before listening:\n${why}\nconfig:\n${config}`);
    }
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      const why = log();
      await stop();
      throw new Error(`nginx (${binary}) did not listen on 127.0.0.1:${port} within ${limitMs} ms:\n${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, url: `http://127.0.0.1:${port}`, stop };
}
