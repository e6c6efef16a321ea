// Runs the README's quick start as written: in an empty directory, the `npm` commands of its
// "install" block (and of its "esm" block for an ES-module app), its tsconfig.json and source
// files verbatim, its "run" block, then the request of its "request" block, whose answer must
// carry the status and headers of its "response" block.
//
// The blocks are the fenced code blocks of the "## Quick start" section whose info string has
// quickstart="<role>": a file path (written as is) or one of the roles below. Two substitutions
// are made, both the ones the README tells its readers to make: `nest-cross-origin` becomes the
// package spec under test (tarball or git URL, until the package is on the registry), and with
// --nest N each `@nestjs/` package gets `@N`.
//
// Usage: node compat/readme-quickstart.mjs <README.md> <empty dir> --package <spec> --module esm|cjs [--nest N]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';

const COMMAND_ROLES = ['install', 'esm', 'run', 'request', 'response'];
const PACKAGE = 'nest-cross-origin';
const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

function fail(message) {
  throw new Error(`README quick start: ${message}`);
}

function parseArgs(argv) {
  const [readme, dir, ...rest] = argv;
  const flags = {};
  for (let i = 0; i < rest.length; i += 2) flags[rest[i].replace(/^--/, '')] = rest[i + 1];
  if (!readme || !dir || !flags.package || !['esm', 'cjs'].includes(flags.module)) {
    console.error('usage: node compat/readme-quickstart.mjs <README.md> <empty dir> --package <spec> --module esm|cjs [--nest N]');
    process.exit(2);
  }
  return { readme, dir, spec: flags.package, module: flags.module, nest: flags.nest };
}

/** The quickstart blocks, by role; fails on a duplicate, an unknown role or one outside the section. */
function extractBlocks(markdown) {
  const blocks = new Map();
  let section = '';
  let open = null;
  for (const line of markdown.split('\n')) {
    if (open) {
      if (/^```\s*$/.test(line)) {
        if (open.role !== null) blocks.set(open.role, open.lines.join('\n') + '\n');
        open = null;
      } else open.lines.push(line);
      continue;
    }
    const heading = /^## (.*)$/.exec(line);
    if (heading) section = heading[1].trim();
    const fence = /^```(.*)$/.exec(line);
    if (!fence) continue;
    const role = /\bquickstart="([^"]+)"/.exec(fence[1])?.[1];
    if (role === undefined) {
      // An unmarked block: skipped, but its lines must not be read as headings or fences.
      open = { role: null, lines: [] };
      continue;
    }
    if (section !== 'Quick start') fail(`block quickstart="${role}" is outside the "## Quick start" section`);
    if (blocks.has(role)) fail(`two blocks have quickstart="${role}"`);
    if (!COMMAND_ROLES.includes(role) && !/^[\w.-]+(\/[\w.-]+)*\.(ts|json)$/.test(role)) fail(`unknown role quickstart="${role}"`);
    open = { role, lines: [] };
  }
  if (open) fail('a code block is never closed');
  for (const role of ['install', 'esm', 'tsconfig.json', 'run', 'request', 'response']) {
    if (!blocks.has(role)) fail(`no block with quickstart="${role}"`);
  }
  if (![...blocks.keys()].some((r) => r.startsWith('src/'))) fail('no source file block (quickstart="src/…")');
  return blocks;
}

/** The commands of a block: one per line, comments and blank lines dropped, no shell syntax. */
function commands(block) {
  return block
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean)
    .map((line) => {
      if (/["'`$|&;<>()\\]/.test(line)) fail(`"${line}" uses shell syntax; the quick start keeps to plain commands`);
      return line.split(/\s+/);
    });
}

/** `npm install` arguments with the README's own substitutions applied. */
function substitute(args, { spec, nest }) {
  if (args[0] !== 'npm' || !['install', 'i', 'add'].includes(args[1])) return args;
  return args.map((arg, i) => {
    if (i < 2 || arg.startsWith('-')) return arg;
    if (arg === PACKAGE) return spec;
    if (nest && /^@nestjs\/[\w.-]+$/.test(arg)) return `${arg}@${nest}`;
    return arg;
  });
}

function installedNames(block) {
  return commands(block)
    .filter((a) => a[0] === 'npm' && ['install', 'i', 'add'].includes(a[1]))
    .flatMap((a) => a.slice(2).filter((x) => !x.startsWith('-')));
}

function run(args, cwd) {
  console.log(`$ ${args.join(' ')}`);
  execFileSync(args[0] === 'node' ? process.execPath : args[0], args.slice(1), { cwd, stdio: 'inherit' });
}

/** Every bare import of the sources and every peer of the package must be in the install block. */
function checkInstallList(blocks, dir) {
  const installed = new Set(installedNames(blocks.get('install')));
  const missing = new Set();
  for (const [role, text] of blocks) {
    if (!role.endsWith('.ts')) continue;
    for (const [, specifier] of text.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
      if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      if (!installed.has(name)) missing.add(`${name} (imported by ${role})`);
    }
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', PACKAGE, 'package.json'), 'utf8'));
  for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
    if (!installed.has(peer)) missing.add(`${peer} (a peer of ${PACKAGE})`);
  }
  if (missing.size) fail(`the install block leaves out ${[...missing].join(', ')}`);
}

/** Starts the server command and resolves with the URL it prints ("Listening on <url>"). */
function startServer(args, cwd) {
  console.log(`$ PORT=0 ${args.join(' ')}   (in the background)`);
  const child = spawn(args[0] === 'node' ? process.execPath : args[0], args.slice(1), {
    cwd,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no "Listening on" line within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
      const match = /Listening on (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${signal ?? code}) before listening:\n${output}`));
    });
  });
  return { child, url };
}

/** The request of a `curl -i -H '…' <url>` line: its path and headers. */
function parseCurl(block) {
  const line = block.split('\n').find((l) => l.trim().startsWith('curl '));
  if (!line) fail('the request block has no curl command');
  const headers = {};
  for (const [, header] of line.matchAll(/-H\s+'([^']*)'/g)) {
    const at = header.indexOf(':');
    headers[header.slice(0, at).trim()] = header.slice(at + 1).trim();
  }
  const target = /(https?:\/\/\S+)\s*$/.exec(line)?.[1];
  if (!target) fail(`no URL at the end of "${line}"`);
  const url = new URL(target);
  return { path: url.pathname + url.search, headers };
}

function parseResponse(block) {
  const [statusLine, ...lines] = block.split('\n').filter((l) => l.trim());
  const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine)?.[1]);
  if (!status) fail(`the response block does not start with a status line: "${statusLine}"`);
  return { status, headers: lines.map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]) };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const blocks = extractBlocks(readFileSync(options.readme, 'utf8'));
  const { dir } = options;
  mkdirSync(dir, { recursive: true });

  for (const args of commands(blocks.get('install'))) run(substitute(args, options), dir);
  if (options.module === 'esm') for (const args of commands(blocks.get('esm'))) run(args, dir);
  const type = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).type ?? 'commonjs';
  if (type !== (options.module === 'esm' ? 'module' : 'commonjs')) fail(`package.json "type" is ${type} for a ${options.module} app`);
  checkInstallList(blocks, dir);

  for (const [role, text] of blocks) {
    if (COMMAND_ROLES.includes(role)) continue;
    mkdirSync(join(dir, dirname(role)), { recursive: true });
    writeFileSync(join(dir, role), text);
    console.log(`wrote ${role}`);
  }

  const steps = commands(blocks.get('run'));
  for (const args of steps.slice(0, -1)) run(args, dir);
  const server = startServer(steps.at(-1), dir);
  try {
    const base = await server.url;
    const request = parseCurl(blocks.get('request'));
    const expected = parseResponse(blocks.get('response'));
    console.log(`GET ${base}${request.path} ${JSON.stringify(request.headers)}`);
    const res = await fetch(`${base}${request.path}`, { headers: request.headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const got = [`HTTP ${res.status}`, ...[...res.headers].map(([k, v]) => `${k}: ${v}`)];
    console.log(got.join('\n'));
    const wrong = [];
    if (res.status !== expected.status) wrong.push(`status ${res.status}, the README says ${expected.status}`);
    for (const [name, value] of expected.headers) {
      if (res.headers.get(name) !== value) wrong.push(`${name}: ${res.headers.get(name) ?? '(absent)'}, the README says ${value}`);
    }
    if (wrong.length) fail(`the answer differs from the README's:\n  ${wrong.join('\n  ')}`);
    console.log(`README quick start: OK (${options.module}${options.nest ? `, Nest ${options.nest}` : ''}, ${PACKAGE} from ${options.spec})`);
  } finally {
    server.child.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
