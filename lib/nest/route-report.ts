// The route table: every route's effective policy as data (CorsService.routes()) and as explain mode's start-up lines.
import { describeValue, labelOf, SAFETY_OPT_INS, type OptionSources, type ResolvedCorsOptions, type RootLabel } from '../core/index.js';
import type { CorsRuntime } from './cors-runtime.js';
import { describeSource, escapeForLog } from './explain.js';

/** The effective CORS of one route, and where each value came from. */
export interface RoutePolicyReport {
  /** The route's method, upper-cased (`ALL` for `@All()`). */
  readonly method: string;
  /** The final path Nest registered: global prefix, version and module paths included. */
  readonly path: string;
  /** `Controller.handler`, or `route` for routes registered outside controllers. */
  readonly handler: string;
  /** `decorator`, `disabled` (`@CrossOrigin(false)`) or `resources` (no decorator). */
  readonly kind: 'decorator' | 'disabled' | 'resources';
  /** Where the policy comes from: the handler, or the `resources` entry for the route's path. */
  readonly policy: string;
  /** The options in force, or `null` when the route sends no CORS headers. */
  readonly options: ResolvedCorsOptions | null;
  /**
   * For each option: `default`, `forRoot` (written in `forRoot()` or `forRootAsync()`),
   * `resource`, `controller`, `handler` or `policy:<name>`.
   */
  readonly sources: OptionSources | null;
  /** Which call wrote the forRoot level (`forRoot` or `forRootAsync`), for the table's words. */
  readonly root?: RootLabel;
}

/** One report per route Nest registered, in registration order. */
export function reportRoutes(runtime: CorsRuntime): RoutePolicyReport[] {
  const state = runtime.state;
  return runtime.refs.map((ref) => {
    const route = state.policies.routePolicy(ref.tag.controllerValue, ref.tag.handlerValue, ref.tag.controller, ref.tag.handler);
    // An undecorated route: the resources entry its pattern gets (the request's parameter
    // values decide only where an entry names some of them).
    const resources = route.kind === 'resources' ? state.routeResources(ref.tokens) ?? state.onRequestPath(ref.path) : null;
    const policy = route.kind === 'policy' ? route.policy : resources?.policy ?? null;
    return {
      method: ref.method,
      path: ref.path,
      handler: route.label,
      kind: route.kind === 'policy' ? 'decorator' : route.kind,
      policy: resources !== null ? labelOf(resources) : route.kind === 'disabled' ? 'off' : route.label,
      options: policy?.options ?? null,
      sources: policy?.sources ?? null,
      root: state.policies.label,
    };
  });
}

/**
 * An option's value for the table. JSON would print a RegExp as `{}` and a function as `null`
 * (or drop it), so those are written the way a reader would recognise them in the source.
 */
function describeOption(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(describeEntry).join(',')}]`;
  return describeEntry(value);
}

function describeEntry(value: unknown): string {
  if (value instanceof RegExp) return String(value); // "/source/flags"
  if (typeof value === 'function') return value.name ? `[predicate ${escapeForLog(value.name)}]` : '[predicate]';
  return describeValue(value);
}

/**
 * The report as log lines: one per route, every option with where its value was written, a
 * value the user never wrote marked `(default)` (so `origins="*" (default)` shows an unset
 * environment variable at a glance). The `dangerously…` opt-ins are listed only when set.
 */
export function formatRouteTable(reports: readonly RoutePolicyReport[]): string[] {
  const lines = [`CORS policies of ${reports.length} route${reports.length === 1 ? '' : 's'}:`];
  for (const r of reports) {
    const head = `  ${r.method.padEnd(7)} ${r.path} -> ${r.handler}`;
    if (!r.options || !r.sources) {
      lines.push(`${head}: no CORS (${r.kind === 'disabled' ? '@CrossOrigin(false)' : 'no resources entry matches'})`);
      continue;
    }
    lines.push(`${head} [${r.policy}]: ${describeOptions(r.options, r.sources, r.root)}`);
  }
  return lines;
}

/**
 * Paths whose version handlers (header, media type, custom versioning) have different
 * policies: a preflight carries no version, so it gets only what all of them allow (README
 * "How the policy is chosen", versioning). One explain-mode line each, printed at start-up.
 */
export function versionConflicts(runtime: CorsRuntime): string[] {
  const groups = new Map<string, { labels: string[]; policies: Set<unknown> }>();
  for (const ref of runtime.refs) {
    if (ref.versions === null) continue;
    const key = `${ref.method} ${ref.path}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { labels: [], policies: new Set() }));
    const route = runtime.state.policies.routePolicy(ref.tag.controllerValue, ref.tag.handlerValue, ref.tag.controller, ref.tag.handler);
    group.labels.push(route.label);
    group.policies.add(route.kind === 'policy' ? route.policy : route.kind);
  }
  const lines: string[] = [];
  for (const [key, group] of groups) {
    if (group.policies.size < 2) continue;
    lines.push(`${key}: its versions (${group.labels.join(', ')}) have different CORS policies; a preflight carries no version, so it gets only what all of them allow`);
  }
  return lines;
}

const OPT_INS: ReadonlySet<string> = new Set(Object.values(SAFETY_OPT_INS));

/**
 * Every option of a policy with where it was written, `(default)` for those the user never
 * wrote; the opt-ins only when set, since off is all they ever are by default. With
 * `defaults: false`, only the options written somewhere (`defaults` when there are none), as
 * the gateway table prints them.
 */
export function describeOptions(options: ResolvedCorsOptions, sources: OptionSources, root: RootLabel = 'forRoot', defaults = true): string {
  const shown = (Object.keys(sources) as (keyof OptionSources)[])
    .filter((k) => sources[k] !== 'default' || (defaults && !OPT_INS.has(k)))
    .map((k) => `${k}=${options[k] === undefined ? 'none' : describeOption(options[k])} (${describeSource(sources[k], root)})`);
  return shown.length ? shown.join(', ') : 'defaults';
}
