// Every policy of an app under one configuration: the resources table, named policies and route policies.
import { checkOptions } from './checks.js';
import { compilePolicy, type CorsPolicy } from './compile.js';
import { IssueCollector } from './errors.js';
import { mergeOptions, type OptionLayer, type PolicyPlaces, type RootLabel } from './merge.js';
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
  /** No decorator anywhere: the matching `resources` entry decides, per path (README "Which options apply", rule 2). */
  | { readonly kind: 'resources'; readonly label: string };

function stripModuleKeys(options: CorsModuleOptions): CorsOptions {
  const top: Record<string, unknown> = { ...options };
  for (const key of MODULE_ONLY_KEYS) delete top[key];
  return top as CorsOptions;
}

/**
 * A level's options as merged: an `origins` key written but empty (reported as `missing`)
 * stands for no origin at all rather than inheriting '*', so nothing checked after it (the
 * credentials rules) reports the consequences of a default the user never meant.
 */
function failClosed(options: CorsOptions): CorsOptions {
  if (!Object.prototype.hasOwnProperty.call(options, 'origins')) return options;
  const o: unknown = options.origins;
  return o === undefined || o === null || (typeof o === 'string' && o.trim() === '') ? { ...options, origins: [] } : options;
}

/** `originTimeout` if valid, else the default (start-up then fails on the issue reported). */
function checkOriginTimeout(value: unknown, where: string, c: IssueCollector): number {
  if (value === undefined) return DEFAULT_ORIGIN_TIMEOUT;
  if (Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_ORIGIN_TIMEOUT) return value as number;
  c.add({ where, option: 'originTimeout', value, reason: 'invalid', detail: `must be a whole number of milliseconds from 1 to ${MAX_ORIGIN_TIMEOUT}` });
  return DEFAULT_ORIGIN_TIMEOUT;
}

/**
 * Marks module options that `CorsModule.forRootAsync()` built, on a copy the module makes
 * (never on the user's object), so messages say `forRootAsync`. Non-enumerable: no check
 * sees it as an option. See {@link markFromAsync}.
 */
const FROM_ASYNC = Symbol('nest-cross-origin.forRootAsync');

interface AsyncOrigin {
  /** What the factory returned when that was no options object (`undefined`, say). */
  readonly returned?: unknown;
}

/**
 * The options a `forRootAsync()` factory returned, marked as such: a shallow copy of an
 * options object, or for anything else an empty object remembering what was returned, so
 * {@link PolicySet} can refuse a factory that returned nothing instead of falling back to
 * every default (every origin allowed).
 */
export function markFromAsync(returned: unknown): CorsModuleOptions {
  const isOptions = returned !== null && typeof returned === 'object' && !Array.isArray(returned);
  const copy: CorsModuleOptions = isOptions ? { ...(returned as CorsModuleOptions) } : {};
  const origin: AsyncOrigin = isOptions ? {} : { returned };
  Object.defineProperty(copy, FROM_ASYNC, { value: Object.freeze(origin), enumerable: false });
  return copy;
}

function asyncOriginOf(options: unknown): AsyncOrigin | undefined {
  return options !== null && typeof options === 'object' ? (options as { [FROM_ASYNC]?: AsyncOrigin })[FROM_ASYNC] : undefined;
}

/** How a {@link PolicySet} is built. */
export interface PolicySetSettings {
  /**
   * The call the module options came from, named in every message. (default: `'forRootAsync'`
   * for options {@link markFromAsync} marked, else `'forRoot'`)
   */
  readonly label?: RootLabel;
  /**
   * An `onDecision` is in force already (a reconfiguration keeps forRoot's when the new options
   * give none), so `reportAllowed` alone is meaningful. (default: `false`)
   */
  readonly listening?: boolean;
}

/**
 * Every policy of an app, built from `forRoot` options: the resource table, the named
 * policies, and route policies from decorator values. Issues are collected, not thrown, until
 * {@link PolicySet.assertValid}, so one error lists every problem.
 */
export class PolicySet {
  readonly issues = new IssueCollector();
  readonly resources: readonly ResourceEntry<CorsPolicy | null>[];
  /** The single policy for every path when `resources` is the default `/*`, else `null`. */
  readonly everywhere: CorsPolicy | null;
  /** Milliseconds an async origin decision may take (`originTimeout`). */
  readonly originTimeout: number;
  /** The call the module options came from: `forRoot` or `forRootAsync`. */
  readonly label: RootLabel;
  private readonly root: OptionLayer;
  private readonly named: Readonly<Record<string, CorsOptions>>;
  private readonly cache = new Map<unknown, Map<unknown, RoutePolicy>>();

  /**
   * Start-up warnings, one line each: every `dangerously…` opt-in that let a risk through, and
   * every public-suffix wildcard without credentials, every `maxAge` over a browser's cap.
   * Explain mode logs them.
   */
  get warnings(): readonly string[] {
    return this.issues.warnings;
  }

  constructor(readonly moduleOptions: CorsModuleOptions = {}, settings: PolicySetSettings = {}) {
    const c = this.issues;
    const fromAsync = asyncOriginOf(moduleOptions);
    const label = (this.label = settings.label ?? (fromAsync ? 'forRootAsync' : 'forRoot'));
    const given: unknown = fromAsync && 'returned' in fromAsync ? fromAsync.returned : moduleOptions;
    if (given === undefined || given === null) {
      c.add({
        where: label, option: 'options', value: given, reason: 'missing',
        detail: `the factory returned ${String(given)}, which would leave every option at its default and allow every origin: return the options object (an empty object for the defaults on purpose)`,
      });
    } else {
      checkOptions(given, label, c, true);
    }
    const safe = given !== null && typeof given === 'object' ? (given as CorsModuleOptions) : {};
    if (safe.debug !== undefined && typeof safe.debug !== 'boolean') {
      c.add({ where: label, option: 'debug', value: safe.debug, reason: 'invalid', detail: 'must be true or false' });
    }
    if (safe.reportAllowed !== undefined && typeof safe.reportAllowed !== 'boolean') {
      c.add({ where: label, option: 'reportAllowed', value: safe.reportAllowed, reason: 'invalid', detail: 'must be true or false' });
    }
    if (safe.onDecision !== undefined && typeof safe.onDecision !== 'function') {
      c.add({ where: label, option: 'onDecision', value: safe.onDecision, reason: 'invalid', detail: 'must be a function, called with each decision' });
    }
    if (safe.reportAllowed === true && safe.onDecision === undefined && settings.listening !== true) {
      c.add({ where: label, option: 'reportAllowed', value: true, reason: 'incompatible', detail: 'reports allowed decisions to onDecision, which is not set: add onDecision or remove reportAllowed' });
    }
    this.originTimeout = checkOriginTimeout(safe.originTimeout, label, c);
    this.root = { options: failClosed(stripModuleKeys(safe)), source: 'forRoot' };
    const policies = safe.policies;
    if (policies !== undefined && (policies === null || typeof policies !== 'object' || Array.isArray(policies))) {
      c.add({ where: label, option: 'policies', value: policies, reason: 'invalid', detail: 'must be an object mapping names to CORS options' });
      this.named = {};
    } else {
      this.named = policies ?? {};
      for (const [name, options] of Object.entries(this.named)) {
        checkOptions(options, this.policyWhere(name), c);
      }
    }
    const entries = checkResources(safe.resources, c, label) ? resourceEntries(safe.resources) : [];
    this.resources = compileResources(
      entries.map(([pattern, options]) => {
        // Without `resources` the one implicit entry is forRoot's own policy: say so.
        const where = safe.resources === undefined ? label : `${label}.resources[${JSON.stringify(pattern)}]`;
        checkOptions(options, where, c);
        const own = options !== null && typeof options === 'object' ? options : {};
        const merged = mergeOptions([this.root, { options: failClosed(own), source: 'resource' }]);
        const places = this.places([{ source: 'resource', where }], where);
        return [pattern, compilePolicy(merged, places, c)] as const;
      }),
    );
    const only = this.resources.length === 1 ? this.resources[0] : undefined;
    this.everywhere = only && only.pattern === '/*' ? only.policy : null;
  }

  /** Where a named policy was written. */
  private policyWhere(name: string): string {
    return `${this.label}.policies.${name}`;
  }

  /** The places of a policy merged over forRoot: forRoot, then `levels`, deepest last. */
  private places(levels: PolicyPlaces['levels'], fallback: string): PolicyPlaces {
    return { root: this.label, levels: [{ source: 'forRoot', where: this.label }, ...levels], fallback };
  }

  /** Where one decorator level was written: its own place, or the named policy it selects. */
  private levelPlace(value: CrossOriginLevel, layer: OptionLayer, where: string): PolicyPlaces['levels'][number] {
    return { source: layer.source, where: typeof value === 'string' ? this.policyWhere(value) : where };
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
            ? `names no policy; ${this.label}({ policies }) declares ${known.map((k) => JSON.stringify(k)).join(', ')}`
            : `names a policy, but ${this.label}() declares no policies`,
        });
        return null;
      }
      // A policy that is not an object was reported when forRoot was checked.
      if (options === null || typeof options !== 'object') return null;
      return { options: failClosed(options), source: `policy:${value}` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.issues.add({ where, option: '@CrossOrigin', value, reason: 'invalid', detail: 'takes CORS options, a policy name or false' });
      return null;
    }
    checkOptions(value, where, this.issues);
    return { options: failClosed(value), source: level };
  }

  /**
   * The policy of one handler (README "Which options apply", rule 1): defaults < forRoot < controller < handler, key
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
    const levels: PolicyPlaces['levels'][number][] = [];
    if (classLayer && classValue !== false) {
      layers.push(classLayer);
      levels.push(this.levelPlace(classValue, classLayer, className));
    }
    if (handlerLayer) {
      layers.push(handlerLayer);
      levels.push(this.levelPlace(handlerValue, handlerLayer, label));
    }
    const where = handlerValue !== undefined ? label : className;
    const policy = compilePolicy(mergeOptions(layers), this.places(levels, where), this.issues);
    return policy ? { kind: 'policy', policy, label } : { kind: 'disabled', label };
  }

  /**
   * The policy of a WebSocket gateway (README "WebSockets"): defaults < forRoot < the gateway's
   * `@CrossOrigin`, key by key, as a controller's; a named policy stands in for the options.
   * `null` for `undefined`, `false` or a value that was reported as an issue.
   */
  gatewayPolicy(value: CrossOriginLevel, gatewayName: string): CorsPolicy | null {
    if (value === false) return null;
    const layer = this.layerOf(value, 'gateway', gatewayName);
    if (!layer) return null;
    const places = this.places([this.levelPlace(value, layer, gatewayName)], gatewayName);
    return compilePolicy(mergeOptions([this.root, layer]), places, this.issues);
  }

  /** Throws one `CorsConfigError` listing every issue found so far. */
  assertValid(): void {
    this.issues.throwIfAny();
  }
}
