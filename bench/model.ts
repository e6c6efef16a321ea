import type { AdapterName, CorsVariant } from './apps.js';
import type { Measurement } from './measure.js';
import type { MicroResult } from './micro.js';
import type { ProfileComparisonSpec, ProfileSummary } from './profile.js';

/**
 * The servers each adapter's comparison needs: CORS variant × app size. `-large` is the app
 * with 1,000 routes and 10,000 allowed origins; `none-twin` is a second process of `none`, the
 * control pair of the A/B runs.
 */
export type ServerKey = 'none' | 'none-twin' | 'nest' | 'lib' | 'static' | 'nest-large' | 'lib-large' | 'static-large';

/** One measured series: a request shape sent to one server, measured once per round. */
export interface SeriesResult {
  readonly id: string;
  readonly adapter: AdapterName;
  readonly server: ServerKey;
  readonly shape: 'actual' | 'preflight';
  readonly label: string;
  readonly runs: readonly Measurement[];
  /** Runs repeated because other processes loaded the machine (the quieter run is kept). */
  readonly retries: number;
  readonly median: {
    readonly rps: number;
    readonly rpsSpread: number;
    readonly p50: number;
    readonly p99: number;
    readonly cpuPerRequestUs: number;
    readonly serverCores: number;
    readonly foreignCores: number;
  };
}

/** A ratio between two series (or a ratio of ratios), with its target when there is one. */
export interface RatioResult {
  readonly id: string;
  readonly adapter: AdapterName;
  readonly label: string;
  /** The two series divided (x over y); absent in results written before they were recorded. */
  readonly shape?: 'actual' | 'preflight';
  readonly x?: ServerKey;
  readonly y?: ServerKey;
  /** Median over rounds of the per-round throughput ratio (runs of one round are adjacent in time). */
  readonly rps: number;
  /** The same ratio from server CPU time per request (capacity), robust to a disturbed machine. */
  readonly cpu: number;
  /**
   * The same ratio from simultaneous A/B runs (both servers loaded at once on one CPU), median
   * over repetitions; null where not measured that way.
   */
  readonly ab: number | null;
  readonly target: number | null;
  readonly targetText: string | null;
  /** Whether the ratio the verdict is based on (A/B when measured, else throughput) meets the target. */
  readonly holds: boolean | null;
  readonly holdsSequential: boolean | null;
  /** The adapter's A/B noise floor (see the control pair); the verdict is "within noise" when |ratio − target| is below it. */
  readonly noise: number | null;
  readonly holdsByCpu: boolean | null;
}

/** Simultaneous A/B runs of one pair of servers. */
export interface PairResult {
  readonly id: string;
  readonly adapter: AdapterName;
  readonly shape: 'actual' | 'preflight';
  readonly x: ServerKey;
  readonly y: ServerKey;
  readonly ratios: readonly number[];
  readonly median: number;
  /** Median CPU used by each server during the runs: both near 0.5 means both were saturated. */
  readonly xCores: number;
  readonly yCores: number;
}

export interface MemoryResult {
  readonly adapter: AdapterName;
  readonly server: ServerKey;
  readonly requests: number;
  readonly gcForced: boolean;
  readonly before: NodeJS.MemoryUsage;
  readonly afterRaw: NodeJS.MemoryUsage;
  readonly afterGc: NodeJS.MemoryUsage;
}

export interface CeilingResult {
  readonly rps: number;
  readonly clientCores: number;
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly pinned: string;
  readonly priority: string;
  /** Commit of the work tree measured, and whether lib/ had uncommitted changes. */
  readonly git: string;
}

export interface BenchConfig {
  readonly quick: boolean;
  readonly seconds: number;
  readonly rounds: number;
  /** Repetitions of each simultaneous A/B pair. */
  readonly abRepetitions: number;
  readonly warmupRequests: number;
  readonly connections: number;
  readonly memoryRequests: number;
  readonly maxForeignCores: number;
}

/** How much other processes disturbed the HTTP runs. */
export interface Disturbance {
  readonly runs: number;
  /** Runs kept although foreign load exceeded BENCH_MAX_FOREIGN. */
  readonly disturbedRuns: number;
  readonly medianForeignCores: number;
  readonly quietWaitSeconds: number;
  readonly retries: number;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly config: BenchConfig;
  readonly machine: MachineInfo;
  readonly ceiling: CeilingResult | null;
  readonly disturbance: Disturbance;
  readonly series: readonly SeriesResult[];
  readonly pairs: readonly PairResult[];
  readonly ratios: readonly RatioResult[];
  readonly memory: readonly MemoryResult[];
  readonly micro: readonly MicroResult[];
  readonly profiles: readonly ProfileSummary[];
  /** Which profiles the report sets against each other (both sides of a missed target). */
  readonly profileComparisons?: readonly ProfileComparisonSpec[];
  /** Instructions per request under valgrind (bench/instructions.ts); absent when skipped. */
  readonly instructions?: InstructionResults;
}

/** The two apps of the instruction counts: the small one, and 1,000 routes + 10,000 origins. */
export type SizeName = 'small' | 'large';

/** One valgrind run of one cell: a fresh server, warm-up, then the measured window. */
export interface InstructionRun {
  /**
   * Instructions per request, net of JIT work: (window − empty window − JIT work in the window)
   * / requests. The figure every table and comparison uses.
   */
  readonly perRequest: number;
  /** The same with the JIT work: (window − empty window) / requests. */
  readonly grossPerRequest: number;
  /** JIT work per request in the window (V8 compiling or deoptimizing): what a longer warm-up would remove. */
  readonly jitPerRequest: number;
  /** Requests counted: BENCH_IR_REQUESTS, plus those up to the end of the last GC cycle. */
  readonly requests: number;
  /** Whether the window started and ended right after a mark-compact (whole GC cycles). */
  readonly wholeGcCycles: boolean;
  /** Collections in the window (from --trace-gc). */
  readonly markCompacts: number;
  readonly scavenges: number;
  /** Instructions counted from after the warm-up to after the counted requests. */
  readonly window: number;
  /** Instructions counted between two dumps with no request in between (vgdb's interruption). */
  readonly empty: number;
  /** Instructions of the whole process (start-up to exit); null when not instrumented from the start. */
  readonly whole: number | null;
  /** Wall seconds: start-up, warm-up, measured window, the whole run. */
  readonly seconds: { readonly startup: number; readonly warmup: number; readonly window: number; readonly total: number };
}

/** One cell: adapter × app size × CORS variant × request shape, measured `runs.length` times. */
export interface InstructionCell {
  readonly id: string;
  readonly adapter: AdapterName;
  readonly size: SizeName;
  readonly variant: CorsVariant;
  readonly shape: 'actual' | 'preflight';
  readonly runs: readonly InstructionRun[];
  /** Runs that failed (timeout, wrong response, crash), with the reason. */
  readonly failures: readonly string[];
  /** Median, lowest and highest instructions per request over the runs (NaN without runs). */
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** A comparison of cells of one adapter and app size, with its target when it has one. */
export interface InstructionComparison {
  readonly id: string;
  readonly adapter: AdapterName;
  readonly size: SizeName;
  readonly shape: 'actual' | 'preflight';
  /** `added`: x − y in instructions per request; `ratio`: x / y. */
  readonly kind: 'added' | 'ratio';
  readonly x: CorsVariant;
  readonly y: CorsVariant;
  readonly label: string;
  /** From the medians, and the interval the runs' extremes allow. */
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly targetText: string | null;
  /** `holds` / `MISSED` over the whole interval, `within spread` when the interval straddles it. */
  readonly verdict: 'holds' | 'MISSED' | 'within spread' | null;
}

export interface InstructionConfig {
  readonly warmupRequests: number;
  readonly requests: number;
  readonly repeats: number;
  readonly repeatsLarge: number;
  readonly adapters: readonly AdapterName[];
  readonly sizes: readonly SizeName[];
  readonly variants: readonly CorsVariant[];
  readonly shapes: readonly ('actual' | 'preflight')[];
  readonly runTimeoutSeconds: number;
  readonly budgetSeconds: number;
  /** Callgrind instruments from process start (whole-run counts) or from the first marker. */
  readonly instrumentFromStart: boolean;
  readonly nodeFlags: readonly string[];
  readonly valgrindFlags: readonly string[];
}

export interface InstructionResults {
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly config: InstructionConfig;
  readonly machine: { readonly node: string; readonly valgrind: string; readonly cores: number; readonly git: string };
  readonly cells: readonly InstructionCell[];
  readonly comparisons: readonly InstructionComparison[];
  /** Runs skipped because the time budget ran out. */
  readonly skippedRuns: number;
  /** When re-rendered from several saved runs: each run's start and the cells kept from it. */
  readonly mergedFrom?: readonly string[];
}
