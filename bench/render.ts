// Re-renders BENCHMARKS.md and bench/ratios.svg from a raw results file, without measuring
// again: after editing bench/FINDINGS.md, or after a change to the profile analysis (profiles
// are read again from their .cpuprofile files when those are still there).
//   node .build/bench/render.js [bench/results/<file>.json]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from './model.js';
import { analyseProfile, type ProfileSummary } from './profile.js';
import { printReport, writeMarkdown, writeSvg } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS_DIR = join(ROOT, 'bench', 'results');

function newestFullRun(): string {
  const files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json') && !f.startsWith('quick-')).sort();
  if (files.length === 0) throw new Error('no full-run results in bench/results/');
  return join(RESULTS_DIR, files[files.length - 1]);
}

function reanalyse(p: ProfileSummary): ProfileSummary {
  if (!existsSync(p.file)) return p;
  // Older results did not keep the CPU time; it follows from the share and µs/request they kept.
  const cpu = p.serverCpuMicros ?? (p.corsPercent > 0 ? (p.corsMicrosPerRequest * p.requests) / (p.corsPercent / 100) : NaN);
  return analyseProfile(p.file, p.label, p.seconds, p.requests, cpu);
}

const file = process.argv[2] ?? newestFullRun();
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
const rendered: BenchResults = { ...results, profiles: results.profiles.map(reanalyse) };
printReport(rendered);
const mdPath = results.config.quick ? join(RESULTS_DIR, 'BENCHMARKS.quick.md') : join(ROOT, 'BENCHMARKS.md');
const svgPath = results.config.quick ? join(RESULTS_DIR, 'ratios.quick.svg') : join(ROOT, 'bench', 'ratios.svg');
writeSvg(rendered, svgPath);
writeMarkdown(rendered, mdPath, svgPath, ROOT);
process.stderr.write(`rendered ${file} into ${mdPath} and ${svgPath}\n`);
