// A 429 from @nestjs/throttler 6 that the browser can read: the rejection carries the CORS
// headers (SPEC §4, errors) and `Retry-After` is exposed with `exposeHeaders`, so a page's
// fetch() sees the status and when to retry instead of an opaque network error.
//
// Throttler is CommonJS and require()s the ES module @nestjs/common: Node 20.19+ loads that,
// Jest's module loader cannot. So the app (apps/throttler.app.ts) is compiled with tsc and run
// as a child `node` process, and the test talks to it over HTTP.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSCONFIG = join(ROOT, 'test/e2e/ecosystem/apps/tsconfig.json');
const APP = join(ROOT, '.build/ecosystem/test/e2e/ecosystem/apps/throttler.app.js');
const STARTUP_MS = 20_000;

interface Child {
  readonly url: string;
  readonly origin: string;
  readonly limit: number;
  readonly process: ChildProcess;
}

/** Starts the app on `adapter` and waits for the line announcing its port and configuration. */
function startChild(adapter: 'express' | 'fastify'): Promise<Child> {
  const child = spawn(process.execPath, [APP, adapter], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`throttler app did not start in ${STARTUP_MS} ms: ${stderr}`)); }, STARTUP_MS);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`throttler app exited with ${code}: ${stderr}`)); });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const { port, origin, limit } = JSON.parse(line) as { port: number; origin: string; limit: number };
      resolve({ url: `http://127.0.0.1:${port}`, origin, limit, process: child });
    });
  });
}

/** Closing stdin asks the app to close; the kill is only for an app that does not. */
function stopChild(child: Child | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.process.kill('SIGKILL'), 5_000);
    child.process.once('exit', () => { clearTimeout(timer); resolve(); });
    child.process.stdin!.end();
  });
}

beforeAll(() => {
  // Compiles lib/ and the app into .build/ecosystem (git-ignored); tsc also type-checks them.
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', TSCONFIG], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    // tsc reports on stdout: put its diagnostics in the failure, not just "Command failed".
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`tsc -p ${TSCONFIG} failed:\n${String(stdout ?? '')}${String(stderr ?? '')}`);
  }
}, 120_000);

describe.each(['express', 'fastify'] as const)('@nestjs/throttler 6 on %s (child process)', (adapter) => {
  let child: Child;
  beforeAll(async () => { child = await startChild(adapter); }, STARTUP_MS + 5_000);
  afterAll(() => stopChild(child));

  it('preflights do not use up the budget, then the 429 carries ACAO and exposes Retry-After', async () => {
    // Automatic preflights end before guards run, so the throttler never counts them.
    for (let i = 0; i < child.limit + 3; i++) {
      const pre = await request(child.url).options('/limited').set('Origin', child.origin).set('Access-Control-Request-Method', 'GET');
      expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([204, child.origin]);
    }
    for (let i = 0; i < child.limit; i++) {
      const ok = await request(child.url).get('/limited').set('Origin', child.origin);
      expect([ok.status, ok.text, ok.headers['access-control-allow-origin']]).toEqual([200, 'within the limit', child.origin]);
    }
    const limited = await request(child.url).get('/limited').set('Origin', child.origin);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual(expect.objectContaining({ statusCode: 429 }));
    expect(limited.headers['access-control-allow-origin']).toBe(child.origin);
    expect(limited.headers['access-control-expose-headers']).toBe('Retry-After');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers.vary).toMatch(/origin/i);
  });

  it('a refused origin gets the 429 too, without CORS headers (the browser hides it)', async () => {
    // The budget is per client: whatever the test above used, limit + 1 requests reach a 429.
    const statuses: number[] = [];
    for (let i = 0; i <= child.limit; i++) {
      const res = await request(child.url).get('/limited').set('Origin', 'https://evil.example');
      statuses.push(res.status);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-expose-headers']).toBeUndefined();
    }
    expect(statuses).toContain(429);
  });
});
