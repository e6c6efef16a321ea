import type { CorsOutcome } from '../cors-engine.js';

/**
 * Completes a decision an async origin predicate delayed: `write` puts it on the response
 * (returning whether that ended the response), `proceed` hands the request on. Only the write
 * is guarded: a failure there, or a rejected decision, still proceeds without CORS headers
 * (fail closed), while a request already handed on is never handed on twice. The closures
 * exist only on this async path; synchronous decisions never come here.
 */
export function whenDecided(
  pending: Promise<CorsOutcome>,
  write: (outcome: CorsOutcome) => boolean,
  proceed: () => void,
  onError: (error: unknown) => void,
): void {
  pending.then(
    (outcome) => {
      let ended: boolean;
      try {
        ended = write(outcome);
      } catch (error) {
        onError(error);
        ended = false;
      }
      if (!ended) proceed();
    },
    (error) => {
      onError(error);
      proceed();
    },
  );
}
