// cachedOrigins(): an origin predicate over a user's store that remembers answers, per tenant
// when asked to, with bounded memory and a bounded wait for a store that does not answer.
import { DEFAULT_ORIGIN_TIMEOUT, type OriginPredicate } from './options.js';
import { isWellFormedOrigin } from './origins.js';

/**
 * Looks an origin up in the user's store. `origin` is normalised (scheme and host lower-case:
 * origins differing only in case are one origin), `request` is the framework's request
 * (Express `Request`, `FastifyRequest`, or the Node request of a WebSocket handshake), on
 * preflights too, and `key` is what the `key` option computed for that request, if given.
 */
export type OriginLookup<R = unknown> = (origin: string, request: R, key: string | undefined) => boolean | Promise<boolean>;

/** How {@link cachedOrigins} keeps answers. */
export interface CachedOriginsOptions<R = unknown> {
  /** How long an answer (allowed or refused) is kept, in milliseconds. */
  readonly ttl: number;
  /**
   * How many answers are kept at most, all keys together, and how many lookups may be
   * pending; the least recently used goes first. (default: `1000`)
   */
  readonly max?: number;
  /**
   * How long a lookup may stay pending, in milliseconds. Past it the lookup is abandoned: the
   * requests waiting on it are refused (fail closed; explain mode says the lookup did not
   * settle in time) and the next request for that origin asks the store again, so one lost
   * call cannot wedge an origin. The module's `originTimeout` abandons it earlier when it is
   * smaller: the smaller bound wins. (default: `5000`, the default `originTimeout`)
   */
  readonly timeout?: number;
  /**
   * Tells apart requests whose answers differ for one origin, e.g. tenants: answers are
   * cached per (key, origin), so one tenant's answer is never reused for another. Receives
   * the normalised origin and the framework's request; must return a string of at most
   * {@link MAX_CACHE_KEY_LENGTH} characters. A key function that throws, or returns anything
   * else, refuses the origin for that request (fail closed), reported like a failing
   * predicate. Tell tenants apart by something the browser sends on preflights too (the
   * `Host`, a path segment): a preflight carries no custom header. (default: none, one answer
   * per origin)
   */
  readonly key?: (origin: string, request: R) => string;
  /** The clock, for tests. (default: `Date.now`) */
  readonly now?: () => number;
}

/** An origin predicate that remembers answers; `invalidate()` forgets them. */
export interface CachedOriginPredicate extends OriginPredicate {
  /**
   * Forgets answers (and lookups under way, whose late answers are then not kept): with an
   * origin and a key, that one; with an origin only, every key's answer for it; with a key
   * only, every answer for that key; with neither, everything. Origins compare
   * case-insensitively.
   */
  invalidate(origin?: string, options?: { readonly key?: string }): void;
  /** How many answers are kept now, all keys together. */
  readonly size: number;
}

/** Longest key a `key` function may return: a tenant id is short, a request header may not be. */
export const MAX_CACHE_KEY_LENGTH = 256;

/**
 * Set on every cached predicate, non-enumerable: `predicate[ABANDON_LOOKUP](pending)` tells
 * it the core stopped waiting for the promise `pending` it returned (the module's
 * `originTimeout` passed), so the next request for that origin asks the store again instead
 * of joining a lookup that may never settle. A predicate cannot learn `originTimeout` when
 * it is made: it may serve several apps.
 */
export const ABANDON_LOOKUP = Symbol('nest-cross-origin.cachedOrigins.abandon');

/**
 * Set on every cached predicate with a `key`, non-enumerable: `predicate[LOOKUP_KEY]()`
 * returns the key its last call computed (`undefined` if it had none or the key function
 * failed). Read right after a call returns, so explain mode can name the key of a refusal.
 */
export const LOOKUP_KEY = Symbol('nest-cross-origin.cachedOrigins.key');

/** The hooks a cached predicate offers the core, as seen from any predicate. */
export interface CachedPredicateHooks {
  readonly [ABANDON_LOOKUP]?: (pending: unknown) => void;
  readonly [LOOKUP_KEY]?: () => string | undefined;
}

interface Entry {
  readonly origin: string;
  readonly key: string | undefined;
  readonly allowed: boolean;
  readonly expires: number;
}

interface Pending {
  readonly origin: string;
  readonly key: string | undefined;
  readonly promise: Promise<boolean>;
  /** When the lookup is abandoned (see {@link CachedOriginsOptions.timeout}). */
  readonly expires: number;
}

/** The map key of (origin, key): a space never occurs in a well-formed origin. */
function slot(origin: string, key: string | undefined): string {
  return key === undefined ? origin : `${origin} ${key}`;
}

/** How a `cachedOrigins` lookup abandoned at its own `timeout` fails its waiting requests. */
export class LookupTimeoutError extends Error {
  constructor(readonly timeout: number) {
    super(`the lookup did not settle within ${timeout} ms`);
  }
}

/**
 * The lookup's answer, or a rejection once `timeout` ms pass without one. The timer is
 * unref'd (a hung store never holds up a shutdown) and cleared when the lookup settles.
 */
function settlesWithin(result: PromiseLike<unknown>, timeout: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new LookupTimeoutError(timeout)), timeout);
    (timer as { unref?: () => void }).unref?.();
    Promise.resolve(result).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Wraps a lookup of allowed origins in a user's store (a database, a config service) so each
 * origin (per key, with `key`) is looked up at most once per `ttl`, with at most `max`
 * answers kept and concurrent requests for one (key, origin) sharing one lookup. A lookup
 * that throws or rejects is not kept, so the next request asks again; its error is passed
 * on, so the module refuses the origin and explain mode logs the error. A lookup pending past
 * `timeout`, or past the module's `originTimeout` if smaller, is abandoned and the next
 * request asks again. A malformed Origin never reaches the lookup or the cache.
 *
 * @example
 * ```ts
 * const partnerOrigins = cachedOrigins((origin) => partners.exists(origin), { ttl: 60_000, max: 5_000 });
 * CorsModule.forRoot({ origins: partnerOrigins });
 * // after a partner is removed from the store:
 * partnerOrigins.invalidate('https://old-partner.example');
 *
 * // One answer per tenant, told apart by the host the request was sent to:
 * const tenantOrigins = cachedOrigins(
 *   (origin, req: Request, tenant) => tenants.allows(tenant!, origin),
 *   { ttl: 60_000, key: (origin, req) => req.hostname },
 * );
 * tenantOrigins.invalidate(undefined, { key: 'acme.api.example' }); // forget one tenant's answers
 * ```
 * @publicApi
 */
export function cachedOrigins<R = unknown>(lookup: OriginLookup<R>, options: CachedOriginsOptions<R>): CachedOriginPredicate {
  const { ttl, max = 1000, timeout = DEFAULT_ORIGIN_TIMEOUT, now = Date.now, key: keyOf } = options ?? ({} as CachedOriginsOptions<R>);
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
  if (keyOf !== undefined && typeof keyOf !== 'function') {
    throw new TypeError('nest-cross-origin: cachedOrigins() key must be a function (origin, request) => string');
  }
  // A Map iterates in insertion order: re-inserting on use makes the first slot the least recent.
  const answers = new Map<string, Entry>();
  // Insertion order is start order, so abandoned lookups are found at the front.
  const pending = new Map<string, Pending>();
  // The slot of each promise handed out, for ABANDON_LOOKUP.
  const slotOf = new WeakMap<Promise<boolean>, string>();
  let lastKey: string | undefined;

  const remember = (entry: Entry) => {
    const at = slot(entry.origin, entry.key);
    answers.delete(at);
    answers.set(at, entry);
    while (answers.size > max) answers.delete(answers.keys().next().value as string);
  };

  // Lookups that never settle must not pile up either: abandoned ones are dropped as new ones
  // start, and at most `max` are kept, the oldest going first.
  const track = (at: string, p: Pending) => {
    const t = now();
    for (const [k, q] of pending) {
      if (q.expires > t && pending.size < max) break;
      pending.delete(k);
    }
    pending.set(at, p);
    slotOf.set(p.promise, at);
  };

  /** The key of this request: a string within bounds, or a throw (the origin is refused). */
  const computeKey = (origin: string, request: unknown): string | undefined => {
    if (keyOf === undefined) return undefined;
    let value: unknown;
    try {
      value = keyOf(origin, request as R);
    } catch (error) {
      throw new Error(`cachedOrigins key function failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (typeof value !== 'string') throw new TypeError(`cachedOrigins key function returned ${typeof value}, not a string`);
    if (value.length > MAX_CACHE_KEY_LENGTH) throw new RangeError(`cachedOrigins key is longer than ${MAX_CACHE_KEY_LENGTH} characters`);
    return value;
  };

  const predicate = ((sent: string, request: unknown): boolean | Promise<boolean> => {
    lastKey = undefined;
    // The core refuses malformed origins before any predicate; this holds when the
    // predicate is called some other way too, so the store and the cache only ever see origins.
    if (typeof sent !== 'string' || !isWellFormedOrigin(sent)) return false;
    // One spelling per origin (README "Origins and Vary": origins differing only in case are
    // one): keyed, and handed to the lookup, lower-cased, so an upper-case spelling can
    // neither miss a lookup that compares exactly nor poison the answer for the real origin.
    const origin = sent.toLowerCase();
    const key = computeKey(origin, request);
    lastKey = key;
    const at = slot(origin, key);
    const hit = answers.get(at);
    if (hit !== undefined) {
      if (hit.expires > now()) {
        answers.delete(at);
        answers.set(at, hit);
        return hit.allowed;
      }
      answers.delete(at);
    }
    const inFlight = pending.get(at);
    if (inFlight) {
      if (inFlight.expires > now()) return inFlight.promise;
      pending.delete(at);
    }
    // A sync throw reaches the caller as is: nothing is kept, the next request asks again.
    const result = lookup(origin, request as R, key);
    if (typeof result === 'boolean' || result === null || typeof (result as Promise<boolean>)?.then !== 'function') {
      const allowed = result === true;
      remember({ origin, key, allowed, expires: now() + ttl });
      return allowed;
    }
    // Only the lookup still pending may store its answer: invalidate() during a lookup drops
    // it, so an origin removed from the store is not kept allowed for another ttl. The same
    // holds for a lookup abandoned at a timeout: a newer one may be under way. Past `timeout`
    // the requests waiting on it are refused too (its error), not held to the module's bound.
    const promise: Promise<boolean> = settlesWithin(result as PromiseLike<unknown>, timeout).then(
      (value) => {
        const allowed = value === true;
        if (pending.get(at)?.promise === promise) {
          pending.delete(at);
          remember({ origin, key, allowed, expires: now() + ttl });
        }
        return allowed;
      },
      (error: unknown) => {
        if (pending.get(at)?.promise === promise) pending.delete(at);
        throw error;
      },
    );
    track(at, { origin, key, promise, expires: now() + timeout });
    // Every request waiting on it handles the rejection; none may be left (all abandoned).
    promise.catch(() => {});
    return promise;
  }) as unknown as CachedOriginPredicate;

  predicate.invalidate = (origin?: string, which?: { readonly key?: string }) => {
    const o = origin?.toLowerCase();
    const k = which?.key;
    if (o === undefined && k === undefined) {
      answers.clear();
      pending.clear();
      return;
    }
    if (o !== undefined && (k !== undefined || keyOf === undefined)) {
      answers.delete(slot(o, k));
      pending.delete(slot(o, k));
      return;
    }
    const matches = (e: { origin: string; key: string | undefined }) => (o === undefined || e.origin === o) && (k === undefined || e.key === k);
    for (const [at, e] of answers) if (matches(e)) answers.delete(at);
    for (const [at, p] of pending) if (matches(p)) pending.delete(at);
  };
  Object.defineProperty(predicate, 'size', { get: () => answers.size });
  Object.defineProperty(predicate, ABANDON_LOOKUP, {
    value: (abandoned: unknown) => {
      const at = slotOf.get(abandoned as Promise<boolean>);
      if (at !== undefined && pending.get(at)?.promise === abandoned) pending.delete(at);
    },
  });
  if (keyOf !== undefined) Object.defineProperty(predicate, LOOKUP_KEY, { value: () => lastKey });
  // Named for explain mode's start-up table: "[predicate cachedOrigins(isPartner)]".
  Object.defineProperty(predicate, 'name', { value: lookup.name ? `cachedOrigins(${lookup.name})` : 'cachedOrigins' });
  return predicate;
}
