// CorsConfigError: every problem of a configuration as data, thrown once at start-up.
import type { SafetyOptIn, SafetyRule } from './safety.js';

/**
 * Why a configuration value was refused:
 * - `invalid`: not of the expected type or syntax, or a value no browser can ever send or
 *   honour (an origin spelled otherwise than browsers write it, `maxAge` over 86400);
 * - `missing`: `origins` written but empty (`undefined`, `null`, `''`), as an unset
 *   environment variable gives it; leaving it out would mean every origin;
 * - `forbidden`: a valid token the Fetch standard forbids (methods CONNECT, TRACE, TRACK;
 *   request headers a page can never set; response headers never exposed, `Set-Cookie`);
 * - `prohibited`: a header of the CORS protocol itself, which has no place in that option;
 * - `incompatible`: fine alone, unsafe or meaningless together with another option;
 * - `unknown-option`: a key no level takes;
 * - `unknown-policy`: `@CrossOrigin('name')` naming no policy;
 * - `unsafe`: leaks credentials or the private network (README "Safety checks"); the issue's
 *   `rule` names the rule and `optIn` the `dangerously…` option that accepts the risk;
 * - `misplaced`: `@CrossOrigin` where it can have no effect (a GraphQL resolver, a provider);
 * - `conflict`: a second CORS layer (`app.enableCors()`, `NestFactory.create(…, { cors })`).
 */
export type CorsConfigIssueReason =
  | 'invalid'
  | 'missing'
  | 'forbidden'
  | 'prohibited'
  | 'incompatible'
  | 'unknown-option'
  | 'unknown-policy'
  | 'unsafe'
  | 'misplaced'
  | 'conflict';

/** One problem found in the configuration, as data. */
export interface CorsConfigIssue {
  /** Where the value was written: `forRoot`, `forRoot.resources["/api/*"]`, `CatsController.create`… */
  readonly where: string;
  /** The option's name, with an index for array entries (`origins[1]`). */
  readonly option: string;
  /** The value as given. */
  readonly value: unknown;
  /** The kind of problem, as data (see {@link CorsConfigIssueReason}). */
  readonly reason: CorsConfigIssueReason;
  /** A sentence saying what is wrong and what to write instead. */
  readonly detail: string;
  /** For `unsafe` issues: the safety rule that refused the value. */
  readonly rule?: SafetyRule;
  /** For `unsafe` issues: the option that accepts the risk, e.g. `dangerouslyAllowInsecureOrigins`. */
  readonly optIn?: SafetyOptIn;
  /** For `unsafe` issues found by probing: the origin no one would list that the matcher admitted. */
  readonly probe?: string;
  /** For an origin entry browsers never send as written: the spelling they do send. */
  readonly canonical?: string;
}

/**
 * Thrown once at start-up with every problem found, so a configuration is fixed in one pass.
 * `issues` holds them as data; `message` lists them one per line.
 */
export class CorsConfigError extends Error {
  readonly issues: readonly CorsConfigIssue[];

  constructor(issues: readonly CorsConfigIssue[]) {
    super(formatIssues(issues));
    this.name = 'CorsConfigError';
    this.issues = Object.freeze([...issues]);
  }
}

function formatIssues(issues: readonly CorsConfigIssue[]): string {
  const head = `nest-cross-origin: invalid CORS configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):`;
  const lines = issues.map(
    (i) => `  - ${i.where}: ${i.option} = ${describeValue(i.value)}: ${i.detail}`,
  );
  return [head, ...lines].join('\n');
}

const MAX_DESCRIBED_LENGTH = 120;

/** Renders a configuration value for a message: strings quoted and escaped, long ones cut. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof RegExp) text = String(value);
  else if (typeof value === 'function') text = `[function ${value.name || 'anonymous'}]`;
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_DESCRIBED_LENGTH ? `${text.slice(0, MAX_DESCRIBED_LENGTH)}…` : text;
}

/**
 * Collects issues while a configuration is checked; throws them all at once. Also collects
 * start-up warnings: risks the configuration accepts (an opt-in in use), which do not fail.
 */
export class IssueCollector {
  readonly issues: CorsConfigIssue[] = [];
  readonly warnings: string[] = [];
  private readonly seen = new Set<string>();

  /** Records a warning once, however many routes share the policy that raised it. */
  warn(text: string): void {
    if (!this.warnings.includes(text)) this.warnings.push(text);
  }

  add(issue: CorsConfigIssue): void {
    // The same merged problem shows up once per route of a controller: report it once.
    const key = `${issue.where}\u0000${issue.option}\u0000${issue.reason}\u0000${issue.detail}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.issues.push(issue);
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new CorsConfigError(this.issues);
  }
}
