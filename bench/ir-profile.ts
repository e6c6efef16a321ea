// Where the instructions of a request go, function by function, from the same callgrind runs
// as bench/instructions.ts: for a few cells (default: Fastify, small app, actual request, for
// (a) no CORS, (c) the library and (e) the bare hook), the window's instructions per function,
// and the differences (c) − (a) and (c) − (e), so the one who optimises sees where to cut.
//
//   npm run bench:instructions:profile
//   BENCH_IR_PROFILE=express/small/none/actual,express/small/lib/actual npm run bench:instructions:profile
//
// Code V8 generates has no symbols; the server runs with --perf-basic-prof, which makes V8
// write every code object's address range and JavaScript function to /tmp/perf-<pid>.map,
// and this script names callgrind's anonymous code addresses from it. A function TurboFan
// inlined into another is counted in the one it was inlined into.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdapterName, CorsVariant } from './apps.js';
import { readCallgrind, type Dump } from './callgrind.js';
import { cellId, instructionConfig, measureRun, VARIANT_LABELS, type CellSpec } from './instructions.js';
import type { SizeName } from './model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** One code range of a perf map: [start, end) → function. */
interface CodeRange {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

function readPerfMap(file: string): CodeRange[] {
  const out: CodeRange[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m) out.push({ start: parseInt(m[1], 16), end: parseInt(m[1], 16) + parseInt(m[2], 16), name: m[3] });
  }
  return out;
}

/**
 * A readable name for a perf-map entry: V8 writes `JS:*name file:line:column` (the mark is the
 * tier: * optimized, ^ baseline, ~ interpreted) or a stub's kind and name. Paths lose the
 * repository root and `file://`.
 */
function cleanName(raw: string): string {
  let name = raw.replace(/^(JS|LazyCompile|Function|Script):/, '').replace(/^[*~^+]/, '');
  name = name.split('file://').join('').split(ROOT).join('');
  return name.replace(/\s+/g, ' ').trim() || raw;
}

/** Where a function belongs, for the summary by category. */
export function category(name: string): string {
  if (/ \.build\/lib\/| lib\/|\/nest-cross-origin\//.test(name)) return 'library (lib/)';
  if (/ \.build\/bench\/| bench\//.test(name)) return 'bench app';
  if (/node_modules\/@nestjs\//.test(name)) return 'Nest';
  if (/node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|toad-cache|process-warning|abstract-logging|rfdc)/.test(name)) return 'Fastify';
  if (/node_modules\/(express|router|body-parser|send|finalhandler|on-finished|parseurl|path-to-regexp|cookie|etag|fresh|content-type|type-is|accepts|qs)\//.test(name)) return 'Express and its packages';
  if (/node_modules\//.test(name)) return 'other packages';
  if (/ node:|^node:/.test(name)) return 'Node (JavaScript)';
  if (/^Builtins_/.test(name)) return 'V8 builtins';
  // C++ names may start with a return type ("void v8::…", "unsigned long v8::…").
  if (/(^|[\s<])(v8::internal::|heap::base::|cppgc::)\S*(Heap|Scaven|Mark|Sweep|Evacuat|Worklist|Remembered|Pretenur|Slot|Page|MemoryChunk|Allocat|Space|GC|Gc|BodyDescriptor|Filler|Concurrent)/.test(name)) return 'V8 garbage collector';
  if (/(^|\s)v8::internal::((compiler|maglev|baseline|interpreter)::|(Compiler|Parser|Scanner|Bytecode|Deoptimizer|Runtime_Compile))/.test(name)) return 'V8 compilers';
  if (/(^|\s)v8::/.test(name)) return 'V8 runtime (C++)';
  if (/^(node::|non-virtual thunk to node::|uv_|uv__|llhttp|nghttp|ares_)/.test(name)) return 'Node and libuv (C++)';
  if (/^0x/.test(name)) return 'generated code, unnamed';
  if (/^RegExp:/.test(name)) return 'regular expressions (generated)';
  return 'C and C++ libraries';
}

/** Instructions per request of each named function in a window: self and inclusive. */
interface Attributed {
  readonly total: number;
  readonly functions: Map<string, { self: number; inclusive: number }>;
}

/**
 * Names callgrind's anonymous addresses (`0x…`) from the perf map (the last code object that
 * covered the address: V8 reuses freed code space) and sums costs per name. Inclusive cost is
 * summed only over entries at a code object's first instruction (where calls arrive), so a
 * function's inclusive cost is not counted twice when callgrind splits its code.
 */
function attribute(dump: Dump, ranges: readonly CodeRange[], requests: number): Attributed {
  const functions = new Map<string, { self: number; inclusive: number }>();
  for (const f of dump.functions.values()) {
    let name = f.name;
    let entry = true;
    if (/^0x[0-9a-f]+$/.test(f.name)) {
      const address = parseInt(f.name, 16);
      let found: CodeRange | undefined;
      for (let i = ranges.length - 1; i >= 0; i--) {
        if (ranges[i].start <= address && address < ranges[i].end) {
          found = ranges[i];
          break;
        }
      }
      if (found) {
        name = cleanName(found.name);
        entry = found.start === address;
      }
    }
    // callgrind marks recursion depth ('2); C++ names carry their whole signature; the
    // qualified name is enough to read.
    name = name.replace(/'\d+$/, '').replace(/\((?:[^()]|\([^()]*\))*\)( const)?( \[clone [^\]]*\])?$/, '');
    const row = functions.get(name) ?? { self: 0, inclusive: 0 };
    row.self += f.self / requests;
    if (entry) row.inclusive += f.inclusive / requests;
    functions.set(name, row);
  }
  return { total: dump.total / requests, functions };
}

interface ProfiledCell {
  readonly cell: CellSpec;
  readonly perRequest: number;
  readonly attributed: Attributed;
}

function k(value: number, sign = false): string {
  const text = (Math.abs(value) / 1000).toFixed(1);
  return `${value < 0 ? '−' : sign ? '+' : ''}${text} k`;
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? ':--' : '--:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function byCategory(a: Attributed): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, row] of a.functions) out.set(category(name), (out.get(category(name)) ?? 0) + row.self);
  return out;
}

/** The markdown of a profile: per category, the top differences, the library's functions. */
function report(cells: readonly ProfiledCell[], pairs: readonly [ProfiledCell, ProfiledCell][], stamp: string, requests: number): string {
  const md: string[] = [];
  md.push(`## Instructions per function (callgrind), ${stamp}`, '');
  md.push(`Window of ${requests.toLocaleString('en-US')} requests after the warm-up, per request; self = the function's own instructions, inclusive = with what it calls (from its entry). Generated code named from V8's perf map (\`--perf-basic-prof\`); functions TurboFan inlined are counted in their caller. Instructions per request of the windows (with JIT work): ${cells.map((c) => `${cellId(c.cell)} ${k(c.attributed.total)}`).join(', ')}.`, '');
  for (const [x, y] of pairs) {
    const lx = VARIANT_LABELS[x.cell.variant];
    const ly = VARIANT_LABELS[y.cell.variant];
    md.push(`### ${x.cell.adapter} ${x.cell.size} ${x.cell.shape}: ${lx} − ${ly}: ${k(x.attributed.total - y.attributed.total, true)} per request`, '');
    const cx = byCategory(x.attributed);
    const cy = byCategory(y.attributed);
    const cats = [...new Set([...cx.keys(), ...cy.keys()])]
      .map((c) => [c, cx.get(c) ?? 0, cy.get(c) ?? 0] as const)
      .sort((p, q) => Math.abs(q[1] - q[2]) - Math.abs(p[1] - p[2]));
    md.push(table(['category (self)', lx, ly, 'difference'], cats.map(([c, a, b]) => [c, k(a), k(b), k(a - b, true)])), '');
    const names = new Set([...x.attributed.functions.keys(), ...y.attributed.functions.keys()]);
    const rows = [...names]
      .map((n) => [n, x.attributed.functions.get(n)?.self ?? 0, y.attributed.functions.get(n)?.self ?? 0] as const)
      .filter(([, a, b]) => Math.abs(a - b) >= 200)
      .sort((p, q) => Math.abs(q[1] - q[2]) - Math.abs(p[1] - p[2]))
      .slice(0, 30);
    md.push(`Functions whose own instructions differ most (at least 0.2 k per request):`, '');
    md.push(table(['function', 'category', lx, ly, 'difference'], rows.map(([n, a, b]) => [`\`${n.slice(0, 120)}\``, category(n), k(a), k(b), k(a - b, true)])), '');
  }
  for (const c of cells.filter((x) => x.cell.variant === 'lib')) {
    const lib = [...c.attributed.functions].filter(([n]) => category(n) === 'library (lib/)').sort((p, q) => q[1].inclusive - p[1].inclusive);
    md.push(`### The library's functions in ${cellId(c.cell)}`, '');
    md.push('Inclusive counts of a hook include the rest of the pipeline it hands the request to (`next()`/`done()`), up to the first asynchronous step.', '');
    md.push(table(['function', 'inclusive', 'self'], lib.map(([n, r]) => [`\`${n.slice(0, 120)}\``, k(r.inclusive), k(r.self)])), '');
  }
  return md.join('\n');
}

interface SavedProfile {
  readonly stamp: string;
  readonly requests: number;
  readonly cells: readonly { cell: CellSpec; perRequest: number; total: number; functions: Record<string, { self: number; inclusive: number }> }[];
}

function pairsOf(profiled: readonly ProfiledCell[]): [ProfiledCell, ProfiledCell][] {
  const find = (variant: CorsVariant, like: ProfiledCell) => profiled.find((p) => p.cell.variant === variant && p.cell.adapter === like.cell.adapter && p.cell.size === like.cell.size && p.cell.shape === like.cell.shape);
  const pairs: [ProfiledCell, ProfiledCell][] = [];
  for (const c of profiled.filter((p) => p.cell.variant === 'lib')) {
    for (const other of ['none', 'limit', 'nest'] as const) {
      const y = find(other, c);
      if (y) pairs.push([c, y]);
    }
  }
  return pairs;
}

/** Measures (or with `--render <json>`, reads a saved profile), then writes its markdown. */
async function main(): Promise<void> {
  const config = instructionConfig();
  let saved: SavedProfile;
  let base: string;
  if (process.argv[2] === '--render') {
    const file = process.argv[3];
    const raw = JSON.parse(readFileSync(file, 'utf8')) as SavedProfile | SavedProfile['cells'];
    // The first version saved the cells alone.
    saved = Array.isArray(raw)
      ? { stamp: /ir-profile-(.*)\.json$/.exec(file)?.[1] ?? file, requests: config.requests, cells: raw as SavedProfile['cells'] }
      : (raw as SavedProfile);
    base = file.replace(/\.json$/, '');
  } else {
    const list = (process.env.BENCH_IR_PROFILE ?? 'fastify/small/none/actual,fastify/small/lib/actual,fastify/small/limit/actual').split(',');
    const cells: CellSpec[] = list.map((id) => {
      const [adapter, size, variant, shape] = id.split('/');
      return { adapter: adapter as AdapterName, size: size as SizeName, variant: variant as CorsVariant, shape: shape as 'actual' | 'preflight' };
    });
    const dir = join(RESULTS_DIR, 'callgrind');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const out: SavedProfile['cells'][number][] = [];
    for (const cell of cells) {
      process.stderr.write(`[ir-profile] ${cellId(cell)}\n`);
      const runBase = `profile.${cellId(cell).replace(/\//g, '-')}.${stamp}`;
      // --perf-basic-prof also turns V8's log on: into the results, not the working directory.
      const run = await measureRun(cell, {
        config,
        dir,
        keep: true,
        extraNodeFlags: ['--perf-basic-prof', `--logfile=${join(dir, `${runBase}.v8.log`)}`],
        base: runBase,
      });
      const mapFile = `/tmp/perf-${run.pid}.map`;
      if (!existsSync(mapFile)) throw new Error(`${mapFile} missing: V8 wrote no perf map`);
      // Kept next to the callgrind files, so the names can be read again.
      writeFileSync(join(dir, `${runBase}.perf.map`), readFileSync(mapFile));
      rmSync(mapFile, { force: true });
      // The kept files: [window, empty, final]; the window is the first numbered dump.
      const attributed = attribute(readCallgrind(run.files[0]), readPerfMap(join(dir, `${runBase}.perf.map`)), run.requests);
      out.push({ cell, perRequest: run.perRequest, total: attributed.total, functions: Object.fromEntries(attributed.functions) });
    }
    saved = { stamp, requests: config.requests, cells: out };
    mkdirSync(RESULTS_DIR, { recursive: true });
    base = join(RESULTS_DIR, `ir-profile-${stamp}`);
    writeFileSync(`${base}.json`, JSON.stringify(saved, null, 1));
  }
  const profiled: ProfiledCell[] = saved.cells.map((c) => {
    // Names are categorized when reported, so a saved profile can be re-rendered.
    const functions = new Map<string, { self: number; inclusive: number }>();
    for (const [n, r] of Object.entries(c.functions)) {
      const name = n.replace(/'\d+$/, '');
      const row = functions.get(name) ?? { self: 0, inclusive: 0 };
      row.self += r.self;
      row.inclusive += r.inclusive;
      functions.set(name, row);
    }
    return { cell: c.cell, perRequest: c.perRequest, attributed: { total: c.total, functions } };
  });
  const md = report(profiled, pairsOf(profiled), saved.stamp, saved.requests);
  writeFileSync(`${base}.md`, `${md}\n`);
  process.stdout.write(`${md}\n`);
  process.stderr.write(`[ir-profile] wrote ${base}.md and .json\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`ir-profile failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
