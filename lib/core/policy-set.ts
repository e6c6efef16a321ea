import { compilePolicy, checkOptions, type CorsPolicy } from './compile.js';
import { IssueCollector } from './errors.js';
import { mergeOptions, type OptionLayer } from './merge.js';
import { DEFAULT_ORIGIN_TIMEOUT, MAX_ORIGIN_TIMEOUT, MODULE_ONLY_KEYS, type CorsModuleOptions, type CorsOptions } from './options.js';
import { checkResources, compileResources, matchResource, resourceEntries, type ResourceEntry } from './resources.js';

/** What `@CrossOrigin()` wrote at one level: options, a policy name, `false`, or nothing. */
export type CrossOriginLevel = CorsOptions | string | false | undefined;

/** A route's effective CORS, decided at start-up. */
export type RoutePolicy =
  /** Decorated: this policy, whatever the path. */
  | { readonly kind: 'policy'; readonly policy: CorsPolicy; readonly label: string }
  /** `@CrossOrigin(false)`: no CORS headers at all. */
  | { readonly kind: 'disabled'; readonly label: string }
  /** No decorator anywhere: the matching `resources` entry decides, per path (SPEC §3 rule 2). */
  | { readonly kind: 'resources'; readonly label: string };

function stripModuleKeys(options: CorsModuleOptions): CorsOptions {
  const top: Record<string, unknown> = { ...options };
  for (const key of MODULE_ONLY_KEYS) delete top[key];
  return top as CorsOptions;
}

/** `originTimeout` if valid, else the default (start-up then fails on the issue reported). */
function checkOriginTimeout(value: unknown, c: IssueCollector): number {
  if (value === undefined) return DEFAULT_ORIGIN_TIMEOUT;
  if (Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_ORIGIN_TIMEOUT) return value as number;
  c.add({ where: 'forRoot', option: 'originTimeout', value, reason: 'invalid', detail: `must be a whole number of milliseconds from 1 to ${MAX_ORIGIN_TIMEOUT}` });
  return DEFAULT_ORIGIN_TIMEOUT;
}

/**
 * Every policy of an app, built from `forRoot` options: the resource table, the named
 * policies, and route policies from decorator values. Issues are collected, not thrown, until
 * {@link PolicySet.assertValid}, so one error lists every problem (SPEC §6).
 */
export class PolicySet {
  readonly issues = new IssueCollector();
  readonly resources: readonly ResourceEntry<CorsPolicy | null>[];
  /** The single policy for every path when `resources` is the default `/*`, else `null`. */
  readonly everywhere: CorsPolicy | null;
  /** Milliseconds an async origin decision may take (`originTimeout`, SPEC §7). */
  readonly originTimeout: number;
  private readonly root: OptionLayer;
  private readonly named: Readonly<Record<string, CorsOptions>>;
  private readonly cache = new Map<unknown, Map<unknown, RoutePolicy>>();

  /**
   * Start-up warnings, one line each: every `dangerously…` opt-in that let a risk through, and
   * every public-suffix wildcard without credentials (SPEC §6). Explain mode logs them.
   */
  get warnings(): readonly string[] {
    return this.issues.warnings;
  }

  constructor(readonly moduleOptions: CorsModuleOptions = {}) {
    const c = this.issues;
    checkOptions(moduleOptions, 'forRoot', c, true);
    const safe = moduleOptions !== null && typeof moduleOptions === 'object' ? moduleOptions : {};
    if (safe.debug !== undefined && typeof safe.debug !== 'boolean') {
      c.add({ where: 'forRoot', option: 'debug', value: safe.debug, reason: 'invalid', detail: 'must be true or false' });
    }
    this.originTimeout = checkOriginTimeout(safe.originTimeout, c);
    this.root = { options: stripModuleKeys(safe), source: 'forRoot' };
    const policies = safe.policies;
    if (policies !== undefined && (policies === null || typeof policies !== 'object' || Array.isArray(policies))) {
      c.add({ where: 'forRoot', option: 'policies', value: policies, reason: 'invalid', detail: 'must be an object mapping names to CORS options' });
      this.named = {};
    } else {
      this.named = policies ?? {};
      for (const [name, options] of Object.entries(this.named)) {
        checkOptions(options, `forRoot.policies.${name}`, c);
      }
    }
    const entries = checkResources(safe.resources, c) ? resourceEntries(safe.resources) : [];
    this.resources = compileResources(
      entries.map(([pattern, options]) => {
        // Without `resources` the one implicit entry is forRoot's own policy: say so.
        const where = safe.resources === undefined ? 'forRoot' : `forRoot.resources[${JSON.stringify(pattern)}]`;
        checkOptions(options, where, c);
        const own = options !== null && typeof options === 'object' ? options : {};
        const merged = mergeOptions([this.root, { options: own, source: 'resource' }]);
        return [pattern, compilePolicy(merged, where, c)] as const;
      }),
    );
    const only = this.resources.length === 1 ? this.resources[0] : undefined;
    this.everywhere = only && only.pattern === '/*' ? only.policy : null;
  }

  /** The `resources` policy for a normalized path, or `null` for no CORS. */
  resourcePolicy(path: string): CorsPolicy | null {
    if (this.everywhere !== null) return this.everywhere;
    return matchResource(this.resources, path)?.policy ?? null;
  }

  private layerOf(value: CrossOriginLevel, level: 'controller' | 'handler' | 'gateway', where: string): OptionLayer | null {
    if (value === undefined || value === false) return null;
    if (typeof value === 'string') {
      const options = Object.prototype.hasOwnProperty.call(this.named, value) ? this.named[value] : undefined;
      if (options === undefined) {
        const known = Object.keys(this.named);
        this.issues.add({
          where, option: '@CrossOrigin', value, reason: 'unknown-policy',
          detail: known.length
            ? `names no policy; forRoot({ policies }) declares ${known.map((k) => JSON.stringify(k)).join(', ')}`
            : 'names a policy, but forRoot() declares no policies',
        });
        return null;
      }
      // A policy that is not an object was reported when forRoot was checked.
      if (options === null || typeof options !== 'object') return null;
      return { options, source: `policy:${value}` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.issues.add({ where, option: '@CrossOrigin', value, reason: 'invalid', detail: 'takes CORS options, a policy name or false' });
      return null;
    }
    checkOptions(value, where, this.issues);
    return { options: value, source: level };
  }

  /**
   * The policy of one handler (SPEC §3 rule 1): defaults < forRoot < controller < handler, key
   * by key; a named policy stands in for the options at its level; `false` at either level
   * turns CORS off, unless the handler sets options over a controller's `false`.
   * Compiled once per distinct pair of decorator values.
   */
  routePolicy(controllerValue: CrossOriginLevel, handlerValue: CrossOriginLevel, controllerName: string, handlerName: string): RoutePolicy {
    const label = `${controllerName}.${handlerName}`;
    let byHandler = this.cache.get(controllerValue);
    if (!byHandler) this.cache.set(controllerValue, (byHandler = new Map()));
    let shared = byHandler.get(handlerValue);
    if (!shared) {
      shared = this.computeRoutePolicy(controllerValue, handlerValue, controllerName, label);
      byHandler.set(handlerValue, shared);
    }
    // The compiled policy is shared; the name is each route's own.
    return { ...shared, label };
  }

  private computeRoutePolicy(classValue: CrossOriginLevel, handlerValue: CrossOriginLevel, className: string, label: string): RoutePolicy {
    if (classValue === undefined && handlerValue === undefined) return { kind: 'resources', label };
    const classLayer = this.layerOf(classValue, 'controller', className);
    const handlerLayer = this.layerOf(handlerValue, 'handler', label);
    if (handlerValue === false || (classValue === false && handlerValue === undefined)) return { kind: 'disabled', label };
    const layers = [this.root];
    if (classLayer && classValue !== false) layers.push(classLayer);
    if (handlerLayer) layers.push(handlerLayer);
    const where = handlerValue !== undefined ? label : className;
    const policy = compilePolicy(mergeOptions(layers), where, this.issues);
    return policy ? { kind: 'policy', policy, label } : { kind: 'disabled', label };
  }

  /**
   * The policy of a WebSocket gateway (SPEC §8): defaults < forRoot < the gateway's
   * `@CrossOrigin`, key by key, as a controller's; a named policy stands in for the options.
   * `null` for `undefined`, `false` or a value that was reported as an issue.
   */
  gatewayPolicy(value: CrossOriginLevel, gatewayName: string): CorsPolicy | null {
    if (value === false) return null;
    const layer = this.layerOf(value, 'gateway', gatewayName);
    return layer ? compilePolicy(mergeOptions([this.root, layer]), gatewayName, this.issues) : null;
  }

  /** Throws one `CorsConfigError` listing every issue found so far. */
  assertValid(): void {
    this.issues.throwIfAny();
  }
}
