import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SampleCall, SampleSocket } from './calls.js';

export interface PageServerOptions {
  readonly port: number;
  readonly apiOrigin: string;
  readonly pageOrigin: string;
  readonly calls: readonly SampleCall[];
  /** The second page origin, listed by no policy, which tries the sockets marked `other`. */
  readonly otherPort: number;
  readonly otherOrigin: string;
  readonly sockets: readonly SampleSocket[];
}

export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

// tsc copies no static files: compiled, this module runs from .build/sample/, while the
// assets stay in sample/public/. Try next to the module first, then the source tree.
function findPublicDir(): string {
  const candidates = [new URL('./public/', import.meta.url), new URL('../../sample/public/', import.meta.url)];
  for (const candidate of candidates) {
    const dir = fileURLToPath(candidate);
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error(`sample page assets not found; looked in ${candidates.map((c) => fileURLToPath(c)).join(' and ')}`);
}

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'sockets.js': 'text/javascript; charset=utf-8',
  'other.html': 'text/html; charset=utf-8',
  'other.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** The browser build socket.io-client ships, which the pages load as a plain script. */
function socketIoClient(): Buffer {
  const pkg = createRequire(import.meta.url).resolve('socket.io-client/package.json');
  return readFileSync(new URL('./dist/socket.io.min.js', `file://${pkg}`));
}

type Files = ReadonlyMap<string, { type: string; body: Buffer }>;

/**
 * Serves the demo page from its own origin, so every call it makes to the API is
 * cross-origin, and a second origin no policy lists, framed by the page, for the refused
 * sockets. A fixed list of files, read once: no path from a request touches the disk.
 */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const dir = findPublicDir();
  const all = new Map<string, { type: string; body: Buffer }>();
  for (const [name, type] of Object.entries(TYPES)) all.set(`/${name}`, { type, body: readFileSync(`${dir}${name}`) });
  all.set('/socket.io.min.js', { type: 'text/javascript; charset=utf-8', body: socketIoClient() });
  all.set('/calls.json', {
    type: 'application/json; charset=utf-8',
    body: Buffer.from(JSON.stringify({
      api: options.apiOrigin, pageOrigin: options.pageOrigin, otherOrigin: options.otherOrigin,
      calls: options.calls, sockets: options.sockets,
    })),
  });
  const pick = (...paths: string[]) => new Map(paths.map((p) => [p, all.get(p)!]));
  const shared = ['/calls.json', '/sockets.js', '/socket.io.min.js', '/style.css'];
  const page = pick('/index.html', '/app.js', ...shared);
  page.set('/', all.get('/index.html')!);
  const other = pick('/other.html', '/other.js', ...shared);
  // Sockets go to the API's origin over ws:, which connect-src names as well.
  const connect = `connect-src 'self' ${options.apiOrigin} ${options.apiOrigin.replace(/^http/, 'ws')}`;
  const started = await Promise.allSettled([
    listen(options.port, page, `default-src 'self'; ${connect}; frame-src ${options.otherOrigin}; frame-ancestors 'none'`),
    listen(options.otherPort, other, `default-src 'self'; ${connect}; frame-ancestors ${options.pageOrigin}`),
  ]);
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const close = () => Promise.all(servers.map(closeServer)).then(() => undefined);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { url: options.pageOrigin, close };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    // A browser tab keeps idle keep-alive connections open; they must not hold up exit.
    server.closeAllConnections();
  });
}

function listen(port: number, files: Files, csp: string): Promise<Server> {
  const security = {
    // Only the page's own files and the API: the page loads nothing from elsewhere.
    'content-security-policy': `${csp}; base-uri 'none'; form-action 'none'`,
    'x-content-type-options': 'nosniff',
    // Re-running after a server change must never show a stale page.
    'cache-control': 'no-store',
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', ...security }).end();
      return;
    }
    if (path === '/favicon.ico') {
      // Browsers ask for it unprompted; a 404 would add noise to the console the page points to.
      res.writeHead(204, security).end();
      return;
    }
    const file = files.get(path);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...security }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, ...security });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, 'localhost', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
