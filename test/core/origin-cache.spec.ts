import { jest } from '@jest/globals';
import {
  ABANDON_LOOKUP,
  cachedOrigins,
  checkOrigin,
  compileOrigins,
  LOOKUP_KEY,
  MAX_CACHE_KEY_LENGTH,
  type CachedPredicateHooks,
} from '../../lib/core/index.js';

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

  // The cache's own timeout is 50 ms; the module's bound equals it, or is far larger: either
  // way the smaller bound ends the wait of every request on the lost lookup, and the next
  // request asks the store again (fake timers move Date.now too).
  it.each([
    { desc: "with the module's time bound, a wedged lookup costs each request originTimeout, never more", moduleBound: 50 },
    { desc: "its own timeout, when smaller than the module's bound, ends the wait of the requests on the lookup", moduleBound: 4_000 },
  ])('$desc', async ({ moduleBound }) => {
    jest.useFakeTimers();
    try {
      const answers: (() => Promise<boolean>)[] = [never, async () => true];
      let calls = 0;
      const p = cachedOrigins(() => answers[calls++](), { ttl: 60_000, timeout: 50 });
      const m = compileOrigins([p]);
      const first = checkOrigin(m, 'https://a.test', {}, moduleBound);
      const joined = checkOrigin(m, 'https://a.test', {}, moduleBound);
      await jest.advanceTimersByTimeAsync(50);
      await expect(first).resolves.toEqual({ kind: 'origin-timeout', origin: 'https://a.test', timeout: 50 });
      await expect(joined).resolves.toEqual({ kind: 'origin-timeout', origin: 'https://a.test', timeout: 50 });
      await expect(checkOrigin(m, 'https://a.test', {}, moduleBound)).resolves.toBe(true);
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

describe('cachedOrigins: one spelling per origin (issue 15)', () => {
  it('hands the lookup the normalised origin, so an upper-case spelling cannot poison the answer', () => {
    const seen: string[] = [];
    // A store that compares exactly, as most do.
    const p = cachedOrigins((o) => (seen.push(o), o === 'https://victim.example'), { ttl: 60_000 });
    const m = compileOrigins([p]);
    expect(checkOrigin(m, 'HTTPS://VICTIM.EXAMPLE', {})).toBe(true);
    expect(checkOrigin(m, 'https://victim.example', {})).toBe(true);
    expect(seen).toEqual(['https://victim.example']);
  });

  it.each([
    { desc: 'a path', origin: 'https://a.test/x' },
    { desc: 'whitespace', origin: 'https://a.test ' },
    { desc: 'userinfo', origin: 'https://u@a.test' },
    { desc: 'null', origin: 'null' },
    { desc: 'an empty value', origin: '' },
    { desc: 'a huge value', origin: `https://${'a'.repeat(400)}.test` },
  ])('never lets a malformed Origin reach the lookup or the cache: $desc', ({ origin }) => {
    let calls = 0;
    const p = cachedOrigins(() => (calls++, true), { ttl: 60_000 });
    expect(checkOrigin(compileOrigins([p]), origin, {})).toEqual({ kind: 'origin', origin });
    expect(p(origin, {})).toBe(false); // called directly too
    expect(calls).toBe(0);
    expect(p.size).toBe(0);
  });
});

describe("cachedOrigins bounded by the module's originTimeout (issue 15)", () => {
  const never = () => new Promise<boolean>(() => {});

  it('the smaller bound wins: after an originTimeout, the next request asks the store again', async () => {
    jest.useFakeTimers();
    try {
      const answers: (() => Promise<boolean>)[] = [never, async () => true];
      let calls = 0;
      // The cache's own timeout is the default 5000 ms; the module's is 1000 ms.
      const p = cachedOrigins(() => answers[calls++](), { ttl: 60_000 });
      const m = compileOrigins([p]);
      const first = checkOrigin(m, 'https://a.test', {}, 1000);
      await jest.advanceTimersByTimeAsync(1000);
      await expect(first).resolves.toEqual({ kind: 'origin-timeout', origin: 'https://a.test', timeout: 1000 });
      await expect(checkOrigin(m, 'https://a.test', {}, 1000)).resolves.toBe(true);
      expect(calls).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('abandoning one lookup leaves a newer one, and other origins, alone', async () => {
    const resolvers: ((v: boolean) => void)[] = [];
    const p = cachedOrigins(() => new Promise<boolean>((r) => resolvers.push(r)), { ttl: 60_000 });
    const hooks = p as unknown as CachedPredicateHooks;
    const a = p('https://a.test', {}) as Promise<boolean>;
    const b = p('https://b.test', {}) as Promise<boolean>;
    hooks[ABANDON_LOOKUP]!(a);
    const fresh = p('https://a.test', {});
    expect(fresh).not.toBe(a);
    expect(p('https://b.test', {})).toBe(b);
    hooks[ABANDON_LOOKUP]!(a); // again, late: the newer lookup stays shared
    expect(p('https://a.test', {})).toBe(fresh);
    resolvers[0](true); // the abandoned lookup answers after all: not kept
    await a;
    expect(p.size).toBe(0);
  });

  it('offers its hooks as non-enumerable symbols', () => {
    const p = cachedOrigins(() => true, { ttl: 1, key: () => 't' });
    expect(Object.keys(p)).not.toContain(String(ABANDON_LOOKUP));
    expect(Object.getOwnPropertyDescriptor(p, ABANDON_LOOKUP)?.enumerable).toBe(false);
    expect(Object.getOwnPropertyDescriptor(p, LOOKUP_KEY)?.enumerable).toBe(false);
  });
});

describe('cachedOrigins per tenant: the key option (issue 17)', () => {
  interface Req { readonly tenant: string }
  const STORE: Record<string, ReadonlySet<string>> = { a: new Set(['https://shared.test']), b: new Set() };

  function tenantCache(extra: { max?: number; now?: () => number } = {}) {
    const calls: [string, unknown, string | undefined][] = [];
    const p = cachedOrigins<Req>((origin, req, key) => (calls.push([origin, req, key]), STORE[key!]?.has(origin) === true), {
      ttl: 60_000, key: (_origin, req) => req.tenant, ...extra,
    });
    return { p, calls };
  }

  it('caches per (key, origin): one tenant\'s answer is never reused for another', () => {
    const { p, calls } = tenantCache();
    const a = { tenant: 'a' };
    const b = { tenant: 'b' };
    expect(p('https://shared.test', a)).toBe(true);
    expect(p('https://shared.test', b)).toBe(false);
    expect(p('https://shared.test', a)).toBe(true);
    expect(p('https://shared.test', b)).toBe(false);
    // The lookup got the origin, the framework request and the key, once per tenant.
    expect(calls).toEqual([['https://shared.test', a, 'a'], ['https://shared.test', b, 'b']]);
    expect(p.size).toBe(2);
  });

  it('keeps each (key, origin) answer for its own ttl (fake clock)', () => {
    const c = clock();
    const { p, calls } = tenantCache({ now: c.now });
    p('https://shared.test', { tenant: 'a' });
    c.advance(30_000);
    p('https://shared.test', { tenant: 'b' });
    c.advance(30_000); // a's answer is 60 s old: expired; b's is 30 s old: kept
    p('https://shared.test', { tenant: 'a' });
    p('https://shared.test', { tenant: 'b' });
    expect(calls.map(([, , k]) => k)).toEqual(['a', 'b', 'a']);
  });

  it('gives the key function the normalised origin and the request', () => {
    const seen: unknown[] = [];
    const req = { tenant: 'a' };
    const p = cachedOrigins(() => true, { ttl: 1000, key: (origin, request) => (seen.push(origin, request), 'a') });
    p('HTTPS://Shared.TEST', req);
    expect(seen).toEqual(['https://shared.test', req]);
  });

  it('names the key of a refusal, for explain mode', () => {
    const { p } = tenantCache();
    expect(checkOrigin(compileOrigins([p]), 'https://shared.test', { tenant: 'b' })).toEqual({ kind: 'origin', origin: 'https://shared.test', key: 'b' });
    expect(checkOrigin(compileOrigins([p]), 'https://shared.test', { tenant: 'a' })).toBe(true);
    // A refusal without a keyed cache carries no key.
    expect(checkOrigin(compileOrigins([() => false]), 'https://shared.test', {})).toEqual({ kind: 'origin', origin: 'https://shared.test' });
  });

  it('names the key of a timed-out lookup', async () => {
    jest.useFakeTimers();
    try {
      const p = cachedOrigins(() => new Promise<boolean>(() => {}), { ttl: 1000, key: () => 'tenant-a' });
      const verdict = checkOrigin(compileOrigins([p]), 'https://a.test', {}, 50);
      await jest.advanceTimersByTimeAsync(50);
      await expect(verdict).resolves.toEqual({ kind: 'origin-timeout', origin: 'https://a.test', timeout: 50, key: 'tenant-a' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('shares a pending lookup per (key, origin) only', async () => {
    const resolvers: ((v: boolean) => void)[] = [];
    const p = cachedOrigins<Req>(() => new Promise<boolean>((r) => resolvers.push(r)), { ttl: 60_000, key: (_o, req) => req.tenant });
    const a1 = p('https://x.test', { tenant: 'a' });
    const a2 = p('https://x.test', { tenant: 'a' });
    const b1 = p('https://x.test', { tenant: 'b' });
    expect(a1).toBe(a2);
    expect(b1).not.toBe(a1);
    expect(resolvers).toHaveLength(2);
    resolvers[0](true);
    resolvers[1](false);
    await expect(a1).resolves.toBe(true);
    await expect(b1).resolves.toBe(false);
    expect(p('https://x.test', { tenant: 'a' })).toBe(true);
    expect(p('https://x.test', { tenant: 'b' })).toBe(false);
  });

  it.each([
    { desc: 'throws', key: () => { throw new Error('no tenant'); }, message: 'cachedOrigins key function failed: no tenant' },
    { desc: 'returns no string', key: () => 42 as never, message: 'cachedOrigins key function returned number, not a string' },
    { desc: 'returns an over-long string', key: () => 'x'.repeat(MAX_CACHE_KEY_LENGTH + 1), message: `cachedOrigins key is longer than ${MAX_CACHE_KEY_LENGTH} characters` },
  ])('refuses, reported like a failing predicate, when the key function $desc', ({ key, message }) => {
    let calls = 0;
    const p = cachedOrigins(() => (calls++, true), { ttl: 60_000, key });
    expect(checkOrigin(compileOrigins([p]), 'https://a.test', {})).toEqual({ kind: 'origin-error', origin: 'https://a.test', message });
    expect(calls).toBe(0);
    expect(p.size).toBe(0);
  });

  it('keeps at most max answers, all keys together', () => {
    const { p, calls } = tenantCache({ max: 3 });
    for (const tenant of ['a', 'b']) for (const o of ['https://1.test', 'https://2.test']) p(o, { tenant });
    expect(p.size).toBe(3); // a's answer for 1.test went first
    p('https://1.test', { tenant: 'a' });
    expect(calls.map(([o, , k]) => `${k} ${o}`)).toEqual(['a https://1.test', 'a https://2.test', 'b https://1.test', 'b https://2.test', 'a https://1.test']);
  });

  it('invalidate() drops one entry, an origin for every key, a key for every origin, or everything', () => {
    const { p, calls } = tenantCache();
    const fill = () => {
      for (const tenant of ['a', 'b']) for (const o of ['https://1.test', 'https://2.test']) p(o, { tenant });
    };
    const asked = () => calls.splice(0).map(([o, , k]) => `${k} ${o}`);
    fill();
    asked();
    p.invalidate('https://1.test', { key: 'a' });
    fill();
    expect(asked()).toEqual(['a https://1.test']);
    p.invalidate('HTTPS://1.TEST');
    fill();
    expect(asked()).toEqual(['a https://1.test', 'b https://1.test']);
    p.invalidate(undefined, { key: 'b' });
    fill();
    expect(asked()).toEqual(['b https://1.test', 'b https://2.test']);
    p.invalidate();
    expect(p.size).toBe(0);
  });

  it('refuses a key option that is not a function at creation', () => {
    expect(() => cachedOrigins(() => true, { ttl: 1, key: 'tenant' as never })).toThrow(/nest-cross-origin: cachedOrigins\(\) key must be a function/);
  });
});
