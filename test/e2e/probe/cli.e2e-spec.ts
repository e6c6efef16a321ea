// The command line: usage errors and network errors (exit code 2), the --json shape exactly,
// the human report, escaping of what servers send, and the bin itself run as a user runs it
// (a child process), over http and https.
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { cli, ROOT, runBin, transpileBin, type TranspiledBin } from '../../utility/probe-cli.js';
import { freePort } from '../../utility/sockets.js';
import { startHttpServer, startRawServer, type TestServer } from './helpers.js';

const ORIGIN = 'https://app.example';

let server: TestServer;
beforeAll(async () => {
  // Echoes the origin for every request, answers any preflight.
  server = await startHttpServer((req, res) => {
    const headers: Record<string, string> = { 'access-control-allow-origin': req.headers.origin ?? '', vary: 'Origin', 'set-cookie': 'session=secret' };
    if (req.method === 'OPTIONS') {
      headers['access-control-allow-methods'] = String(req.headers['access-control-request-method']);
      if (req.headers['access-control-request-headers']) headers['access-control-allow-headers'] = String(req.headers['access-control-request-headers']);
      headers['access-control-max-age'] = '86400';
    }
    res.writeHead(req.method === 'OPTIONS' ? 204 : 200, headers);
    res.end();
  });
});
afterAll(() => server.close());

describe('usage errors: exit code 2, the problem and the usage on stderr, nothing on stdout', () => {
  it.each([
    [[], 'no command given'],
    [['check', 'http://127.0.0.1:1/'], 'unknown command "check"'],
    [['probe'], 'probe needs the URL to call'],
    [['probe', 'http://127.0.0.1:1/'], '--origin is required'],
    [['probe', 'http://127.0.0.1:1/', 'http://127.0.0.1:2/', '--origin', ORIGIN], 'unexpected argument "http://127.0.0.1:2/"'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '--verbose'], "Unknown option '--verbose'"],
    [['probe', 'http://127.0.0.1:1/', '--origin'], "Option '--origin <value>' argument missing"],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '--origin', 'https://b.example'], '--origin is given 2 times'],
    [['probe', 'not a url', '--origin', ORIGIN], '"not a url" is not an absolute URL'],
    [['probe', 'ftp://127.0.0.1/', '--origin', ORIGIN], 'the URL must be http: or https:, not ftp:'],
    [['probe', 'http://user:pw@127.0.0.1:1/', '--origin', ORIGIN], 'the URL holds a user name or password'],
    [['probe', 'http://127.0.0.1:1/', '--origin', 'https://app.example/'], '--origin "https://app.example/" is not an origin'],
    [['probe', 'http://127.0.0.1:1/', '--origin', 'app.example'], '--origin "app.example" is not an origin'],
    [['probe', 'http://127.0.0.1:1/', '--origin', 'https://App.Example'], 'is not what a browser sends: it sends "https://app.example"'],
    [['probe', 'http://127.0.0.1:1/', '--origin', 'https://app.example:443'], 'it sends "https://app.example"'],
    [['probe', 'http://127.0.0.1:1/x', '--origin', 'http://127.0.0.1:1'], "is the URL's own origin"],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '--method', 'TRACE'], 'TRACE is a forbidden method'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '-X', 'GET POST'], 'is not a method name'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '-H', 'Cookie: a=b'], 'Cookie is a forbidden request header'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '-H', 'Sec-Fetch-Site: same-origin'], 'Sec-Fetch-Site is a forbidden request header'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '-H', 'Bad Name: x'], 'header name "Bad Name" is not a header name'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '-H', 'X-A: \u0001'], 'holds a control character'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '--timeout', 'soon'], '--timeout "soon" is not a whole number of milliseconds'],
    [['probe', 'http://127.0.0.1:1/', '--origin', ORIGIN, '--timeout', '0'], '--timeout must be a whole number of milliseconds between 1 and'],
  ])('%j', async (argv, message) => {
    const run = await cli(...argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: nest-cross-origin probe <url> --origin <origin> [options]');
  });

  it('--help prints the usage on stdout, exit code 0', async () => {
    for (const argv of [['--help'], ['probe', '-h'], ['probe', 'http://127.0.0.1:1/', '--help']]) {
      const run = await cli(...argv);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toContain('Exit codes: 0 allowed, 1 refused, 2 usage or network error.');
    }
  });

  it('-H forms: "name: value", a bare name (a default value), "name;" (empty, as curl writes it)', async () => {
    const run = await cli('probe', `${server.url}/x`, '--origin', ORIGIN, '--json', '-H', 'X-A:1', '-H', 'Content-Type', '-H', 'Content-Language;', '-H', 'X-B');
    const sent = JSON.parse(run.stdout).actual.request.headers;
    expect(sent).toMatchObject({ 'x-a': '1', 'content-type': 'text/plain', 'content-language': '', 'x-b': '' });
    expect(JSON.parse(run.stdout).preflight.request.headers['access-control-request-headers']).toBe('x-a,x-b');
  });

  it('null is an origin (sandboxed frames, file: pages), and --origin=value works too', async () => {
    const run = await cli('probe', `${server.url}/x`, '--origin=null', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).actual.request.headers.origin).toBe('null');
  });
});

describe('network errors: exit code 2, what failed on stderr', () => {
  it('a closed port', async () => {
    const port = await freePort();
    const run = await cli('probe', `http://127.0.0.1:${port}/x`, '--origin', ORIGIN);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toBe(`nest-cross-origin: network error on the actual request (GET http://127.0.0.1:${port}/x): connection refused (connect ECONNREFUSED 127.0.0.1:${port})\n`);
  });

  it('a closed port with --json: still exit code 2, nothing on stdout', async () => {
    const port = await freePort();
    const run = await cli('probe', `http://127.0.0.1:${port}/x`, '--origin', ORIGIN, '--json', '-X', 'PUT');
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('network error on the preflight (OPTIONS');
  });

  it('a server that never answers: --timeout bounds the request', async () => {
    const silent = await startRawServer(null);
    try {
      const started = Date.now();
      const run = await cli('probe', `${silent.url}/x`, '--origin', ORIGIN, '--timeout', '300');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('no response within 300 ms (--timeout)');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await silent.close();
    }
  });

  it('an answer that is not HTTP', async () => {
    const garbage = await startRawServer('SSH-2.0-OpenSSH_9.2\r\n');
    try {
      const run = await cli('probe', `${garbage.url}/x`, '--origin', ORIGIN);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('the response is not valid HTTP');
    } finally {
      await garbage.close();
    }
  });
});

describe('--json', () => {
  it('prints exactly { verdict, reason, preflight, actual, findings }, each request with what was sent and the CORS headers received', async () => {
    const run = await cli('probe', `${server.url}/items/1`, '--origin', ORIGIN, '-X', 'PUT', '-H', 'X-Api-Key: k', '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result)).toEqual(['verdict', 'reason', 'preflight', 'actual', 'findings']);
    const browser = { 'user-agent': 'nest-cross-origin-probe', referer: `${ORIGIN}/`, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' };
    expect(result).toEqual({
      verdict: 'allowed',
      reason: null,
      preflight: {
        request: {
          method: 'OPTIONS', url: `${server.url}/items/1`,
          headers: { accept: '*/*', ...browser, origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-api-key' },
        },
        response: {
          status: 204,
          headers: {
            'access-control-allow-origin': [ORIGIN], vary: ['Origin'], 'access-control-allow-methods': ['PUT'],
            'access-control-allow-headers': ['x-api-key'], 'access-control-max-age': ['86400'],
          },
        },
        reason: null,
      },
      actual: {
        request: { method: 'PUT', url: `${server.url}/items/1`, headers: { 'x-api-key': 'k', accept: '*/*', ...browser, origin: ORIGIN } },
        // CORS-relevant headers only: the Set-Cookie the server sent does not end up in logs.
        response: { status: 200, headers: { 'access-control-allow-origin': [ORIGIN], vary: ['Origin'] } },
        reason: null,
      },
      findings: [{ code: 'max-age-over-browser-cap', message: expect.stringMatching(/^Access-Control-Max-Age is 86400, above Chromium's cap/) }],
    });
    for (const f of result.findings) expect(Object.keys(f)).toEqual(['code', 'message']);
  });

  it('a refusal: the reason, the failing exchange\'s reason, actual null after a failed preflight', async () => {
    const run = await cli('probe', `${server.url}/x`, '--origin', ORIGIN, '-X', 'PUT', '--credentials', '--json');
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      verdict: 'refused',
      reason: 'preflight: a credentialed request needs Access-Control-Allow-Credentials: true',
      preflight: { reason: 'preflight: a credentialed request needs Access-Control-Allow-Credentials: true' },
      actual: null,
    });
  });
});

describe('the human report', () => {
  it('verdict, reason, the call, each request with its CORS headers, findings', async () => {
    const run = await cli('probe', `${server.url}/items/1`, '--origin', ORIGIN, '-X', 'DELETE', '--credentials');
    expect(run.code).toBe(1);
    const [report, findings] = run.stdout.split('\nFindings (1):\n');
    expect(report).toBe([
      'Verdict: refused',
      'Reason: preflight: a credentialed request needs Access-Control-Allow-Credentials: true',
      `Call: DELETE ${server.url}/items/1 from ${ORIGIN}, credentials: include`,
      '',
      `Preflight: OPTIONS ${server.url}/items/1`,
      `  > Origin: ${ORIGIN}`,
      '  > Access-Control-Request-Method: DELETE',
      '  < status 204',
      `  < Access-Control-Allow-Origin: ${ORIGIN}`,
      '  < Vary: Origin',
      '  < Access-Control-Allow-Methods: DELETE',
      '  < Access-Control-Max-Age: 86400',
      '  fails: preflight: a credentialed request needs Access-Control-Allow-Credentials: true',
      '',
      'Actual request: not sent, the preflight failed',
      '',
    ].join('\n'));
    expect(findings).toMatch(/^ {2}max-age-over-browser-cap: Access-Control-Max-Age is 86400, above Chromium's cap [^\n]*\n$/);
  });

  it('a lower-case method that fetch sends as written gets a note', async () => {
    const run = await cli('probe', `${server.url}/x`, '--origin', ORIGIN, '-X', 'patch');
    expect(run.stdout).toContain('Note: fetch sends the method patch as written');
  });

  it('nothing a server sends reaches the terminal unescaped', async () => {
    const hostile = await startRawServer(
      'HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: \u001b]0;owned\u0007\u009b2J\r\nVary: \u001b[31mred\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    try {
      const human = await cli('probe', `${hostile.url}/x`, '--origin', ORIGIN);
      expect(human.code).toBe(1);
      expect(human.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(human.stdout).toContain('< Access-Control-Allow-Origin: \\u001b]0;owned\\u0007\\u009b2J');
      expect(human.stdout).toContain('Reason: Access-Control-Allow-Origin "\\u001b]0;owned\\u0007\\u009b2J" is not the page\'s origin');
      const json = await cli('probe', `${hostile.url}/x`, '--origin', ORIGIN, '--json');
      expect(json.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      // Still the exact value for a program that parses it.
      expect(JSON.parse(json.stdout).actual.response.headers['access-control-allow-origin']).toEqual(['\u001b]0;owned\u0007\u009b2J']);
    } finally {
      await hostile.close();
    }
  });
});

describe('the bin, run as a user runs it', () => {
  let bin: TranspiledBin;
  beforeAll(async () => {
    bin = await transpileBin();
  }, 30_000);
  afterAll(() => bin?.cleanup());

  it('package.json names lib/cli/main.ts\'s build output as the bin, and the entry starts with a shebang', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'nest-cross-origin': './dist/cli/main.js' });
    expect(readFileSync(join(ROOT, 'lib/cli/main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('exit codes 0, 1 and 2 from the process', async () => {
    const allowed = await runBin(bin.main, ['probe', `${server.url}/x`, '--origin', ORIGIN, '--json']);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).verdict).toBe('allowed');
    const refused = await runBin(bin.main, ['probe', `${server.url}/x`, '--origin', ORIGIN, '--credentials']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^Verdict: refused\n/);
    const port = await freePort();
    const closed = await runBin(bin.main, ['probe', `http://127.0.0.1:${port}/`, '--origin', ORIGIN]);
    expect(closed.code).toBe(2);
    expect(closed.stderr).toContain('connection refused');
    const usage = await runBin(bin.main, []);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: nest-cross-origin probe');
  }, 30_000);

  it('https: a certificate the system does not trust is a network error; trusted (NODE_EXTRA_CA_CERTS), the probe goes on', async () => {
    const cert = join(ROOT, 'test/e2e/probe/fixtures/loopback-cert.pem');
    const tls = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(join(ROOT, 'test/e2e/probe/fixtures/loopback-key.pem')) }, (req, res) => {
      res.writeHead(200, { 'access-control-allow-origin': req.headers.origin ?? '', vary: 'Origin' });
      res.end();
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/x`;
    try {
      const untrusted = await runBin(bin.main, ['probe', url, '--origin', ORIGIN]);
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toMatch(/network error on the actual request \(GET https:\/\/127\.0\.0\.1:\d+\/x\): TLS failed: .*certificate/);
      const trusted = await runBin(bin.main, ['probe', url, '--origin', ORIGIN, '--json'], 15_000, { NODE_EXTRA_CA_CERTS: cert });
      expect(trusted.code).toBe(0);
      expect(JSON.parse(trusted.stdout).actual.request.headers['sec-fetch-site']).toBe('cross-site');
    } finally {
      await new Promise<void>((resolve) => tls.close(() => resolve()));
    }
  }, 30_000);
});
