// Keeping every replica's CORS in step with a shared store (README "Origins that change while
// the app runs"): read the store's options, apply them, and read again whenever the store says
// they changed or the connection to it came back. The library keeps no state of its own
// that replicas would have to share.
import type { CorsModuleOptions } from '../core/index.js';

/**
 * A shared store of CORS options, as `CorsService.follow()` reads it: Redis (a key plus a
 * pub/sub channel), a database row and its notifications, a config service.
 */
export interface CorsOptionsSource {
  /** The options in the store now, or `null` when none are stored (the app keeps its own). */
  read(): CorsModuleOptions | null | Promise<CorsModuleOptions | null>;
  /**
   * Calls `changed` whenever the stored options may have changed: on every pub/sub message,
   * and after every reconnection, so a replica that missed messages while disconnected reads
   * again. Returns a function that stops watching, if there is one.
   */
  watch(changed: () => void): (() => unknown) | void;
}

/** What follows a source: stop it when the app closes. */
export interface CorsOptionsFollower {
  /** Stops watching the source (awaits the source's own stop). */
  stop(): Promise<void>;
  /** Resolves once every change signalled so far has been read and applied (or refused). */
  settled(): Promise<void>;
}

/**
 * Reads `source` and applies its options with `apply` (a validated reconfiguration), then
 * again after each change signal. Reads never overlap: signals that arrive while one runs
 * cause one more read after it, so the last stored options always win, in order. The first
 * read's failure rejects; later failures (a store that is down, options that fail the
 * start-up checks) go to `onError` and leave the options in force unchanged.
 */
export async function followOptions(
  source: CorsOptionsSource,
  apply: (options: CorsModuleOptions) => Promise<void>,
  onError: (error: unknown) => void,
): Promise<CorsOptionsFollower> {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  const readAndApply = async (): Promise<void> => {
    const options = await source.read();
    if (options !== null && !stopped) await apply(options);
  };
  const run = (): Promise<void> => {
    running = (async () => {
      do {
        again = false;
        try {
          await readAndApply();
        } catch (error) {
          onError(error);
        }
      } while (again && !stopped);
      running = null;
    })();
    return running;
  };
  const changed = (): void => {
    if (stopped) return;
    if (running !== null) again = true;
    else void run();
  };

  await readAndApply();
  const unwatch = source.watch(changed);
  return {
    async stop() {
      stopped = true;
      if (typeof unwatch === 'function') await unwatch();
      await running;
    },
    async settled() {
      while (running !== null) await running;
    },
  };
}
