// The steps every platform door takes with a decision, written once: write it, report it,
// hand the request on unless the decision ended it; fail closed (no CORS headers, the
// request goes on) on anything unexpected, and never hand a request on twice.
import type { CorsRequest, Decision } from '../../core/index.js';
import type { CorsRuntime } from '../cors-runtime.js';

/** Writes a decision on a platform's response; returns whether that ended the response. */
export type WriteDecision<Res> = (res: Res, d: Decision) => boolean;

/**
 * Writes and reports a decision, synchronous or not; resolves to whether the response was
 * ended. Never rejects: a failure is logged and the response gets no CORS headers.
 */
export function apply<Res>(runtime: CorsRuntime, d: Decision | Promise<Decision>, r: CorsRequest, res: Res, write: WriteDecision<Res>): boolean | Promise<boolean> {
  if (!(d instanceof Promise)) return finish(runtime, d, r, res, write);
  return d.then(
    (decided) => finish(runtime, decided, r, res, write),
    (error: unknown) => {
      runtime.failed(error);
      return false;
    },
  );
}

/**
 * Completes a decision and hands the request on (`next`, the framework's own callback)
 * unless it ended. `write` is a module-level function of the platform, so the synchronous
 * path allocates no closure; only an async origin decision takes the promise path.
 */
export function settle<Res>(runtime: CorsRuntime, d: Decision | Promise<Decision>, r: CorsRequest, res: Res, write: WriteDecision<Res>, next: (err?: Error) => void): void {
  const ended = apply(runtime, d, r, res, write);
  if (ended === false) next();
  else if (ended !== true) ended.then((e) => (e ? undefined : next()));
}

function finish<Res>(runtime: CorsRuntime, d: Decision, r: CorsRequest, res: Res, write: WriteDecision<Res>): boolean {
  let ended = false;
  try {
    ended = write(res, d);
  } catch (error) {
    runtime.failed(error);
  }
  if (runtime.reporting) runtime.report(d, r);
  return ended;
}
