// What the request path shares across platforms: the state in force (swapped whole by a
// reconfiguration), the registry of routes Nest registered, and the reporting of decisions
// (explain mode's log lines, `onDecision` events), failures and the one-off notes.
import type { Logger } from '@nestjs/common';
import {
  decisionEvent, labelOf, messageOf, type Candidate, type CorsDecisionEvent, type CorsModuleOptions, type CorsRequest, type Decision, type PolicySet, type RouteToken,
} from '../core/index.js';
import { escapeForLog, formatRefusal } from './explain.js';
import { CorsState, type RouteRef, type RouteTag } from './route-state.js';

/** The methods an explanation checks a path's handlers for. */
const PROBED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** How many distinct notes explain mode remembers having logged: a bound on memory, whatever requests say. */
const MAX_NOTES = 1000;

/** Finds the handlers (method, path, host) may reach, as the platform's router would: for introspection only. */
export type CandidateFinder = (state: CorsState, method: string, path: string, hostname: string | undefined) => Candidate[];

/** The per-request part of the library shared by the platform doors. */
export class CorsRuntime {
  /** The configuration in force. Read once per decision: a request is decided wholly under one state. */
  state: CorsState;
  readonly refs: RouteRef[] = [];
  /** Set by the platform door, for `CorsService.policyFor()` / `explain()` and the route report. */
  finder: CandidateFinder | null = null;
  /** Set by the platform door: whether some handler serves (method, path, host), for explanations. */
  serves: ((method: string, path: string, hostname: string | undefined) => boolean) | null = null;
  /** Whether anything listens to decisions (explain mode, `onDecision`): nothing is reported otherwise. */
  reporting = false;
  /** Explain mode (`debug`). */
  debug = false;
  private onDecision: ((event: CorsDecisionEvent) => unknown) | null = null;
  private reportAllowed = false;
  private readonly noted = new Set<string>();
  private loggedFailure = false;

  constructor(policies: PolicySet, options: CorsModuleOptions, private readonly logger: Logger) {
    this.state = new CorsState(policies, this.refs);
    this.listen(options);
  }

  /** Takes explain mode and `onDecision` from options (a key left undefined keeps its setting). */
  private listen(options: CorsModuleOptions): void {
    if (options.debug !== undefined) this.debug = options.debug === true;
    if (options.onDecision !== undefined) this.onDecision = typeof options.onDecision === 'function' ? options.onDecision : null;
    if (options.reportAllowed !== undefined) this.reportAllowed = options.reportAllowed === true;
    this.reporting = this.debug || this.onDecision !== null;
  }

  /** Records a route Nest registered, and compiles it under the state in force. */
  register(method: string, path: string, tokens: readonly RouteToken[], tag: RouteTag, versions: readonly string[] | null): RouteRef {
    const ref: RouteRef = Object.freeze({ id: this.refs.length, method, path, tokens, tag, versions });
    this.refs.push(ref);
    this.state.add(ref);
    return ref;
  }

  /**
   * Puts a new state in force (a reconfiguration), every registered route compiled under it.
   * One assignment: a request already being decided keeps the state it read.
   */
  swap(policies: PolicySet, options: CorsModuleOptions): void {
    const next = new CorsState(policies, this.refs);
    this.state = next;
    this.listen(options);
  }

  /**
   * Reports one decision: explain mode logs a refusal; `onDecision` hears refusals (and, with
   * `reportAllowed`, allowances), after the response was written or handed on, so a slow or
   * throwing listener never delays or changes it.
   */
  report(d: Decision, r: CorsRequest): void {
    if (d.verdict === 'none') return;
    if (d.verdict === 'refused' && this.debug) this.logger.warn(this.explain(d, r));
    if (this.onDecision !== null && (d.verdict === 'refused' || this.reportAllowed)) this.emit(decisionEvent(d, r));
  }

  /**
   * The explain-mode line of a refused decision. A preflight for a method no handler serves
   * says so, naming the methods the path's handlers do serve.
   */
  explain(d: Decision, r: CorsRequest): string {
    const by = d.candidates[d.by];
    let served: string[] = [];
    if (d.kind === 'preflight' && (by.source === 'resources' || by.source === 'none') && this.serves !== null) {
      served = PROBED_METHODS.filter((m) => m !== r.acrm && this.serves!(m, r.path, undefined));
    }
    return formatRefusal(d, r, served);
  }

  /**
   * Hands an event to `onDecision` once the current work is done (a microtask), so even a
   * slow synchronous listener runs after the response it describes was written or handed on;
   * what it throws or rejects is logged, escaped.
   */
  emit(event: CorsDecisionEvent): void {
    const listener = this.onDecision;
    if (listener === null) return;
    queueMicrotask(() => {
      const failed = (error: unknown) =>
        this.logger.error(`onDecision threw; the response was not affected: ${escapeForLog(messageOf(error))}`);
      try {
        const result = listener(event);
        if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(undefined, failed);
        }
      } catch (error) {
        failed(error);
      }
    });
  }

  /** Whether an `onDecision` listener is in force. */
  get listening(): boolean {
    return this.onDecision !== null;
  }

  /** Whether `onDecision` listens to gateway decisions of this verdict. */
  wantsEvent(refused: boolean): boolean {
    return this.onDecision !== null && (refused || this.reportAllowed);
  }

  /** The request goes on without CORS headers (fail closed); logged once, escaped. */
  failed(error: unknown): void {
    if (this.loggedFailure) return;
    this.loggedFailure = true;
    this.logger.error(`CORS decision failed; the request was served without CORS headers: ${escapeForLog(String((error as Error)?.stack ?? error))}`);
  }

  /** Logs one explain-mode line (the caller escapes what came from the request). */
  log(text: string): void {
    this.logger.warn(text);
  }

  /** Logs a note once per `key` (up to {@link MAX_NOTES} keys), in explain mode only. */
  noteOnce(key: string, text: () => string): void {
    if (!this.debug || this.noted.has(key) || this.noted.size >= MAX_NOTES) return;
    this.noted.add(key);
    this.logger.warn(text());
  }
}

export { labelOf };
