// The benchmark harness behind `npm run bench`. See BENCHMARKS.md ("Method") for what it does
// and why; bench/README.md for how to run it.
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMALL_APP_ROUTES, type AdapterName, type AppSpec } from './apps.js';
import { CONNECTIONS, probe, runLoad } from './load.js';
import { measure, measurePair, median, relativeSpread, waitForQuiet, type Measurement } from './measure.js';
import type { MicroResult } from './micro.js';
import type {
  BenchConfig,
  Disturbance,
  BenchResults,
  InstructionResults,
  CeilingResult,
  MachineInfo,
  MemoryResult,
  PairResult,
  RatioResult,
  SeriesResult,
  ServerKey,
} from './model.js';
import { ServerProcess, boost, pin, pinning, priority } from './processes.js';
import { instructionConfig, runInstructions, saveInstructions } from './instructions.js';
import { profileScenario, type ProfileComparisonSpec, type ProfileSummary } from './profile.js';
import { printReport, writeMarkdown, writeSvg } from './report.js';
import { corsDifferences, corsHeaders, EXPECT_STATUS, responseProblems, SHAPES } from './shapes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_DIR = join(ROOT, 'bench');
const RESULTS_DIR = join(BENCH_DIR, 'results');

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

const quick = process.env.BENCH_QUICK === '1';
const config: BenchConfig = {
  quick,
  seconds: envNumber('BENCH_DURATION', quick ? 1 : 1.25),
  rounds: Math.round(envNumber('BENCH_ROUNDS', quick ? 2 : 4)),
  abRepetitions: Math.round(envNumber('BENCH_AB_REPS', quick ? 1 : 4)),
  warmupRequests: Math.round(envNumber('BENCH_WARMUP_REQUESTS', quick ? 2_000 : 8_000)),
  connections: CONNECTIONS,
  memoryRequests: Math.round(envNumber('BENCH_MEMORY_REQUESTS', quick ? 10_000 : 100_000)),
  maxForeignCores: envNumber('BENCH_MAX_FOREIGN', 0.25),
};
const profileMode = process.env.BENCH_PROFILE ?? (quick ? '0' : 'auto');
const adapters = (process.env.BENCH_ADAPTERS ?? 'express,fastify').split(',').filter((a): a is AdapterName => a === 'express' || a === 'fastify');

/** The large app: both dimensions a real deployment grows in, at once. */
const LARGE = { routes: 1000, origins: 10_000 } as const;
const SMALL = { routes: SMALL_APP_ROUTES, origins: 2 } as const;

const SERVER_SPECS: Record<ServerKey, Omit<AppSpec, 'adapter'>> = {
  none: { cors: 'none', ...SMALL },
  'none-twin': { cors: 'none', ...SMALL },
  nest: { cors: 'nest', ...SMALL },
  lib: { cors: 'lib', ...SMALL },
  static: { cors: 'static', ...SMALL },
  'nest-large': { cors: 'nest', ...LARGE },
  'lib-large': { cors: 'lib', ...LARGE },
  'static-large': { cors: 'static', ...LARGE },
};

/** The (c) servers and their (d) twins, whose actual responses must carry the same CORS headers. */
const STATIC_TWINS: readonly (readonly [ServerKey, ServerKey])[] = [['lib', 'static'], ['lib-large', 'static-large']];

/** The series measured on each adapter, every round. (d) has no preflight answer, so no preflight series. */
const SERIES: readonly { server: ServerKey; shape: 'actual' | 'preflight'; label: string }[] = [
  { server: 'none', shape: 'actual', label: '(a) no CORS' },
  { server: 'nest', shape: 'actual', label: '(b) app.enableCors()' },
  { server: 'lib', shape: 'actual', label: '(c) CorsModule + @CrossOrigin' },
  { server: 'static', shape: 'actual', label: '(d) static @Header()s' },
  { server: 'nest-large', shape: 'actual', label: '(b), 1,000 routes + 10,000 origins' },
  { server: 'lib-large', shape: 'actual', label: '(c), 1,000 routes + 10,000 origins' },
  { server: 'static-large', shape: 'actual', label: '(d), 1,000 routes' },
  { server: 'nest', shape: 'preflight', label: '(b) app.enableCors()' },
  { server: 'lib', shape: 'preflight', label: '(c) CorsModule + @CrossOrigin' },
  { server: 'nest-large', shape: 'preflight', label: '(b), 1,000 routes + 10,000 origins' },
  { server: 'lib-large', shape: 'preflight', label: '(c), 1,000 routes + 10,000 origins' },
];

/**
 * The pairs measured simultaneously (x over y): one per ratio with a target, so the ratios that
 * decide the verdicts get the measurement least sensitive to a disturbed machine, plus what
 * (c) and (d) cost over no CORS at all.
 */
const PAIRS: readonly { shape: 'actual' | 'preflight'; x: ServerKey; y: ServerKey }[] = [
  // Control: two processes of the same app. Its spread around 1.000 is the noise floor of A/B.
  { shape: 'actual', x: 'none-twin', y: 'none' },
  { shape: 'actual', x: 'lib', y: 'static' },
  { shape: 'actual', x: 'lib', y: 'nest' },
  { shape: 'preflight', x: 'lib', y: 'nest' },
  { shape: 'actual', x: 'lib-large', y: 'static-large' },
  { shape: 'actual', x: 'lib-large', y: 'nest-large' },
  { shape: 'preflight', x: 'lib-large', y: 'nest-large' },
  { shape: 'actual', x: 'lib', y: 'none' },
  { shape: 'actual', x: 'static', y: 'none' },
];

function log(message: string): void {
  process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
}

const started = Date.now();

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function gitState(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? ' + uncommitted changes in lib/' : ''}`;
  } catch {
    return 'unknown';
  }
}

function machineInfo(): MachineInfo {
  const list = cpus();
  const versions: Record<string, string> = {};
  for (const pkg of [
    '@nestjs/core', '@nestjs/common', '@nestjs/platform-express', '@nestjs/platform-fastify',
    'express', 'fastify', 'cors', '@fastify/cors', 'autocannon',
  ]) versions[pkg] = versionOf(pkg);
  return {
    cpu: `${list[0]?.model ?? 'unknown'}${list[0]?.speed ? ` @ ${list[0].speed} MHz` : ''}`,
    cores: list.length,
    memoryGiB: totalmem() / 2 ** 30,
    os: `${platform()} ${release()}`,
    node: process.version,
    versions,
    pinned: pinning.enabled
      ? `load generator on CPU ${pinning.clientCpu}, servers on CPU ${pinning.serverCpu} (taskset)`
      : 'not pinned',
    priority: priority.applied ? `harness and servers at nice ${priority.nice}` : 'normal (nice 0)',
    git: gitState(),
  };
}

/** Checks that a server answers the shape the way its CORS variant must, before timing it. */
async function verify(server: ServerProcess, key: ServerKey, shape: 'actual' | 'preflight'): Promise<void> {
  const { status, headers } = await probe(server.url, SHAPES[shape]);
  const problems = responseProblems(SERVER_SPECS[key].cors, shape, status, headers);
  if (problems.length) throw new Error(`${server.label} ${shape}: not configured as intended: ${problems.join('; ')}`);
}

/**
 * (d) is only "the same bytes with no decision" if it sends exactly what (c) sends: compares
 * real actual responses of each (c) server and its (d) twin, and refuses to measure when any
 * CORS header (name or value) differs.
 */
async function checkStaticTwins(servers: ReadonlyMap<ServerKey, ServerProcess>): Promise<void> {
  for (const [lib, fixed] of STATIC_TWINS) {
    const [c, d] = await Promise.all([probe(servers.get(lib)!.url, SHAPES.actual), probe(servers.get(fixed)!.url, SHAPES.actual)]);
    const differences = corsDifferences(c.headers, d.headers, '(c)', '(d)');
    if (corsHeaders(c.headers).size === 0) differences.push('(c) sent no CORS header at all');
    if (differences.length) {
      throw new Error(`${servers.get(fixed)!.label} does not send the CORS headers of ${servers.get(lib)!.label}: ${differences.join('; ')} (update STATIC_CORS_HEADERS in bench/apps.ts)`);
    }
  }
}

/** How many runs may be repeated because of foreign load, over the whole invocation. */
let retryBudget = 0;
/** Milliseconds the harness may still spend waiting for a quiet machine, over the whole invocation. */
let quietBudgetMs = envNumber('BENCH_QUIET_BUDGET', quick ? 10 : 30) * 1000;
let quietWaitedMs = 0;

/** Before a run, waits (within the budget, at most 10 s) for other processes to calm down. */
async function quiet(): Promise<void> {
  if (quietBudgetMs <= 0) return;
  const { waitedMs } = await waitForQuiet(config.maxForeignCores, Math.min(10_000, quietBudgetMs));
  quietBudgetMs -= waitedMs;
  quietWaitedMs += waitedMs;
}

/**
 * One run of a series; repeated (up to twice, within the global budget) when other processes
 * loaded the machine beyond BENCH_MAX_FOREIGN, keeping the quietest run.
 */
async function runOnce(server: ServerProcess, shape: 'actual' | 'preflight'): Promise<{ run: Measurement; retries: number }> {
  await quiet();
  let best = await measure(server, SHAPES[shape], { seconds: config.seconds, expectStatus: EXPECT_STATUS[shape] });
  let retries = 0;
  while (best.foreignCores > config.maxForeignCores && retries < 2 && retryBudget > 0) {
    retryBudget--;
    retries++;
    await quiet();
    const again = await measure(server, SHAPES[shape], { seconds: config.seconds, expectStatus: EXPECT_STATUS[shape] });
    if (again.foreignCores < best.foreignCores) best = again;
  }
  if (best.failures > 0) log(`warning: ${server.label} ${shape}: ${best.failures} failed or unexpected responses`);
  return { run: best, retries };
}

async function measureCeiling(): Promise<CeilingResult> {
  const server = await ServerProcess.start('raw', 'raw node:http');
  try {
    await runLoad(server.url, SHAPES.actual, { amount: config.warmupRequests, expectStatus: 200 });
    const runs: Measurement[] = [];
    for (let i = 0; i < 2; i++) runs.push(await measure(server, SHAPES.actual, { seconds: config.seconds, expectStatus: 200 }));
    return { rps: median(runs.map((r) => r.rps)), clientCores: median(runs.map((r) => r.clientCores)) };
  } finally {
    await server.stop();
  }
}

/**
 * Starts (in parallel: nothing is timed yet, and start-up with 1,000 routes or 10,000 origins
 * is the slow part) one process per server key, checks each answers as its variant must, and
 * warms each up with every request shape it will serve (discarded).
 */
async function launch(adapter: AdapterName, generation: string): Promise<Map<ServerKey, ServerProcess>> {
  const servers = new Map<ServerKey, ServerProcess>();
  const keys = Object.keys(SERVER_SPECS) as ServerKey[];
  log(`${adapter}: starting ${generation} processes: ${keys.join(', ')}`);
  const launches = await Promise.allSettled(keys.map((key) => ServerProcess.start({ adapter, ...SERVER_SPECS[key] }, `${adapter}/${key}`)));
  launches.forEach((r, i) => r.status === 'fulfilled' && servers.set(keys[i], r.value));
  const failed = launches.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  try {
    if (failed) throw failed.reason;
    // Before anything else: a (d) that does not send (c)'s bytes would make every (c)/(d) moot.
    await checkStaticTwins(servers);
    for (const key of keys) {
      const server = servers.get(key)!;
      const shapes = new Set([
        ...SERIES.filter((x) => x.server === key).map((x) => x.shape),
        ...PAIRS.filter((p) => p.x === key || p.y === key).map((p) => p.shape),
      ]);
      for (const shape of shapes) {
        await verify(server, key, shape);
        // Warm-up, discarded: a number of requests rather than seconds, so slow apps get as many
        // as fast ones before the JIT has settled (too short a warm-up showed as a first A/B run
        // several percent off).
        await runLoad(server.url, SHAPES[shape], { amount: config.warmupRequests, expectStatus: EXPECT_STATUS[shape] });
      }
    }
  } catch (error) {
    await Promise.all([...servers.values()].map((x) => x.stop()));
    throw error;
  }
  return servers;
}

async function benchAdapter(adapter: AdapterName): Promise<{ series: SeriesResult[]; pairs: PairResult[] }> {
  let servers = new Map<ServerKey, ServerProcess>();
  try {
    servers = await launch(adapter, 'first');
    const runs = SERIES.map(() => [] as Measurement[]);
    const retries = SERIES.map(() => 0);
    for (let round = 0; round < config.rounds; round++) {
      // Rotate the order every round and reverse it every other round, so no series always runs
      // first, last or next to the same neighbour; drift and foreign load spread over all.
      let order = SERIES.map((_, i) => i);
      order = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
      if (round % 2 === 1) order.reverse();
      log(`${adapter}: round ${round + 1}/${config.rounds}`);
      for (const i of order) {
        const { run, retries: r } = await runOnce(servers.get(SERIES[i].server)!, SERIES[i].shape);
        runs[i][round] = run;
        retries[i] += r;
      }
    }
    const pairRatios = PAIRS.map(() => [] as number[]);
    const pairCores = PAIRS.map(() => ({ x: [] as number[], y: [] as number[] }));
    for (let rep = 0; rep < config.abRepetitions; rep++) {
      log(`${adapter}: simultaneous A/B ${rep + 1}/${config.abRepetitions}`);
      const offset = rep % PAIRS.length;
      for (const i of [...PAIRS.keys()].slice(offset).concat([...PAIRS.keys()].slice(0, offset))) {
        const p = PAIRS[i];
        await quiet();
        const m = await measurePair(servers.get(p.x)!, servers.get(p.y)!, SHAPES[p.shape], { seconds: config.seconds, expectStatus: EXPECT_STATUS[p.shape] });
        pairRatios[i].push(m.ratio);
        pairCores[i].x.push(m.x.serverCores);
        pairCores[i].y.push(m.y.serverCores);
      }
    }
    const pairs: PairResult[] = PAIRS.map((p, i) => ({
      id: `${adapter}/${p.shape}/${p.x}|${p.y}`,
      adapter,
      shape: p.shape,
      x: p.x,
      y: p.y,
      ratios: pairRatios[i],
      median: median(pairRatios[i]),
      xCores: median(pairCores[i].x),
      yCores: median(pairCores[i].y),
    }));
    const seriesResults = SERIES.map((s, i) => {
      const list = runs[i];
      const rps = list.map((r) => r.rps);
      return {
        id: `${adapter}/${s.shape}/${s.server}`,
        adapter,
        server: s.server,
        shape: s.shape,
        label: s.label,
        runs: list,
        retries: retries[i],
        median: {
          rps: median(rps),
          rpsSpread: relativeSpread(rps),
          p50: median(list.map((r) => r.p50)),
          p99: median(list.map((r) => r.p99)),
          cpuPerRequestUs: median(list.map((r) => r.cpuPerRequestUs)),
          serverCores: median(list.map((r) => r.serverCores)),
          foreignCores: median(list.map((r) => r.foreignCores)),
        },
      };
    });
    return { series: seriesResults, pairs };
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}

/** RSS and heap of a fresh server before and after `memoryRequests` actual requests. */
async function measureMemory(adapter: AdapterName, key: ServerKey): Promise<MemoryResult> {
  const server = await ServerProcess.start({ adapter, ...SERVER_SPECS[key] }, `${adapter}/${key} (memory)`, ['--expose-gc']);
  try {
    const before = await server.memory(true);
    await runLoad(server.url, SHAPES.actual, { amount: config.memoryRequests, expectStatus: 200 });
    const afterRaw = await server.memory(false);
    const afterGc = await server.memory(true);
    return { adapter, server: key, requests: config.memoryRequests, gcForced: before.gcAvailable, before: before.usage, afterRaw: afterRaw.usage, afterGc: afterGc.usage };
  } finally {
    await server.stop();
  }
}

function runMicro(): Promise<{ results: MicroResult[]; checksum: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./micro.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    pin(child.pid!, pinning.serverCpu);
    boost(child.pid!);
    child.on('message', (m: { type: string; results?: MicroResult[]; checksum?: number; message?: string }) => {
      if (m.type === 'micro') resolve({ results: m.results!, checksum: m.checksum! });
      else if (m.type === 'error') reject(new Error(`micro: ${m.message}`));
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`micro-benchmark exited with code ${code}`));
    });
  });
}

function byId(series: readonly SeriesResult[], adapter: AdapterName, shape: 'actual' | 'preflight', server: ServerKey): SeriesResult {
  const s = series.find((x) => x.adapter === adapter && x.shape === shape && x.server === server);
  if (!s) throw new Error(`no series ${adapter}/${shape}/${server}`);
  return s;
}

/** A ratio of two series of one adapter, with its target when it is one of issue 8's. */
interface RatioSpec {
  readonly shape: 'actual' | 'preflight';
  readonly x: ServerKey;
  readonly y: ServerKey;
  readonly label: string;
  readonly target?: number;
}

/**
 * The ratios reported for each adapter. The targets: on the small app and on the large one
 * alike, (c) within 3% of the bare bytes (d), at least as fast as Nest's own `enableCors()` on
 * actual requests, and 1.2x it on preflights. The rest is context: what CORS costs over no CORS
 * at all, and what the large app costs each variant.
 */
const RATIOS: readonly RatioSpec[] = [
  { shape: 'actual', x: 'lib', y: 'static', label: 'actual: (c) library / (d) static headers', target: 0.97 },
  { shape: 'actual', x: 'lib', y: 'nest', label: 'actual: (c) library / (b) enableCors', target: 1.0 },
  { shape: 'preflight', x: 'lib', y: 'nest', label: 'preflight: (c) library / (b) enableCors', target: 1.2 },
  { shape: 'actual', x: 'lib-large', y: 'static-large', label: 'large: actual: (c) / (d)', target: 0.97 },
  { shape: 'actual', x: 'lib-large', y: 'nest-large', label: 'large: actual: (c) / (b)', target: 1.0 },
  { shape: 'preflight', x: 'lib-large', y: 'nest-large', label: 'large: preflight: (c) / (b)', target: 1.2 },
  { shape: 'actual', x: 'lib', y: 'none', label: 'actual: (c) library / (a) none' },
  { shape: 'actual', x: 'static', y: 'none', label: 'actual: (d) static headers / (a) none' },
  { shape: 'actual', x: 'nest', y: 'none', label: 'actual: (b) enableCors / (a) none' },
  { shape: 'actual', x: 'lib-large', y: 'lib', label: 'actual, large / small app, (c)' },
  { shape: 'actual', x: 'nest-large', y: 'nest', label: 'actual, large / small app, (b)' },
  { shape: 'actual', x: 'static-large', y: 'static', label: 'actual, large / small app, (d): the framework' },
  { shape: 'preflight', x: 'lib-large', y: 'lib', label: 'preflight, large / small app, (c)' },
];

/**
 * A ratio from the per-round pairs: each round's runs of the two series are close in time, so
 * the per-round ratio cancels slow drift in machine load better than a ratio of medians would.
 */
function ratio(
  id: string,
  adapter: AdapterName,
  spec: RatioSpec,
  num: SeriesResult,
  den: SeriesResult,
  ab: number | null,
  noise: number | null,
): RatioResult {
  const rounds = Math.min(num.runs.length, den.runs.length);
  const rpsRatios: number[] = [];
  const cpuRatios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    rpsRatios.push(num.runs[r].rps / den.runs[r].rps);
    // Capacity from CPU: requests per CPU-second of the numerator over the denominator's.
    cpuRatios.push(den.runs[r].cpuPerRequestUs / num.runs[r].cpuPerRequestUs);
  }
  const rps = median(rpsRatios);
  const cpu = median(cpuRatios);
  const target = spec.target ?? null;
  return {
    id,
    adapter,
    label: spec.label,
    shape: spec.shape,
    x: spec.x,
    y: spec.y,
    rps,
    cpu,
    ab,
    target,
    targetText: target === null ? null : `>= ${target.toFixed(2)}`,
    // The verdict follows the simultaneous A/B ratio where there is one: of the three it is the
    // least sensitive to other load on the machine (see BENCHMARKS.md, Method).
    holds: target === null ? null : (ab ?? rps) >= target,
    holdsSequential: target === null ? null : rps >= target,
    noise,
    holdsByCpu: target === null ? null : cpu >= target,
  };
}

function computeRatios(series: readonly SeriesResult[], pairs: readonly PairResult[]): RatioResult[] {
  const out: RatioResult[] = [];
  for (const adapter of adapters) {
    const s = (shape: 'actual' | 'preflight', server: ServerKey) => byId(series, adapter, shape, server);
    const ab = (shape: 'actual' | 'preflight', x: ServerKey, y: ServerKey) =>
      pairs.find((p) => p.adapter === adapter && p.shape === shape && p.x === x && p.y === y)?.median ?? null;
    // The control pair (two processes of one app) gives the noise floor of every A/B ratio:
    // how far from 1.000 it lands, or its spread over repetitions if that is larger.
    const control = pairs.find((p) => p.adapter === adapter && p.x === 'none-twin' && p.y === 'none');
    const noise = control ? Math.max(Math.abs(control.median - 1), relativeSpread(control.ratios)) : null;
    if (control) {
      const a = s('actual', 'none');
      out.push(ratio(`${adapter}/control`, adapter, { shape: 'actual', x: 'none-twin', y: 'none', label: 'control: (a) / (a), two processes' }, a, a, control.median, noise));
    }
    for (const spec of RATIOS) {
      out.push(ratio(`${adapter}/${spec.shape}/${spec.x}|${spec.y}`, adapter, spec, s(spec.shape, spec.x), s(spec.shape, spec.y), ab(spec.shape, spec.x, spec.y), noise));
    }
  }
  return out;
}

/** One scenario to profile. */
interface ProfileTarget {
  readonly adapter: AdapterName;
  readonly key: ServerKey;
  readonly shape: 'actual' | 'preflight';
}

const profileLabel = (t: ProfileTarget) => `${t.adapter}-${t.key}-${t.shape}`;

/**
 * The order in which missed targets get profiles: the small app before the large one, and in
 * each, (c)/(d) (the library's own cost, isolated), then preflights, then (c)/(b).
 */
function profilePriority(r: RatioResult): number {
  return (r.x!.endsWith('-large') ? 10 : 0) + (r.y!.startsWith('static') ? 0 : r.shape === 'preflight' ? 1 : 2);
}

/**
 * Which scenarios to profile: both sides of each target ratio that was missed (or of every
 * target with BENCH_PROFILE=1), so the report can set (c)'s profile against (d)'s or (b)'s,
 * function by function.
 */
function profilePlan(ratios: readonly RatioResult[]): { targets: ProfileTarget[]; comparisons: ProfileComparisonSpec[] } {
  const chosen = ratios
    .filter((r) => r.target !== null && r.x !== undefined && r.y !== undefined && (profileMode === '1' || r.holds === false))
    .sort((p, q) => profilePriority(p) - profilePriority(q));
  // Alternate adapters so the cap on the number of profiles still covers both.
  const byAdapter = adapters.map((a) => chosen.filter((r) => r.adapter === a));
  const ordered: RatioResult[] = [];
  for (let i = 0; byAdapter.some((list) => i < list.length); i++) for (const list of byAdapter) if (i < list.length) ordered.push(list[i]);
  const targets: ProfileTarget[] = [];
  const comparisons: ProfileComparisonSpec[] = [];
  const add = (t: ProfileTarget) => {
    if (!targets.some((u) => profileLabel(u) === profileLabel(t))) targets.push(t);
  };
  for (const r of ordered) {
    const x = { adapter: r.adapter, key: r.x!, shape: r.shape! };
    const y = { adapter: r.adapter, key: r.y!, shape: r.shape! };
    const needed = [x, y].filter((t) => !targets.some((u) => profileLabel(u) === profileLabel(t))).length;
    // At most MAX_PROFILES, so a run that misses everything still ends in bounded time.
    if (targets.length + needed > MAX_PROFILES) continue;
    add(x);
    add(y);
    comparisons.push({ x: profileLabel(x), y: profileLabel(y), label: `${r.adapter === 'express' ? 'Express' : 'Fastify'}: ${r.label}` });
  }
  return { targets, comparisons };
}

/** Enough for (c)/(d) and the preflight (c)/(b) of the small app on both adapters. */
const MAX_PROFILES = 8;

async function main(): Promise<void> {
  pin(process.pid, pinning.clientCpu);
  boost(process.pid);
  const machine = machineInfo();
  const startedAt = new Date().toISOString();
  retryBudget = Math.ceil(0.1 * SERIES.length * adapters.length * config.rounds);
  log(`config ${JSON.stringify(config)}; adapters ${adapters.join(', ')}; ${machine.pinned}`);

  log('load-generator ceiling (bare node:http server)');
  const ceiling = await measureCeiling();

  const series: SeriesResult[] = [];
  const pairs: PairResult[] = [];
  const memory: MemoryResult[] = [];
  for (const adapter of adapters) {
    const measured = await benchAdapter(adapter);
    series.push(...measured.series);
    pairs.push(...measured.pairs);
    log(`${adapter}: memory, ${config.memoryRequests} requests against (c)`);
    memory.push(await measureMemory(adapter, 'lib'));
    // The no-CORS reference doubles the time of this step (Express serves ~3k req/s here).
    if (process.env.BENCH_MEMORY_BASELINE === '1') memory.push(await measureMemory(adapter, 'none'));
  }
  const ratios = computeRatios(series, pairs);

  log('micro-benchmark');
  const micro = await runMicro();

  const profiles: ProfileSummary[] = [];
  const plan = profileMode === '0' ? { targets: [], comparisons: [] } : profilePlan(ratios);
  const seconds = envNumber('BENCH_PROFILE_SECONDS', 3);
  for (const t of plan.targets) {
    log(`profiling ${t.adapter}/${t.key} ${t.shape}`);
    profiles.push(
      await profileScenario({ adapter: t.adapter, ...SERVER_SPECS[t.key] }, SHAPES[t.shape], EXPECT_STATUS[t.shape], profileLabel(t), join(RESULTS_DIR, 'profiles'), seconds),
    );
  }

  // Instruction counts under valgrind (bench/instructions.ts): the long part, last, and on by
  // default in a full run; BENCH_INSTRUCTIONS=0 skips it (BENCHMARKS.md then keeps the section
  // of an earlier run), =1 adds it to a smoke run. A failure there loses only that section.
  let instructions: InstructionResults | undefined;
  if ((process.env.BENCH_INSTRUCTIONS ?? (quick ? '0' : '1')) !== '0') {
    log('instruction counts under valgrind (BENCH_INSTRUCTIONS=0 skips them)');
    try {
      instructions = await runInstructions(instructionConfig());
      log(`instruction counts: wrote ${saveInstructions(instructions).json}`);
    } catch (error) {
      log(`instruction counts failed, report without them: ${String((error as Error)?.message ?? error)}`);
    }
  }

  const allRuns = series.flatMap((s) => s.runs);
  const disturbance = {
    runs: allRuns.length,
    disturbedRuns: allRuns.filter((r) => r.foreignCores > config.maxForeignCores).length,
    medianForeignCores: median(allRuns.map((r) => r.foreignCores)),
    quietWaitSeconds: quietWaitedMs / 1000,
    retries: series.reduce((n, s) => n + s.retries, 0),
  };
  const results: BenchResults = {
    startedAt,
    wallSeconds: (Date.now() - started) / 1000,
    config,
    machine,
    ceiling,
    disturbance,
    series,
    pairs,
    ratios,
    memory,
    micro: micro.results,
    profiles,
    profileComparisons: plan.comparisons,
    instructions,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(RESULTS_DIR, `${quick ? 'quick-' : ''}${stamp}.json`), JSON.stringify(results, null, 2));
  printReport(results);
  // A smoke run must not overwrite the published numbers: its report goes to bench/results/.
  const mdPath = quick ? join(RESULTS_DIR, 'BENCHMARKS.quick.md') : join(ROOT, 'BENCHMARKS.md');
  const svgPath = quick ? join(RESULTS_DIR, 'ratios.quick.svg') : join(BENCH_DIR, 'ratios.svg');
  writeSvg(results, svgPath);
  writeMarkdown(results, mdPath, svgPath, ROOT);
  log(`wrote ${mdPath} and ${svgPath} (checksum ${micro.checksum})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
