#!/usr/bin/env node
// The package's bin: `npx nest-cross-origin probe <url> --origin <origin> …` (lib/cli/run.ts).
// No top-level await: the same source also builds as CommonJS.
import { runCli } from './run.js';

void runCli(process.argv.slice(2), process).then((code) => {
  // Set, not process.exit(): output still being written to a pipe is not cut off.
  process.exitCode = code;
});
