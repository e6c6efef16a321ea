// Merging option levels key by key (defaults < forRoot < controller < handler), remembering where each key came from.
import { DEFAULT_OPTIONS, POLICY_KEYS, type CorsOptions, type ResolvedCorsOptions } from './options.js';

/** Where each key of a merged policy came from, for introspection and explanations. */
export type OptionSource = 'default' | 'forRoot' | 'resource' | 'controller' | 'handler' | 'gateway' | `policy:${string}`;

/** One level of the merge: the options written there and the name of that level. */
export interface OptionLayer {
  readonly options: CorsOptions;
  readonly source: OptionSource;
}

/** For each option of a merged policy, the level that set it. */
export type OptionSources = Readonly<Record<keyof ResolvedCorsOptions, OptionSource>>;

/** A merged policy's options, and for each key the level that set it. */
export interface MergedOptions {
  readonly options: ResolvedCorsOptions;
  readonly sources: OptionSources;
}

/**
 * Merges key by key, later layers winning (README "Which options apply", rule 1): a key set lower down replaces the
 * whole value above it, arrays included (never a union, unlike Spring). A key present but
 * `undefined` inherits, as Flask-CORS skips `None`.
 */
export function mergeOptions(layers: readonly OptionLayer[]): MergedOptions {
  const options: Record<string, unknown> = { ...DEFAULT_OPTIONS };
  const sources: Record<string, OptionSource> = {};
  for (const key of POLICY_KEYS) sources[key] = 'default';
  for (const layer of layers) {
    for (const key of POLICY_KEYS) {
      const value = layer.options[key];
      if (value !== undefined) {
        options[key] = value;
        sources[key] = layer.source;
      }
    }
  }
  return {
    options: Object.freeze(options) as unknown as ResolvedCorsOptions,
    sources: Object.freeze(sources) as MergedOptions['sources'],
  };
}

/**
 * Which call wrote the forRoot-level options: `CorsModule.forRoot()`, `forRootAsync()`, or
 * `CorsService.reconfigure()` while the app runs.
 */
export type RootLabel = 'forRoot' | 'forRootAsync' | 'reconfigure';

/**
 * Where each level of a merged policy was written, shallowest first, so that a problem is
 * reported where its keys were written: a mistake in forRoot once, not once per controller
 * and handler that inherits it. Messages name the forRoot level by the call that wrote it.
 */
export interface PolicyPlaces {
  readonly root: RootLabel;
  /** One per layer merged, in merge order: its source, and where it was written. */
  readonly levels: readonly { readonly source: OptionSource; readonly where: string }[];
  /** Where the policy is used (a route, a resources entry): for what no level wrote. */
  readonly fallback: string;
}

/** The places of a policy all written in one place (a test, a tool). */
export function placesAt(where: string): PolicyPlaces {
  return { root: 'forRoot', levels: [], fallback: where };
}

/**
 * The deepest place among those that wrote `keys` (defaults aside): there the combination
 * they make is first written, and every policy below inherits it as is.
 */
export function locate(places: PolicyPlaces, sources: OptionSources, keys: readonly (keyof ResolvedCorsOptions)[]): string {
  let deepest = -1;
  for (const key of keys) {
    const source = sources[key];
    if (source === 'default') continue;
    for (let i = places.levels.length - 1; i > deepest; i--) {
      if (places.levels[i].source === source) {
        deepest = i;
        break;
      }
    }
  }
  return deepest === -1 ? places.fallback : places.levels[deepest].where;
}

/** An option source in a message's words: the forRoot level as the call that wrote it. */
export function sourceLabel(source: OptionSource, root: RootLabel): string {
  return source === 'forRoot' ? root : source;
}
