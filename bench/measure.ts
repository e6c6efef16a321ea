import { readFileSync } from 'node:fs';
import { runLoad, type LoadResult, type RequestShape } from './load.js';
import type { ServerProcess } from './processes.js';

/** Busy CPU time of the whole machine so far, in seconds, or null where /proc/stat is absent. */
function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    // cpu user nice system idle iowait irq softirq steal …, in USER_HZ (100 per second on Linux).
    // Only time charged to processes: interrupt and softirq time is left out because much of it
    // is our own loopback traffic, which no process is charged for.
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    return (f[0] + f[1] + f[2]) / 100;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the machine is quiet: foreign load below `maxCores` over a 150 ms window (our
 * servers are idle between runs, so all busy time then is foreign). Gives up after `maxWaitMs`;
 * returns how long it waited and the last load seen.
 */
export async function waitForQuiet(maxCores: number, maxWaitMs: number): Promise<{ waitedMs: number; load: number }> {
  const start = Date.now();
  let load = NaN;
  for (;;) {
    const before = machineBusySeconds();
    const own = ownCpuSeconds();
    await sleep(150);
    const after = machineBusySeconds();
    if (before === null || after === null) return { waitedMs: 0, load: NaN };
    load = Math.max(0, (after - before - (ownCpuSeconds() - own)) / 0.15);
    if (load <= maxCores || Date.now() - start >= maxWaitMs) return { waitedMs: Date.now() - start, load };
  }
}

function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** One measured load run, with what the machine was doing meanwhile. */
export interface Measurement extends LoadResult {
  /** Server CPU time per completed request, µs: robust to other processes stealing the core. */
  readonly cpuPerRequestUs: number;
  /** Server CPU used over the run, in cores: below ~0.9 the server was not the bottleneck. */
  readonly serverCores: number;
  /** CPU used by this process (the load generator), in cores. */
  readonly clientCores: number;
  /**
   * CPU used by processes other than the server and the load generator, in cores, over the run
   * (machine busy time from /proc/stat minus ours); `NaN` where it cannot be read.
   */
  readonly foreignCores: number;
}

/**
 * Runs one load against a server and records, besides throughput and latency, the server's CPU
 * time per request and the foreign load on the machine during the run. On a shared machine the
 * foreign load tells which runs were disturbed; CPU per request stays meaningful when they were.
 */
export async function measure(
  server: ServerProcess,
  shape: RequestShape,
  options: { seconds?: number; amount?: number; expectStatus: number },
): Promise<Measurement> {
  const serverBefore = await server.cpuMicros();
  const ownBefore = ownCpuSeconds();
  const busyBefore = machineBusySeconds();
  const load = await runLoad(server.url, shape, options);
  const busyAfter = machineBusySeconds();
  const ownAfter = ownCpuSeconds();
  const serverAfter = await server.cpuMicros();
  const serverSeconds = (serverAfter - serverBefore) / 1e6;
  const clientSeconds = ownAfter - ownBefore;
  const foreign =
    busyBefore === null || busyAfter === null
      ? NaN
      : Math.max(0, (busyAfter - busyBefore - serverSeconds - clientSeconds) / load.seconds);
  return {
    ...load,
    cpuPerRequestUs: load.requests > 0 ? (serverSeconds * 1e6) / load.requests : NaN,
    serverCores: serverSeconds / load.seconds,
    clientCores: clientSeconds / load.seconds,
    foreignCores: foreign,
  };
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median absolute deviation relative to the median: a robust spread, shown as ±%. */
export function relativeSpread(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((x) => Math.abs(x - m))) / m;
}

/** One simultaneous A/B run: both servers loaded at once, sharing one CPU. */
export interface PairMeasurement {
  readonly x: Measurement;
  readonly y: Measurement;
  /** x's req/s over y's, measured over the same seconds. */
  readonly ratio: number;
}

/**
 * Loads two servers at the same time, each with its own closed-loop client. Both servers are
 * pinned to the same CPU at the same priority, so the scheduler gives each half of it while
 * both are saturated, and the ratio of their throughputs is the inverse ratio of their CPU cost
 * per request. Whatever else disturbs the machine during the run disturbs both alike, which
 * makes this far steadier than comparing runs taken one after the other.
 */
export async function measurePair(
  x: ServerProcess,
  y: ServerProcess,
  shape: RequestShape,
  options: { seconds: number; expectStatus: number },
): Promise<PairMeasurement> {
  const [mx, my] = await Promise.all([measure(x, shape, options), measure(y, shape, options)]);
  return { x: mx, y: my, ratio: mx.rps / my.rps };
}
