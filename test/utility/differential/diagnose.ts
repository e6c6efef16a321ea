// Names the likely cause of a mismatch, for the summary's grouping: the response is compared
// with what other readings of the request would have produced (the path without the global
// prefix, before a rewrite, without the router's folding, the policy of a handler that did not
// serve, one preflight candidate alone). Every policy source admits an origin of its own, so a
// response usually fits one reading only. Diagnosis never decides pass or fail.
import { allHandlers, type AppConfig } from './config.js';
import { decoratedPolicy, expectActual, expectPreflight, merge, resourcePolicy, type Policy } from './oracle.js';
import { decodePath, removeDotSegments, targetPath } from './paths.js';
import { path404, routedUrl } from './served.js';
import { variations } from './targets.js';
import type { RawResponse } from '../raw-http.js';

export interface Reading {
  /** Generic, for grouping. */
  readonly cause: string;
  /** Specific, for the message. */
  readonly detail: string;
  readonly policy: Policy | null;
}

/** Other readings of the request's path, each with the `resources` policy it selects. */
function pathReadings(config: AppConfig, target: string, rewrites: boolean): Reading[] {
  const out: Reading[] = [];
  const add = (cause: string, path: string) => {
    const g = resourcePolicy(config, path);
    out.push({ cause, detail: `${cause}: ${g.label}`, policy: g.policy });
  };
  const raw = targetPath(target);
  if (raw === '*') {
    out.push({ cause: "the asterisk form given forRoot's top-level policy", detail: 'the asterisk form given the top-level policy', policy: merge(config.cors.top) });
    add("the asterisk form read as '/'", '/');
    return out;
  }
  const routed = targetPath(routedUrl(config, target, rewrites));
  if (routed !== raw) add('the path before the rewrite', removeDotSegments(decodePath(raw)));
  if (target.includes('#') && config.adapter === 'Express') add("the path Express's router restores with a slash before the fragment", `${removeDotSegments(decodePath(routed))}/`);
  for (const m of config.mounts) {
    const at = m.kind === 'static' ? m.prefix : m.kind === 'fn' || m.kind === 'router' ? m.at : null;
    if (!at) continue;
    const lower = routed.toLowerCase();
    // The bare mount with the request's trailing slash kept (the oracle folds it away, as rule 6 folds `/items/`).
    if (lower === `${at.toLowerCase()}/`) add("the bare mount's path with the request's trailing slash", `${at}/`);
    else if (m.kind === 'static' && lower.startsWith(`${at.toLowerCase()}/`)) add("a static mount's own spelling of the path", removeDotSegments(decodePath(`${at}${routed.slice(at.length)}`)));
  }
  add("the request's own path (case, duplicate or trailing slashes, ; as sent)", removeDotSegments(decodePath(routed)));
  if (config.prefix && /^\/api(\/|$)/i.test(routed)) {
    add('the path without the global prefix', removeDotSegments(decodePath(routed.slice(4) || '/')));
    add("the global prefix spelled as registered (Nest's 404 router under the prefix read as a route)", removeDotSegments(decodePath(`/api${routed.slice(4)}`)));
  }
  add('the request path not percent-decoded', removeDotSegments(routed));
  add('the request path with dot segments left in', decodePath(routed));
  add('the request path lower-cased', path404(config, routedUrl(config, target, rewrites)).toLowerCase());
  return out;
}

/** The decorated policies of the app's Nest handlers, each a reading "the policy of a handler that did not serve". */
function handlerReadings(config: AppConfig, except?: string): Reading[] {
  const out: Reading[] = [];
  for (const { controller, handler } of allHandlers(config)) {
    if (handler.id === except) continue;
    const g = decoratedPolicy(config, controller, handler);
    if (g) out.push({ cause: 'the policy of a Nest handler that did not serve', detail: `the policy of ${handler.id} (${g.label}), which did not serve`, policy: g.policy });
  }
  return out;
}

/**
 * A trait of the request that explains a whole family of mismatches, put before the cause.
 * Express's router (router 2.3) gives `req.url` back with a slash before a fragment after a
 * mounted layer whose path is the whole path (Nest's middleware, a mounted router, function or
 * static directory): under strict routing the route the target names then no longer matches,
 * and without it a wildcard parameter gains an empty last segment (`/legacy/`).
 */
function trait(config: AppConfig, target: string): string {
  if (target === '*') return 'the asterisk form: ';
  return fragmentQuirk(config, target) ? `${FRAGMENT_QUIRK} (Express adds a slash before it after a mounted layer): ` : '';
}

/** The words the fragment trait starts with (the checker counts such mismatches as a documented limit). */
export const FRAGMENT_QUIRK = 'a fragment after a mounted path';

function fragmentQuirk(config: AppConfig, target: string): boolean {
  if (config.adapter !== 'Express') return false;
  const rest = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const hash = rest.indexOf('#');
  // After a query, Express's router takes the slash away again ("/?…" is the mount's root).
  if (hash === -1 || rest.lastIndexOf('?', hash) !== -1) return false;
  const strict = config.express && config.express.how !== 'default' && config.express.how !== 'late' && config.express.strict;
  if (strict || config.nestMiddleware.deny || config.nestMiddleware.rewrite) return true;
  const path = targetPath(target).toLowerCase();
  return config.mounts.some((m) => {
    const at = m.kind === 'static' ? m.prefix : m.kind === 'router' || m.kind === 'fn' ? m.at : null;
    return !!at && at !== '/' && at.toLowerCase() === path;
  });
}

const withTrait = (config: AppConfig, target: string, r: Reading | undefined): Reading | undefined => {
  const t = trait(config, target);
  if (!t) return r;
  return r ? { ...r, cause: `${t}${r.cause}` } : { cause: `${t}unexplained`, detail: 'no other reading explains the response', policy: null };
};

/** Readings whose policy lists the origin by name first: an echoed origin names its policy better than `*` does. */
function namingFirst(readings: readonly Reading[], origin: string | undefined): Reading[] {
  const names = (r: Reading) => origin !== undefined && r.policy !== null && r.policy.origins !== '*' && r.policy.origins.includes(origin.toLowerCase());
  return [...readings.filter(names), ...readings.filter((r) => !names(r))];
}

/** The first reading that explains an actual request's response. */
export function diagnoseActual(config: AppConfig, target: string, rewrites: boolean, origin: string | undefined, res: RawResponse, servedId?: string, route?: string): Reading | undefined {
  const fits = (p: Policy | null) => fitsActual(p, origin, res);
  const readings = [...pathReadings(config, target, rewrites), ...handlerReadings(config, servedId)];
  if (route) {
    // The route's leading static segments, then the request's own spelling: what a reader
    // that folds only the route's prefix gets.
    const request = path404(config, routedUrl(config, target, rewrites)).split('/');
    const own = route.split('/');
    let i = 0;
    while (i < own.length && i < request.length && !/[:*{]/.test(own[i])) i++;
    const g = resourcePolicy(config, [...own.slice(0, i), ...request.slice(i)].join('/'));
    readings.unshift({ cause: "the route's leading static segments, then the request's own spelling", detail: `the route's leading static segments, then the request's spelling: ${g.label}`, policy: g.policy });
  }
  readings.push({ cause: 'no CORS at all', detail: 'no CORS at all', policy: null });
  return withTrait(config, target, namingFirst(readings, origin).find((r) => fits(r.policy)));
}

function fitsActual(p: Policy | null, origin: string | undefined, res: RawResponse): boolean {
  const e = expectActual(p, origin);
  const vary = String(res.headers.vary ?? '').toLowerCase().split(',').map((v) => v.trim()).includes('origin');
  return res.acao[0] === e.acao && (res.headers['access-control-allow-credentials'] === 'true') === e.credentials && (!e.varyOrigin || vary) && (e.varyOrigin || p !== null || !vary);
}

/** The first reading that explains a preflight's response: one candidate alone, a handler that does not serve, another path. */
export function diagnosePreflight(
  config: AppConfig,
  target: string,
  rewrites: boolean,
  candidates: readonly { policy: Policy | null; via: string }[],
  origin: string,
  method: string,
  headers: readonly string[],
  fits: (expected: ReturnType<typeof expectPreflight>) => boolean,
): Reading | undefined {
  const readings: Reading[] = [];
  const notFound = resourcePolicy(config, path404(config, routedUrl(config, target, rewrites)));
  const real = candidates.filter((c) => !c.via.startsWith('no handler'));
  const versioned = variations(config).length > 1;
  const alone: Reading = { cause: 'the 404 policy alone, as if no handler served', detail: `the 404 policy alone: ${notFound.label}`, policy: notFound.policy };
  if (real.length > 0 && versioned) {
    readings.push({ cause: "Nest's 404 counted as a candidate (a variation no handler serves)", detail: `the candidates and the 404 policy (${notFound.label})`, policy: null, ...{ rest: [...candidates, { policy: notFound.policy, via: '404' }] } });
    readings.push(alone);
  }
  if (candidates.length > 1) {
    candidates.forEach((c, i) => readings.push({ cause: 'only one of the candidates', detail: `only candidate ${i + 1} (${c.via})`, policy: c.policy }));
    candidates.forEach((c, i) => {
      const rest = candidates.filter((_, j) => j !== i);
      if (rest.length > 1) readings.push({ cause: 'all candidates but one', detail: `all candidates but ${i + 1} (${c.via})`, policy: null, ...{ rest } });
    });
  }
  // Without versions, reading a preflight as a 404 is reading its path: the path readings name it better.
  readings.push(...namingFirst([...pathReadings(config, target, rewrites), ...(real.length > 0 && !versioned ? [alone] : []), ...handlerReadings(config)], origin));
  readings.push({ cause: 'no CORS at all', detail: 'no CORS at all', policy: null });
  return withTrait(
    config,
    target,
    readings.find((r) => {
      const rest = (r as Reading & { rest?: typeof candidates }).rest;
      return fits(expectPreflight(rest ? rest.map((c) => c.policy) : [r.policy], origin, method, headers));
    }),
  );
}
