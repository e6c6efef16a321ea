// The instruction-count tables (bench/instructions.ts): markdown for BENCHMARKS.md and
// bench/results/, plain text for the terminal.
import type { InstructionCell, InstructionComparison, InstructionResults } from './model.js';

export const SECTION_HEADING = '## Instructions per request (valgrind)';

const ADAPTER: Record<string, string> = { express: 'Express', fastify: 'Fastify' };
const COLUMNS = [
  ['none', '(a) no CORS'],
  ['nest', '(b) enableCors()'],
  ['lib', '(c) library'],
  ['static', '(d) static @Header()s'],
  ['limit', '(e) bare hook'],
] as const;

/** Thousands of instructions, one decimal: 652,588,180 / 1,500 → "435.1 k". */
function k(value: number, sign = false): string {
  if (!Number.isFinite(value)) return 'n/a';
  const text = (Math.abs(value) / 1000).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return `${value < 0 ? '−' : sign ? '+' : ''}${text} k`;
}

function cellText(c: InstructionCell | undefined, withRange: boolean): string {
  if (!c) return '';
  if (c.runs.length === 0) return `failed (${c.failures.length} runs)`;
  const range = c.runs.length > 1 && withRange ? ` (${k(c.min).replace(' k', '')}–${k(c.max)})` : '';
  return `${k(c.median)}${range}${c.runs.length > 1 ? '' : ' (1 run)'}`;
}

function comparisonValue(x: InstructionComparison): string {
  return x.kind === 'added' ? k(x.value, true) : x.value.toFixed(3);
}

function comparisonInterval(x: InstructionComparison): string {
  if (x.low === x.value && x.high === x.value) return '1 run each';
  return x.kind === 'added' ? `${k(x.low, true)} … ${k(x.high, true)}` : `${x.low.toFixed(3)} … ${x.high.toFixed(3)}`;
}

function mdTable(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i < 3 ? ':--' : '--:'));
  return [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function groups(r: InstructionResults): { adapter: string; size: string; shape: string }[] {
  const out: { adapter: string; size: string; shape: string }[] = [];
  for (const size of ['small', 'large']) {
    for (const adapter of ['express', 'fastify']) {
      for (const shape of ['actual', 'preflight']) {
        if (r.cells.some((c) => c.adapter === adapter && c.size === size && c.shape === shape)) out.push({ adapter, size, shape });
      }
    }
  }
  return out;
}

function perRequestTable(r: InstructionResults, withRange: boolean): { header: string[]; rows: string[][] } {
  const columns = COLUMNS.filter(([v]) => r.cells.some((c) => c.variant === v));
  const header = ['adapter', 'app', 'request', ...columns.map(([, label]) => label)];
  const rows = groups(r).map((g) => [
    ADAPTER[g.adapter],
    g.size,
    g.shape,
    ...columns.map(([v]) => cellText(r.cells.find((c) => c.adapter === g.adapter && c.size === g.size && c.shape === g.shape && c.variant === v), withRange)),
  ]);
  return { header, rows };
}

function comparisonTable(r: InstructionResults): { header: string[]; rows: string[][] } {
  const header = ['adapter', 'app', 'comparison', 'median', 'range over the runs', 'target', 'verdict'];
  const rows = r.comparisons.map((x) => [ADAPTER[x.adapter], x.size, x.label, comparisonValue(x), comparisonInterval(x), x.targetText ?? '', x.verdict ?? '']);
  return { header, rows };
}

/** Spread of a cell: (max − min) / median. */
function spread(c: InstructionCell): number {
  return c.runs.length > 1 ? (c.max - c.min) / c.median : NaN;
}

function repeatability(r: InstructionResults): string {
  const spreads = r.cells.map((c) => ({ c, s: spread(c) })).filter((x) => Number.isFinite(x.s)).sort((p, q) => p.s - q.s);
  if (spreads.length === 0) return 'One run per cell: no spread measured.';
  const mid = spreads[spreads.length >> 1].s;
  const worst = spreads[spreads.length - 1];
  const wholes = r.cells.flatMap((c) => (c.runs.length > 1 && c.runs.every((x) => x.whole !== null) ? [(Math.max(...c.runs.map((x) => x.whole!)) - Math.min(...c.runs.map((x) => x.whole!))) / Math.min(...c.runs.map((x) => x.whole!))] : []));
  return `Per-request spread over the runs of a cell, (max − min) / median: median ${(mid * 100).toFixed(2)}%, largest ${(worst.s * 100).toFixed(2)}% (${worst.c.id}), over ${spreads.length} cells with more than one run.` +
    (wholes.length ? ` Whole-process counts (start-up to exit) of the same runs differ by up to ${(Math.max(...wholes) * 100).toFixed(2)}%.` : '');
}

function timing(r: InstructionResults): string {
  const runs = r.cells.flatMap((c) => c.runs);
  if (runs.length === 0) return '';
  const mid = (f: (x: (typeof runs)[number]) => number) => {
    const v = runs.map(f).sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  return `${runs.length} valgrind runs in ${(r.wallSeconds / 60).toFixed(0)} min; a run takes ${mid((x) => x.seconds.total).toFixed(0)} s (median: start-up ${mid((x) => x.seconds.startup).toFixed(0)} s, ` +
    `warm-up ${mid((x) => x.seconds.warmup).toFixed(0)} s, window ${mid((x) => x.seconds.window).toFixed(0)} s)` +
    `${r.skippedRuns ? `; ${r.skippedRuns} runs skipped when the time budget ran out` : ''}.`;
}

/**
 * Cells whose windows held a mark-compact without starting and ending on one: their count
 * holds one collection more or less than whole cycles would, which the reader should know
 * when comparing them with a cell whose windows held none (or whole cycles).
 */
function gcNote(r: InstructionResults): string {
  const cut = r.cells.filter((c) => c.runs.some((x) => !x.wholeGcCycles && x.markCompacts > 0));
  const whole = r.cells.filter((c) => c.runs.length > 0 && c.runs.every((x) => x.wholeGcCycles));
  const none = r.cells.filter((c) => c.runs.length > 0 && c.runs.every((x) => !x.wholeGcCycles && x.markCompacts === 0));
  const list = (cells: readonly InstructionCell[]) => cells.map((c) => `${c.id} (${c.runs.map((x) => `${x.markCompacts} in ${x.requests.toLocaleString('en-US')}`).join(', ')})`).join('; ');
  const parts: string[] = [];
  if (whole.length) parts.push(`Windows of whole GC cycles (from just after a mark-compact to just after another): ${whole.length} cells.`);
  if (none.length) parts.push(`No mark-compact in the window: ${none.map((c) => c.id).join(', ')}.`);
  if (cut.length) parts.push(`A mark-compact inside a window that could not be aligned to whole cycles (no mark-compact came soon enough after the warm-up to start on), mark-compacts in requests per run: ${list(cut)}; compare these cells with others that hold as many.`);
  return parts.join(' ');
}

function failures(r: InstructionResults): string[] {
  return r.cells.flatMap((c) => c.failures.map((f) => `- ${c.id}: ${f}`));
}

/** The BENCHMARKS.md section (also bench/results/instructions-*.md). */
export function instructionsMarkdown(r: InstructionResults): string {
  const c = r.config;
  const md: string[] = [];
  md.push(SECTION_HEADING, '');
  md.push(`Measured by \`npm run bench:instructions\` (bench/instructions.ts) on ${r.startedAt} (${r.machine.git}); ${r.machine.valgrind}, Node ${r.machine.node}. ` +
    `${c.repeats} run${c.repeats > 1 ? 's' : ''} per cell of the small app, ${c.repeatsLarge} of the large app (1,000 routes + 10,000 origins); each run: a fresh server under callgrind, ` +
    `${c.warmupRequests.toLocaleString('en-US')} warm-up requests, then ${c.requests.toLocaleString('en-US')} counted, one at a time over one keep-alive connection. ${timing(r)}`, '');
  if (r.mergedFrom) md.push(`Merged from ${r.mergedFrom.length} invocations (a cell measured again replaces the earlier one):`, '', ...r.mergedFrom.map((x) => `- ${x}`), '');
  md.push('Instructions the server executes per request (callgrind `Ir`, no cache simulation; the client is another process), median of the runs and, in parentheses, the lowest and highest run:', '');
  const t = perRequestTable(r, true);
  md.push(mdTable(t.header, t.rows), '');
  md.push('What each variant adds over no CORS on an actual request, and the preflight ratios. The range combines the extremes of the runs (lowest of one side against highest of the other); a verdict is "holds" or "MISSED" only when the whole range agrees, else "within spread". The actual-request target is (c) − (a) ≤ (b) − (a), i.e. (c) ≤ (b), decided on the runs of (c) and (b).', '');
  const x = comparisonTable(r);
  md.push(mdTable(x.header, x.rows), '');
  md.push(`${repeatability(r)}`, '');
  const gc = r.cells.some((c) => c.runs.some((x) => x.markCompacts !== undefined)) ? gcNote(r) : '';
  if (gc) md.push(gc, '');
  const failed = failures(r);
  if (failed.length) md.push('Failed runs:', '', ...failed, '');
  md.push('Method and knobs: [bench/README.md](bench/README.md#instructions-per-request-valgrind). Raw counts per run: `bench/results/instructions-*.json`.', '');
  return md.join('\n').trimEnd();
}

/** The same tables for the terminal. */
export function instructionsText(r: InstructionResults): string {
  const t = perRequestTable(r, true);
  const x = comparisonTable(r);
  return ['', `Instructions per request (valgrind), ${r.startedAt}`, textTable(t.header, t.rows), '', textTable(x.header, x.rows), '', repeatability(r), timing(r), ...failures(r)].join('\n');
}

/** The section in a BENCHMARKS.md, from its heading to the next `## ` heading; null if absent. */
export function extractSection(markdown: string): string | null {
  const start = markdown.indexOf(`${SECTION_HEADING}\n`);
  if (start === -1) return null;
  const next = markdown.indexOf('\n## ', start + SECTION_HEADING.length);
  return markdown.slice(start, next === -1 ? undefined : next).trimEnd();
}

/**
 * Puts `section` into a BENCHMARKS.md: in place of the old one, else before "## All ratios"
 * (right after the wall-time targets), else before "## Method", else at the end.
 */
export function spliceSection(markdown: string, section: string): string {
  const old = extractSection(markdown);
  if (old !== null) return markdown.replace(old, () => section);
  for (const anchor of ['\n## All ratios\n', '\n## Method\n']) {
    const at = markdown.indexOf(anchor);
    if (at !== -1) return `${markdown.slice(0, at + 1)}${section}\n\n${markdown.slice(at + 1)}`;
  }
  return `${markdown.trimEnd()}\n\n${section}\n`;
}
