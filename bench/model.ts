import type { AdapterName } from './apps.js';
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
}
