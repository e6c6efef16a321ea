// Running `nest-cross-origin probe` from tests: in-process through runCli (fast, most cases),
// and as the real bin in a child process, from lib/cli/main.ts transpiled by SWC into a
// directory of its own inside the repo (bare imports such as tldts resolve from the repo's
// node_modules). Transpiling the sources, not running dist/, means the test always runs the
// code under test: dist/ may be stale locally. The packed bin itself (dist/cli/main.js, from
// tsc) is checked by compat/check-package.mjs.
import { transformFile } from '@swc/core';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../lib/cli/run.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command line in this process. */
export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

/** What the CLI's sources need: no Nest. If the CLI ever imports more, the bin fails to load and says which module. */
const CLI_SOURCES = ['lib/core', 'lib/fetch', 'lib/cli'];

export interface TranspiledBin {
  /** The bin entry, `…/lib/cli/main.js`. */
  readonly main: string;
  cleanup(): void;
}

/** lib/cli and what it imports, transpiled to ES modules in a fresh directory under .build/. */
export async function transpileBin(): Promise<TranspiledBin> {
  mkdirSync(join(ROOT, '.build'), { recursive: true });
  const out = mkdtempSync(join(ROOT, '.build', 'probe-bin-'));
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  for (const dir of CLI_SOURCES) {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const source = join(entry.parentPath, entry.name);
      const { code } = await transformFile(source, {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
        sourceMaps: false,
      });
      const target = join(out, relative(ROOT, source)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
    }
  }
  return { main: join(out, 'lib/cli/main.js'), cleanup: () => rmSync(out, { recursive: true, force: true }) };
}

/** Runs the bin as a user's shell would: `node main.js …`, with a bound so a hang fails. */
export function runBin(main: string, argv: string[], limitMs = 15_000, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bin did not exit within ${limitMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
