// Whether an origin may read a response, with the faults of user predicates as data: one that
// throws or rejects, and an async decision that does not settle in time (README "Faults").
import { ABANDON_LOOKUP, LOOKUP_KEY, LookupTimeoutError, type CachedPredicateHooks } from './origin-cache.js';
import { DEFAULT_ORIGIN_TIMEOUT, type OriginPredicate } from './options.js';
import { listedVerdict, type OriginMatcher } from './origins.js';

/**
 * Why an origin may not read a response. `key`, when present, is the `cachedOrigins` key the
 * request was looked up under (a tenant, say), as the user's key function returned it:
 * escape it before logging it.
 */
export type OriginRefusal =
  /** No matcher of the policy admits the origin. */
  | { readonly kind: 'origin'; readonly origin: string; readonly key?: string }
  /** An async predicate had not settled after `timeout` milliseconds (`originTimeout`). */
  | { readonly kind: 'origin-timeout'; readonly origin: string; readonly timeout: number; readonly key?: string }
  /**
   * A predicate threw or rejected and no other one admitted the origin. `message` is the
   * first such error's message as the predicate wrote it: escape it before logging it.
   */
  | { readonly kind: 'origin-error'; readonly origin: string; readonly message: string; readonly key?: string }
  /**
   * The response was written before an async origin decision had settled: one for a handler
   * the library could not foresee when the request arrived (a URL rewritten by middleware).
   */
  | { readonly kind: 'origin-pending'; readonly origin: string; readonly key?: string };

/** `true` when the origin may read the response, else why not. */
export type OriginVerdict = true | OriginRefusal;

/** The state of one request's run through the predicates. */
interface PredicateRun {
  readonly predicates: readonly OriginPredicate[];
  readonly origin: string;
  readonly request: unknown;
  /** The message of the first predicate that failed, if any did. */
  error: string | undefined;
  /** The bound of the first `cachedOrigins` lookup that its own `timeout` abandoned, if any. */
  timedOut: number | undefined;
  /** Set once the time bound has answered: later predicates are not called for nothing. */
  abandoned: boolean;
  /** The first `cachedOrigins` key computed for this request, for explanations. */
  key: string | undefined;
  /** The predicate whose promise is awaited now, and that promise, to tell it when abandoned. */
  waiting: { readonly predicate: OriginPredicate; readonly result: unknown } | undefined;
}

/** Adds the run's `cachedOrigins` key to a refusal, when there is one. */
function withKey<T extends OriginRefusal>(refusal: T, run: PredicateRun): T {
  return run.key === undefined ? refusal : { ...refusal, key: run.key };
}

/**
 * Decides whether `origin` may read the response. Synchronous unless a predicate returns a
 * promise; then the promise returned always settles within `timeout` milliseconds and never
 * rejects, so the caller needs no timer and no error handler of its own. A predicate that
 * throws, rejects or does not settle in time refuses (fail closed); the refusal says which.
 */
export function checkOrigin(
  m: OriginMatcher,
  origin: string,
  request: unknown,
  timeout: number = DEFAULT_ORIGIN_TIMEOUT,
): OriginVerdict | Promise<OriginVerdict> {
  const listed = listedVerdict(m, origin);
  if (listed === true) return true;
  if (listed === false) return { kind: 'origin', origin };
  const run: PredicateRun = { predicates: m.predicates, origin, request, error: undefined, timedOut: undefined, abandoned: false, key: undefined, waiting: undefined };
  const verdict = runPredicates(run, 0);
  return verdict instanceof Promise ? withinTimeout(verdict, run, timeout) : verdict;
}

/** {@link checkOrigin} as a yes or no, for callers that do not report reasons. */
export function isOriginAllowed(m: OriginMatcher, origin: string, request: unknown, timeout = DEFAULT_ORIGIN_TIMEOUT): boolean | Promise<boolean> {
  const listed = listedVerdict(m, origin);
  if (listed !== undefined) return listed;
  const verdict = checkOrigin(m, origin, request, timeout);
  return verdict instanceof Promise ? verdict.then((v) => v === true) : verdict === true;
}

/** Calls the predicates from `from` on, in order, until one admits the origin. */
function runPredicates(run: PredicateRun, from: number): OriginVerdict | Promise<OriginVerdict> {
  for (let i = from; i < run.predicates.length; i++) {
    const predicate = run.predicates[i];
    let result: unknown;
    let pending: boolean;
    try {
      result = predicate(run.origin, run.request);
      // Reading `then` runs user code too (a getter): it is guarded like the call.
      pending = result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function';
    } catch (error) {
      run.error ??= messageOf(error);
      continue;
    } finally {
      run.key ??= keyOf(predicate);
    }
    if (result === true) return true;
    if (pending) {
      run.waiting = { predicate, result };
      // Promise.resolve adopts any thenable; one whose `then` throws becomes a rejection.
      return Promise.resolve(result as PromiseLike<unknown>).then(
        (ok) => {
          run.waiting = undefined;
          return ok === true ? true : next(run, i + 1);
        },
        (error: unknown) => {
          run.waiting = undefined;
          // A cachedOrigins lookup its own timeout abandoned is a timeout, as the module's is.
          if (error instanceof LookupTimeoutError) run.timedOut ??= error.timeout;
          else run.error ??= messageOf(error);
          return next(run, i + 1);
        },
      );
    }
  }
  if (run.error !== undefined) return withKey({ kind: 'origin-error', origin: run.origin, message: run.error }, run);
  if (run.timedOut !== undefined) return withKey({ kind: 'origin-timeout', origin: run.origin, timeout: run.timedOut }, run);
  return withKey({ kind: 'origin', origin: run.origin }, run);
}

/** The key a `cachedOrigins` predicate computed in the call that just returned, if any. */
function keyOf(predicate: OriginPredicate): string | undefined {
  const read = (predicate as CachedPredicateHooks)[LOOKUP_KEY];
  return typeof read === 'function' ? read() : undefined;
}

function next(run: PredicateRun, from: number): OriginVerdict | Promise<OriginVerdict> {
  // The request was already answered by the time bound: asking the store again helps no one.
  return run.abandoned ? withKey({ kind: 'origin', origin: run.origin }, run) : runPredicates(run, from);
}

/**
 * Tells the predicate awaited when the time bound answered that its promise was abandoned,
 * so a `cachedOrigins` lookup that may never settle is not shared with the next request: the
 * smaller of the module's `originTimeout` and the cache's own `timeout` wins. Best effort:
 * whatever the hook does, the request has its answer.
 */
function abandonWaiting(run: PredicateRun): void {
  const waiting = run.waiting;
  if (waiting === undefined) return;
  run.waiting = undefined;
  try {
    const abandon = (waiting.predicate as CachedPredicateHooks)[ABANDON_LOOKUP];
    if (typeof abandon === 'function') abandon(waiting.result);
  } catch {
    // A hook is library code; nothing a request sent reaches it.
  }
}

/**
 * Bounds an async decision. The timer is unref'd, so a pending decision never keeps the
 * process alive (a shutdown is not held up by a hung store), and cleared as soon as the
 * decision settles, so a fast store leaves no timer behind. The user's promise cannot be
 * cancelled; its late answer is ignored.
 */
function withinTimeout(pending: Promise<OriginVerdict>, run: PredicateRun, timeout: number): Promise<OriginVerdict> {
  return new Promise<OriginVerdict>((resolve) => {
    const timer = setTimeout(() => {
      run.abandoned = true;
      abandonWaiting(run);
      resolve(withKey({ kind: 'origin-timeout', origin: run.origin, timeout }, run));
    }, timeout);
    (timer as { unref?: () => void }).unref?.();
    pending.then(
      (verdict) => {
        clearTimeout(timer);
        resolve(verdict);
      },
      // runPredicates handles every user failure; this only keeps the promise from rejecting.
      (error: unknown) => {
        clearTimeout(timer);
        resolve(withKey({ kind: 'origin-error', origin: run.origin, message: messageOf(error) }, run));
      },
    );
  });
}

/** The message of whatever a predicate (or an `onDecision` listener) threw, without letting a hostile value throw again. */
export function messageOf(error: unknown): string {
  try {
    if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    return String(error);
  } catch {
    return 'a value that cannot be turned into text';
  }
}
