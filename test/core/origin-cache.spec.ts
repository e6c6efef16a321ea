import { cachedOrigins } from '../../lib/core/index.js';

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('cachedOrigins', () => {
  it('looks each origin up once per ttl, allowed and refused alike', () => {
    const c = clock();
    const calls: string[] = [];
    const p = cachedOrigins((o) => (calls.push(o), o === 'https://a.test'), { ttl: 100, now: c.now });
    expect([p('https://a.test', {}), p('https://a.test', {}), p('https://b.test', {}), p('https://b.test', {})]).toEqual([true, true, false, false]);
    expect(calls).toEqual(['https://a.test', 'https://b.test']);
    c.advance(100);
    expect(p('https://a.test', {})).toBe(true);
    expect(calls).toEqual(['https://a.test', 'https://b.test', 'https://a.test']);
  });

  it('keys origins case-insensitively', () => {
    const calls: string[] = [];
    const p = cachedOrigins((o) => (calls.push(o), true), { ttl: 1000 });
    p('https://A.test', {});
    p('https://a.TEST', {});
    expect(calls).toHaveLength(1);
  });

  it('keeps at most max origins, dropping the least recently used', () => {
    const calls: string[] = [];
    const p = cachedOrigins((o) => (calls.push(o), true), { ttl: 1000, max: 2 });
    p('https://1.test', {});
    p('https://2.test', {});
    p('https://1.test', {}); // 1 is now more recent than 2
    p('https://3.test', {}); // evicts 2
    expect(p.size).toBe(2);
    p('https://1.test', {});
    p('https://2.test', {});
    expect(calls).toEqual(['https://1.test', 'https://2.test', 'https://3.test', 'https://2.test']);
  });

  it('shares one async lookup between concurrent requests and caches its answer', async () => {
    let resolve!: (v: boolean) => void;
    let calls = 0;
    const p = cachedOrigins(() => (calls++, new Promise<boolean>((r) => (resolve = r))), { ttl: 1000 });
    const first = p('https://db.test', {});
    const second = p('https://db.test', {});
    expect(first).toBe(second);
    resolve(true);
    await expect(first).resolves.toBe(true);
    expect(p('https://db.test', {})).toBe(true);
    expect(calls).toBe(1);
  });

  it('refuses without caching when the lookup throws or rejects', async () => {
    let fail = true;
    let calls = 0;
    const sync = cachedOrigins(() => { calls++; if (fail) throw new Error('down'); return true; }, { ttl: 1000 });
    expect(sync('https://a.test', {})).toBe(false);
    fail = false;
    expect(sync('https://a.test', {})).toBe(true);
    expect(calls).toBe(2);
    const async = cachedOrigins(async () => { throw new Error('down'); }, { ttl: 1000 });
    await expect(async('https://a.test', {})).resolves.toBe(false);
    expect(async.size).toBe(0);
  });

  it('invalidate() forgets one origin or all of them', () => {
    let allowed = true;
    const p = cachedOrigins(() => allowed, { ttl: 60_000 });
    p('https://a.test', {});
    p('https://b.test', {});
    allowed = false;
    expect(p('https://a.test', {})).toBe(true);
    p.invalidate('https://A.test');
    expect(p('https://a.test', {})).toBe(false);
    expect(p('https://b.test', {})).toBe(true);
    p.invalidate();
    expect(p.size).toBe(0);
    expect(p('https://b.test', {})).toBe(false);
  });

  it.each([
    { desc: 'negative ttl', options: { ttl: -1 } },
    { desc: 'infinite ttl', options: { ttl: Infinity } },
    { desc: 'zero max', options: { ttl: 1, max: 0 } },
    { desc: 'fractional max', options: { ttl: 1, max: 1.5 } },
  ])('refuses $desc at creation', ({ options }) => {
    expect(() => cachedOrigins(() => true, options)).toThrow(/nest-cross-origin: cachedOrigins\(\)/);
  });
});

describe('cachedOrigins and invalidation during a lookup', () => {
  it('an answer that arrives after invalidate() is not kept', async () => {
    const resolvers: ((v: boolean) => void)[] = [];
    const p = cachedOrigins(() => new Promise<boolean>((r) => resolvers.push(r)), { ttl: 60_000 });
    const first = p('https://a.test', {});
    p.invalidate('https://a.test');
    resolvers[0](true);
    await expect(first).resolves.toBe(true); // that request got the answer of its time
    expect(p.size).toBe(0);
    const second = p('https://a.test', {});
    expect(resolvers).toHaveLength(2); // asked again
    resolvers[1](false);
    await expect(second).resolves.toBe(false);
    expect(p('https://a.test', {})).toBe(false);
  });
});
