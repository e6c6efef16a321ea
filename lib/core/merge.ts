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
 * Merges key by key, later layers winning (SPEC §3 rule 1): a key set lower down replaces the
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
