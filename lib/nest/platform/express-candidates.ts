// Express: the candidate whose policy applies for each thing Express's router dispatches to,
// for a preflight (what the router index says a request may reach) and for an actual response
// (what served it). One reading of each kind for both, so they never disagree.
import type { ServerResponse } from 'node:http';
import type { Candidate } from '../../core/index.js';
import type { CorsState } from '../route-state.js';
import { staticFilePath } from './express-internals.js';
import { mountPath, routeTokens, type ExpressRequest } from './express-paths.js';
import type { Found, Served } from './express-router-index.js';

/**
 * What static files mounted on `prefix` serve for `mounted` (the path with the mount's own
 * spelling), on the actual request and its preflight alike: the file serve-static reads,
 * decoded and normalised as it does (`dir/.` is `dir`), after the mount (a bare "/" after the
 * mount, as written or once normalised, is the mount itself). `undefined` when the rest cannot
 * be decoded.
 */
function staticCandidate(state: CorsState, prefix: string | null, mounted: string): Candidate | undefined {
  if (prefix === null) return undefined;
  const rest = mounted.slice(prefix.length);
  if (rest === '') return prefix ? state.onServedPath(prefix) : undefined;
  const file = staticFilePath(rest);
  if (file === null) return undefined;
  // `/x/..` under the mount reads the mount's own directory, as "/" does.
  return state.onServedPath(file === '/' && prefix ? prefix : prefix + file);
}

/** The candidate of a handler the router index found for a preflight's `path`. */
export function candidateOf(state: CorsState, f: Found, path: string): Candidate {
  const s = f.served;
  switch (s.kind) {
    case 'nest': return state.target(s.ref, f.params as never);
    case 'route': return s.tokens !== null ? state.foreignRoute(s.tokens, f.params as never, s.prefix) : state.onRequestPath(path);
    case 'mount': {
      const mounted = mountPath(s.prefix, path, f.matched.length);
      return (f.staticFiles && staticCandidate(state, s.prefix, mounted)) || state.onRequestPath(mounted);
    }
    default: return (f.staticFiles && staticCandidate(state, '', path)) || state.onRequestPath(path);
  }
}

/**
 * The handler whose policy an actual response gets: `s`, the one Express last dispatched
 * it to (`routeBefore`: `req.route` when a router was dispatched to). `null` for a response
 * written before any handler ran: it gets every handler it may have reached (the caller asks
 * the router index, as for a preflight).
 */
export function servedBy(state: CorsState, s: Served | undefined, routeBefore: unknown, req: ExpressRequest, res: ServerResponse, path: string): Candidate | null {
  switch (s?.kind) {
    case 'nest': return state.target(s.ref, req.params as never);
    case 'route': return s.tokens !== null ? state.foreignRoute(s.tokens, req.params as never) : state.onRequestPath(path);
    case 'mount':
    case 'root': {
      // A route of a router (Express set req.route since the router was dispatched to): its
      // own spelling, after the mount's.
      const route = s.router && req.route !== routeBefore ? req.route : undefined;
      const tokens = typeof route?.path === 'string' ? routeTokens(route.path) : null;
      if (tokens !== null) {
        const mount = s.kind === 'root' ? '' : s.prefix;
        if (mount !== null) return state.foreignRoute(tokens, req.params as never, mount + (req.baseUrl ?? '').slice(mount.length));
      }
      // A router's automatic answer to an OPTIONS none of its routes handles (it lists their
      // methods in Allow): no handler ran, the method is unrouted, as at the app's own end.
      if (s.router && route === undefined && req.method === 'OPTIONS' && res.hasHeader('allow')) return state.onRequestPath(path);
      const mounted = s.kind === 'mount' ? mountPath(s.prefix, path, s.prefix?.length ?? 0) : path;
      return (s.staticFiles && staticCandidate(state, s.kind === 'mount' ? s.prefix : '', mounted)) || state.onRequestPath(mounted);
    }
    case 'not-found': return state.onRequestPath(path);
    // Written by Nest middleware or a parser error before any handler ran.
    default: return null;
  }
}
