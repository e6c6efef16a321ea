import { jest } from '@jest/globals';
import { cachedOrigins, checkOrigin, compileOrigins } from '../../lib/core/index.js';

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

  it('refuses without caching when the lookup throws or rejects, passing the error on', async () => {
    let fail = true;
    let calls = 0;
    const sync = cachedOrigins(() => { calls++; if (fail) throw new Error('down'); return true; }, { ttl: 1000 });
    // The error reaches the module, which refuses the origin and logs why (SPEC §7).
    expect(() => sync('https://a.test', {})).toThrow('down');
    expect(checkOrigin(compileOrigins([sync]), 'https://a.test', {})).toEqual({ kind: 'origin-error', origin: 'https://a.test', message: 'down' });
    fail = false;
    expect(sync('https://a.test', {})).toBe(true);
    expect(calls).toBe(3);
    const async = cachedOrigins(async () => { throw new Error('down'); }, { ttl: 1000 });
    await expect(async('https://a.test', {})).rejects.toThrow('down');
    await expect(checkOrigin(compileOrigins([async]), 'https://a.test', {})).resolves.toEqual({ kind: 'origin-error', origin: 'https://a.test', message: 'down' });
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
    { desc: 'zero timeout', options: { ttl: 1, timeout: 0 } },
    { desc: 'infinite timeout', options: { ttl: 1, timeout: Infinity } },
    { desc: 'timeout as a string', options: { ttl: 1, timeout: '50' as never } },
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

describe('cachedOrigins and a lookup that never settles (SPEC §7)', () => {
  const never = () => new Promise<boolean>(() => {});

  it('abandons the pending lookup at its timeout, so a later request asks again', async () => {
    const c = clock();
    const answers: (() => Promise<boolean>)[] = [never, async () => true];
    let calls = 0;
    const p = cachedOrigins(() => answers[calls++](), { ttl: 60_000, timeout: 500, now: c.now });
    const first = p('https://a.test', {});
    c.advance(499);
    expect(p('https://a.test', {})).toBe(first); // still shared while under the bound
    expect(calls).toBe(1);
    c.advance(1);
    const second = p('https://a.test', {});
    expect(second).not.toBe(first);
    expect(calls).toBe(2);
    await expect(second).resolves.toBe(true);
    expect(p('https://a.test', {})).toBe(true); // the fresh answer is cached for the ttl
    expect(calls).toBe(2);
  });

  it('does not keep the late answer of an abandoned lookup', async () => {
    const c = clock();
    const resolvers: ((v: boolean) => void)[] = [];
    const p = cachedOrigins(() => new Promise<boolean>((r) => resolvers.push(r)), { ttl: 60_000, timeout: 100, now: c.now });
    const abandoned = p('https://a.test', {});
    c.advance(100);
    const fresh = p('https://a.test', {});
    resolvers[0](true); // the lost call comes back after all
    await expect(abandoned).resolves.toBe(true);
    expect(p.size).toBe(0);
    expect(p('https://a.test', {})).toBe(fresh); // the newer lookup is still the one shared
    resolvers[1](false);
    await expect(fresh).resolves.toBe(false);
    expect(p('https://a.test', {})).toBe(false);
  });

  it('times out at 5000 ms when no timeout is given, the default originTimeout', () => {
    const c = clock();
    let calls = 0;
    const p = cachedOrigins(() => (calls++, never()), { ttl: 60_000, now: c.now });
    p('https://a.test', {});
    c.advance(4999);
    p('https://a.test', {});
    expect(calls).toBe(1);
    c.advance(1);
    p('https://a.test', {});
    expect(calls).toBe(2);
  });

  it('keeps at most max lookups pending, so a hung store cannot grow memory without bound', () => {
    const c = clock();
    const calls: string[] = [];
    const p = cachedOrigins((o) => (calls.push(o), never()), { ttl: 60_000, max: 2, timeout: 1000, now: c.now });
    const one = p('https://1.test', {});
    p('https://2.test', {});
    p('https://3.test', {}); // drops the oldest pending lookup, 1's
    expect(p('https://3.test', {})).not.toBe(one);
    expect(calls).toEqual(['https://1.test', 'https://2.test', 'https://3.test']);
    p('https://1.test', {});
    expect(calls).toEqual(['https://1.test', 'https://2.test', 'https://3.test', 'https://1.test']);
  });

  it('with the module\'s time bound, a wedged lookup costs each request originTimeout, never more', async () => {
    jest.useFakeTimers();
    try {
      const answers: (() => Promise<boolean>)[] = [never, async () => true];
      let calls = 0;
      const p = cachedOrigins(() => answers[calls++](), { ttl: 60_000, timeout: 50 });
      const m = compileOrigins([p]);
      const first = checkOrigin(m, 'https://a.test', {}, 50);
      await jest.advanceTimersByTimeAsync(50);
      await expect(first).resolves.toEqual({ kind: 'origin-timeout', origin: 'https://a.test', timeout: 50 });
      // Fake timers move Date.now too: the pending entry has expired, the store is asked again.
      await expect(checkOrigin(m, 'https://a.test', {}, 50)).resolves.toBe(true);
      expect(calls).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('is named after its lookup, for explain mode\'s start-up table', () => {
    expect(cachedOrigins(function isPartner() { return true; }, { ttl: 1 }).name).toBe('cachedOrigins(isPartner)');
    expect(cachedOrigins(Object.defineProperty(() => true, 'name', { value: '' }), { ttl: 1 }).name).toBe('cachedOrigins');
  });
});
