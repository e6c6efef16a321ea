import { DEFAULT_ORIGIN_TIMEOUT, type OriginPredicate } from './options.js';

/** How {@link cachedOrigins} keeps answers. */
export interface CachedOriginsOptions {
  /** How long an answer (allowed or refused) is kept, in milliseconds. */
  readonly ttl: number;
  /** How many origins are kept at most; the least recently used goes first. (default: `1000`) */
  readonly max?: number;
  /**
   * How long a lookup may stay pending, in milliseconds. Past it the lookup is abandoned: the
   * next request for that origin asks the store again, so one lost call cannot wedge an
   * origin. Requests already waiting are answered by the module's `originTimeout`, so keep
   * this at or below it. A predicate cannot learn the module's `originTimeout` (it is made
   * before the module, and may serve several apps): hence an option of its own.
   * (default: `5000`, the default `originTimeout`)
   */
  readonly timeout?: number;
  /** The clock, for tests. (default: `Date.now`) */
  readonly now?: () => number;
}

/** An origin predicate that remembers answers; `invalidate()` forgets them. */
export interface CachedOriginPredicate extends OriginPredicate {
  /** Forgets one origin's answer (compared case-insensitively), or every answer. */
  invalidate(origin?: string): void;
  /** How many answers are kept now. */
  readonly size: number;
}

interface Entry {
  readonly allowed: boolean;
  readonly expires: number;
}

interface Pending {
  readonly promise: Promise<boolean>;
  /** When the lookup is abandoned (see {@link CachedOriginsOptions.timeout}). */
  readonly expires: number;
}

/**
 * Wraps a lookup of allowed origins in a user's store (a database, a config service) so each
 * origin is looked up at most once per `ttl`, with at most `max` origins kept and concurrent
 * requests from one origin sharing one lookup. A lookup that throws or rejects is not kept, so
 * the next request asks again; its error is passed on, so the module refuses the origin and
 * explain mode logs the error. A lookup pending past `timeout` is abandoned and the next
 * request asks again. The request is not part of the key: the answer must depend on the
 * origin only.
 *
 * @example
 * ```ts
 * const partnerOrigins = cachedOrigins((origin) => partners.exists(origin), { ttl: 60_000, max: 5_000 });
 * CorsModule.forRoot({ origins: partnerOrigins });
 * // after a partner is removed from the store:
 * partnerOrigins.invalidate('https://old-partner.example');
 * ```
 * @publicApi
 */
export function cachedOrigins(
  lookup: (origin: string) => boolean | Promise<boolean>,
  options: CachedOriginsOptions,
): CachedOriginPredicate {
  const { ttl, max = 1000, timeout = DEFAULT_ORIGIN_TIMEOUT, now = Date.now } = options ?? ({} as CachedOriginsOptions);
  if (typeof lookup !== 'function') throw new TypeError('nest-cross-origin: cachedOrigins() needs a lookup function');
  if (typeof ttl !== 'number' || !(ttl >= 0) || !Number.isFinite(ttl)) {
    throw new TypeError(`nest-cross-origin: cachedOrigins() ttl must be a number of milliseconds, 0 or more (got ${String(ttl)})`);
  }
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError(`nest-cross-origin: cachedOrigins() max must be a whole number, 1 or more (got ${String(max)})`);
  }
  if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) {
    throw new TypeError(`nest-cross-origin: cachedOrigins() timeout must be a number of milliseconds, more than 0 (got ${String(timeout)})`);
  }
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recent.
  const answers = new Map<string, Entry>();
  // Insertion order is start order, so abandoned lookups are found at the front.
  const pending = new Map<string, Pending>();

  const remember = (key: string, allowed: boolean) => {
    answers.delete(key);
    answers.set(key, { allowed, expires: now() + ttl });
    while (answers.size > max) answers.delete(answers.keys().next().value as string);
  };

  // Lookups that never settle must not pile up either: abandoned ones are dropped as new ones
  // start, and at most `max` are kept, the oldest going first.
  const track = (key: string, promise: Promise<boolean>) => {
    const t = now();
    for (const [k, p] of pending) {
      if (p.expires > t && pending.size < max) break;
      pending.delete(k);
    }
    pending.set(key, { promise, expires: t + timeout });
  };

  const predicate = ((origin: string): boolean | Promise<boolean> => {
    const key = origin.toLowerCase();
    const hit = answers.get(key);
    if (hit !== undefined) {
      if (hit.expires > now()) {
        answers.delete(key);
        answers.set(key, hit);
        return hit.allowed;
      }
      answers.delete(key);
    }
    const inFlight = pending.get(key);
    if (inFlight) {
      if (inFlight.expires > now()) return inFlight.promise;
      pending.delete(key);
    }
    // A sync throw reaches the caller as is: nothing is kept, the next request asks again.
    const result = lookup(origin);
    if (typeof result === 'boolean' || result === null || typeof (result as Promise<boolean>)?.then !== 'function') {
      const allowed = result === true;
      remember(key, allowed);
      return allowed;
    }
    // Only the lookup still pending may store its answer: invalidate() during a lookup drops
    // it, so an origin removed from the store is not kept allowed for another ttl.
    // The same holds for a lookup abandoned at its timeout: a newer one may be under way.
    const promise: Promise<boolean> = Promise.resolve(result).then(
      (value) => {
        const allowed = value === true;
        if (pending.get(key)?.promise === promise) {
          pending.delete(key);
          remember(key, allowed);
        }
        return allowed;
      },
      (error: unknown) => {
        if (pending.get(key)?.promise === promise) pending.delete(key);
        throw error;
      },
    );
    track(key, promise);
    return promise;
  }) as unknown as CachedOriginPredicate;

  predicate.invalidate = (origin?: string) => {
    if (origin === undefined) {
      answers.clear();
      pending.clear();
    } else {
      answers.delete(origin.toLowerCase());
      pending.delete(origin.toLowerCase());
    }
  };
  Object.defineProperty(predicate, 'size', { get: () => answers.size });
  // Named for explain mode's start-up table: "[predicate cachedOrigins(isPartner)]".
  Object.defineProperty(predicate, 'name', { value: lookup.name ? `cachedOrigins(${lookup.name})` : 'cachedOrigins' });
  return predicate;
}
