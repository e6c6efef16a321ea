import autocannon from 'autocannon';
import { request, type IncomingHttpHeaders } from 'node:http';

/** Fixed for every HTTP measurement, so all variants see the same offered load. */
export const CONNECTIONS = 16;

/** One kind of request the harness sends. */
export interface RequestShape {
  readonly method: 'GET' | 'OPTIONS';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What one load run measured. Latencies in milliseconds. */
export interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly seconds: number;
  /** Requests that errored, timed out or got a status other than the expected one. */
  readonly failures: number;
}

/** Percentile by the nearest-rank method on an ascending sorted array. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Runs autocannon in this process against `baseUrl` for `seconds` (or for `amount` requests).
 * Latencies are collected from the per-response event rather than autocannon's histogram, which
 * rounds to whole milliseconds: at 16 connections a response takes one or two ms, so p50 would
 * otherwise be meaningless. Throughput is completed requests over the measured wall time.
 */
export async function runLoad(
  baseUrl: string,
  shape: RequestShape,
  options: { seconds?: number; amount?: number; expectStatus: number },
): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let unexpected = 0;
  const instance = autocannon({
    url: `${baseUrl}${shape.path}`,
    method: shape.method,
    headers: { ...shape.headers },
    connections: CONNECTIONS,
    pipelining: 1,
    timeout: 10,
    // autocannon rejects an explicit `duration: undefined`, so pass exactly one of the two.
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.seconds ?? 1 }),
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode !== options.expectStatus) unexpected++;
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
  });
  const started = process.hrtime.bigint();
  const result = await instance;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const sorted = latencies.subarray(0, count).sort();
  return {
    rps: count / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    requests: count,
    seconds,
    failures: unexpected + result.errors + result.timeouts,
  };
}

/**
 * Sends one request and returns status and headers, for the correctness checks. node:http rather
 * than fetch, which may drop or rewrite browser-controlled headers such as Origin.
 */
export function probe(baseUrl: string, shape: RequestShape): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}${shape.path}`, { method: shape.method, headers: { ...shape.headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
