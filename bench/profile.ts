import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec } from './apps.js';
import { runLoad, type RequestShape } from './load.js';
import { ServerProcess } from './processes.js';

/** The parts of a V8 `.cpuprofile` the analysis reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** A function's share of the profile. */
export interface HotFunction {
  readonly name: string;
  readonly where: string;
  readonly category: string;
  readonly selfPercent: number;
}

/** What one profile says about where the server's CPU went. */
export interface ProfileSummary {
  readonly label: string;
  readonly file: string;
  readonly seconds: number;
  readonly requests: number;
  /** Server CPU time over the profiled window, µs (kept so a profile can be analysed again). */
  readonly serverCpuMicros: number;
  /** Self time by category, % of busy (non-idle) samples. */
  readonly categories: Readonly<Record<string, number>>;
  /** Top functions by self time, % of busy samples. */
  readonly top: readonly HotFunction[];
  /**
   * % of busy samples spent in the library's work: its own functions and what they call
   * (header writes, string work), but not the rest of the request pipeline that its hook hands
   * the request on to (`next()` / `done()`), nor Node's own `writeHead` / `end` (the response
   * itself, which the library wraps or, for a preflight, ends).
   */
  readonly corsPercent: number;
  /** {@link corsPercent} as µs of CPU per request, from the server's measured CPU time. */
  readonly corsMicrosPerRequest: number;
  readonly libraryFunctions: readonly HotFunction[];
  /**
   * Library functions by inclusive time of library work under them (what they call included,
   * hand-offs excluded), % of busy samples: where the library's share goes.
   */
  readonly libraryInclusive: readonly HotFunction[];
  /**
   * Every function with at least {@link MIN_LISTED_PERCENT}% self time, for comparing two
   * profiles; absent in results written before it was recorded.
   */
  readonly functions?: readonly HotFunction[];
}

/** Two profiles the report sets against each other: x is (c), y is what it is measured against. */
export interface ProfileComparisonSpec {
  readonly x: string;
  readonly y: string;
  readonly label: string;
}

/** One line of a comparison: CPU per request in x and in y, µs. */
export interface CostDelta {
  readonly name: string;
  readonly where: string;
  readonly xMicros: number;
  readonly yMicros: number;
}

/** Where x's CPU per request differs from y's: by category and by function. */
export interface ProfileComparison {
  readonly spec: ProfileComparisonSpec;
  readonly xMicrosPerRequest: number;
  readonly yMicrosPerRequest: number;
  readonly categories: readonly CostDelta[];
  /** The functions x spends most more on than y (largest difference first), then the ones it spends less on. */
  readonly more: readonly CostDelta[];
  readonly less: readonly CostDelta[];
}

const MIN_LISTED_PERCENT = 0.02;

function isLibrary(url: string): boolean {
  return url.includes('/.build/lib/');
}

function category(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'GC';
  if (isLibrary(url)) return 'nest-cross-origin';
  if (url.includes('/node_modules/@nestjs/')) return '@nestjs/*';
  if (url.includes('/node_modules/')) return 'framework + deps';
  if (url.startsWith('node:')) return 'node: internals';
  if (url.includes('/.build/bench/')) return 'bench harness';
  return 'native / (program)';
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm !== -1) return url.slice(nm + '/node_modules/'.length);
  const build = url.indexOf('/.build/');
  if (build !== -1) return url.slice(build + '/.build/'.length);
  return url;
}

/**
 * Library frames that hand the request on: their non-library callees are not CORS work
 * (`nestCrossOriginRoute` is the Express confirmer at the head of each Nest route, `decide`
 * the helper that calls `next()` after a decision).
 */
const HANDS_ON = new Set(['nestCrossOrigin', 'nestCrossOriginRoute', 'decide', 'finish']);

/**
 * The frameworks' own continuations (Express's router and route `next`, Fastify's hook runner):
 * whatever a library frame calls there is the rest of the pipeline, whatever the frame is named.
 */
function continuesPipeline(frame: { functionName: string; url: string }): boolean {
  return (frame.functionName === 'next' && frame.url.includes('/node_modules/router/')) || frame.url.includes('/node_modules/fastify/lib/hooks.js');
}

/** Reads a .cpuprofile and summarises self time, by function and by category, and the library's share. */
export function analyseProfile(file: string, label: string, seconds: number, requests: number, serverCpuMicros: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Whether time spent in a node counts as CORS work: decided once per node, by walking up to
  // the nearest library frame and looking at which child of it we came through.
  const corsNode = new Map<number, boolean>();
  const isCorsNode = (id: number): boolean => {
    const cached = corsNode.get(id);
    if (cached !== undefined) return cached;
    let child = byId.get(id)!;
    let result = isLibrary(child.callFrame.url);
    if (!result) {
      for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
        const frame = byId.get(p)!.callFrame;
        if (isLibrary(frame.url)) {
          // A writeHead wrapper's call of the original writeHead is the response being written,
          // not CORS work (the wrapper's name has changed across versions; match its prefix).
          // Node writing the head or ending the response, called by a writeHead wrapper or by
          // the library ending a preflight, is the response any responder writes, not CORS work.
          const handsOn =
            HANDS_ON.has(frame.functionName) ||
            continuesPipeline(child.callFrame) ||
            (child.callFrame.url.startsWith('node:') && (child.callFrame.functionName === 'writeHead' || child.callFrame.functionName === 'end'));
          result = !handsOn;
          break;
        }
        child = byId.get(p)!;
      }
    }
    corsNode.set(id, result);
    return result;
  };

  // Sample i lasts until sample i+1; the last one gets the mean interval.
  const deltas = profile.timeDeltas;
  const total = deltas.slice(1).reduce((a, b) => a + b, 0);
  const mean = deltas.length > 1 ? total / (deltas.length - 1) : 0;
  const selfTime = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = i + 1 < deltas.length ? deltas[i + 1] : mean;
    selfTime.set(profile.samples[i], (selfTime.get(profile.samples[i]) ?? 0) + dt);
  }

  // Library frames on the stack of a node, deduplicated (recursion counts once), cached per node.
  const libFrames = new Map<number, string[]>();
  const libFramesOf = (id: number): string[] => {
    const cached = libFrames.get(id);
    if (cached) return cached;
    const frame = byId.get(id)!.callFrame;
    const up = parent.get(id);
    const above = up === undefined ? [] : libFramesOf(up);
    const key = isLibrary(frame.url) ? `${frame.functionName || '(anonymous)'}\u0000${shortUrl(frame.url)}:${frame.lineNumber + 1}` : null;
    const list = key && !above.includes(key) ? [...above, key] : above;
    libFrames.set(id, list);
    return list;
  };
  const inclusive = new Map<string, number>();

  const categories: Record<string, number> = {};
  const byFunction = new Map<string, { name: string; where: string; category: string; time: number }>();
  let busy = 0;
  let cors = 0;
  for (const [id, time] of selfTime) {
    const frame = byId.get(id)!.callFrame;
    const cat = category(frame);
    categories[cat] = (categories[cat] ?? 0) + time;
    if (cat === 'idle') continue;
    busy += time;
    if (isCorsNode(id)) {
      cors += time;
      for (const key of libFramesOf(id)) inclusive.set(key, (inclusive.get(key) ?? 0) + time);
    }
    const where = `${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    const name = frame.functionName || '(anonymous)';
    const key = `${name}\u0000${where}`;
    const entry = byFunction.get(key) ?? { name, where, category: cat, time: 0 };
    entry.time += time;
    byFunction.set(key, entry);
  }
  const pct = (t: number) => (busy > 0 ? (100 * t) / busy : 0);
  const all = [...byFunction.values()].sort((a, b) => b.time - a.time);
  const toHot = (e: { name: string; where: string; category: string; time: number }): HotFunction => ({
    name: e.name,
    where: e.where,
    category: e.category,
    selfPercent: pct(e.time),
  });
  const corsPercent = pct(cors);
  return {
    label,
    file,
    seconds,
    requests,
    serverCpuMicros,
    categories: Object.fromEntries(Object.entries(categories).map(([k, v]) => [k, k === 'idle' ? (100 * v) / (busy + v) : pct(v)])),
    top: all.slice(0, 15).map(toHot),
    corsPercent,
    corsMicrosPerRequest: requests > 0 ? ((corsPercent / 100) * serverCpuMicros) / requests : NaN,
    libraryFunctions: all.filter((e) => e.category === 'nest-cross-origin').slice(0, 10).map(toHot),
    libraryInclusive: [...inclusive.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([key, time]) => {
        const [name, where] = key.split('\u0000');
        return { name, where, category: 'nest-cross-origin', selfPercent: pct(time) };
      }),
    functions: all.map(toHot).filter((h) => h.selfPercent >= MIN_LISTED_PERCENT),
  };
}

/** The server's CPU time per request over the profiled window, µs (all threads). */
function microsPerRequest(p: ProfileSummary): number {
  return p.requests > 0 ? p.serverCpuMicros / p.requests : NaN;
}

/**
 * Sets two profiles against each other in CPU µs per request: each function's (and each
 * category's) self-time share times the server's measured CPU per request. The shares are of
 * the sampled main thread and the CPU is the whole process's, so this is an estimate; it is
 * steadier than throughput on a busy machine, since both sides are shares of their own CPU.
 */
export function compareProfiles(spec: ProfileComparisonSpec, x: ProfileSummary, y: ProfileSummary, rows = 12): ProfileComparison {
  const xUs = microsPerRequest(x);
  const yUs = microsPerRequest(y);
  const key = (h: { name: string; where: string }) => `${h.name}\u0000${h.where}`;
  const costs = new Map<string, { name: string; where: string; xMicros: number; yMicros: number }>();
  const tally = (list: readonly HotFunction[] | undefined, perRequest: number, side: 'xMicros' | 'yMicros') => {
    for (const h of list ?? []) {
      const entry = costs.get(key(h)) ?? { name: h.name, where: h.where, xMicros: 0, yMicros: 0 };
      entry[side] += (h.selfPercent / 100) * perRequest;
      costs.set(key(h), entry);
    }
  };
  tally(x.functions ?? x.top, xUs, 'xMicros');
  tally(y.functions ?? y.top, yUs, 'yMicros');
  const byDelta = [...costs.values()].sort((a, b) => b.xMicros - b.yMicros - (a.xMicros - a.yMicros));
  const categories = [...new Set([...Object.keys(x.categories), ...Object.keys(y.categories)])]
    .filter((c) => c !== 'idle')
    .map((c) => ({ name: c, where: '', xMicros: ((x.categories[c] ?? 0) / 100) * xUs, yMicros: ((y.categories[c] ?? 0) / 100) * yUs }))
    .sort((a, b) => b.xMicros - b.yMicros - (a.xMicros - a.yMicros));
  return {
    spec,
    xMicrosPerRequest: xUs,
    yMicrosPerRequest: yUs,
    categories,
    more: byDelta.filter((d) => d.xMicros > d.yMicros).slice(0, rows),
    less: byDelta.filter((d) => d.xMicros < d.yMicros).reverse().slice(0, Math.ceil(rows / 2)),
  };
}

/**
 * Profiles one server under load: warms it up, profiles `seconds` of load through the inspector
 * (exactly the load window), and summarises the profile.
 */
export async function profileScenario(
  spec: AppSpec,
  shape: RequestShape,
  expectStatus: number,
  label: string,
  dir: string,
  seconds: number,
): Promise<ProfileSummary> {
  mkdirSync(dir, { recursive: true });
  const server = await ServerProcess.start(spec, label);
  try {
    await runLoad(server.url, shape, { seconds: Math.min(2, seconds), expectStatus });
    const file = join(dir, `${label.replace(/[^\w.-]+/g, '_')}.cpuprofile`);
    const cpuBefore = await server.cpuMicros();
    await server.profileStart();
    const load = await runLoad(server.url, shape, { seconds, expectStatus });
    await server.profileStop(file);
    const cpu = (await server.cpuMicros()) - cpuBefore;
    return analyseProfile(file, label, load.seconds, load.requests, cpu);
  } finally {
    await server.stop();
  }
}
