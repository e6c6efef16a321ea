import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where a system Chromium or Chrome usually is (Debian/Ubuntu, Fedora, snap, macOS). */
export const CHROMIUM_LOCATIONS: readonly string[] = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** Names looked up on PATH after the usual locations. */
const CHROMIUM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface ChromiumSearch {
  /** The environment: `CHROMIUM_PATH` and `PATH` are read. (default: `process.env`) */
  readonly env?: NodeJS.ProcessEnv;
  /** Absolute paths tried before PATH. (default: `CHROMIUM_LOCATIONS`) */
  readonly locations?: readonly string[];
}

/**
 * The browser the suite drives: `CHROMIUM_PATH` when set, else the first Chromium or Chrome
 * found in the usual locations, then on PATH. A browser is never downloaded, and a missing one
 * is an error, never a skipped suite: a suite that skips when it cannot run passes for nothing.
 */
export function resolveChromium({ env = process.env, locations = CHROMIUM_LOCATIONS }: ChromiumSearch = {}): string {
  const explicit = env.CHROMIUM_PATH?.trim();
  if (explicit) {
    if (isExecutableFile(explicit)) return explicit;
    throw new Error(
      `CHROMIUM_PATH is ${JSON.stringify(explicit)}, which is not an executable file: point it at a Chromium or Chrome binary, or unset it to search the usual locations.`,
    );
  }
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .flatMap((dir) => CHROMIUM_COMMANDS.map((name) => join(dir, name)));
  const tried = [...locations, ...onPath];
  const found = tried.find(isExecutableFile);
  if (found) return found;
  throw new Error(
    'No Chromium or Chrome found for the browser suite. Install one (Debian: apt-get install -y chromium) ' +
      `or set CHROMIUM_PATH to its binary. Looked in: ${locations.join(', ')}, and for ${CHROMIUM_COMMANDS.join(', ')} on PATH.`,
  );
}
