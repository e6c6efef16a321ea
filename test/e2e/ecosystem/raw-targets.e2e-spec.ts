// SPEC §3 rule 6: the policy is that of the handler the framework runs, as the framework's own
// router reads the request target. Request targets no HTTP client library sends, written on a
// raw socket: the absolute form (RFC 9112 §3.2.2, which servers must accept) and a fragment,
// which clients never send but a raw socket can. Whatever the framework does with them: if the
// @CrossOrigin(false) handler runs, the response carries no CORS header, never the permissive
// fallback's.
import { connect } from 'node:net';
import { Controller, Get, Module } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { startApp, type Started } from './start.js';

const EVIL = 'https://evil.example';
const SECRET = 'the admin secret';

@Controller('admin')
class AdminController {
  @CrossOrigin(false) @Get('secret') secret() { return SECRET; }
}

@Controller('open')
class OpenController {
  @Get('page') page() { return 'open page'; }
}

// The fallback echoes any Origin: only the handler's own `false` can keep the secret unreadable.
@Module({ imports: [CorsModule.forRoot({ resources: { '/*': { origins: '*' } } })], controllers: [AdminController, OpenController] })
class AppModule {}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const RAW_TIMEOUT_MS = 5_000;

/** Writes one request head verbatim on a socket and reads the whole response (Connection: close). */
function raw(port: number, method: string, target: string, headers: Record<string, string>): Promise<RawResponse> {
  const head = [`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(RAW_TIMEOUT_MS, () => socket.destroy(new Error(`no answer to ${method} ${target} in ${RAW_TIMEOUT_MS} ms`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve(parse(Buffer.concat(chunks).toString('latin1'))));
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
  });
}

function parse(text: string): RawResponse {
  const split = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    // A second header of the same name must show up: ACAO is always exactly one value.
    headers[name] = name in headers ? `${headers[name]}, ${line.slice(colon + 1).trim()}` : line.slice(colon + 1).trim();
  }
  let body = text.slice(split + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function unchunk(body: string): string {
  let out = '';
  for (let rest = body; ;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

// What the frameworks do today (Express 5, Fastify 5): both route the absolute form by its path
// and drop a fragment, so the handler runs for every target below, except that Fastify answers
// 400 to an absolute form with a fragment. The assertions hold whichever they do.
const TARGETS = [
  { desc: 'absolute form', target: 'http://127.0.0.1:PORT/admin/secret' },
  { desc: 'absolute form, another host', target: 'http://x/admin/secret' },
  { desc: 'fragment with dot segments', target: '/admin/secret#/../../x' },
  { desc: 'absolute form with a fragment', target: 'http://127.0.0.1:PORT/admin/secret#/../../open/page' },
  { desc: 'query and fragment', target: '/admin/secret?a=1#/../open/page' },
];

describe.each(ADAPTERS)('raw request targets on $name', (adapter) => {
  let s: Started;
  beforeAll(async () => { s = await startApp(AppModule, adapter); });
  afterAll(() => s?.app.close());

  it('the plain target runs the handler, without CORS headers (the control case)', async () => {
    const res = await raw(s.port, 'GET', '/admin/secret', { Origin: EVIL });
    expect([res.status, res.body, res.headers['access-control-allow-origin']]).toEqual([200, SECRET, undefined]);
    const open = await raw(s.port, 'GET', '/open/page', { Origin: EVIL });
    expect([open.status, open.body, open.headers['access-control-allow-origin']]).toEqual([200, 'open page', EVIL]);
  });

  it('an absolute-form target to an undecorated route gets the fallback policy (the form is routed)', async () => {
    const res = await raw(s.port, 'GET', `http://127.0.0.1:${s.port}/open/page`, { Origin: EVIL });
    if (res.status === 200) {
      expect(res.body).toBe('open page');
      expect(res.headers['access-control-allow-origin']).toBe(EVIL);
    } else {
      expect([400, 404]).toContain(res.status);
    }
  });

  it.each(TARGETS)('$desc ($target): whenever the @CrossOrigin(false) handler runs, no ACAO', async ({ target }) => {
    const res = await raw(s.port, 'GET', target.replace('PORT', String(s.port)), { Origin: EVIL });
    if (res.body === SECRET) {
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    } else {
      // The framework refused or did not route the target itself: a safe answer, never a 5xx.
      expect([400, 404]).toContain(res.status);
    }
  });

  it.each(TARGETS)('$desc ($target): the preflight of a GET the handler would serve is refused', async ({ target }) => {
    const t = target.replace('PORT', String(s.port));
    const actual = await raw(s.port, 'GET', t, { Origin: EVIL });
    const res = await raw(s.port, 'OPTIONS', t, { Origin: EVIL, 'Access-Control-Request-Method': 'GET' });
    expect(res.status).toBeLessThan(500);
    if (actual.body === SECRET) {
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
    }
  });
});
