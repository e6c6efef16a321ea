// Every replica in step through Redis (SPEC §9, issue 17; docs/recipes/replicas-redis.md):
// a real redis-server and three replicas of one app, each its own `node` process (two on
// Express, one on Fastify) running the recipe's code. A change made through one replica's
// admin endpoint is applied on all three within a second (measured and printed); an invalid
// one is refused there and reaches nobody; invalid options written straight to Redis are
// refused by every replica, which keep theirs and say so; a replica that misses a change while
// its connections are down catches up when it reconnects.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { httpCall } from '../utility/sockets.js';
import { startRedis, type RedisServer } from '../utility/redis.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TSCONFIG = join(ROOT, 'test/e2e/replicas/tsconfig.json');
const APP = join(ROOT, '.build/replicas/test/e2e/replicas/replica.app.js');
const STARTUP_MS = 30_000;
/** What the issue asks: a change is applied on every replica within one second. */
const PROPAGATION_LIMIT_MS = 1000;
/** Changes measured through the admin endpoint. */
const MEASURED_CHANGES = 6;

const KEY = 'cors:options';
const CHANNEL = 'cors:options';
const START_ORIGIN = 'https://app.example';

type Redis = ReturnType<typeof createClient>;

interface Replica {
  readonly name: string;
  readonly adapter: 'express' | 'fastify';
  readonly url: string;
  readonly process: ChildProcess;
  /** Every log line the replica wrote, as it wrote it. */
  readonly logs: { level: string; context?: string; message: string; at: number }[];
}

/** Starts one replica and waits for the line announcing its port. */
function startReplica(adapter: 'express' | 'fastify', redisUrl: string, name: string): Promise<Replica> {
  const child = spawn(process.execPath, [APP, adapter, redisUrl, name], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const logs: Replica['logs'] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`replica ${name} did not start in ${STARTUP_MS} ms: ${stderr}`)); }, STARTUP_MS);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`replica ${name} exited with ${code}: ${stderr}`)); });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { ready?: { port: number }; log?: Replica['logs'][number] };
      if (event.log) logs.push(event.log);
      if (event.ready) {
        clearTimeout(timer);
        resolve({ name, adapter, url: `http://127.0.0.1:${event.ready.port}`, process: child, logs });
      }
    });
  });
}

/** Closing stdin asks the replica to close; the kill is only for one that does not. */
function stopReplica(replica: Replica | undefined): Promise<void> {
  if (!replica || replica.process.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => replica.process.kill('SIGKILL'), 5_000);
    replica.process.once('exit', () => { clearTimeout(timer); resolve(); });
    replica.process.stdin!.end();
  });
}

/** Whether the replica admits `origin` now, asked with a preflight as a browser would. */
async function admits(replica: Replica, origin: string): Promise<boolean> {
  const res = await httpCall(`${replica.url}/data`, 'OPTIONS', { origin, 'access-control-request-method': 'GET' });
  return res.headers['access-control-allow-origin'] === origin;
}

/** Polls until the replica's answer for `origin` is `wanted`; resolves with the time it was first seen, or rejects. */
async function until(replica: Replica, origin: string, wanted: boolean, limitMs: number): Promise<number> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    if ((await admits(replica, origin)) === wanted) return performance.now();
    if (performance.now() > deadline) throw new Error(`${replica.name} still ${wanted ? 'refuses' : 'admits'} ${origin} after ${limitMs} ms`);
    // Often enough to time a change to ~10 ms, seldom enough to leave the replicas the CPU.
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The admin call on one replica: PUT /admin/cors with the whole options. */
async function putOptions(replica: Replica, options: unknown): Promise<{ status: number; body: string }> {
  const res = await fetch(`${replica.url}/admin/cors`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(options) });
  return { status: res.status, body: await res.text() };
}

/** The id of each connection of the Redis server, by its CLIENT SETNAME name. */
async function clientIds(redis: Redis): Promise<Map<string, string>> {
  const list = String(await redis.sendCommand(['CLIENT', 'LIST']));
  const ids = new Map<string, string>();
  for (const line of list.split('\n')) {
    const fields = Object.fromEntries(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    if (fields.name) ids.set(fields.name, fields.id);
  }
  return ids;
}

const median = (values: readonly number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

it('is the code docs/recipes/replicas-redis.md shows', () => {
  const doc = readFileSync(join(ROOT, 'docs/recipes/replicas-redis.md'), 'utf8').match(/```ts\n([\s\S]*?)```/)?.[1];
  const code = readFileSync(join(ROOT, 'test/e2e/replicas/cors-replicas.ts'), 'utf8').match(/\/\/ recipe:start\n([\s\S]*?)\/\/ recipe:end/)?.[1];
  expect(code).toBeDefined();
  expect(code?.replace("'../../../lib/index.js'", "'nest-cross-origin'")).toBe(doc);
});

describe('three replicas (2 Express, 1 Fastify) in step through Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  let replicas: Replica[] = [];
  let r1: Replica, r3: Replica;
  /** The options in the store now, as the test last wrote them. */
  let current: { origins: string[] } = { origins: [START_ORIGIN] };

  beforeAll(async () => {
    redis = await startRedis();
    try {
      // Compiles lib/ and the replica app into .build/replicas (git-ignored); tsc type-checks them too.
      execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', TSCONFIG], { cwd: ROOT, stdio: 'pipe' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`tsc -p ${TSCONFIG} failed:\n${String(stdout ?? '')}${String(stderr ?? '')}`);
    }
    admin = createClient({ url: redis.url });
    admin.on('error', () => {});
    await admin.connect();
    // Replica 3 has a Redis user of its own, so the test can shut it out (ACL SETUSER off) and let it back in.
    await admin.sendCommand(['ACL', 'SETUSER', 'r3', 'on', '>r3-secret', '~*', '&*', '+@all']);
    const r3Url = redis.url.replace('redis://', 'redis://r3:r3-secret@');
    const started = await Promise.allSettled([
      startReplica('express', redis.url, 'r1'),
      startReplica('express', redis.url, 'r2'),
      startReplica('fastify', r3Url, 'r3'),
    ]);
    // The ones that did start are stopped by afterAll, whatever happened to the others.
    replicas = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    [r1, , r3] = replicas;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(replicas.map(stopReplica));
    await admin?.close().catch(() => undefined);
    await redis?.stop();
  }, 30_000);

  it('each replica runs with its own connections, named, one of them subscribed', async () => {
    const ids = await clientIds(admin);
    for (const r of ['r1', 'r2', 'r3']) {
      expect(ids.has(`${r}:commands`)).toBe(true);
      expect(ids.has(`${r}:subscriber`)).toBe(true);
    }
    // A replica subscribes as it starts following, without holding up its start-up (a change
    // stored meanwhile is read once subscribed), so the last SUBSCRIBE may land just after.
    const deadline = Date.now() + 5_000;
    let subscribed: unknown;
    while ((subscribed = await admin.sendCommand(['PUBSUB', 'NUMSUB', CHANNEL]))?.toString() !== `${CHANNEL},3` && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(subscribed).toEqual([CHANNEL, 3]);
    for (const r of replicas) expect(await admits(r, START_ORIGIN)).toBe(true);
  });

  it(`a change through one replica's admin endpoint is applied on all three within ${PROPAGATION_LIMIT_MS} ms`, async () => {
    const times: number[] = [];
    for (let i = 0; i < MEASURED_CHANGES; i++) {
      const origin = `https://tenant-${i}.example`;
      // Alternately through replica 1 (Express) and replica 3 (Fastify); each change adds one
      // origin and removes the one before, so both directions are timed.
      const through = i % 2 === 0 ? r1 : r3;
      const before = current.origins;
      current = { origins: [START_ORIGIN, origin] };
      for (const r of replicas) expect(await admits(r, origin)).toBe(false);
      const t0 = performance.now();
      const put = await putOptions(through, current);
      expect(put).toEqual({ status: 204, body: '' });
      const seen = await Promise.all(replicas.map(async (r) => {
        const added = await until(r, origin, true, 5_000);
        const removed = before.length > 1 ? await until(r, before[1], false, 5_000) : added;
        return Math.max(added, removed);
      }));
      times.push(Math.max(...seen) - t0);
    }
    expect(JSON.parse(String(await admin.get(KEY)))).toEqual(current);
    const rounded = times.map((t) => Math.round(t));
    console.log(`replicas: admin call to the last replica applying it, over ${times.length} changes: median ${Math.round(median(times))} ms, max ${Math.max(...rounded)} ms (${rounded.join(', ')} ms)`);
    expect(Math.max(...times)).toBeLessThan(PROPAGATION_LIMIT_MS);
  }, 60_000);

  it('an invalid change is refused by the admin endpoint, listing every problem, and reaches no replica', async () => {
    const stored = await admin.get(KEY);
    const put = await putOptions(r1, { origins: ['https://evil.example/path', '*'], supportsCredentials: true, maxAge: -1 });
    expect(put.status).toBe(400);
    const body = JSON.parse(put.body) as { issues: { option: string; reason: string }[] };
    expect(body.issues.map((i) => [i.option, i.reason])).toEqual(expect.arrayContaining([['origins[0]', 'invalid'], ['maxAge', 'invalid']]));
    expect(body.issues.length).toBeGreaterThanOrEqual(3);
    expect(await admin.get(KEY)).toBe(stored);
    for (const r of replicas) {
      expect(await admits(r, current.origins[1])).toBe(true);
      expect(await admits(r, 'https://evil.example')).toBe(false);
    }
    // Anything but an options object is refused too (nothing would mean every default).
    expect((await putOptions(r3, ['https://x.example'])).status).toBe(400);
    expect(await admin.get(KEY)).toBe(stored);
  });

  it('invalid options written straight to Redis are refused by every replica, which keep theirs and log why', async () => {
    const cases = [
      { json: JSON.stringify({ origins: '*', supportsCredentials: true }), says: /supportsCredentials = true: cannot be combined with origins "\*"/ },
      { json: '{"origins": ["https://half.example"', says: /JSON/ },
    ];
    for (const { json, says } of cases) {
      const counts = replicas.map((r) => r.logs.length);
      // Bypasses the admin endpoint's check, as a script or another service might.
      await admin.multi().set(KEY, json).publish(CHANNEL, 'bypass').exec();
      for (const [i, r] of replicas.entries()) {
        const deadline = Date.now() + 3_000;
        let refusal: Replica['logs'][number] | undefined;
        while (!(refusal = r.logs.slice(counts[i]).find((l) => l.level === 'error' && l.context === 'CorsModule')) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        expect(refusal?.message).toMatch(/^CORS options from the followed store were not applied; the options in force stay: /);
        expect(refusal?.message).toMatch(says);
        expect(await admits(r, current.origins[1])).toBe(true);
        expect(await admits(r, 'https://anyone.example')).toBe(false);
      }
    }
    // A replica that starts while the store holds invalid options does not start on them:
    // follow()'s first read rejects, and start-up fails saying why.
    await admin.set(KEY, cases[0].json);
    const late = await startReplica('express', redis.url, 'r4').then(
      async (r) => { await stopReplica(r); return null; },
      (error: Error) => error,
    );
    expect(late?.message).toMatch(/^replica r4 exited with 1: .*CorsConfigError: nest-cross-origin: invalid CORS configuration/s);
    // A valid change afterwards goes through as usual.
    await admin.set(KEY, JSON.stringify(current));
    expect((await putOptions(r1, current)).status).toBe(204);
  }, 60_000);

  it('a replica whose subscriber is cut while a change is published catches up when it reconnects', async () => {
    const origin = 'https://while-unsubscribed.example';
    const ids = await clientIds(admin);
    const next = { origins: [START_ORIGIN, origin] };
    // One transaction: replica 3's subscriber is gone when the message goes out.
    const t0 = performance.now();
    const replies = await admin.multi()
      .addCommand(['CLIENT', 'KILL', 'ID', ids.get('r3:subscriber')!])
      .set(KEY, JSON.stringify(next))
      .publish(CHANNEL, 'missed-by-r3')
      .exec();
    current = next;
    // Replicas 1 and 2 heard it; replica 3 did not.
    expect(replies.at(-1)).toBe(2);
    await Promise.all(replicas.map((r) => until(r, origin, true, 5_000)));
    const caughtUp = performance.now() - t0;
    console.log(`replicas: replica 3 caught up ${Math.round(caughtUp)} ms after its subscriber was cut and the change published`);
    // It reconnected and subscribed again by itself (a new connection under the same name).
    const after = await clientIds(admin);
    expect(after.get('r3:subscriber')).toBeDefined();
    expect(after.get('r3:subscriber')).not.toBe(ids.get('r3:subscriber'));
    expect(await admin.sendCommand(['PUBSUB', 'NUMSUB', CHANNEL])).toEqual([CHANNEL, 3]);
  });

  it('a replica shut out of Redis keeps its options meanwhile, then catches up on the last change when let back in', async () => {
    const [first, last] = ['https://during-outage-1.example', 'https://during-outage-2.example'];
    const before = current.origins[1];
    const logs = r3.logs.length;
    // Both of replica 3's connections closed, and no reconnection accepted until ACL SETUSER on.
    const replies = await admin.multi()
      .addCommand(['ACL', 'SETUSER', 'r3', 'off'])
      .addCommand(['CLIENT', 'KILL', 'USER', 'r3'])
      .set(KEY, JSON.stringify({ origins: [START_ORIGIN, first] }))
      .publish(CHANNEL, 'outage-1')
      .exec();
    expect(replies.slice(1)).toEqual([2, 'OK', 2]);
    await Promise.all(replicas.filter((r) => r !== r3).map((r) => until(r, first, true, 5_000)));
    // A second change while it is still out: the last one must win.
    expect((await putOptions(r1, { origins: [START_ORIGIN, last] })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Replica 3 still serves what it had, and said why it could not reach Redis.
    expect(await admits(r3, before)).toBe(true);
    expect(await admits(r3, first)).toBe(false);
    expect(await admits(r3, last)).toBe(false);
    expect(r3.logs.slice(logs).some((l) => l.context === 'CorsReplica' && /^Redis: .*; the CORS options in force stay$/.test(l.message))).toBe(true);
    // Its admin endpoint refuses a change it could not store, and changes nothing.
    expect((await putOptions(r3, { origins: [START_ORIGIN, 'https://not-stored.example'] })).status).toBe(503);
    expect(await admits(r3, 'https://not-stored.example')).toBe(false);
    const t0 = performance.now();
    await admin.sendCommand(['ACL', 'SETUSER', 'r3', 'on']);
    await until(r3, last, true, 10_000);
    console.log(`replicas: replica 3 caught up ${Math.round(performance.now() - t0)} ms after Redis let it back in (node-redis retries with backoff, at most 2 s apart)`);
    expect(await admits(r3, before)).toBe(false);
    expect(await admits(r3, first)).toBe(false);
    current = { origins: [START_ORIGIN, last] };
    for (const r of replicas) expect(await admits(r, last)).toBe(true);
  }, 30_000);

  it('a replica whose Redis is gone still shuts down at once (close() would wait for Redis)', async () => {
    // A Redis of its own, stopped under it.
    const own = await startRedis();
    let r5: Replica | undefined;
    try {
      r5 = await startReplica('express', own.url, 'r5');
    } finally {
      await own.stop();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const t0 = performance.now();
    // stopReplica() kills after 5 s; a replica that stops by itself exits with 0.
    await stopReplica(r5);
    expect([r5.process.exitCode, r5.process.signalCode]).toEqual([0, null]);
    expect(performance.now() - t0).toBeLessThan(5_000);
  }, 60_000);
});
