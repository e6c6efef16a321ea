import type { CorsPolicy, OptionSource, Refusal, RootLabel } from '../core/index.js';
import type { CorsRefusal } from './cors-engine.js';

const MAX_LOGGED_LENGTH = 200;

/**
 * Makes a request-supplied value safe for a log line (CVE-2024-1681): control characters,
 * CR and LF included, become visible escapes, and the value is cut to a bounded length.
 */
export function escapeForLog(value: string): string {
  const cut = value.length > MAX_LOGGED_LENGTH ? `${value.slice(0, MAX_LOGGED_LENGTH)}…` : value;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/g, (ch) => {
    if (ch === '\\') return '\\\\';
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

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

/** Why a decision was refused, naming the policy and where its option was written. */
function describeRefusal(r: Pick<CorsRefusal, 'policy' | 'policyLabel' | 'refusal'>): string {
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

/** One line per refused decision: what, where, and the exact reason. */
export function formatRefusal(r: CorsRefusal): string {
  const what = `${r.preflight ? 'preflight for ' : ''}${escapeForLog(r.method)} ${escapeForLog(r.path)} from ${escapeForLog(r.origin)}`;
  return `CORS refused ${what}: ${describeRefusal(r)}`;
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
