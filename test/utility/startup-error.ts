import { CorsConfigError } from '../../lib/index.js';

/** The CorsConfigError start-up fails with; any other outcome fails the test. */
export async function startupError(build: () => Promise<unknown>): Promise<CorsConfigError> {
  try {
    await build();
  } catch (e) {
    if (e instanceof CorsConfigError) return e;
    throw e;
  }
  throw new Error('start-up did not fail');
}
