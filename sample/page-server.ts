import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { SampleCall } from './calls.js';

export interface PageServerOptions {
  readonly port: number;
  readonly apiOrigin: string;
  readonly pageOrigin: string;
  readonly calls: readonly SampleCall[];
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
  'style.css': 'text/css; charset=utf-8',
};

/**
 * Serves the demo page from its own origin, so every call it makes to the API is
 * cross-origin. A fixed list of files, read once: no path from a request touches the disk.
 */
export function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const dir = findPublicDir();
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const [name, type] of Object.entries(TYPES)) files.set(`/${name}`, { type, body: readFileSync(`${dir}${name}`) });
  files.set('/', files.get('/index.html')!);
  files.set('/calls.json', {
    type: 'application/json; charset=utf-8',
    body: Buffer.from(JSON.stringify({ api: options.apiOrigin, pageOrigin: options.pageOrigin, calls: options.calls })),
  });

  const security = {
    // Only the page's own files and the API: the page loads nothing from elsewhere.
    'content-security-policy': `default-src 'self'; connect-src 'self' ${options.apiOrigin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
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
    server.listen(options.port, 'localhost', () => {
      server.off('error', reject);
      resolve({
        url: options.pageOrigin,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // A browser tab keeps idle keep-alive connections open; they must not hold up exit.
            server.closeAllConnections();
          }),
      });
    });
  });
}
