// The oracle of the differential test, written from SPEC §3 without calling the library:
// given which handler served a response (it names itself) or that none did, the policy that
// must have been applied, and the ACAO that policy gives the Origin sent.
import {
  originOf,
  routeViews,
  type AdapterName,
  type ControllerSpec,
  type HandlerSpec,
  type RouteSet,
  type RouteView,
  type Segment,
} from './route-sets.js';

/** A policy as the test sees it: the one origin it admits, or `null` for no CORS at all. */
export interface PolicyView {
  readonly origin: string | null;
  /** Where the policy comes from, for failure messages. */
  readonly label: string;
}

/**
 * The path a router matches: the absolute form's scheme and authority dropped, the query and
 * the fragment cut off. Express (parseurl) and Fastify (find-my-way) both read targets so;
 * the scratch runs this test was built from confirmed it for "#…" and "HTTP://HOST/…".
 */
export function routedPath(target: string): string {
  let path = target;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(path);
  if (absolute) {
    path = path.slice(absolute[0].length);
    if (!path.startsWith('/')) path = `/${path}`;
  }
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/**
 * The path `resources` are matched on (SPEC §3 rule 4): percent-decoded once, `+` kept; when
 * an escape is malformed, the ASCII escapes are still decoded (advisories.e2e-spec: a stray
 * "%zz" must not hide "%2e%2e"); then dot segments removed as RFC 3986 §5.2.4 says.
 * Written again here on purpose rather than imported from lib/core: the oracle must not call
 * the code it judges.
 */
export function resourcePath(path: string): string {
  let decoded = path;
  if (decoded.includes('%')) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      decoded = path.replace(/%([0-7][0-9a-fA-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
  }
  return removeDotSegments(decoded);
}

/** RFC 3986 §5.2.4, step by step on an input buffer and an output buffer. */
function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../') || input === '/..') {
      input = `/${input.slice(input === '/..' ? 3 : 4)}`;
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', 1);
      const end = next === -1 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

/**
 * The `resources` entry for a path: literal keys before patterns, then more segments, then
 * longer keys (SPEC §3 rule 4); case-sensitive. The generator only writes "/x", "/x/*" and "/*".
 */
export function resourcePolicy(rs: RouteSet, path: string): PolicyView {
  const ranked = [...rs.resources].sort(
    ([a], [b]) => Number(!b.includes('*')) - Number(!a.includes('*')) || b.split('/').length - a.split('/').length || b.length - a.length,
  );
  for (const [pattern, origin] of ranked) {
    const hit = pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
    if (hit) return { origin, label: `resources['${pattern}'] for path '${path}'` };
  }
  return { origin: null, label: `no resources entry for path '${path}'` };
}

/** Whether the adapter's router matches paths case-insensitively by default (Express does). */
const CASE_INSENSITIVE: Record<AdapterName, boolean> = { Express: true, Fastify: false };

/**
 * The `resources` policy of a route no decorator governs (an undecorated Nest route, or a
 * handler no Nest controller registered, SPEC §3 rules 2 and 6). A static route is matched by
 * its own path, so a case-insensitive router cannot hand "/NS0" a less specific pattern's
 * policy (CVE-2024-6866); any other route by the request path, with the leading static
 * segments spelled as the route spells them on a case-insensitive router.
 */
export function routeResourcePolicy(rs: RouteSet, segments: readonly Segment[], prefixOnly: boolean, target: string): PolicyView {
  if (!prefixOnly && segments.every((s) => s.kind === 'static')) {
    return resourcePolicy(rs, resourcePath(`/${segments.map((s) => (s as { text: string }).text).join('/')}`));
  }
  let path = routedPath(target);
  if (CASE_INSENSITIVE[rs.adapter]) {
    const lead: string[] = [];
    for (const s of segments) {
      if (s.kind !== 'static') break;
      lead.push(s.text);
    }
    const parts = path.split('/');
    path = parts.length - 1 < lead.length ? `/${lead.join('/')}` : ['', ...lead, ...parts.slice(lead.length + 1)].join('/');
  }
  return resourcePolicy(rs, resourcePath(path));
}

/** The route of a handler that served `target`: under URI versioning, the version in the path. */
function servingView(rs: RouteSet, controller: ControllerSpec, handler: HandlerSpec, target: string): RouteView {
  const views = routeViews(rs.versioning, controller.version, [...controller.segments, ...handler.segments]);
  if (views.length === 1) return views[0];
  const first = routedPath(target).split('/')[1]?.toLowerCase();
  return views.find((v) => v.segments[0].kind === 'static' && v.segments[0].text === first) ?? views[0];
}

/** SPEC §3 rule 1: handler `@CrossOrigin` over the controller's; `false` turns CORS off. */
export function handlerPolicy(rs: RouteSet, controller: ControllerSpec, handler: HandlerSpec, target: string): PolicyView {
  if (handler.cors === 'own') return { origin: originOf(handler.id), label: `${handler.id}'s @CrossOrigin` };
  if (handler.cors === 'off') return { origin: null, label: `${handler.id}'s @CrossOrigin(false)` };
  if (controller.cors === 'own') return { origin: originOf(controller.id), label: `${controller.id}'s @CrossOrigin (controller of ${handler.id})` };
  if (controller.cors === 'off') return { origin: null, label: `${controller.id}'s @CrossOrigin(false) (controller of ${handler.id})` };
  const view = servingView(rs, controller, handler, target);
  const policy = routeResourcePolicy(rs, view.segments, false, target);
  return { origin: policy.origin, label: `undecorated ${handler.id}: ${policy.label}` };
}

/**
 * The policy that must govern a response, from what served it (SPEC §3 rules 2, 3, 6): the
 * Nest handler that names itself, a foreign handler (`foreign:x0`), or none (a 404, or a
 * target the router refused) and then the `resources` entry of the path.
 */
export function servedPolicy(rs: RouteSet, servedBy: string | undefined, target: string): PolicyView {
  if (servedBy === undefined) {
    const policy = resourcePolicy(rs, resourcePath(routedPath(target)));
    return { origin: policy.origin, label: `no handler: ${policy.label}` };
  }
  if (servedBy.startsWith('foreign:')) {
    const f = rs.foreign.find((x) => `foreign:${x.name}` === servedBy);
    if (!f) throw new Error(`unknown foreign handler ${servedBy}`);
    const policy = routeResourcePolicy(rs, f.segments, f.kind === 'mount', target);
    return { origin: policy.origin, label: `${servedBy}: ${policy.label}` };
  }
  for (const controller of rs.controllers) {
    const handler = controller.handlers.find((h) => h.id === servedBy);
    if (handler) return handlerPolicy(rs, controller, handler, target);
  }
  throw new Error(`unknown handler ${servedBy}`);
}

/** The policy of the set that admits `origin` (each admits one origin of its own), for messages. */
export function policyAdmitting(rs: RouteSet, origin: string): string {
  for (const c of rs.controllers) {
    if (c.cors === 'own' && originOf(c.id) === origin) return `${c.id}'s @CrossOrigin (controller)`;
    for (const h of c.handlers) if (h.cors === 'own' && originOf(h.id) === origin) return `${h.id}'s @CrossOrigin`;
  }
  const resource = rs.resources.find(([, o]) => o === origin);
  return resource ? `resources['${resource[0]}']` : `none of the set's (ACAO ${JSON.stringify(origin)})`;
}

/**
 * The ACAO an actual request must get (SPEC §4): the Origin when the policy admits it; with
 * no Origin, the policy's single static origin (`alwaysSend`); else none.
 */
export function expectedActualAcao(policy: PolicyView, origin: string | undefined): string | undefined {
  if (policy.origin === null) return undefined;
  if (origin === undefined) return policy.origin;
  return origin.toLowerCase() === policy.origin ? origin : undefined;
}

/**
 * The ACAO a preflight must get: the Origin only when every candidate handler for
 * (ACRM, target) admits it (SPEC §3 rules 5 and 7; one candidate without header versions).
 */
export function expectedPreflightAcao(candidates: readonly PolicyView[], origin: string): string | undefined {
  return candidates.length > 0 && candidates.every((p) => p.origin !== null && origin.toLowerCase() === p.origin) ? origin : undefined;
}
