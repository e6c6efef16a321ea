// SPEC §7 and §2: faults of origin predicates as data (throw, reject, never settle) and
// comma-separated origins strings.
import { jest } from '@jest/globals';
import { checkOrigin, compileOrigins, isOriginAllowed, listOrigins, splitOriginList, type OriginSpec } from '../../lib/core/index.js';

const NEVER = () => new Promise<boolean>(() => {});

describe('checkOrigin: the reason travels with the refusal', () => {
  it.each([
    { desc: 'listed', specs: ['https://a.test'], origin: 'https://a.test', want: true },
    { desc: 'not listed', specs: ['https://a.test'], origin: 'https://b.test', want: { kind: 'origin', origin: 'https://b.test' } },
    { desc: 'malformed, never handed to a predicate', specs: [() => true], origin: 'https://b.test/x', want: { kind: 'origin', origin: 'https://b.test/x' } },
    { desc: 'predicate says no', specs: [() => false], origin: 'https://b.test', want: { kind: 'origin', origin: 'https://b.test' } },
    { desc: 'predicate throws', specs: [() => { throw new Error('store down'); }], origin: 'https://b.test', want: { kind: 'origin-error', origin: 'https://b.test', message: 'store down' } },
    { desc: 'predicate throws a string', specs: [() => { throw 'plain text'; }], origin: 'https://b.test', want: { kind: 'origin-error', origin: 'https://b.test', message: 'plain text' } },
    { desc: 'predicate throws an object with a message', specs: [() => { throw { message: 'not an Error' }; }], origin: 'https://b.test', want: { kind: 'origin-error', origin: 'https://b.test', message: 'not an Error' } },
    { desc: 'predicate throws what cannot become text', specs: [() => { throw Object.create(null); }], origin: 'https://b.test', want: { kind: 'origin-error', origin: 'https://b.test', message: 'a value that cannot be turned into text' } },
    { desc: 'first failure is reported when all refuse', specs: [() => { throw new Error('first'); }, () => { throw new Error('second'); }, () => false], origin: 'https://b.test', want: { kind: 'origin-error', origin: 'https://b.test', message: 'first' } },
    { desc: 'a later predicate admits after one threw', specs: [() => { throw new Error('down'); }, () => true], origin: 'https://b.test', want: true },
    { desc: 'a result whose then getter throws', specs: [() => ({ get then() { throw new Error('getter'); } }) as never], origin: 'https://b.test', want: { kind: 'origin-error', origin: 'https://b.test', message: 'getter' } },
  ])('sync: $desc', ({ specs, origin, want }) => {
    expect(checkOrigin(compileOrigins(specs as OriginSpec[]), origin, {}, 50)).toEqual(want);
  });

  it.each([
    { desc: 'resolves true', specs: [async () => true], want: true },
    { desc: 'resolves false', specs: [async () => false], want: { kind: 'origin', origin: 'https://b.test' } },
    { desc: 'rejects', specs: [async () => { throw new Error('db: connection reset'); }], want: { kind: 'origin-error', origin: 'https://b.test', message: 'db: connection reset' } },
    { desc: 'rejects, then a later predicate admits', specs: [async () => { throw new Error('x'); }, () => true], want: true },
    { desc: 'a thenable whose then throws', specs: [() => ({ then() { throw new Error('bad thenable'); } }) as never], want: { kind: 'origin-error', origin: 'https://b.test', message: 'bad thenable' } },
  ])('async: $desc', async ({ specs, want }) => {
    const verdict = checkOrigin(compileOrigins(specs as OriginSpec[]), 'https://b.test', {}, 1000);
    expect(verdict).toBeInstanceOf(Promise);
    await expect(verdict).resolves.toEqual(want);
  });
});

describe('checkOrigin: the time bound (originTimeout)', () => {
  afterEach(() => jest.useRealTimers());

  it('refuses a decision that has not settled in time, and never rejects', async () => {
    jest.useFakeTimers();
    const verdict = checkOrigin(compileOrigins([NEVER]), 'https://stuck.test', {}, 50) as Promise<unknown>;
    let settled: unknown = 'pending';
    void verdict.then((v) => (settled = v));
    await jest.advanceTimersByTimeAsync(49);
    expect(settled).toBe('pending');
    await jest.advanceTimersByTimeAsync(1);
    expect(settled).toEqual({ kind: 'origin-timeout', origin: 'https://stuck.test', timeout: 50 });
  });

  it('clears its timer as soon as the decision settles', async () => {
    jest.useFakeTimers();
    let resolve!: (v: boolean) => void;
    const verdict = checkOrigin(compileOrigins([() => new Promise<boolean>((r) => (resolve = r))]), 'https://a.test', {}, 5000);
    expect(jest.getTimerCount()).toBe(1);
    resolve(true);
    await expect(verdict).resolves.toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not call later predicates once the bound has answered', async () => {
    jest.useFakeTimers();
    let resolveFirst!: (v: boolean) => void;
    let laterCalls = 0;
    const m = compileOrigins([() => new Promise<boolean>((r) => (resolveFirst = r)), () => (laterCalls++, true)]);
    const verdict = checkOrigin(m, 'https://a.test', {}, 10);
    await jest.advanceTimersByTimeAsync(10);
    await expect(verdict).resolves.toEqual({ kind: 'origin-timeout', origin: 'https://a.test', timeout: 10 });
    resolveFirst(false); // the store answers late
    await jest.advanceTimersByTimeAsync(0);
    expect(laterCalls).toBe(0);
  });

  it('bounds the whole chain of predicates, not each one', async () => {
    jest.useFakeTimers();
    const slow = (ms: number) => () => new Promise<boolean>((r) => setTimeout(() => r(false), ms));
    const verdict = checkOrigin(compileOrigins([slow(30), slow(30)]), 'https://a.test', {}, 50);
    let settled: unknown;
    void (verdict as Promise<unknown>).then((v) => (settled = v));
    await jest.advanceTimersByTimeAsync(50);
    expect(settled).toEqual({ kind: 'origin-timeout', origin: 'https://a.test', timeout: 50 });
  });

  it('never keeps the process alive: the timer is unref\'d (real timers)', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const verdict = checkOrigin(compileOrigins([NEVER]), 'https://stuck.test', {}, 60_000);
    expect(verdict).toBeInstanceOf(Promise);
    // A ref'd 60 s timer would be listed here (and would hold a shutting-down process open).
    expect(timers()).toBe(before);
  });

  it('isOriginAllowed keeps its yes-or-no answer, bounded too', async () => {
    jest.useFakeTimers();
    const answer = isOriginAllowed(compileOrigins([NEVER]), 'https://stuck.test', {}, 20);
    await jest.advanceTimersByTimeAsync(20);
    await expect(answer).resolves.toBe(false);
  });
});

describe('comma-separated origins (SPEC §2)', () => {
  it.each([
    { desc: 'environment variable style', input: 'https://a.example, https://b.example', want: ['https://a.example', 'https://b.example'] },
    { desc: 'no spaces', input: 'https://a.example,https://b.example', want: ['https://a.example', 'https://b.example'] },
    { desc: 'tabs, newlines and empty elements', input: '\thttps://a.example ,, \nhttps://b.example,\n', want: ['https://a.example', 'https://b.example'] },
    { desc: 'only separators', input: ' , ,', want: [] },
  ])('splitOriginList: $desc', ({ input, want }) => {
    expect(splitOriginList(input)).toEqual(want);
  });

  it('listOrigins flattens strings with commas, keeps everything else as is', () => {
    const re = /x/;
    const fn = () => true;
    expect(listOrigins('https://a.example')).toEqual(['https://a.example']);
    expect(listOrigins(['https://a.example,https://*.b.example', re, fn, '*'])).toEqual(['https://a.example', 'https://*.b.example', re, fn, '*']);
  });

  it.each([
    { origin: 'https://a.example', want: true },
    { origin: 'https://x.b.example', want: true },
    { origin: 'http://localhost:5173', want: true },
    { origin: 'https://c.example', want: false },
    { origin: 'https://a.example, https://x.b.example', want: false },
  ])('a compiled comma-separated string admits its elements only: $origin', ({ origin, want }) => {
    expect(isOriginAllowed(compileOrigins('https://a.example, https://*.b.example ,http://localhost:*'), origin, {})).toBe(want);
  });

  it('one element with a stray comma is still the static origin (alwaysSend)', () => {
    expect(compileOrigins('https://a.example,').staticOrigin).toBe('https://a.example');
    expect(compileOrigins('https://a.example,https://b.example').staticOrigin).toBeNull();
  });
});
