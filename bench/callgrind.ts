// Reading callgrind output files (format: valgrind manual, "Callgrind Format Specification"),
// for the instruction counts of bench/instructions.ts and their profiles.
import { readFileSync } from 'node:fs';

/** Instructions per function of one dump: its own (self) and with its callees (inclusive). */
export interface FunctionCost {
  readonly name: string;
  /** The object (binary, library) the function is in, when callgrind knew it. */
  readonly object: string;
  self: number;
  inclusive: number;
}

export interface Dump {
  /** `summary:` of the dump: every instruction counted in it. */
  readonly total: number;
  readonly functions: ReadonlyMap<string, FunctionCost>;
}

/**
 * Parses a dump: the total, and per function the cost lines under its `fn=` (self) plus the
 * cost lines that follow its `calls=` lines (a call's cost is inclusive of the callee), which
 * is how callgrind_annotate --inclusive=yes computes inclusive cost. A recursive function's
 * inclusive cost counts its recursive calls again, as callgrind_annotate's does.
 */
export function readCallgrind(file: string): Dump {
  const text = readFileSync(file, 'utf8');
  const summary = /^(?:summary|totals):\s*(\d+)/m.exec(text);
  if (!summary) throw new Error(`no instruction total in ${file}`);
  const positions = (/^positions:\s*(.+)$/m.exec(text)?.[1] ?? 'line').trim().split(/\s+/).length;
  // Name compression: "fn=(12) name" defines id 12, "fn=(12)" refers to it; cfn= shares the
  // table of fn=, cob= the table of ob=.
  const fnNames = new Map<string, string>();
  const obNames = new Map<string, string>();
  const resolve = (table: Map<string, string>, spec: string) => {
    const m = /^\((\d+)\)(?:\s+(.*))?$/.exec(spec);
    if (!m) return spec;
    if (m[2] !== undefined) table.set(m[1], m[2]);
    return table.get(m[1]) ?? spec;
  };
  const functions = new Map<string, FunctionCost>();
  let current: FunctionCost | null = null;
  let object = '';
  let call = false;
  for (const line of text.split('\n')) {
    const c = line.charCodeAt(0);
    // Cost lines start with a digit, '+', '-' or '*' (relative or repeated positions).
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      if (current) {
        const cost = Number(line.split(' ')[positions] ?? 0);
        current.inclusive += cost;
        if (!call) current.self += cost;
      }
      call = false;
    } else if (line.startsWith('fn=')) {
      const name = resolve(fnNames, line.slice(3));
      const key = `${name}\u0000${object}`;
      current = functions.get(key) ?? null;
      if (!current) {
        current = { name, object, self: 0, inclusive: 0 };
        functions.set(key, current);
      }
    } else if (line.startsWith('ob=')) {
      object = resolve(obNames, line.slice(3));
    } else if (line.startsWith('cfn=')) {
      resolve(fnNames, line.slice(4));
    } else if (line.startsWith('cob=')) {
      resolve(obNames, line.slice(4));
    } else if (line.startsWith('calls=')) {
      call = true;
    }
  }
  return { total: Number(summary[1]), functions };
}

/**
 * V8's entry points into its compilers and deoptimizer (runtime functions that generated code
 * calls): their inclusive cost is JIT work (compiling bytecode on a first call, optimizing a
 * hot function, throwing optimized code away). None of them runs JavaScript.
 */
export const JIT_ENTRY = /^v8::internal::Runtime_(Compile[A-Za-z]*|InstallBaselineCode|NotifyDeoptimized)\(/;

/** The instructions of a dump spent in functions matching `pattern`, inclusive. */
export function inclusiveOf(dump: Dump, pattern: RegExp): number {
  let sum = 0;
  for (const f of dump.functions.values()) if (pattern.test(f.name)) sum += f.inclusive;
  return sum;
}
