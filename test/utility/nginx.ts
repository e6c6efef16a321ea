// A real nginx on a loopback port, started by a test in a temp directory of its own (config,
// pid, logs, temp paths: nothing root-owned, nothing shared) and stopped by its pid. One
// process (`master_process off`), in the foreground (`daemon off`), so the pid we spawned is
// nginx itself and no worker switches user. Needs the nginx binary: `NGINX_PATH`, else
// /usr/sbin/nginx (Debian's `apt-get install nginx`, which .ci/run does). Without it the test
// fails, saying so; it never skips.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from './daemon.js';

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

/**
 * Starts nginx with `serverBody` (directives inside `server { … }`, after `listen`) and
 * resolves once it accepts connections.
 */
export async function startNginx(serverBody: string, limitMs = 10_000): Promise<Nginx> {
  const nginx = await startDaemon({
    name: 'nginx',
    binary: nginxPath(),
    prefix: 'nco-nginx-',
    limitMs,
    args: (dir, port) => {
      const errorLog = join(dir, 'error.log');
      const configPath = join(dir, 'nginx.conf');
      writeFileSync(configPath, `
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
`);
      // -e: the error log before the config is read, which would otherwise be a root-owned path.
      return ['-p', dir, '-c', configPath, '-e', errorLog];
    },
    // nginx says most things in its error log, not on stderr; when it would not start, its config says why.
    report: (printed, early, dir) => {
      const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : '');
      const log = `${printed}${read('error.log')}`.trim() || '(nothing logged)';
      return early ? `${log}\nconfig:\n${read('nginx.conf')}` : log;
    },
  });
  return { port: nginx.port, url: `http://127.0.0.1:${nginx.port}`, stop: nginx.stop };
}
