// Explain mode's words: one escaped line per refused decision, naming the policy and where its option was written.
import { labelOf, type CorsPolicy, type CorsRequest, type Decision, type OptionSource, type Refusal, type RootLabel } from '../core/index.js';
import { escapeForLog } from '../core/escape.js';

// Lives in the core so that the probe CLI can use it without loading anything of Nest.
export { escapeForLog };

/**
 * Where an option's value was written, in the words of the README: `default` for a value the
 * user never wrote, and the forRoot level as the call that wrote it (`root`).
 */
export function describeSource(source: OptionSource, root: RootLabel = 'forRoot'): string {
  if (source === 'handler' || source === 'controller' || source === 'gateway') return `${source} @CrossOrigin`;
  if (source === 'resource') return 'resources entry';
  if (source === 'default') return 'default';
  if (source === 'forRoot') return root;
  return `policy ${JSON.stringify(source.slice('policy:'.length))}`;
}

/** What a refusal names: the policy that refused and how logs call it. */
interface Refused {
  readonly policy: CorsPolicy | null;
  readonly policyLabel: string;
  readonly refusal: Refusal;
}

/** Why a decision was refused, naming the policy and where its option was written. */
function describeRefusal(r: Refused): string {
  const from = (key: 'origins' | 'methods' | 'allowHeaders') =>
    r.policy ? `${r.policyLabel} (${describeSource(r.policy.sources[key], r.policy.root)})` : r.policyLabel;
  // The cachedOrigins key the origin was looked up under (a tenant): computed from the
  // request by the user's function, so escaped like request data.
  const key = (k: string | undefined) => (k === undefined ? '' : ` (cachedOrigins key "${escapeForLog(k)}")`);
  switch (r.refusal.kind) {
    case 'origin':
      return `origin ${escapeForLog(r.refusal.origin)} not in origins of ${from('origins')}${key(r.refusal.key)}`;
    case 'origin-timeout':
      return `origin decision timed out after ${r.refusal.timeout} ms (originTimeout) in origins of ${from('origins')}${key(r.refusal.key)}`;
    case 'origin-pending':
      return `origin decision had not settled when the response was written (the request reached a handler the library could not foresee when it arrived, e.g. through a rewritten URL) in origins of ${from('origins')}${key(r.refusal.key)}`;
    case 'origin-error':
      // The message is the predicate's, which may quote the Origin: escaped like request data.
      return `origin predicate failed in origins of ${from('origins')}${key(r.refusal.key)}: ${escapeForLog(r.refusal.message) || '(no message)'}`;
    case 'method':
      return `method ${escapeForLog(r.refusal.method)} not in methods of ${from('methods')}`;
    case 'header':
      return `header ${escapeForLog(r.refusal.header)} not in allowHeaders of ${from('allowHeaders')}`;
    case 'header-limit':
      return `Access-Control-Request-Headers lists more than 100 names or 16 empty elements (${r.policyLabel})`;
    case 'no-cors':
      return r.policyLabel === 'none'
        ? 'no CORS policy applies: the path matches no resources entry'
        : `CORS is off for ${r.policyLabel} (@CrossOrigin(false))`;
  }
}

/**
 * One line per refused decision: what, where, and the exact reason. `servedMethods`: for a
 * preflight no handler serves, the methods handlers do serve on that path, if any, so the
 * line says the method is what is missing.
 */
export function formatRefusal(d: Decision, r: CorsRequest, servedMethods: readonly string[] = []): string {
  const preflight = d.kind === 'preflight';
  const method = preflight ? r.acrm! : r.method;
  const what = `${preflight ? 'preflight for ' : ''}${escapeForLog(method)} ${escapeForLog(r.path)} from ${escapeForLog(r.origin ?? '')}`;
  const by = d.candidates[d.by];
  const several = d.candidates.length > 1 ? ` (one of ${d.candidates.length} handlers the request may reach: ${d.candidates.map(labelOf).join(', ')})` : '';
  const reason = describeRefusal({ policy: by.policy, policyLabel: labelOf(by), refusal: d.refusal! });
  if (servedMethods.length > 0) {
    const unserved = `no handler serves ${escapeForLog(method)} on this path (its handlers serve ${servedMethods.join(', ')})`;
    return `CORS refused ${what}: ${unserved}, ${by.source === 'none' ? 'and the path matches no resources entry' : `so ${labelOf(by)} applies: ${reason}`}`;
  }
  return `CORS refused ${what}: ${reason}${several}`;
}

/** One refused request to a gateway's socket server (README "WebSockets"), for explain mode. */
export interface GatewayRefusal {
  readonly kind: 'upgrade' | 'polling' | 'preflight';
  /** 403 for a refused Origin; 204 for a preflight from an allowed one that lacks what it asked for. */
  readonly status: 403 | 204;
  readonly transport: 'socket.io' | 'ws';
  readonly method: string;
  readonly path: string;
  readonly origin: string;
  /** The gateway (or gateways sharing the server) whose policy refused. */
  readonly policyLabel: string;
  readonly policy: CorsPolicy;
  readonly refusal: Refusal;
}

const GATEWAY_REQUEST: Readonly<Record<GatewayRefusal['kind'], string>> = {
  upgrade: 'WebSocket upgrade',
  polling: 'socket.io polling request',
  preflight: 'preflight for socket.io polling request',
};

/** One line per refused gateway request: what, which gateway, the answer and the exact reason. */
export function formatGatewayRefusal(r: GatewayRefusal): string {
  const answer = r.status === 403 ? ' (403)' : '';
  const what = `${GATEWAY_REQUEST[r.kind]} ${escapeForLog(r.method)} ${escapeForLog(r.path)} to ${r.policyLabel}`;
  return `CORS refused ${what} from ${escapeForLog(r.origin)}${answer}: ${describeRefusal(r)}`;
}
