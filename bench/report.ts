import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { extractSection, instructionsMarkdown, instructionsText } from './instructions-report.js';
import type { BenchResults, Disturbance, RatioResult, SeriesResult } from './model.js';
import { compareProfiles, type CostDelta, type ProfileComparison } from './profile.js';

const MB = 1024 * 1024;

function f(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)}%` : 'n/a';
}

function adapterName(a: string): string {
  return a === 'express' ? 'Express' : 'Fastify';
}

function verdict(r: RatioResult): string {
  if (r.holds === null) return '';
  const basisValue = r.ab ?? r.rps;
  const close = r.noise !== null && r.target !== null && Math.abs(basisValue - r.target) < r.noise;
  const main = `${r.holds ? 'holds' : 'MISSED'}${close ? ` (within noise ±${(r.noise! * 100).toFixed(1)}%)` : ''}`;
  const others: string[] = [];
  if (r.ab !== null && r.holdsSequential !== r.holds) others.push(`sequential: ${r.holdsSequential ? 'holds' : 'missed'}`);
  if (r.holdsByCpu !== r.holds) others.push(`CPU/request: ${r.holdsByCpu ? 'holds' : 'missed'}`);
  return others.length ? `${main} (${others.join('; ')})` : main;
}

/** The ratio a verdict is based on: the simultaneous A/B one where measured. */
function basis(r: RatioResult): number {
  return r.ab ?? r.rps;
}

/** A plain text table with aligned columns (first column left, the rest right). */
function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function mdTable(header: string[], rows: string[][], align?: string[]): string {
  const al = align ?? header.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${header.join(' | ')} |`, `| ${al.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const SERIES_HEADER = ['scenario', 'req/s (median)', '± (MAD)', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'server cores', 'foreign cores', 'retried'];

function seriesRows(series: readonly SeriesResult[], adapter: string, shape: 'actual' | 'preflight'): string[][] {
  return series
    .filter((s) => s.adapter === adapter && s.shape === shape)
    .map((s) => [
      s.label,
      f(s.median.rps),
      pct(s.median.rpsSpread),
      f(s.median.p50, 2),
      f(s.median.p99, 2),
      f(s.median.cpuPerRequestUs, 1),
      f(s.median.serverCores, 2),
      f(s.median.foreignCores, 2),
      String(s.retries),
    ]);
}

const RATIO_HEADER = ['ratio', 'A/B simultaneous', 'sequential req/s', 'CPU-based', 'target', 'verdict'];

function ratioRows(ratios: readonly RatioResult[], adapter?: string): string[][] {
  return ratios
    .filter((r) => adapter === undefined || r.adapter === adapter)
    .map((r) => [`${adapterName(r.adapter)}: ${r.label}`, r.ab === null ? '' : f(r.ab, 3), f(r.rps, 3), f(r.cpu, 3), r.targetText ?? '', verdict(r)]);
}

const PAIR_HEADER = ['pair (x / y)', 'x/y req/s, median', 'per repetition', 'x cores', 'y cores'];

function pairRows(results: BenchResults): string[][] {
  return results.pairs.map((p) => [
    `${adapterName(p.adapter)} ${p.shape}: ${p.x} / ${p.y}`,
    f(p.median, 3),
    p.ratios.map((r) => r.toFixed(3)).join(', '),
    f(p.xCores, 2),
    f(p.yCores, 2),
  ]);
}

/**
 * µs of server CPU per actual request over a reference of the same app size: (d) over (a) is
 * the cost of the CORS bytes themselves, (c) and (b) over (d) the cost of deciding them.
 */
function addedCpuRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const adapter of new Set(results.series.map((s) => s.adapter))) {
    const cpu = (server: string) => results.series.find((s) => s.adapter === adapter && s.shape === 'actual' && s.server === server)?.median.cpuPerRequestUs ?? NaN;
    rows.push([
      adapterName(adapter),
      f(cpu('static') - cpu('none'), 1),
      f(cpu('lib') - cpu('static'), 1),
      f(cpu('nest') - cpu('static'), 1),
      f(cpu('lib-large') - cpu('static-large'), 1),
      f(cpu('nest-large') - cpu('static-large'), 1),
      f(cpu('static-large') - cpu('static'), 1),
    ]);
  }
  return rows;
}
const ADDED_HEADER = ['adapter', '(d) − (a): the bytes', '(c) − (d)', '(b) − (d)', 'large: (c) − (d)', 'large: (b) − (d)', 'framework: (d) large − (d) small'];

/** The comparisons of profiles the run asked for, where both profiles are there. */
function comparisons(results: BenchResults): ProfileComparison[] {
  const out: ProfileComparison[] = [];
  for (const spec of results.profileComparisons ?? []) {
    const x = results.profiles.find((p) => p.label === spec.x);
    const y = results.profiles.find((p) => p.label === spec.y);
    if (x && y) out.push(compareProfiles(spec, x, y));
  }
  return out;
}

const COST_HEADER = (c: ProfileComparison) => ['', 'where', `${c.spec.x} µs/req`, `${c.spec.y} µs/req`, 'difference µs/req'];

function costRows(list: readonly CostDelta[], code: boolean): string[][] {
  return list.map((d) => [code ? `\`${d.name}\`` : d.name, d.where, f(d.xMicros, 2), f(d.yMicros, 2), `${d.xMicros >= d.yMicros ? '+' : ''}${f(d.xMicros - d.yMicros, 2)}`]);
}

function comparisonSummary(c: ProfileComparison): string {
  return `${c.spec.x}: ${f(c.xMicrosPerRequest, 1)} µs of CPU per request; ${c.spec.y}: ${f(c.yMicrosPerRequest, 1)} µs; difference ${f(c.xMicrosPerRequest - c.yMicrosPerRequest, 1)} µs ` +
    `(${pct(c.xMicrosPerRequest / c.yMicrosPerRequest - 1)}).`;
}

function memoryRows(results: BenchResults): string[][] {
  return results.memory.map((m) => [
    `${adapterName(m.adapter)} ${m.server === 'lib' ? '(c) library' : '(a) no CORS'}`,
    f(m.requests),
    f(m.before.rss / MB, 1),
    f(m.afterRaw.rss / MB, 1),
    f(m.afterGc.rss / MB, 1),
    f(m.before.heapUsed / MB, 1),
    f(m.afterRaw.heapUsed / MB, 1),
    f(m.afterGc.heapUsed / MB, 1),
    f((m.afterGc.heapUsed - m.before.heapUsed) / MB, 2),
  ]);
}
const MEMORY_HEADER = ['server', 'requests', 'RSS before MB', 'RSS after MB', 'RSS after GC MB', 'heap before MB', 'heap after MB', 'heap after GC MB', 'heap growth after GC MB'];

function microRows(results: BenchResults): string[][] {
  return results.micro.map((m) => [`${m.group}: ${m.name}`, f(m.opsPerSecond), f(m.nsPerOp, 1), f(m.bestNs, 1), m.name.startsWith('baseline') ? '' : f(m.netNs, 1), pct(m.spread, 0)]);
}
const MICRO_HEADER = ['case', 'decisions/s (median)', 'ns/op (median)', 'ns/op (best)', 'ns/op net of baseline', 'spread (max-min)/median'];

export function printReport(results: BenchResults): void {
  const out: string[] = [];
  const adapters = [...new Set(results.series.map((s) => s.adapter))];
  out.push('', `nest-cross-origin benchmark — ${results.startedAt}${results.config.quick ? ' (QUICK smoke run)' : ''}`);
  out.push(`${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}; ${results.machine.pinned}; priority ${results.machine.priority}`);
  out.push(`${results.config.rounds} rounds × ${results.config.seconds} s per series, ${results.config.connections} connections, medians`);
  if (results.ceiling) out.push(`load generator ceiling (bare node:http): ${f(results.ceiling.rps)} req/s`);
  out.push(`${disturbed(results.disturbance) ? 'WARNING: shared machine was busy: ' : ''}${disturbanceText(results.disturbance, results.config.maxForeignCores)}`);
  for (const adapter of adapters) {
    for (const shape of ['actual', 'preflight'] as const) {
      out.push('', `${adapterName(adapter)} — ${shape === 'actual' ? `actual request (GET, allowed Origin)` : 'preflight (OPTIONS + Origin + ACRM + ACRH)'}`);
      out.push(textTable(SERIES_HEADER, seriesRows(results.series, adapter, shape)));
    }
  }
  out.push('', 'Simultaneous A/B runs (both servers loaded at once on one CPU)');
  out.push(textTable(PAIR_HEADER, pairRows(results)));
  out.push('', 'Ratios (A/B = simultaneous runs, median; sequential = median of per-round req/s ratios; CPU-based = inverse ratio of server CPU per request; verdict on A/B where measured)');
  out.push(textTable(RATIO_HEADER, ratioRows(results.ratios)));
  out.push('', 'Server CPU added per actual request, µs ((d) over (a): the CORS bytes; (c), (b) over (d) of the same size: deciding them)');
  out.push(textTable(ADDED_HEADER, addedCpuRows(results)));
  out.push('', 'Memory');
  out.push(textTable(MEMORY_HEADER, memoryRows(results)));
  out.push('', 'Micro-benchmark (no HTTP)');
  out.push(textTable(MICRO_HEADER, microRows(results)));
  for (const p of results.profiles) {
    out.push('', `Profile ${p.label}: library work = ${p.corsPercent.toFixed(1)}% of busy CPU ≈ ${f(p.corsMicrosPerRequest, 2)} µs/request`);
    out.push(textTable(['function', 'where', 'self %'], p.top.map((h) => [h.name, h.where, h.selfPercent.toFixed(1)])));
  }
  for (const c of comparisons(results)) {
    out.push('', `Profiles compared: ${c.spec.label}. ${comparisonSummary(c)}`);
    out.push(textTable(COST_HEADER(c), costRows(c.categories, false)));
    out.push(textTable(COST_HEADER(c), costRows([...c.more, ...c.less], false)));
  }
  if (results.instructions) out.push(instructionsText(results.instructions));
  out.push('', `wall time ${f(results.wallSeconds)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function disturbanceText(d: Disturbance, maxForeign: number): string {
  return `${d.disturbedRuns} of ${d.runs} HTTP runs had other processes using more than ${maxForeign} cores ` +
    `(median foreign load ${f(d.medianForeignCores, 2)} cores; ${d.retries} runs repeated, ${f(d.quietWaitSeconds)} s spent waiting for a quiet machine)`;
}

/** True when the machine was busy enough that throughput ratios should not be trusted on their own. */
function disturbed(d: Disturbance): boolean {
  return d.runs > 0 && d.disturbedRuns / d.runs > 0.25;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The ratios as a horizontal bar chart, written by hand: one row per ratio, a thick bar for the
 * ratio the verdict uses (simultaneous A/B, else sequential), a thin one for the sequential req/s
 * ratio, a tick for the target and a dashed line at 1.0. Green meets its target, red misses it,
 * grey has none.
 */
export function writeSvg(results: BenchResults, path: string): void {
  const rows = results.ratios;
  const labelWidth = 390;
  const chartWidth = 460;
  const rowHeight = 30;
  const top = 58;
  const headerGap = 24;
  const adapters = [...new Set(rows.map((r) => r.adapter))];
  const maxValue = Math.max(1.3, Math.ceil(Math.max(...rows.flatMap((r) => [basis(r), r.rps]).filter(Number.isFinite)) * 10) / 10);
  const x = (v: number) => labelWidth + (Math.max(0, Math.min(v, maxValue)) / maxValue) * chartWidth;
  const height = top + rows.length * rowHeight + adapters.length * headerGap + 40;
  const width = labelWidth + chartWidth + 90;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  parts.push(`<text x="12" y="22" font-size="15" font-weight="bold">nest-cross-origin: ratios vs targets</text>`);
  parts.push(`<text x="12" y="40" fill="#555">${escapeXml(`${results.startedAt.slice(0, 10)}, ${results.machine.cores} cores, Node ${results.machine.node}; thick bar = simultaneous A/B ratio (sequential where no A/B), thin bar = sequential req/s ratio, tick = target`)}</text>`);
  let y = top;
  const gridBottom = height - 30;
  for (let v = 0; v <= maxValue + 1e-9; v += 0.1) {
    const gx = x(v);
    const major = Math.abs(v * 10 - Math.round(v * 10)) < 1e-6 && Math.round(v * 10) % 5 === 0;
    parts.push(`<line x1="${gx.toFixed(1)}" y1="${top - 6}" x2="${gx.toFixed(1)}" y2="${gridBottom}" stroke="${major ? '#ccc' : '#eee'}"/>`);
    if (major) parts.push(`<text x="${gx.toFixed(1)}" y="${gridBottom + 14}" text-anchor="middle" fill="#555">${v.toFixed(1)}</text>`);
  }
  parts.push(`<line x1="${x(1).toFixed(1)}" y1="${top - 6}" x2="${x(1).toFixed(1)}" y2="${gridBottom}" stroke="#333" stroke-dasharray="4 3"/>`);
  for (const adapter of adapters) {
    parts.push(`<text x="12" y="${y + 14}" font-weight="bold">${adapterName(adapter)}</text>`);
    y += headerGap;
    for (const r of rows.filter((row) => row.adapter === adapter)) {
      const color = r.holds === null ? '#78909c' : r.holds ? '#2e7d32' : '#c62828';
      const light = r.holds === null ? '#b0bec5' : r.holds ? '#81c784' : '#e57373';
      parts.push(`<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeXml(r.label)}</text>`);
      const main = basis(r);
      if (Number.isFinite(main)) parts.push(`<rect x="${labelWidth}" y="${y + 3}" width="${(x(main) - labelWidth).toFixed(1)}" height="11" fill="${color}"/>`);
      if (r.ab !== null && Number.isFinite(r.rps)) parts.push(`<rect x="${labelWidth}" y="${y + 16}" width="${(x(r.rps) - labelWidth).toFixed(1)}" height="5" fill="${light}"/>`);
      if (r.target !== null) parts.push(`<line x1="${x(r.target).toFixed(1)}" y1="${y}" x2="${x(r.target).toFixed(1)}" y2="${y + 24}" stroke="#000" stroke-width="2"/>`);
      const labelAt = Math.min(x(Math.max(main, r.ab !== null ? r.rps : 0, r.target ?? 0)), labelWidth + chartWidth) + 6;
      parts.push(`<text x="${labelAt.toFixed(1)}" y="${y + 13}" fill="${color}">${f(main, 3)}${r.holds === false ? ' ✗' : r.holds ? ' ✓' : ''}</text>`);
      y += rowHeight;
    }
  }
  parts.push('</svg>');
  writeFileSync(path, `${parts.join('\n')}\n`);
}

function methodNotes(results: BenchResults): string {
  const c = results.config;
  return `- **Processes.** Every app variant runs in its own Node process (\`bench/server.ts\`), so the
  load generator never shares an event loop with a server and one variant's JIT state, heap and
  hooks cannot leak into another's. autocannon runs as a library in the harness process.
  ${results.machine.pinned === 'not pinned' ? 'Processes were not pinned to CPUs.' : `With two cores, the harness (load generator) is pinned to one CPU and every server to the other with \`taskset\`, so client and server never compete for a core and all variants are measured on the same core.`}
- **Load.** ${c.connections} connections, no pipelining, ${c.seconds} s per run, keep-alive; every variant
  gets the same offered load. Before timing, each server is checked for the expected status and CORS
  headers (a misconfigured variant aborts the run), the CORS headers of real actual responses of
  (c) and (d) are compared (any difference aborts the run), then each server is warmed up with ${f(c.warmupRequests)} requests per request
  shape (discarded).
- **Alternation.** ${c.rounds} sequential rounds; in each round every series of an adapter runs once, in an order
  rotated every round and reversed every other round, so drift and foreign load spread over all
  series. Tables show the median over rounds; ratios are the median of the per-round ratios (the two
  runs of a pair are close in time, so slow drift in machine load cancels).
- **Shared machine.** Other processes may run on the machine. The harness and its servers run at a
  raised scheduling priority (\`nice -15\` on every thread, \`BENCH_NICE\` to change) so that the
  scheduler favours them while they are measured. Before each run the harness waits
  (at most 10 s, 30 s over the whole invocation) for the machine to be quiet. For each run the harness records the
  CPU used by processes other than the server and the load generator (\`/proc/stat\` minus our own
  CPU time, "foreign cores"). A run with more than ${c.maxForeignCores} foreign cores is repeated (at most
  twice, within a budget of 10% extra runs) and the quieter run kept. It also records the server's
  own CPU time per request (\`process.cpuUsage()\` over the run): the **CPU-based ratio** is the
  inverse ratio of CPU per request, i.e. the capacity ratio on a dedicated core. It is much less
  sensitive to a disturbed machine than throughput, and is shown next to every throughput ratio.
- **Simultaneous A/B.** After the sequential rounds, each ratio with a target (and (c)/(a), (d)/(a))
  is measured again with both servers loaded at the same time for ${c.seconds} s, each by its own
  ${c.connections}-connection client, ${c.abRepetitions} times in rotated order. Both servers are pinned
  to the same CPU at the same priority, so while both are saturated the scheduler gives each half
  of it and their req/s ratio is the inverse ratio of their cost per request; anything else that
  slows the machine during the run slows both alike. On a shared machine this is by far the
  steadiest of the three ratios, so **verdicts use it** where it was measured; the sequential req/s
  and CPU-based ratios are shown next to it and the verdict notes where they disagree. (Latency is
  not meaningful in A/B runs and is only reported from the sequential ones.) Two processes of
  the same code can differ by a few percent (JIT and GC decisions, memory layout): the control pair
  \`none-twin / none\` (two processes of the same no-CORS app) measures that noise floor, and a
  verdict whose ratio is closer to its target than the noise floor says so ("within noise").
- **Latency** is measured per response at microsecond resolution from autocannon's response events
  (its own histogram rounds to whole milliseconds); p50/p99 are medians over rounds.
- **Load-generator ceiling.** The same client against a bare \`node:http\` server reached
  ${results.ceiling ? `${f(results.ceiling.rps)} req/s` : 'n/a'}; a Nest app close to that figure would be client-bound and its
  ratios compressed towards 1.
- **Apps.** All apps use \`setGlobalPrefix('api')\`. (a) has no CORS. (b) is \`app.enableCors()\` with the options equivalent to
  (c)'s merged policy: two listed origins (the allowed one last), credentials, \`exposeHeaders:
  X-Total-Count\`, \`maxAge: 600\`, default methods, requested headers echoed. (c) is
  \`CorsModule.forRoot({ origins })\` plus \`@CrossOrigin({ exposeHeaders, supportsCredentials, maxAge })\`
  on the benchmarked handlers. (d) writes the headers (c) sends on the benchmarked actual request
  (ACAO, ACAC, ACEH, \`Vary: Origin\`) as static \`@Header()\`s on that handler: the cost of the
  bytes with no decision; it has no preflight answer, so it is measured on actual requests only.
  (a), (b) and (c) share the same controller classes (the decorator metadata is inert without the
  module); (d) has a copy of the benchmarked one with the \`@Header()\`s. The actual request is \`GET /api/items\` (static route) with
  an allowed Origin; the preflight is \`OPTIONS /api/items/42\` announcing \`PUT\` with
  \`content-type, x-request-id\` (a parametric route).
- **Scale.** The large app has 1,000 routes and 10,000 allowed origins at once. It adds 995 routes
  from 100 generated controller classes (a factory applies \`@Controller\`,
  \`@Get/@Post/@Put/@Patch/@Delete\` and \`@CrossOrigin\` in a loop): static and parametric paths,
  one to two parameters, ${'~'}400 routes with their own \`@CrossOrigin\` (every third controller at
  class level, every controller's PUT at handler level). The benchmarked controller sits in the
  middle of the registration order (Express dispatches to the first match, so neither first nor
  last). Its origin list has 9,999 generated origins before the allowed one. Its targets compare
  variants of the same size, so the frameworks' own slowdown with 1,000 routes (shown as (d)
  large / small) cancels out.
- **Memory.** A fresh server started with \`--expose-gc\` serves ${f(c.memoryRequests)} actual requests; RSS
  and heap are read before (after two forced GCs), right after, and after two forced GCs. The
  no-CORS app is measured the same way for reference.
- **Micro-benchmark.** In its own process: \`mergeOptions\` + \`compilePolicy\` build the policies, then
  \`isOriginAllowed\` + \`actualResponseHeaders\` / \`preflightResponse\` are timed in a loop for exact,
  pattern and RegExp origins, allowed and refused; \`CorsEngine.decide\` is timed with a plain headers
  object on the engines of real initialised apps (small and large), routed by each platform's own finder. Each case:
  warm-up, a loop sized to ${c.quick ? '30' : '80'} ms of CPU, ${c.quick ? 3 : 5} samples, median (and best); timed with process CPU time, not wall time, so being descheduled on a shared machine does not count. "Net" subtracts an empty decision
  run through the same call site.
- **Profiles** are taken through the inspector for exactly the load window of a fresh server, when
  a target is missed (or always with \`BENCH_PROFILE=1\`). "Library work" counts samples in
  nest-cross-origin's functions and in what they call, excluding the rest of the request pipeline
  its hook hands on to (\`next()\`/\`done()\`) and Node's own \`writeHead\`/\`end\` (the response itself, which it wraps or, for a preflight, ends); µs/request
  multiplies that share by the server's CPU time per request during profiling (sampling adds a
  little overhead). Both sides of a missed target are profiled, and "Where the difference goes"
  sets them against each other function by function in µs per request.`;
}

export function writeMarkdown(results: BenchResults, path: string, svgPath: string, root: string): void {
  const m = results.machine;
  const adapters = [...new Set(results.series.map((s) => s.adapter))];
  const md: string[] = [];
  md.push('# Benchmarks', '');
  md.push(`Generated by \`npm run bench\` (bench/run.ts) on ${results.startedAt}${results.config.quick ? ' — **QUICK smoke run, not for publication**' : ''}; wall time ${f(results.wallSeconds)} s.`);
  md.push('Numbers are from one real run on the machine below; rerun to refresh. Raw results are written to `bench/results/`.', '');
  md.push('## Machine', '');
  md.push(mdTable(['', ''], [
    ['CPU', m.cpu],
    ['cores', String(m.cores)],
    ['RAM', `${m.memoryGiB.toFixed(1)} GiB`],
    ['OS', m.os],
    ['Node', m.node],
    ...Object.entries(m.versions).map(([k, v]) => [k, v]),
    ['CPU pinning', m.pinned],
    ['priority', m.priority],
    ['library measured', `commit ${m.git}`],
    ['load generator', `autocannon (in-process), ${results.config.connections} connections per server, ${results.config.rounds} sequential rounds + ${results.config.abRepetitions} simultaneous A/B repetitions, ${results.config.seconds} s per run`],
  ], [':--', ':--']));
  md.push('');
  if (disturbed(results.disturbance)) {
    md.push(`> **Caution: the machine was shared and busy during this run.** ${disturbanceText(results.disturbance, results.config.maxForeignCores)}. ` +
      'Throughput ratios are then noisy; compare them with the CPU-based ratios and the micro-benchmark, which are far less sensitive to other load.', '');
  } else {
    md.push(`Machine load: ${disturbanceText(results.disturbance, results.config.maxForeignCores)}.`, '');
  }
  md.push('## Targets', '');
  md.push(mdTable(RATIO_HEADER, ratioRows(results.ratios.filter((r) => r.target !== null))));
  md.push('');
  md.push(`![ratios](${relative(root, svgPath).split('\\').join('/')})`, '');
  md.push('The chart and tables are regenerated by every full run; the "Findings" section below is written by hand from the profiles of the run it names.', '');
  // Instruction counts: this run's, or, when it skipped them (BENCH_INSTRUCTIONS=0), the
  // section of the file being replaced, which carries its own date and commit.
  const previous = existsSync(path) ? extractSection(readFileSync(path, 'utf8')) : null;
  const instructions = results.instructions ? instructionsMarkdown(results.instructions) : previous;
  if (instructions) md.push(instructions, '');
  md.push('## All ratios', '');
  md.push(mdTable(RATIO_HEADER, ratioRows(results.ratios)));
  md.push('');
  md.push('"A/B simultaneous" is the median over repetitions of the req/s ratio of the two servers loaded at the same time on one CPU; "sequential req/s" the median over rounds of the per-round req/s ratio of runs taken one after the other; "CPU-based" the inverse ratio of server CPU time per request in those runs. Verdicts use the A/B ratio where measured. "large" is the app with 1,000 routes and 10,000 allowed origins.', '');
  md.push('### Simultaneous A/B runs', '');
  md.push('The first row of each adapter is the control: two processes of the same no-CORS app. Its distance from 1.000 is the noise floor of the A/B ratios.', '');
  md.push(mdTable(PAIR_HEADER, pairRows(results)));
  md.push('');
  md.push('## HTTP results', '');
  if (results.ceiling) md.push(`Load-generator ceiling: the same client against a bare \`node:http\` server reached ${f(results.ceiling.rps)} req/s.`, '');
  for (const adapter of adapters) {
    for (const shape of ['actual', 'preflight'] as const) {
      md.push(`### ${adapterName(adapter)}: ${shape === 'actual' ? 'actual request (GET /api/items, allowed Origin)' : 'preflight (OPTIONS /api/items/42, ACRM PUT, ACRH content-type, x-request-id)'}`, '');
      md.push(mdTable(SERIES_HEADER, seriesRows(results.series, adapter, shape)));
      md.push('');
    }
  }
  md.push('### Server CPU added per actual request (µs)', '');
  md.push('Differences of median server CPU per request, sequential runs. (d) − (a) is what writing the CORS bytes costs the framework; (c) − (d) and (b) − (d), in an app of the same size, what deciding them costs. The same (c) − (d) in the small and the large app means the decision does not grow with routes or origins.', '');
  md.push(mdTable(ADDED_HEADER, addedCpuRows(results)));
  md.push('');
  md.push('## Memory', '');
  md.push(`${results.memory[0]?.gcForced ? 'GC forced (server started with `--expose-gc`).' : 'GC could not be forced; raw numbers.'}`, '');
  md.push(mdTable(MEMORY_HEADER, memoryRows(results)));
  md.push('');
  md.push('## Micro-benchmark (no HTTP)', '');
  md.push(mdTable(MICRO_HEADER, microRows(results)));
  md.push('');
  if (results.profiles.length) {
    md.push('## Profiles', '');
    for (const p of results.profiles) {
      md.push(`### ${p.label}`, '');
      md.push(`${f(p.requests)} requests in ${f(p.seconds, 1)} s. Library work: **${p.corsPercent.toFixed(1)}%** of busy CPU ≈ **${f(p.corsMicrosPerRequest, 2)} µs/request**. ` +
        `Self time by category: ${Object.entries(p.categories).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}%`).join(', ')}.`, '');
      md.push(mdTable(['top self time', 'where', 'self %'], p.top.map((h) => [`\`${h.name}\``, h.where, h.selfPercent.toFixed(1)])));
      md.push('');
      if (p.libraryInclusive.length) {
        const self = new Map(p.libraryFunctions.map((h) => [`${h.name}@${h.where}`, h.selfPercent]));
        md.push(mdTable(
          ['library function', 'where', 'inclusive %', 'self %'],
          p.libraryInclusive.map((h) => [`\`${h.name}\``, h.where, h.selfPercent.toFixed(2), (self.get(`${h.name}@${h.where}`) ?? 0).toFixed(2)]),
        ));
        md.push('');
      }
    }
  }
  const compared = comparisons(results);
  if (compared.length) {
    md.push('## Where the difference goes', '');
    md.push('Both sides of each missed target (every target with `BENCH_PROFILE=1`) profiled, and set against each other in server CPU per request: each function\'s self-time share of its profile times that server\'s measured CPU per request. An estimate (sampling; the shares are of the main thread), but one that a busy machine disturbs far less than throughput.', '');
    for (const c of compared) {
      md.push(`### ${c.spec.label}`, '');
      md.push(comparisonSummary(c), '');
      md.push(mdTable(['category', ...COST_HEADER(c).slice(2)], costRows(c.categories, false).map((r) => [r[0], ...r.slice(2)])));
      md.push('');
      md.push(`Functions ${c.spec.x} spends more on, then less on:`, '');
      md.push(mdTable(['function', ...COST_HEADER(c).slice(1)], costRows([...c.more, ...c.less], true)));
      md.push('');
    }
  }
  const findings = join(dirname(svgPath), 'FINDINGS.md');
  const findingsFile = existsSync(findings) ? findings : join(root, 'bench', 'FINDINGS.md');
  if (existsSync(findingsFile)) {
    md.push('## Findings', '');
    md.push(readFileSync(findingsFile, 'utf8').trim(), '');
  }
  md.push('## Method', '');
  md.push(methodNotes(results), '');
  md.push('## Running it', '');
  md.push('```sh\nnpm run bench                      # full run (wall time ~9 min + instruction counts), writes BENCHMARKS.md and bench/ratios.svg\nBENCH_INSTRUCTIONS=0 npm run bench # wall time only (~9 min); keeps the instruction section already in BENCHMARKS.md\nnpm run bench:instructions         # instruction counts alone; replaces their section in BENCHMARKS.md\nBENCH_QUICK=1 npm run bench        # smoke run (~3-4 min), writes bench/results/BENCHMARKS.quick.md\nBENCH_DURATION=2 BENCH_ROUNDS=3 npm run bench   # shorter full run\nBENCH_PROFILE=1 npm run bench      # profile both sides of every target, not only of missed ones\nnode .build/bench/render.js        # re-render this file from the newest bench/results/*.json (after editing bench/FINDINGS.md)\n```', '');
  md.push('Instruction-count knobs: `BENCH_IR_REPEATS`, `BENCH_IR_REPEATS_LARGE`, `BENCH_IR_WARMUP`, `BENCH_IR_REQUESTS`, `BENCH_SIZES=small,large`, `BENCH_VARIANTS=none,nest,lib,limit`, `BENCH_IR_SHAPES`, `BENCH_IR_RUN_TIMEOUT`, `BENCH_IR_BUDGET` (see bench/README.md).', '');
  md.push('Other knobs: `BENCH_AB_REPS`, `BENCH_WARMUP_REQUESTS`, `BENCH_MEMORY_BASELINE=1`, `BENCH_MEMORY_REQUESTS`, `BENCH_MAX_FOREIGN` (cores), `BENCH_ADAPTERS=express,fastify`, `BENCH_PIN=0`, `BENCH_NICE` (default -15), `BENCH_PROFILE=0|1|auto`, `BENCH_PROFILE_SECONDS`.', '');
  writeFileSync(path, `${md.join('\n')}\n`);
}
