// What served a response, learned from the response alone: a handler that signed it (Nest
// controller method, foreign route or function, static file), Nest's or Express's 404, a
// router that refused the target, the Nest middleware that answers by itself. Then the path a
// `resources` entry is chosen on (SPEC §3 rule 6: the route's own spelling of its static
// segments with the request's parameter values, as the router reported both) and the policy
// that must govern the response.
import { posix } from 'node:path';
import { DENIED_BY, FASTIFY_ROUTE, ROUTE_INFO, SERVED_BY, rewritten, type RouteInfo } from './app.js';
import { renderPath, type AppConfig, type ControllerConfig, type ForeignRoute, type HandlerConfig, type Mount } from './config.js';
import { decoratedPolicy, resourcePolicy, type Governing } from './oracle.js';
import { decodePath, fillPattern, removeDotSegments, targetPath } from './paths.js';
import type { RawResponse } from '../raw-http.js';

type RouterMount = Extract<Mount, { kind: 'router' }>;
type StaticMount = Extract<Mount, { kind: 'static' }>;

export type Served =
  | { readonly kind: 'nest'; readonly controller: ControllerConfig; readonly handler: HandlerConfig; readonly info: RouteInfo }
  | { readonly kind: 'route'; readonly mount: RouterMount; readonly route: ForeignRoute; readonly info: RouteInfo }
  | { readonly kind: 'fn'; readonly mount: Extract<Mount, { kind: 'fn' }>; readonly info: RouteInfo }
  | { readonly kind: 'static'; readonly mount: StaticMount; readonly file: string }
  /** Express's static files answering a directory with a redirect: which mount is learned by probing. */
  | { readonly kind: 'static-redirect' }
  /** Express's automatic answer to an OPTIONS whose path a router's route matches for other methods. */
  | { readonly kind: 'express-options'; readonly allow: readonly string[] }
  /** Fastify's static files answering with an error of their own (403 for a forbidden path). */
  | { readonly kind: 'static-error'; readonly mount: StaticMount; readonly info: RouteInfo }
  | { readonly kind: '404'; readonly by: 'Nest' | 'Express' }
  | { readonly kind: 'refused'; readonly by: string }
  | { readonly kind: 'denied' }
  | { readonly kind: 'reach'; readonly mount: StaticMount; readonly info: RouteInfo }
  /** Fastify's reach probe: the route the router matched for the target. */
  | { readonly kind: 'fastify-route'; readonly info: RouteInfo }
  | { readonly kind: 'unknown'; readonly why: string };

function routeInfo(res: RawResponse): RouteInfo {
  const raw = res.headers[ROUTE_INFO];
  if (typeof raw !== 'string') return {};
  try {
    return JSON.parse(decodeURIComponent(raw)) as RouteInfo;
  } catch {
    return {};
  }
}

function jsonBody(res: RawResponse): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(res.body) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const contentType = (res: RawResponse): string => String(res.headers['content-type'] ?? '');

/** Whether a Fastify route handler's name is @fastify/static's (`handler`, `bound handler` once Fastify binds it). */
export const isStaticHandler = (name: string | undefined): boolean => name === 'handler' || name === 'bound handler';

/** Names the handler or the framework part that wrote a response. */
export function identify(config: AppConfig, res: RawResponse, method: string): Served {
  const by = res.headers[SERVED_BY];
  if (typeof by === 'string') {
    const info = routeInfo(res);
    if (by === DENIED_BY) return { kind: 'denied' };
    if (by === 'reach:fastify') return { kind: 'fastify-route', info };
    if (by.startsWith('reach:')) {
      const mount = config.mounts.find((m): m is StaticMount => m.kind === 'static' && `reach:${m.id}` === by);
      if (mount) return { kind: 'reach', mount, info };
    }
    for (const controller of config.controllers) {
      const handler = controller.handlers.find((h) => h.id === by);
      if (handler) return { kind: 'nest', controller, handler, info };
    }
    for (const m of config.mounts) {
      if (m.kind === 'router') {
        const route = m.routes.find((r) => r.id === by);
        if (route) return { kind: 'route', mount: m, route, info };
      } else if (m.kind === 'fn' && m.id === by) return { kind: 'fn', mount: m, info };
      else if (m.kind === 'static' && m.id === by && info.f !== undefined) return { kind: 'static', mount: m, file: info.f };
    }
    return { kind: 'unknown', why: `unknown ${SERVED_BY}: ${by}` };
  }
  const head = method === 'HEAD';
  const body = jsonBody(res);
  if (res.status === 404) {
    if (body ? body.statusCode === 404 && body.error === 'Not Found' && String(body.message).startsWith('Cannot ') : head && contentType(res).startsWith('application/json')) {
      return { kind: '404', by: 'Nest' };
    }
    // Express's final handler (a path no layer answered, e.g. the bare global prefix).
    if (contentType(res).startsWith('text/html') && /default-src 'none'/.test(String(res.headers['content-security-policy'] ?? ''))) return { kind: '404', by: 'Express' };
  }
  if (config.adapter === 'Fastify') {
    const route = res.headers[FASTIFY_ROUTE];
    if (typeof route === 'string' && (method === 'GET' || method === 'HEAD')) {
      // @fastify/static's wildcard route (its handler is `handler`, bound by Fastify; a Nest route of the same pattern is `Class.method`).
      const space = route.indexOf(' ');
      const url = route.slice(0, space);
      const name = route.slice(space + 1);
      const mount = isStaticHandler(name) ? config.mounts.find((m): m is StaticMount => m.kind === 'static' && `${m.prefix ?? ''}/*` === url) : undefined;
      if (mount) return { kind: 'static-error', mount, info: routeInfo(res) };
    }
    if ((res.status === 400 || res.status === 414) && route === undefined) {
      if (body ? /FST_ERR_BAD_URL|FST_ERR_MAX_PARAM_LENGTH|not a valid url component|exceeds the max param length/i.test(res.body) : head) {
        return { kind: 'refused', by: `Fastify's router (${res.status})` };
      }
    }
  } else {
    if (res.status === 400 && (body ? /Failed to decode param/.test(String(body.message)) : head)) return { kind: 'refused', by: "Express's router (a parameter that does not decode)" };
    const allow = res.headers.allow;
    if (method === 'OPTIONS' && res.status === 200 && typeof allow === 'string' && res.body === allow) return { kind: 'express-options', allow: allow.split(',').map((m) => m.trim()) };
    if (res.status === 301 && /Redirecting to/.test(res.body) && typeof res.headers.location === 'string') return { kind: 'static-redirect' };
    if (res.status === 301 && head && typeof res.headers.location === 'string') return { kind: 'static-redirect' };
  }
  return { kind: 'unknown', why: `status ${res.status}, body ${JSON.stringify(res.body.slice(0, 160))}` };
}

/** The mounted path of an Express mount with the rest of the path after it; the bare mount has no trailing slash. */
export function underMount(at: string | null, rest: string): string {
  if (!at || at === '/') return rest;
  return rest === '/' || rest === '' ? at : `${at}${rest}`;
}

/**
 * The URL the router reads after the app's rewrites: Fastify's `rewriteUrl` and a rewriting
 * `app.use` replace it; a rewriting Nest middleware (mounted by Nest at `/{*path}`, so it sees
 * `req.url` as `/`) gets its new URL appended to the mounted path when Express's router
 * restores `req.url` after it; at the root (`nestBase` '', as the middleware reported), the new
 * URL alone; `null`: the response shows the middleware did not run. Rewrites read the URL as
 * received (origin form only).
 */
export function routedUrl(config: AppConfig, target: string, rewrites: boolean, nestBase?: string | null): string {
  if (!rewrites) return target;
  const fastifyRule = config.rewriteUrl;
  if (fastifyRule) return rewritten(target, fastifyRule) ?? target;
  const useRule = config.mounts.find((m) => m.kind === 'rewrite');
  let url = useRule ? (rewritten(target, useRule) ?? target) : target;
  const nestRule = config.nestMiddleware.rewrite;
  const nest = nestRule ? rewritten(target, nestRule) : null;
  // Where the middleware said it ran at the root (REWRITE_BASE ''), nothing is put back before.
  if (nest !== null && nestBase !== null) url = nestBase === '' ? nest : `${targetPath(url)}${nest}`;
  return url;
}

/**
 * The path the 404 `resources` entry is chosen on: the request's whole path (global prefix
 * included) as the router reads it, percent-decoded, dot segments resolved. Fastify's router
 * folds duplicate slashes, a trailing slash and `;…` when told to. Letter case is kept: no
 * route gives a spelling to fold to.
 */
export function path404(config: AppConfig, url: string): string {
  let path = targetPath(url);
  if (path === '*') return '*';
  const f = config.fastify;
  if (f) {
    if (f.ignoreDuplicateSlashes) path = path.replace(/\/\/+/g, '/');
    if (f.useSemicolonDelimiter) path = path.split(';')[0];
    if (f.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  }
  return removeDotSegments(decodePath(path));
}

/** The path and policy of a signed handler (rule 1, else rule 2 on the route's path). */
export function servedPolicy(config: AppConfig, served: Served): Governing | { error: string } {
  switch (served.kind) {
    case 'nest': {
      const decorated = decoratedPolicy(config, served.controller, served.handler);
      if (decorated) return { policy: decorated.policy, label: `${served.handler.id}: ${decorated.label}` };
      const filled = served.info.r === undefined ? null : fillPattern(served.info.r, served.info.p ?? {});
      if (filled === null) return { error: `${served.handler.id} reported route ${JSON.stringify(served.info.r)} with ${JSON.stringify(served.info.p)}` };
      const own = `/${renderPath([...served.controller.path, ...served.handler.path], config.adapter)}`.replace(/\/$/, '');
      if (!served.info.r!.replace(/\/$/, '').endsWith(own)) return { error: `${served.handler.id} reported route ${served.info.r}, not ending in ${own}` };
      const g = resourcePolicy(config, removeDotSegments(filled));
      return { policy: g.policy, label: `undecorated ${served.handler.id} (route ${served.info.r}): ${g.label}` };
    }
    case 'route': {
      const filled = served.info.r === undefined ? null : fillPattern(served.info.r, served.info.p ?? {});
      if (filled === null) return { error: `${served.route.id} reported route ${JSON.stringify(served.info.r)} with ${JSON.stringify(served.info.p)}` };
      // Fastify reports the full URL (plugin prefix included); an Express router the route under its mount.
      const path = config.adapter === 'Express' ? underMount(served.mount.at, filled) : filled;
      const g = resourcePolicy(config, removeDotSegments(path));
      return { policy: g.policy, label: `foreign ${served.route.id} (${config.adapter === 'Express' ? `router at ${served.mount.at ?? '/'}, ` : ''}route ${served.info.r}): ${g.label}` };
    }
    case 'fn': {
      const rest = decodePath(targetPath(served.info.u ?? '/'));
      const g = resourcePolicy(config, removeDotSegments(underMount(served.mount.at, rest)));
      return { policy: g.policy, label: `foreign ${served.mount.id} (app.use('${served.mount.at}', fn)): ${g.label}` };
    }
    case 'static': {
      const g = resourcePolicy(config, `${served.mount.prefix ?? ''}/${served.file}`);
      return { policy: g.policy, label: `static ${served.mount.id} file ${served.file}: ${g.label}` };
    }
    default:
      return { error: `no policy for ${served.kind}` };
  }
}

/**
 * A static mount's candidate policy from what its reach probe saw: the rest of the URL under
 * the mount (Express, as received) or the wildcard parameter (Fastify, already decoded).
 */
export function staticPolicy(config: AppConfig, mount: StaticMount, rest: string, decoded = false): Governing {
  // Fastify's static route is `<prefix>/*`: its own spelling with the wildcard's value, so an
  // empty one is `<prefix>/`. Express strips the mount and reads "/" as the mount itself; under
  // it, serve-static (send) reads the decoded path through Node's path.normalize, so a
  // directory named `dir/.` (answered with a redirect) is `dir`, with no slash.
  const path = decoded ? removeDotSegments(`${mount.prefix ?? ''}${rest}`) : underMount(mount.prefix, posix.normalize(decodePath(targetPath(rest))));
  const g = resourcePolicy(config, path);
  return { policy: g.policy, label: `static ${mount.id} (${mount.prefix ?? 'no prefix'}) may serve it: ${g.label}` };
}
