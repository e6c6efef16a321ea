// Micro-benchmark of the per-request decision, without HTTP: the pure core (lib/core) called
// directly, and the whole decision of real initialised apps: the handlers the platform's
// router finds (Express's router layers, find-my-way on Fastify), then the core's decide().
// Runs as its own process (see run.ts), pinned to the server CPU, and reports over IPC.
import {
  IssueCollector,
  NO_HEADERS,
  actualResponseHeaders,
  compilePolicy,
  decide,
  isOriginAllowed,
  mergeOptions,
  preflightResponse,
  readCorsRequest,
  type CorsOptions,
  type CorsPolicy,
  type Decision,
} from '../lib/core/index.js';
import type { CorsRuntime } from '../lib/nest/cors-runtime.js';
import { CorsInstaller } from '../lib/nest/cors.installer.js';
import {
  ACTUAL_PATH,
  ALLOWED_ORIGIN,
  PREFLIGHT_HEADERS,
  PREFLIGHT_METHOD,
  PREFLIGHT_PATH,
  createApp,
  originList,
  type AdapterName,
} from './apps.js';

/** One micro-benchmark result. */
export interface MicroResult {
  readonly group: 'core' | 'engine';
  readonly name: string;
  readonly opsPerSecond: number;
  /** Median of the samples. */
  readonly nsPerOp: number;
  /** Fastest sample: what the decision costs when nothing else disturbs it. */
  readonly bestNs: number;
  /** ns/op minus the baseline's ns/op: the cost of the decision itself. */
  readonly netNs: number;
  readonly spread: number;
}

const REFUSED_ORIGIN = 'https://evil.example.org';
const quick = process.env.BENCH_QUICK === '1';
const SAMPLE_MS = quick ? 30 : 80;
const SAMPLES = quick ? 3 : 5;

// Every decision's result feeds this, and it is printed, so no loop can be optimised away.
let checksum = 0;

type Decide = () => number;

/**
 * Process CPU time of `iterations` calls, in ns. CPU time rather than wall time: on a shared
 * machine the process may be descheduled mid-loop, which wall time would count as work.
 */
function timeLoop(decide: Decide, iterations: number): number {
  let sink = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) sink += decide();
  const t = process.cpuUsage(t0);
  checksum += sink;
  return (t.user + t.system) * 1000;
}

/**
 * ns per call of `decide`: warm up until the JIT has settled, size the loop to SAMPLE_MS, take
 * SAMPLES timings and keep the median. Every case goes through the same (megamorphic) call site,
 * baseline included, so the call overhead is the same for all and subtracted via the baseline.
 */
function nsPerOp(decide: Decide): { ns: number; best: number; spread: number } {
  // Warm-up doubling as calibration: grow the loop until one pass takes 20 ms of CPU.
  let iterations = 1000;
  for (;;) {
    const ns = timeLoop(decide, iterations);
    if (ns > 20e6) break;
    iterations *= 4;
  }
  const perOp = timeLoop(decide, iterations) / iterations;
  iterations = Math.max(1000, Math.round((SAMPLE_MS * 1e6) / perOp));
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) samples.push(timeLoop(decide, iterations) / iterations);
  samples.sort((a, b) => a - b);
  const mid = samples[samples.length >> 1];
  return { ns: mid, best: samples[0], spread: (samples[samples.length - 1] - samples[0]) / mid };
}

/** A policy as the library compiles it: defaults < forRoot origins < the route's options. */
function policyFor(origins: CorsOptions['origins']): CorsPolicy {
  const issues = new IssueCollector();
  const merged = mergeOptions([
    { options: { origins }, source: 'forRoot' },
    { options: { exposeHeaders: ['X-Total-Count'], supportsCredentials: true, maxAge: 600 }, source: 'handler' },
  ]);
  const policy = compilePolicy(merged, 'micro', issues);
  if (!policy) throw new Error(`micro: invalid policy ${JSON.stringify(issues.issues)}`);
  return policy;
}

function coreCases(): [string, Decide][] {
  const kinds: [string, CorsPolicy][] = [
    ['exact (2)', policyFor(['https://admin.example.com', ALLOWED_ORIGIN])],
    ['exact (10,000)', policyFor(originList(10_000))],
    ['pattern', policyFor('https://*.example.com')],
    ['RegExp', policyFor(/https:\/\/(app|admin)\.example\.com/)],
  ];
  const cases: [string, Decide][] = [];
  // The baseline decision: same call shape, no work. Its cost is the loop and the call.
  const empty = (_p: CorsPolicy, _o: string): readonly unknown[] => NO_HEADERS;
  const p0 = kinds[0][1];
  cases.push(['baseline: empty decision', () => empty(p0, ALLOWED_ORIGIN).length]);
  for (const [kind, p] of kinds) {
    for (const [label, origin] of [['allowed', ALLOWED_ORIGIN], ['refused', REFUSED_ORIGIN]] as const) {
      cases.push([
        `actual, ${kind}, ${label}`,
        () => actualResponseHeaders(p, origin, isOriginAllowed(p.origins, origin, null) as boolean, undefined).length,
      ]);
      cases.push([
        `preflight, ${kind}, ${label}`,
        () =>
          preflightResponse(p, origin, isOriginAllowed(p.origins, origin, null) as boolean, PREFLIGHT_METHOD, PREFLIGHT_HEADERS, undefined)
            .headers.length,
      ]);
    }
  }
  return cases;
}

/** The decision of an app's request path, as its door takes it: the router's candidates, then decide(). */
interface Engine {
  decide(method: string, path: string, headers: Record<string, string>): Decision | Promise<Decision>;
}

async function engineOf(adapter: AdapterName, routes: number, origins: number): Promise<Engine> {
  const app = await createApp({ adapter, cors: 'lib', routes, origins });
  const runtime: CorsRuntime = app.get(CorsInstaller, { strict: false }).runtime;
  await app.close();
  return {
    decide(method, path, headers) {
      const state = runtime.state;
      const r = readCorsRequest(method, path, headers, null);
      const found = runtime.finder!(state, r.acrm ?? method, path, undefined);
      return decide(r.acrm !== undefined ? found : found.slice(0, 1), r, { timeout: state.policies.originTimeout });
    },
  };
}

/** Throws unless a decision is synchronous, of the expected kind, with the expected ACAO. */
function expectOutcome(label: string, outcome: Decision | Promise<Decision>, preflight: boolean, acao: string | undefined): void {
  if (outcome instanceof Promise) throw new Error(`micro: ${label}: decision is asynchronous`);
  const got = outcome.headers.find(([name]) => name.toLowerCase() === 'access-control-allow-origin')?.[1];
  if (outcome.answer !== preflight || got !== acao) {
    throw new Error(`micro: ${label}: expected preflight=${preflight}, ACAO ${String(acao)}; got preflight=${outcome.answer}, ACAO ${String(got)}`);
  }
}

async function engineCases(): Promise<[string, Decide][]> {
  const cases: [string, Decide][] = [];
  const actualHeaders = { host: '127.0.0.1:3000', origin: ALLOWED_ORIGIN };
  const refusedHeaders = { host: '127.0.0.1:3000', origin: REFUSED_ORIGIN };
  const preflightHeaders = {
    host: '127.0.0.1:3000',
    origin: ALLOWED_ORIGIN,
    'access-control-request-method': PREFLIGHT_METHOD,
    'access-control-request-headers': PREFLIGHT_HEADERS,
  };
  // Synchronous here (no predicates); a Promise would count as 0 and show in the checksum.
  const size = (o: Decision | Promise<Decision>) => (o instanceof Promise ? 0 : o.headers.length);
  for (const adapter of ['express', 'fastify'] as const) {
    for (const [label, routes, origins] of [['small app', 5, 2], ['1,000 routes + 10,000 origins', 1000, 10_000]] as const) {
      const engine = await engineOf(adapter, routes, origins);
      const actual = () => engine.decide('GET', ACTUAL_PATH, actualHeaders);
      const preflight = () => engine.decide('OPTIONS', PREFLIGHT_PATH, preflightHeaders);
      const refused = () => engine.decide('GET', ACTUAL_PATH, refusedHeaders);
      // Time only decisions that are the ones HTTP sees: a finder that lost the route would
      // time the cheap fallback instead.
      expectOutcome(`${adapter}, ${label}: actual`, actual(), false, ALLOWED_ORIGIN);
      expectOutcome(`${adapter}, ${label}: preflight`, preflight(), true, ALLOWED_ORIGIN);
      expectOutcome(`${adapter}, ${label}: refused`, refused(), false, undefined);
      cases.push([`${adapter}, ${label}: actual`, () => size(actual())]);
      cases.push([`${adapter}, ${label}: preflight`, () => size(preflight())]);
      if (label === 'small app') cases.push([`${adapter}, ${label}: actual, refused`, () => size(refused())]);
    }
  }
  return cases;
}

async function main(): Promise<void> {
  const core = coreCases();
  const engine = await engineCases();
  const results: MicroResult[] = [];
  const baseline = nsPerOp(core[0][1]);
  for (const [group, cases] of [['core', core], ['engine', engine]] as const) {
    for (const [name, decide] of cases) {
      const r = name.startsWith('baseline') ? baseline : nsPerOp(decide);
      results.push({ group, name, opsPerSecond: 1e9 / r.ns, nsPerOp: r.ns, bestNs: r.best, netNs: r.ns - baseline.ns, spread: r.spread });
    }
  }
  process.send?.({ type: 'micro', results, checksum });
  // Let the IPC message flush before exiting.
  process.disconnect?.();
}

main().catch((error: unknown) => {
  process.send?.({ type: 'error', message: String((error as Error)?.stack ?? error) });
  process.exitCode = 1;
});
