// Instructions per request under valgrind: the benchmark that can tell 2% on a shared machine
// (issue 16). Wall time on two shared cores moves by ±20% from one run to the next; the number
// of instructions a deterministic V8 executes for one request hardly moves.
//
// For each adapter × app size × CORS variant × request shape, a fresh server runs under
// callgrind (no cache simulation, instrumentation off) with V8 made deterministic, and this
// process, which valgrind does not see, sends it requests one after the other over one
// keep-alive loopback connection. After the warm-up, with the server idle between two
// requests, `callgrind_control -i on` starts counting; after the counted requests, again with
// the server idle, `callgrind_control -d` dumps the count; a second dump right after, with no
// request in between, measures what being interrupted by vgdb costs, which is subtracted. The
// counts are those of exactly the requests sent in between: start-up, module loading and the
// JIT warm-up are never counted. The window starts and ends right after a mark-compact (seen
// in the server's --trace-gc output) where the app has them, so it holds whole GC cycles.
// Nothing runs in the server's JavaScript to mark the window (a marker there deoptimized the
// request path and made V8 compile it again inside the window).
//
//   npm run bench:instructions
//   BENCH_ADAPTERS=fastify BENCH_SIZES=small BENCH_VARIANTS=none,lib npm run bench:instructions
//
// See bench/README.md for the method, the knobs and how long it takes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inclusiveOf, JIT_ENTRY, readCallgrind } from './callgrind.js';
import { SMALL_APP_ROUTES, type AdapterName, type AppSpec, type CorsVariant, type HeaderList } from './apps.js';
import { instructionsMarkdown, instructionsText, spliceSection } from './instructions-report.js';
import { probe, type RequestShape } from './load.js';
import type { InstructionCell, InstructionComparison, InstructionConfig, InstructionResults, InstructionRun, SizeName } from './model.js';
import { ServerProcess, unplace } from './processes.js';
import { corsDifferences, corsHeaders, EXPECT_STATUS, responseProblems, SHAPES, type ShapeName } from './shapes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench', 'results');

export const SIZES: Record<SizeName, { readonly routes: number; readonly origins: number }> = {
  small: { routes: SMALL_APP_ROUTES, origins: 2 },
  large: { routes: 1000, origins: 10_000 },
};

export const VARIANT_LABELS: Record<CorsVariant, string> = {
  none: '(a) no CORS',
  nest: '(b) enableCors()',
  lib: '(c) library',
  static: '(d) static @Header()s',
  limit: '(e) bare hook',
};

/** The shapes each variant answers: (a) and (d) have no preflight answer. */
const SHAPES_OF: Record<CorsVariant, readonly ShapeName[]> = {
  none: ['actual'],
  nest: ['actual', 'preflight'],
  lib: ['actual', 'preflight'],
  static: ['actual'],
  limit: ['actual', 'preflight'],
};

/**
 * Deterministic V8: no background threads (compilation and GC on the main thread, in program
 * order) and fixed hash and random seeds; and a garbage collector whose schedule depends on
 * allocation only, sized like a default Node 20 server rather than --predictable-gc-schedule's
 * (4 MB semi-spaces and 30% heap growing: 3-4 times the scavenges and 5 times the
 * mark-compacts of a default server, so garbage collection weighed far more than it does in
 * production): fixed 16 MB semi-spaces (the default maximum), the old generation growing 3×
 * (a mark-compact about every 4,000 Express requests, as natively), no memory reducer, no
 * scavenge or marking step started from a task. --trace-gc lets the harness see
 * mark-compacts, to measure whole garbage-collection cycles.
 */
export const NODE_FLAGS: readonly string[] = [
  '--single-threaded',
  '--predictable',
  '--hash-seed=1',
  '--random-seed=1',
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
  '--heap-growing-percent=200',
  '--no-memory-reducer',
  '--no-minor-gc-task',
  '--no-incremental-marking-task',
  '--trace-gc',
];

/** Counts the collections a server reports on stdout (--trace-gc), and drains that pipe. */
class GcWatcher {
  markCompacts = 0;
  scavenges = 0;
  private rest = '';

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (this.rest + chunk).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.includes(' Mark-Compact ')) this.markCompacts++;
        else if (line.includes(' Scavenge ')) this.scavenges++;
      }
    });
  }
}

/**
 * Instruction counts only: callgrind (it can be switched on and dumped from outside, through
 * vgdb) without cache or branch simulation. Instrumentation starts off: start-up and warm-up run
 * about twice as fast, and are not counted anyway; BENCH_IR_FROM_START=1 counts them too, to
 * report whole-process counts.
 */
function valgrindFlags(outFile: string, fromStart: boolean): string[] {
  return ['-q', '--tool=callgrind', `--callgrind-out-file=${outFile}`, ...(fromStart ? [] : ['--instr-atstart=no'])];
}

/**
 * Waits until the server's main thread is blocked in epoll_wait (read from
 * /proc/<pid>/task/<pid>/syscall, twice 2 ms apart): it has finished with the last request,
 * its after-response callbacks included, and waits for the next one. Switching counting on or
 * dumping then splits the run exactly between two requests. Without that file (not Linux,
 * not permitted) it waits 200 ms instead.
 */
async function serverIdle(pid: number): Promise<void> {
  const file = `/proc/${pid}/task/${pid}/syscall`;
  // x86-64 epoll_wait, epoll_pwait, epoll_pwait2; arm64 epoll_pwait, epoll_pwait2.
  const waiting = process.arch === 'x64' ? new Set(['232', '281', '441']) : new Set(['22', '441']);
  const started = Date.now();
  let seen = 0;
  for (;;) {
    let call: string;
    try {
      call = readFileSync(file, 'utf8').split(' ')[0];
    } catch {
      await sleep(200);
      return;
    }
    seen = waiting.has(call) ? seen + 1 : 0;
    if (seen >= 2) return;
    if (Date.now() - started > 60_000) throw new Error(`the server did not go idle within 60 s (syscall ${call})`);
    await sleep(2);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `callgrind_control <args> <pid>` (through vgdb), bounded in time. */
function callgrindControl(pid: number, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
}

// Server keep-alive for the one connection: long enough for any pause under valgrind.
const KEEP_ALIVE_MS = 30 * 60_000;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

function envList<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const list = raw.split(',').map((x) => x.trim()).filter(Boolean);
  const unknown = list.filter((x) => !allowed.includes(x as T));
  if (unknown.length) throw new Error(`${name}: unknown ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
  return list as T[];
}

/** The configuration from the environment (see bench/README.md). */
export function instructionConfig(): InstructionConfig {
  const repeats = envInt('BENCH_IR_REPEATS', 3);
  const fromStart = process.env.BENCH_IR_FROM_START === '1';
  return {
    warmupRequests: envInt('BENCH_IR_WARMUP', 10_000),
    requests: envInt('BENCH_IR_REQUESTS', 4000),
    repeats,
    repeatsLarge: envInt('BENCH_IR_REPEATS_LARGE', 1),
    adapters: envList('BENCH_ADAPTERS', ['express', 'fastify'] as const, ['express', 'fastify']),
    sizes: envList('BENCH_SIZES', ['small', 'large'] as const, ['small', 'large']),
    variants: envList('BENCH_VARIANTS', ['none', 'nest', 'lib', 'static', 'limit'] as const, ['none', 'nest', 'lib', 'limit']),
    shapes: envList('BENCH_IR_SHAPES', ['actual', 'preflight'] as const, ['actual', 'preflight']),
    runTimeoutSeconds: envInt('BENCH_IR_RUN_TIMEOUT', 900),
    budgetSeconds: envInt('BENCH_IR_BUDGET', 4 * 3600),
    instrumentFromStart: fromStart,
    nodeFlags: NODE_FLAGS,
    valgrindFlags: valgrindFlags('<file>', fromStart),
  };
}

function log(message: string): void {
  process.stderr.write(`[instructions ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Requests sent one after the other over one keep-alive connection: the server always has
 * exactly one request to work on, the way every run sees it. Any new connection after the first
 * is an error (the server closed the connection), because connection set-up would be counted.
 */
class SequentialClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1, keepAliveMsecs: 60_000 });
  private connections = 0;

  constructor(private readonly port: number) {}

  /** Sends one request; resolves with its status and headers once the body has been read. */
  one(shape: RequestShape): Promise<{ status: number; headers: IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, method: shape.method, path: shape.path, headers: shape.headers, agent: this.agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          res.on('error', reject);
        },
      );
      if (!req.reusedSocket) this.connections++;
      req.on('error', reject);
      req.end();
    });
  }

  /** Sends `count` requests; throws on the first unexpected status or new connection. */
  async send(shape: RequestShape, count: number, expectStatus: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const { status } = await this.one(shape);
      if (status !== expectStatus) throw new Error(`request ${i + 1}: status ${status}, expected ${expectStatus}`);
      if (this.connections > 1) throw new Error(`the server closed the keep-alive connection (request ${i + 1})`);
    }
  }

  /**
   * Sends requests until `done()` holds after a response, at most `max`; returns how many were
   * sent and whether `done()` held.
   */
  async sendUntil(shape: RequestShape, max: number, expectStatus: number, done: () => boolean): Promise<{ sent: number; met: boolean }> {
    for (let i = 0; i < max; i++) {
      await this.send(shape, 1, expectStatus);
      // Let the server's stdout (--trace-gc) be read before deciding.
      await new Promise((resolve) => setImmediate(resolve));
      if (done()) return { sent: i + 1, met: true };
    }
    return { sent: max, met: false };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** What one callgrind dump holds: its total, and the instructions spent in JIT work. */
export interface DumpCosts {
  readonly total: number;
  readonly jit: number;
}

export function readDump(file: string): DumpCosts {
  const dump = readCallgrind(file);
  return { total: dump.total, jit: inclusiveOf(dump, JIT_ENTRY) };
}

/** The dumps of one run: `<base>.1`, `<base>.2`, … in order, then `<base>` (written at exit). */
function dumpsOf(dir: string, base: string): { numbered: string[]; final: string | null } {
  const numbered = readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`) && /^\d+$/.test(f.slice(base.length + 1)))
    .sort((x, y) => Number(x.slice(base.length + 1)) - Number(y.slice(base.length + 1)))
    .map((f) => join(dir, f));
  return { numbered, final: existsSync(join(dir, base)) ? join(dir, base) : null };
}

export interface CellSpec {
  readonly adapter: AdapterName;
  readonly size: SizeName;
  readonly variant: CorsVariant;
  readonly shape: ShapeName;
}

export const cellId = (c: CellSpec) => `${c.adapter}/${c.size}/${c.variant}/${c.shape}`;

interface RunOptions {
  readonly config: InstructionConfig;
  /** Where callgrind writes; the dumps are deleted after reading unless `keep`. */
  readonly dir: string;
  readonly keep: boolean;
  /** (e)'s headers, read from (c). */
  readonly limitHeaders?: AppSpec['limitHeaders'];
  /** (c)'s responses, to check (e) against. */
  readonly reference?: Readonly<Record<ShapeName, IncomingHttpHeaders>>;
  /** Extra Node flags (the profile run adds --perf-basic-prof). */
  readonly extraNodeFlags?: readonly string[];
  /** File name of the run's callgrind output (default from the cell). */
  readonly base?: string;
}

/** One valgrind run of one cell. */
export async function measureRun(cell: CellSpec, options: RunOptions): Promise<InstructionRun & { pid: number; files: string[] }> {
  const { config } = options;
  const spec: AppSpec = {
    adapter: cell.adapter,
    cors: cell.variant,
    ...SIZES[cell.size],
    ...(cell.variant === 'limit' && options.limitHeaders ? { limitHeaders: options.limitHeaders } : {}),
  };
  const shape = SHAPES[cell.shape];
  const expect = EXPECT_STATUS[cell.shape];
  const base = options.base ?? `callgrind.${cell.adapter}-${cell.size}-${cell.variant}-${cell.shape}.${process.pid}.${Date.now()}`;
  mkdirSync(options.dir, { recursive: true });
  const t0 = Date.now();
  let server: ServerProcess | null = null;
  let client: SequentialClient | null = null;
  let timedOut = false;
  // The whole run is bounded: start-up, warm-up and window together.
  const deadline = setTimeout(() => {
    timedOut = true;
    server?.kill();
    client?.close();
  }, config.runTimeoutSeconds * 1000);
  try {
    server = await ServerProcess.start(spec, cellId(cell), {
      execArgv: [...config.nodeFlags, ...(options.extraNodeFlags ?? [])],
      wrapper: { command: 'valgrind', args: valgrindFlags(join(options.dir, base), config.instrumentFromStart) },
      serverArgs: [`--keep-alive=${KEEP_ALIVE_MS}`],
      readyTimeoutMs: config.runTimeoutSeconds * 1000,
      place: false,
      stdout: 'pipe',
    });
    const gc = new GcWatcher(server.child.stdout!);
    unplace(server.child.pid!);
    const t1 = Date.now();
    client = new SequentialClient(server.port);
    // The first request is also the check that the server answers as its variant must.
    const first = await client.one(shape);
    const problems = responseProblems(cell.variant, cell.shape, first.status, first.headers);
    if (cell.variant === 'limit' && options.reference) {
      problems.push(...corsDifferences(first.headers, options.reference[cell.shape], '(e)', '(c)'));
    }
    if (problems.length) throw new Error(`not configured as intended: ${problems.join('; ')}`);
    await client.send(shape, config.warmupRequests - 1, expect);
    // Whole garbage-collection cycles: the window starts right after a mark-compact (looked for
    // over at most 3 × `requests` more uncounted requests, which run uninstrumented and cost
    // little) and, if it did, ends right after the first mark-compact once its requests are
    // sent (at most `requests` more). A mark-compact costs as much as hundreds of requests; a
    // window cut mid-cycle would count one more or one less of them depending on where the
    // cycle happens to fall.
    const seen = gc.markCompacts;
    const start = await client.sendUntil(shape, 3 * config.requests, expect, () => gc.markCompacts > seen);
    const pid = server.child.pid!;
    const t2 = Date.now();
    // Counting on (or, instrumented from the start, a first dump) between two requests.
    await serverIdle(pid);
    callgrindControl(pid, ...(config.instrumentFromStart ? ['-d'] : ['-i', 'on']));
    const gcAtStart = { markCompacts: gc.markCompacts, scavenges: gc.scavenges };
    await client.send(shape, config.requests, expect);
    let requests = config.requests;
    let endAligned = false;
    if (start.met) {
      await new Promise((resolve) => setImmediate(resolve));
      const afterRequests = gc.markCompacts;
      const end = await client.sendUntil(shape, config.requests, expect, () => gc.markCompacts > afterRequests);
      requests += end.sent;
      endAligned = end.met;
    }
    await serverIdle(pid);
    callgrindControl(pid, '-d');
    const t3 = Date.now();
    // Collections the window held (a trace line may arrive a moment after its request).
    await sleep(50);
    const collections = { markCompacts: gc.markCompacts - gcAtStart.markCompacts, scavenges: gc.scavenges - gcAtStart.scavenges };
    // No request in between: what the vgdb interruption and an idle loop turn cost.
    await serverIdle(pid);
    callgrindControl(pid, '-d');
    client.close();
    await server.stop({ killAfterMs: 120_000 });
    const { numbered, final } = dumpsOf(options.dir, base);
    const expected = config.instrumentFromStart ? 3 : 2;
    if (numbered.length !== expected) throw new Error(`expected ${expected} callgrind dumps, found ${numbered.length}`);
    const dumps = numbered.map(readDump);
    const [window, empty] = dumps.slice(-2);
    const whole = config.instrumentFromStart && final ? dumps.reduce((n, d) => n + d.total, 0) + readDump(final).total : null;
    const files = final ? [...numbered, final] : numbered;
    if (!options.keep) for (const f of files) rmSync(f, { force: true });
    const jit = (window.jit - empty.jit) / requests;
    const gross = (window.total - empty.total) / requests;
    return {
      perRequest: gross - jit,
      grossPerRequest: gross,
      jitPerRequest: jit,
      requests,
      wholeGcCycles: start.met && endAligned,
      ...collections,
      window: window.total,
      empty: empty.total,
      whole,
      seconds: { startup: (t1 - t0) / 1000, warmup: (t2 - t1) / 1000, window: (t3 - t2) / 1000, total: (Date.now() - t0) / 1000 },
      pid,
      files: options.keep ? files : [],
    };
  } catch (error) {
    server?.kill();
    // A failed run leaves no partial dumps behind.
    const { numbered, final } = dumpsOf(options.dir, base);
    for (const f of [...numbered, ...(final ? [final] : [])]) rmSync(f, { force: true });
    throw timedOut ? new Error(`run exceeded BENCH_IR_RUN_TIMEOUT (${config.runTimeoutSeconds} s)`) : error;
  } finally {
    clearTimeout(deadline);
    client?.close();
  }
}

/**
 * (c)'s CORS headers on both requests, from a server run without valgrind: (e) sends exactly
 * these, so it stays "the library's bytes with no decision" whatever the library sends today.
 */
async function libraryReference(adapter: AdapterName, size: SizeName): Promise<{ headers: NonNullable<AppSpec['limitHeaders']>; responses: Record<ShapeName, IncomingHttpHeaders> }> {
  const server = await ServerProcess.start({ adapter, cors: 'lib', ...SIZES[size] }, `${adapter}/${size}/lib (reference for (e))`, { place: false });
  try {
    const responses = {} as Record<ShapeName, IncomingHttpHeaders>;
    const headers = {} as Record<ShapeName, HeaderList>;
    for (const shape of ['actual', 'preflight'] as const) {
      const { status, headers: h } = await probe(server.url, SHAPES[shape]);
      const problems = responseProblems('lib', shape, status, h);
      if (problems.length) throw new Error(`${adapter}/${size}/lib ${shape}: not configured as intended: ${problems.join('; ')}`);
      responses[shape] = h;
      headers[shape] = [...corsHeaders(h)];
    }
    return { headers: { actual: headers.actual, preflight: headers.preflight }, responses };
  } finally {
    await server.stop();
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function toCell(spec: CellSpec, runs: InstructionRun[], failures: string[]): InstructionCell {
  const values = runs.map((r) => r.perRequest);
  return {
    id: cellId(spec),
    ...spec,
    runs,
    failures,
    median: median(values),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
  };
}

/** The targets of issue 16: preflight (c)/(b) at most this, per adapter. */
const PREFLIGHT_TARGET: Record<AdapterName, number> = { express: 0.9, fastify: 0.98 };

function verdictOf(low: number, high: number, limit: number): InstructionComparison['verdict'] {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return null;
  if (high <= limit) return 'holds';
  if (low > limit) return 'MISSED';
  return 'within spread';
}

/**
 * The comparisons of one adapter and size: what each variant adds to an actual request over
 * no CORS (target: (c) adds at most what (b) adds), what the library's decision costs over the
 * limit, and the preflight ratios over (b) (target: (c)/(b) ≤ 0.9, Fastify 0.98).
 */
export function compare(cells: readonly InstructionCell[]): InstructionComparison[] {
  const out: InstructionComparison[] = [];
  const groups = new Set(cells.map((c) => `${c.adapter}/${c.size}`));
  for (const group of groups) {
    const [adapter, size] = group.split('/') as [AdapterName, SizeName];
    const cell = (variant: CorsVariant, shape: ShapeName) => cells.find((c) => c.adapter === adapter && c.size === size && c.variant === variant && c.shape === shape && c.runs.length > 0);
    const id = (s: string) => `${adapter}/${size}/${s}`;
    const a = cell('none', 'actual');
    const b = cell('nest', 'actual');
    // The actual-request target, decided directly on (c) against (b): (c) − (a) ≤ (b) − (a).
    const c = cell('lib', 'actual');
    for (const x of ['nest', 'lib', 'limit', 'static'] as const) {
      const xc = cell(x, 'actual');
      if (!a || !xc) continue;
      const target = x === 'lib' && b !== undefined;
      out.push({
        id: id(`actual/${x}-none`),
        adapter, size, shape: 'actual', kind: 'added', x, y: 'none',
        label: `actual: ${VARIANT_LABELS[x]} − (a)`,
        value: xc.median - a.median,
        low: xc.min - a.max,
        high: xc.max - a.min,
        targetText: target ? `≤ (b) − (a) (${b!.median >= a.median ? '+' : '−'}${(Math.abs(b!.median - a.median) / 1000).toFixed(1)} k)` : null,
        verdict: target ? verdictOf(c!.min - b!.max, c!.max - b!.min, 0) : null,
      });
    }
    const e = cell('limit', 'actual');
    if (c && e) {
      out.push({
        id: id('actual/lib-limit'),
        adapter, size, shape: 'actual', kind: 'added', x: 'lib', y: 'limit',
        label: 'actual: (c) − (e): the decision over the bare hook',
        value: c.median - e.median,
        low: c.min - e.max,
        high: c.max - e.min,
        targetText: null,
        verdict: null,
      });
    }
    const pb = cell('nest', 'preflight');
    for (const x of ['lib', 'limit'] as const) {
      const px = cell(x, 'preflight');
      if (!pb || !px) continue;
      const target = x === 'lib' ? PREFLIGHT_TARGET[adapter] : null;
      out.push({
        id: id(`preflight/${x}/nest`),
        adapter, size, shape: 'preflight', kind: 'ratio', x, y: 'nest',
        label: `preflight: ${VARIANT_LABELS[x]} / (b)`,
        value: px.median / pb.median,
        low: px.min / pb.max,
        high: px.max / pb.min,
        targetText: target === null ? null : `≤ ${target.toFixed(2)}`,
        verdict: target === null ? null : verdictOf(px.min / pb.max, px.max / pb.min, target),
      });
    }
  }
  return out;
}

/**
 * What was measured: the last commit that changed lib/ (and whether lib/ has uncommitted
 * changes), and the commit of the harness. Read when the run starts.
 */
function gitState(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const lib = git('log', '-1', '--format=%h', '--', 'lib');
    const dirty = git('status', '--porcelain', '--', 'lib') !== '';
    const harness = git('rev-parse', '--short', 'HEAD');
    const benchDirty = git('status', '--porcelain', '--', 'bench/*.ts') !== '';
    return `lib/ ${lib}${dirty ? ' + uncommitted changes' : ''}, harness ${harness}${benchDirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

function valgrindVersion(): string {
  try {
    return execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not installed';
  }
}

/** Every cell of the configuration, in the order they are measured within one repetition. */
export function plannedCells(config: InstructionConfig): CellSpec[] {
  const cells: CellSpec[] = [];
  for (const size of config.sizes) {
    for (const adapter of config.adapters) {
      for (const shape of config.shapes) {
        for (const variant of config.variants) if (SHAPES_OF[variant].includes(shape)) cells.push({ adapter, size, variant, shape });
      }
    }
  }
  return cells;
}

/**
 * Measures every cell `repeats` times (large app: `repeatsLarge`), one valgrind at a time.
 * Repetitions are the outer loop, so a run cut short by the time budget still has every cell
 * at least once. A failed run is recorded and the rest goes on.
 */
export async function runInstructions(config: InstructionConfig = instructionConfig()): Promise<InstructionResults> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const git = gitState();
  const version = valgrindVersion();
  if (version === 'not installed') throw new Error('valgrind is not installed (apt-get install valgrind)');
  const keep = process.env.BENCH_IR_KEEP === '1';
  const dir = join(RESULTS_DIR, 'callgrind');
  const cells = plannedCells(config);
  const runs = new Map<string, InstructionRun[]>(cells.map((c) => [cellId(c), []]));
  const failures = new Map<string, string[]>(cells.map((c) => [cellId(c), []]));
  const references = new Map<string, Awaited<ReturnType<typeof libraryReference>>>();
  const repeatsOf = (c: CellSpec) => (c.size === 'large' ? config.repeatsLarge : config.repeats);
  const total = cells.reduce((n, c) => n + repeatsOf(c), 0);
  let done = 0;
  let skipped = 0;
  log(`${cells.length} cells, ${total} valgrind runs (warm-up ${config.warmupRequests}, window ${config.requests} requests; ` +
    `budget ${Math.round(config.budgetSeconds / 60)} min, ${config.runTimeoutSeconds} s per run)`);
  for (let rep = 0; rep < Math.max(config.repeats, config.repeatsLarge); rep++) {
    for (const cell of cells) {
      if (rep >= repeatsOf(cell)) continue;
      const id = cellId(cell);
      if ((Date.now() - started) / 1000 > config.budgetSeconds) {
        skipped++;
        continue;
      }
      try {
        let reference: Awaited<ReturnType<typeof libraryReference>> | undefined;
        if (cell.variant === 'limit') {
          const key = `${cell.adapter}/${cell.size}`;
          if (!references.has(key)) references.set(key, await libraryReference(cell.adapter, cell.size));
          reference = references.get(key);
        }
        const run = await measureRun(cell, { config, dir, keep, limitHeaders: reference?.headers, reference: reference?.responses });
        runs.get(id)!.push(run);
        done++;
        log(`${id} #${rep + 1}: ${(run.perRequest / 1000).toFixed(1)} k instructions/request ` +
          `(JIT ${(run.jitPerRequest / 1000).toFixed(1)} k more; ${run.requests} requests, ${run.markCompacts} mark-compacts, ${run.scavenges} scavenges${run.wholeGcCycles ? ', whole GC cycles' : ''}; ` +
          `${run.seconds.total.toFixed(0)} s; ${done}/${total}, ${((Date.now() - started) / 60_000).toFixed(1)} min so far)`);
      } catch (error) {
        done++;
        const message = String((error as Error)?.message ?? error);
        failures.get(id)!.push(message);
        log(`${id} #${rep + 1} FAILED: ${message}`);
      }
    }
  }
  if (skipped) log(`time budget (BENCH_IR_BUDGET=${config.budgetSeconds} s) ran out: ${skipped} runs skipped`);
  const cellResults = cells.map((c) => toCell(c, runs.get(cellId(c))!, failures.get(cellId(c))!));
  return {
    startedAt,
    wallSeconds: (Date.now() - started) / 1000,
    config,
    machine: { node: process.version, valgrind: version, cores: availableParallelism(), git },
    cells: cellResults,
    comparisons: compare(cellResults),
    skippedRuns: skipped,
  };
}

/** Writes the raw results and their table to bench/results/; returns the markdown section. */
export function saveInstructions(results: InstructionResults): { json: string; md: string; section: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const json = join(RESULTS_DIR, `instructions-${stamp}.json`);
  const md = join(RESULTS_DIR, `instructions-${stamp}.md`);
  const section = instructionsMarkdown(results);
  writeFileSync(json, JSON.stringify(results, null, 2));
  writeFileSync(md, `${section}\n`);
  return { json, md, section };
}

/**
 * Stand-alone: measure, save, print, and put the section into BENCHMARKS.md in place.
 * `--render <results.json>` does the same from a saved run, without measuring (after a change
 * to the report or the comparisons).
 */
async function main(): Promise<void> {
  let results: InstructionResults;
  let json: string;
  let md: string;
  let section: string;
  if (process.argv[2] === '--render') {
    const files = process.argv.slice(3);
    if (files.length === 0) throw new Error('usage: node .build/bench/instructions.js --render bench/results/instructions-<time>.json [more.json…]');
    // Several files: a cell measured again in a later file replaces the earlier one (a few
    // cells re-measured after a fix, say); the section lists every file's run.
    const saved = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as InstructionResults);
    const cells = new Map<string, InstructionCell>();
    for (const r of saved) for (const c of r.cells) if (c.runs.length > 0 || !cells.has(c.id)) cells.set(c.id, c);
    const first = saved[0];
    const merged = [...cells.values()];
    results = {
      ...first,
      machine: { ...first.machine, git: [...new Set(saved.map((r) => r.machine.git))].join('; ') },
      wallSeconds: saved.reduce((n, r) => n + r.wallSeconds, 0),
      cells: merged,
      comparisons: compare(merged),
      skippedRuns: saved.reduce((n, r) => n + r.skippedRuns, 0),
      ...(saved.length > 1
        ? { mergedFrom: saved.map((r) => `${r.startedAt}, ${r.machine.git}: ${r.cells.filter((c) => c.runs.length > 0 && cells.get(c.id) === c).map((c) => c.id).join(', ') || 'no cell kept'}`) }
        : {}),
    };
    json = files[files.length - 1];
    md = json.replace(/\.json$/, saved.length > 1 ? '.merged.md' : '.md');
    if (saved.length > 1) writeFileSync(json.replace(/\.json$/, '.merged.json'), JSON.stringify(results, null, 2));
    section = instructionsMarkdown(results);
    writeFileSync(md, `${section}\n`);
  } else {
    results = await runInstructions(instructionConfig());
    ({ json, md, section } = saveInstructions(results));
  }
  process.stdout.write(`${instructionsText(results)}\n`);
  const benchmarks = join(ROOT, 'BENCHMARKS.md');
  if (process.env.BENCH_IR_WRITE !== '0' && existsSync(benchmarks)) {
    writeFileSync(benchmarks, spliceSection(readFileSync(benchmarks, 'utf8'), section));
    log(`wrote ${json}, ${md} and the section in BENCHMARKS.md`);
  } else {
    log(`wrote ${json} and ${md}`);
  }
  const failed = results.cells.filter((c) => c.runs.length === 0).length;
  if (failed) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Interrupted: the servers notice the IPC channel closing and exit; valgrind children too.
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  main().catch((error: unknown) => {
    process.stderr.write(`instructions failed: ${String((error as Error)?.stack ?? error)}\n`);
    process.exitCode = 1;
  });
}
