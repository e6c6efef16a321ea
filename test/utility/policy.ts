import { IssueCollector, compilePolicy, mergeOptions, type CorsOptions, type CorsPolicy, type OptionSource } from '../../lib/core/index.js';

/** One policy compiled from `options` as if written at `source`; a config issue fails the test. */
export function compiled(options: CorsOptions, source: OptionSource = 'forRoot'): CorsPolicy {
  const c = new IssueCollector();
  const p = compilePolicy(mergeOptions([{ options, source }]), 'test', c);
  if (!p) throw new Error(c.issues.map((i) => i.detail).join('; '));
  return p;
}
