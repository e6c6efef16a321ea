// Checks the packed library before any app installs it:
//   files        the tarball holds exactly what users need: for every lib/ source, its ESM and
//                CommonJS JavaScript and declarations; dist/cjs/package.json; package.json,
//                README.md, LICENSE. Nothing else (sources, tests, maps, build info).
//   types        @arethetypeswrong/cli finds no problem, and every entry point of "exports"
//                resolves to declarations and JavaScript under node10, node16 (from CJS and
//                from ESM) and bundler resolution.
//   side-effects importing either entry point, in either module system, changes nothing
//                global, which is what `"sideEffects": false` promises bundlers.
//   bin          every "bin" command (nest-cross-origin: the probe, lib/cli/main.ts) is packed,
//                starts with a `#!/usr/bin/env node` line (npm links it as is), and runs:
//                `--help` exits 0 with the usage, no arguments exit 2.
//
// Usage: node compat/check-package.mjs <tarball> <built clone>
// The clone is the one the tarball was packed from: its lib/ names the expected files, and its
// node_modules and dist/ serve the side-effects check.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const [tarball, clone] = process.argv.slice(2);
if (!tarball || !clone) {
  console.error('usage: node compat/check-package.mjs <tarball> <built clone>');
  process.exit(2);
}
// The manifest as packed (npm may rewrite fields when it packs).
const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
const problems = [];

// ---------------------------------------------------------------------------------------------
function sourcesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(dir, join(e.parentPath, e.name)).replace(/\.ts$/, ''));
}

function checkFiles() {
  const expected = new Set(['package.json', 'README.md', 'LICENSE', 'dist/cjs/package.json']);
  for (const source of sourcesUnder(join(clone, 'lib'))) {
    for (const out of ['dist', 'dist/cjs']) {
      expected.add(`${out}/${source}.js`);
      expected.add(`${out}/${source}.d.ts`);
    }
  }
  const packed = new Set(
    execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line && !line.endsWith('/'))
      .map((line) => line.replace(/^package\//, '')),
  );
  const missing = [...expected].filter((f) => !packed.has(f)).sort();
  const unexpected = [...packed].filter((f) => !expected.has(f)).sort();
  if (missing.length) problems.push(`files: missing from the tarball: ${missing.join(', ')}`);
  if (unexpected.length) problems.push(`files: not meant to ship: ${unexpected.join(', ')}`);

  // Every path package.json points at must be in the tarball, whatever lib/ holds.
  const targets = [pkg.main, pkg.module, pkg.types, ...Object.values(pkg.typesVersions?.['*'] ?? {}).flat(), ...binTargets()];
  const walk = (value) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(pkg.exports);
  for (const target of new Set(targets)) {
    if (!packed.has(target.replace(/^\.\//, ''))) problems.push(`files: package.json points at ${target}, which is not packed`);
  }
  console.log(`files: ${packed.size} packed, ${expected.size} expected`);
}

// ---------------------------------------------------------------------------------------------
function binTargets() {
  return typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
}

function checkBin() {
  const commands = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  for (const [command, target] of Object.entries(commands)) {
    const path = target.replace(/^\.\//, '');
    let first;
    try {
      first = execFileSync('tar', ['-xzOf', tarball, `package/${path}`], { encoding: 'utf8' }).split('\n', 1)[0];
    } catch {
      continue; // reported by checkFiles
    }
    if (first !== '#!/usr/bin/env node') problems.push(`bin: ${command} (${path}) does not start with #!/usr/bin/env node (first line: ${JSON.stringify(first)})`);
    // Run from the clone the tarball was packed from: the same file, with the dependencies it imports.
    const help = spawnSync(process.execPath, [join(clone, path), '--help'], { encoding: 'utf8' });
    if (help.status !== 0 || !help.stdout.includes('Usage: nest-cross-origin probe')) {
      problems.push(`bin: ${command} --help exited ${help.status}: ${(help.stderr || help.stdout).trim()}`);
    }
    const bare = spawnSync(process.execPath, [join(clone, path)], { encoding: 'utf8' });
    if (bare.status !== 2) problems.push(`bin: ${command} without arguments exited ${bare.status}, expected 2 (usage error)`);
    console.log(`bin: ${command} → ${path}: shebang ${first === '#!/usr/bin/env node' ? 'ok' : 'MISSING'}, --help ${help.status}, no arguments ${bare.status}`);
  }
}

// ---------------------------------------------------------------------------------------------
const RESOLUTION_KINDS = ['node10', 'node16-cjs', 'node16-esm', 'bundler'];

function checkTypes() {
  const attw = join(clone, 'node_modules/.bin/attw');
  // attw exits 1 when it finds problems; the JSON says which, so the status is not needed.
  const run = spawnSync(attw, [tarball, '--format', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    problems.push(`types: attw gave no report (status ${run.status}): ${run.stderr.trim()}`);
    return;
  }
  for (const p of report.analysis.problems) {
    problems.push(`types: attw: ${p.kind}${p.entrypoint ? ` in ${p.entrypoint}` : ''}${p.resolutionKind ? ` (${p.resolutionKind})` : ''}`);
  }
  const subpaths = Object.keys(pkg.exports);
  for (const subpath of subpaths) {
    const entry = report.analysis.entrypoints[subpath];
    if (!entry) {
      problems.push(`types: attw did not check the entry point ${subpath}`);
      continue;
    }
    const line = [];
    for (const kind of RESOLUTION_KINDS) {
      const r = entry.resolutions[kind];
      const types = r?.resolution?.fileName;
      const js = r?.implementationResolution?.fileName;
      const typed = types?.endsWith('.d.ts') || (subpath.endsWith('.json') && types?.endsWith('.json'));
      if (!typed || !js) problems.push(`types: ${subpath} does not resolve under ${kind} (types: ${types ?? 'none'}, js: ${js ?? 'none'})`);
      line.push(`${kind} → ${types?.replace(/^.*\/nest-cross-origin\//, '') ?? 'NONE'}`);
    }
    console.log(`types: ${subpath}: ${line.join(', ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Loads the peers first (their own side effects, such as reflect-metadata's, are not ours),
// takes a snapshot of what is global, loads both entry points in both module systems, and
// compares.
const SIDE_EFFECTS_PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
await import('reflect-metadata');
await import('@nestjs/common');
await import('@nestjs/core');
const watched = { globalThis, Reflect, Object, 'Object.prototype': Object.prototype, 'Function.prototype': Function.prototype,
  'Array.prototype': Array.prototype, 'String.prototype': String.prototype, 'Promise.prototype': Promise.prototype, process };
const snapshot = () => ({
  keys: Object.fromEntries(Object.entries(watched).map(([name, o]) => [name, Reflect.ownKeys(o).map(String).sort().join(',')])),
  listeners: process.eventNames().map((e) => String(e) + '=' + process.listenerCount(e)).sort().join(','),
  env: Object.keys(process.env).sort().join(','),
});
const before = snapshot();
await import('./dist/index.js');
await import('./dist/testing/index.js');
require('./dist/cjs/index.js');
require('./dist/cjs/testing/index.js');
const after = snapshot();
const changed = [];
for (const name of Object.keys(before.keys)) if (before.keys[name] !== after.keys[name]) changed.push(name);
if (before.listeners !== after.listeners) changed.push('process listeners');
if (before.env !== after.env) changed.push('process.env');
console.log(JSON.stringify(changed));
`;

function checkSideEffects() {
  if (pkg.sideEffects !== false) return;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', SIDE_EFFECTS_PROBE], { cwd: clone, encoding: 'utf8' });
  if (run.status !== 0) {
    problems.push(`side-effects: the probe failed: ${run.stderr.trim()}`);
    return;
  }
  const changed = JSON.parse(run.stdout.trim().split('\n').pop());
  if (changed.length) problems.push(`side-effects: "sideEffects": false, yet importing the package changed ${changed.join(', ')}`);
  console.log(`side-effects: importing both entry points (ESM and CJS) changed ${changed.length ? changed.join(', ') : 'nothing global'}`);
}

checkFiles();
checkBin();
checkTypes();
checkSideEffects();
if (problems.length) {
  console.error(`\npackage check failed (${problems.length}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('package check: OK');
