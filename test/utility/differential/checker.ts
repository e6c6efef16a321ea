// Sends one app's requests and checks each response against the oracle. An actual request is
// checked against the policy of the handler that served it (learned from the response); a
// preflight against every handler its actual request may reach, found by sending that actual
// request under each variation the preflight cannot carry (SPEC §3 rules 5-7). Probes that an
// app answers only because the test instruments it (static mounts on Express) are sent but
// never checked or counted as requests.
import { appendFileSync } from 'node:fs';
import { DENY, NO_REWRITE, PROBE_REACH, REWRITE_BASE, SKIP_STATIC, rewritten, type RouteInfo } from './app.js';
import { SHARED_ORIGIN, describeConfig, type AppConfig } from './config.js';
import { admitsOrigin, expectActual, expectActualOfAll, expectPreflight, policyText, resourcePolicy, type Governing, type Policy } from './oracle.js';
import { FRAGMENT_QUIRK, diagnoseActual, diagnosePreflight } from './diagnose.js';
import { identify, isStaticHandler, path404, routedUrl, servedPolicy, staticPolicy, type Served } from './served.js';
import { oddities, policyOrigins, variations, type ConcreteRequest } from './targets.js';
import { ACAC, compare, corsHeadersText, expectedText, rawText } from './compare.js';
import type { RawClient, RawRequest, RawResponse } from '../raw-http.js';


export interface Mismatch {
  /** The class mismatches are grouped by in the summary. */
  readonly kind: string;
  readonly text: string;
}

/** The class of what served, for coverage and grouping. */
function servedClass(s: Served, g?: Governing): string {
  switch (s.kind) {
    case 'nest':
      return g?.label.startsWith('undecorated') ? 'undecorated Nest handler' : 'decorated Nest handler';
    case 'route':
      return 'foreign route';
    case 'fn':
      return "foreign app.use('/x', fn)";
    case 'static':
      return 'static file';
    case 'static-redirect':
      return 'static directory redirect';
    case 'express-options':
      return "Express's automatic OPTIONS answer";
    case 'static-error':
      return "static files' own error";
    case '404':
      return `${s.by}'s 404`;
    case 'refused':
      return 'target refused by the router';
    case 'denied':
      return 'Nest middleware response';
    case 'reach':
    case 'fastify-route':
      return 'reach probe';
    case 'unknown':
      return 'unidentified response';
  }
}

type StaticMount = Extract<AppConfig['mounts'][number], { kind: 'static' }>;
/** A handler a request may reach, and how the test learnt it. */
interface Candidate {
  readonly policy: Policy | null;
  readonly via: string;
}
interface Reached {
  readonly mount: StaticMount;
  readonly info: RouteInfo;
  /** Fastify reports the wildcard parameter decoded; Express the rest of the URL as received. */
  readonly decoded: boolean;
}

interface Observed {
  readonly res: RawResponse;
  readonly served: Served;
  /** The governing policy; `lenient` for targets the router refused. */
  readonly governing: Governing | 'lenient' | undefined;
}

/** One app's worth of requests, with every check the oracle can make. */
export class Checker {
  requests = 0;
  probes = 0;
  readonly mismatches: Mismatch[] = [];
  /** Reported but not counted as mismatches: what the brief's leniencies cover. */
  readonly notes: Mismatch[] = [];
  readonly coverage = new Map<string, number>();
  private readonly described: string;
  private readonly expressRewrite: boolean;

  constructor(
    private readonly config: AppConfig,
    private readonly port: number,
    /** How to run this app alone again (DIFFERENTIAL_SEED and DIFFERENTIAL_APP). */
    private readonly name = '',
  ) {
    this.described = describeConfig(config);
    this.expressRewrite = config.adapter === 'Express' && (config.mounts.some((m) => m.kind === 'rewrite') || config.nestMiddleware.rewrite !== undefined);
  }

  count(what: string, n = 1): void {
    this.coverage.set(what, (this.coverage.get(what) ?? 0) + n);
  }

  private fail(kind: string, request: RawRequest, lines: string[], into = this.mismatches): void {
    // README "Known limits": under Express's strict routing, a target with a fragment (which
    // browsers never send) reaches another route after a mounted middleware, through a quirk
    // of Express's router; its preflight, and a middleware's response, were decided for the
    // route of the path as received.
    if (into === this.mismatches && kind.includes(FRAGMENT_QUIRK)) {
      kind = `documented limit: ${kind}`;
      into = this.notes;
    }
    if (kind.startsWith('documented limit: ')) into = this.notes;
    into.push({ kind, text: [`app ${this.name} (port ${this.port}):\n${this.described.replace(/^/gm, '    ')}`, `request:\n${rawText(request)}`, ...lines].join('\n') });
  }

  /** Who admits an ACAO value, for messages: every policy source has an origin of its own. */
  private originSource(origin: string | undefined): string {
    if (origin === undefined) return '';
    const m = /^https:\/\/([^.]+)\.test$/.exec(origin);
    return m ? ` (the origin of ${m[1]})` : '';
  }

  private async send(client: RawClient, request: RawRequest, checked: boolean): Promise<RawResponse | null> {
    if (checked) this.requests++;
    else this.probes++;
    try {
      const res = await client.send(request);
      if (res.status >= 500) this.fail(`${res.status} response`, request, [`response: ${corsHeadersText(res)}`, `body: ${res.body.slice(0, 300)}`]);
      else if (res.acao.length > 1) this.fail('more than one ACAO', request, [`response: ${corsHeadersText(res)}`]);
      else return res;
    } catch (error) {
      this.fail('no response', request, [`error: ${(error as Error).message}`]);
    }
    return null;
  }

  private headers(r: ConcreteRequest, variation: Readonly<Record<string, string>>, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { host: r.host, ...variation, ...extra };
    if (r.origin !== undefined) h.origin = r.origin;
    return h;
  }

  /**
   * The reach probes of static mounts: which mounts see the target, and the rest of the URL
   * they see (Express: one probe per mount; Fastify: the route the router matched).
   */
  private async reach(client: RawClient, r: ConcreteRequest, extra: Record<string, string>): Promise<Reached[]> {
    const out: Reached[] = [];
    if (this.config.adapter === 'Fastify') {
      // Versions are router constraints on Fastify: another route may win under some of them.
      for (const v of variations(this.config)) {
        const res = await this.send(client, { method: r.method, target: r.target, headers: this.headers(r, v, { ...extra, [PROBE_REACH]: '1' }) }, false);
        const s = res && identify(this.config, res, 'GET');
        if (!s || s.kind !== 'fastify-route') continue;
        const mount = isStaticHandler(s.info.h) ? this.config.mounts.find((m): m is StaticMount => m.kind === 'static' && `${m.prefix ?? ''}/*` === s.info.r) : undefined;
        const rest = s.info.p?.['*'];
        if (mount && typeof rest === 'string' && !out.some((o) => o.mount === mount)) out.push({ mount, info: { u: `/${rest}` }, decoded: true });
      }
      return out;
    }
    for (const m of this.config.mounts) {
      if (m.kind !== 'static') continue;
      const res = await this.send(client, { method: 'GET', target: r.target, headers: this.headers(r, {}, { ...extra, [PROBE_REACH]: m.id }) }, false);
      if (!res) continue;
      const s = identify(this.config, res, 'GET');
      if (s.kind === 'reach' && s.mount.id === m.id) out.push({ mount: m, info: s.info, decoded: false });
    }
    return out;
  }

  /** The path Nest's 404 is decided on, for this adapter and the rewrites the request went through. */
  private notFoundPath(target: string, rewrites: boolean, res?: RawResponse): string {
    // The rewriting middleware says on the response where it ran; a response without its word
    // was not rewritten (the middleware is not mounted where the request went).
    const base = res === undefined ? undefined : res.headers[REWRITE_BASE];
    return path404(this.config, routedUrl(this.config, target, rewrites, res === undefined ? undefined : typeof base === 'string' ? base : null));
  }

  /** The policy a served response must carry, learning what it needs by further requests. */
  private async govern(client: RawClient, request: RawRequest, res: RawResponse, served: Served, r: ConcreteRequest, rewrites: boolean): Promise<Governing | 'lenient' | undefined> {
    switch (served.kind) {
      case 'nest':
      case 'route':
      case 'fn':
      case 'static': {
        const g = servedPolicy(this.config, served);
        if ('error' in g) {
          this.fail('harness: a handler report that does not fit', request, [`response: ${corsHeadersText(res)}`, g.error]);
          return undefined;
        }
        return g;
      }
      case 'static-redirect': {
        const reached = await this.reach(client, r, rewrites ? {} : { [NO_REWRITE]: '1' });
        if (reached.length === 0) {
          this.fail('harness: a redirect no static mount explains', request, [`response: ${corsHeadersText(res)}`]);
          return undefined;
        }
        return staticPolicy(this.config, reached[0].mount, reached[0].info.u ?? '/');
      }
      case 'express-options':
        // Express's router answers an OPTIONS no route has a handler for with the methods of
        // the routes the path matches: no handler ran and the method is unrouted (rule 3).
        return resourcePolicy(this.config, this.notFoundPath(r.target, rewrites, res));
      case 'static-error': {
        const rest = served.info.p?.['*'];
        if (typeof rest !== 'string') {
          this.fail('harness: a static error without the route parameters', request, [`response: ${corsHeadersText(res)}`]);
          return undefined;
        }
        return staticPolicy(this.config, served.mount, `/${rest}`, true);
      }
      case '404':
        return resourcePolicy(this.config, this.notFoundPath(r.target, rewrites, res));
      case 'refused':
        return 'lenient';
      case 'denied':
      case 'reach':
      case 'fastify-route':
        return undefined;
      case 'unknown':
        this.fail('harness: unidentified response', request, [`response: ${corsHeadersText(res)}`, served.why]);
        return undefined;
    }
  }

  /**
   * Which spelling of the target alone makes the response wrong, for the class name: the same
   * request again (never counted) without the absolute form, then without the query; neither
   * changes which handler serves on either router. Returns the trigger's words, or ''.
   */
  private async trigger(client: RawClient, request: RawRequest, fits: (res: RawResponse) => boolean, sameServer: (res: RawResponse) => boolean): Promise<string> {
    const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(request.target);
    const variants: [string, string][] = [];
    if (absolute) variants.push(['the absolute form', request.target.slice(absolute[0].length) || '/']);
    if (/\?/.test(request.target.split('#')[0])) variants.push(['a query', request.target.replace(/\?[^#]*/, '')]);
    for (const [what, target] of variants) {
      const again = await this.send(client, { ...request, target: target.startsWith('/') ? target : `/${target}` }, false);
      if (again && sameServer(again) && fits(again)) return `${what}: `;
    }
    return '';
  }

  /**
   * Sends an actual request and checks it against the policy of what served it. `noRewrite`
   * keeps Express's rewriting middleware away (preflight probes: a preflight is decided on the
   * target as received).
   */
  async actual(client: RawClient, r: ConcreteRequest, variation: Readonly<Record<string, string>>, role = 'actual', noRewrite = false, twin = false): Promise<Observed | null> {
    const extra: Record<string, string> = {};
    if (noRewrite) extra[NO_REWRITE] = '1';
    if (r.deny) extra[DENY] = '1';
    let body: string | undefined;
    if (r.body !== 'none') {
      extra['content-type'] = 'application/json';
      body = r.body === 'json' ? '{"a":1}' : '{"a":';
    }
    const request: RawRequest = { method: r.method, target: r.target, headers: this.headers(r, variation, extra), ...(body !== undefined ? { body } : {}) };
    const res = await this.send(client, request, true);
    if (!res) return null;
    const served = identify(this.config, res, r.method);
    if (process.env.DIFFERENTIAL_TRACE) appendFileSync(process.env.DIFFERENTIAL_TRACE, `${this.config.adapter} ${r.method} ${r.target} → ${res.status} ${servedClass(served)}\n`);
    const rewrites = !noRewrite;

    // A response written before any route ran: learn the route from the same request without
    // its trigger (SPEC §3 rule 6; README, known limits), and check against that route.
    if (served.kind === 'denied' || (r.body === 'bad' && res.status === 400 && (served.kind === 'unknown' || served.kind === 'refused'))) {
      const what = served.kind === 'denied' ? 'Nest middleware response' : 'body parser response';
      this.count(`served: ${what}`);
      const plain: ConcreteRequest = { ...r, deny: false, body: r.body === 'bad' ? 'json' : r.body };
      const again = await this.actual(client, plain, variation, `${role} (without the trigger)`, noRewrite);
      if (!again || again.governing === undefined) return null;
      if (again.governing === 'lenient') return { res, served, governing: 'lenient' };
      let list: Candidate[] = [{ policy: again.governing.policy, via: `without the trigger, served by ${again.served.kind === 'nest' ? again.served.handler.id : servedClass(again.served)}: ${again.governing.label}` }];
      if (this.config.adapter === 'Express') {
        // Express writes it before routing: it gets only what every handler the request may
        // reach grants (every version, static files that may hold the file), as a preflight.
        const found = await this.candidatesOf(client, plain, noRewrite);
        if (!found) return null;
        if (found.refused) return { res, served, governing: 'lenient' };
        list = found.list;
        if (list.length > 1) this.count(`${what} with several candidates`);
      }
      const expected = expectActualOfAll(list.map((c) => c.policy), r.origin);
      const problems = compare(expected, res);
      if (problems.length > 0) {
        // README "Known limits": a response written before the rewriting Nest middleware ran
        // is decided on the URL as it then was; the rewrite it would have made never happened.
        const nestRule = this.config.nestMiddleware.rewrite;
        const unrewritten = !noRewrite && nestRule !== undefined && rewritten(r.target, nestRule) !== null;
        const reading = diagnoseActual(this.config, r.target, !noRewrite, r.origin, res);
        this.fail(`${unrewritten ? `documented limit: ${what} before the rewriting Nest middleware ran` : `${what}: ${reading?.cause ?? 'unexplained'}`}`, request, [
          `check: ${role}; ${problems.join('; ')}`,
          `likely cause: ${reading?.detail ?? 'no other reading explains the response'}`,
          `response: ${corsHeadersText(res)}${this.originSource(res.acao[0])}`,
          ...list.map((c) => `candidate: ${c.via}\n      → ${policyText(c.policy)}`),
          `expected: ${expectedText(expected)}`,
          `problems: ${problems.join('; ')}`,
        ]);
      }
      return { res, served, governing: again.governing };
    }

    const governing = await this.govern(client, request, res, served, r, rewrites);
    this.count(`served: ${servedClass(served, governing === 'lenient' ? undefined : governing)}`);
    if (governing === undefined) return null;
    if (served.kind !== '404' && served.kind !== 'refused') for (const odd of oddities(r.target)) this.count(`handler reached through ${odd}`);
    if (r.target === '*') this.count('asterisk-form target');
    if (rewrites && routedUrl(this.config, r.target, true) !== r.target) this.count('request rewritten before routing');
    if (served.kind === 'nest') {
      if (served.controller.host) this.count('served by a host-bound controller');
      const v = this.config.versioning;
      if (v.type !== 'none' && (served.handler.version ?? served.controller.version ?? v.defaultVersion) !== undefined) this.count(`served by a ${v.type === 'uri' ? 'URI' : v.type} version handler`);
      if (served.controller.modulePath) this.count('served under a RouterModule path');
      if (this.config.prefix && served.info.r?.startsWith('/api')) this.count('served under the global prefix');
    }

    if (governing === 'lenient') {
      // The router refused the target before any hook (README, known limits): no CORS
      // headers, or the resources policy of the path; never anything else.
      const g = resourcePolicy(this.config, this.notFoundPath(r.target, rewrites));
      const expected = expectActual(g.policy, r.origin);
      const none = res.acao.length === 0 && res.headers[ACAC] === undefined;
      const problems = none ? [] : compare(expected, res);
      this.count(none ? 'router refused: no CORS headers' : 'router refused: CORS headers');
      if (problems.length > 0) this.fail(`actual, target refused by the router: CORS headers the resources policy would not give`, request, [`response: ${corsHeadersText(res)}`, `resources policy: ${g.label} → ${policyText(g.policy)}`, `problems: ${problems.join('; ')}`]);
      else if (!none) this.fail('router refused, with the resources policy', request, [`response: ${corsHeadersText(res)}`], this.notes);
      return { res, served, governing };
    }

    if ((served.kind === 'nest' || served.kind === 'route' || served.kind === 'fn' || served.kind === 'static') && governing.label.includes('resources')) {
      // Where the route's own spelling selects another entry than the request's path would,
      // a library reading the request's path shows (SPEC §3 rule 6).
      const byRequest = resourcePolicy(this.config, this.notFoundPath(r.target, rewrites));
      if (!governing.label.endsWith(byRequest.label)) this.count(`${servedClass(served, governing)}: the route's spelling selects another resources entry than the request path`);
    }
    const expected = expectActual(governing.policy, r.origin);
    this.count(expected.acao === undefined ? 'actual, no ACAO expected' : 'actual, ACAO expected');
    const problems = compare(expected, res);
    if (problems.length > 0) {
      const route = served.kind === 'nest' || (served.kind === 'route' && (this.config.adapter === 'Fastify' || !served.mount.at)) ? served.info.r : undefined;
      const reading = diagnoseActual(this.config, r.target, rewrites, r.origin, res, served.kind === 'nest' ? served.handler.id : undefined, route);
      const sameServer = (again: RawResponse) => JSON.stringify(identify(this.config, again, r.method)) === JSON.stringify(identify(this.config, res, r.method)) || (served.kind === '404' && identify(this.config, again, r.method).kind === '404');
      const trigger = await this.trigger(client, request, (again) => compare(expected, again).length === 0, sameServer);
      this.fail(`actual, ${servedClass(served, governing)}: ${trigger}${reading?.cause ?? 'unexplained'}`, request, [
        `check: ${role}; ${problems.join('; ')}`,
        `likely cause: ${reading?.detail ?? 'no other reading explains the response'}`,
        `served by: ${describeServed(served)}`,
        `governing policy: ${governing.label} → ${policyText(governing.policy)}`,
        `expected: ${expectedText(expected)}`,
        `response: ${corsHeadersText(res)}${this.originSource(res.acao[0])}`,
      ]);
    }
    // A refused Origin only shows a wrong policy through Vary: the same request again with an
    // origin the governing policy admits shows it through ACAO.
    const policy = governing.policy;
    if (!twin && policy !== null && policy.origins !== '*' && r.origin !== undefined && !admitsOrigin(policy, r.origin)) {
      this.count('twin with an admitted origin');
      await this.actual(client, { ...r, origin: policy.origins[0] }, variation, `${role} (again with an origin the policy admits)`, noRewrite, true);
    }
    return { res, served, governing };
  }

  /**
   * Every handler the actual request `r` may reach, found by sending it (each version
   * variation; on Express again with static files skipped, and to each static mount that sees
   * the target), with the policy each gives; the 404 policy when none serves. `refused`: the
   * router refused the target under some variation. `null` when a probe failed.
   */
  private async candidatesOf(client: RawClient, r: ConcreteRequest, noRewrite: boolean): Promise<{ list: Candidate[]; refused: boolean } | null> {
    const candidates = new Map<string, Candidate>();
    let refused = false;
    const statics = this.config.mounts.some((m) => m.kind === 'static') && (r.method === 'GET' || r.method === 'HEAD');
    const skipStatics = statics && this.config.adapter === 'Express';
    const extra: Record<string, string> = noRewrite ? { [NO_REWRITE]: '1' } : {};
    for (const v of variations(this.config)) {
      const o = await this.actual(client, { ...r, preflight: false, deny: false, body: 'none' }, v, 'actual (candidate probe)', noRewrite);
      if (!o) return null;
      const via = `${r.method}${Object.keys(v).length ? ` with ${JSON.stringify(v)}` : ''}`;
      if (o.governing === 'lenient') refused = true;
      else if (o.governing && o.served.kind !== '404') candidates.set(o.governing.label, { policy: o.governing.policy, via: `${via} → ${describeServed(o.served)}` });
      if (skipStatics) {
        // What serves when no static file does (the library cannot know which files exist).
        const skip = await this.send(client, { method: r.method, target: r.target, headers: this.headers(r, v, { ...extra, [SKIP_STATIC]: '1' }) }, false);
        if (!skip) return null;
        const s = identify(this.config, skip, r.method);
        const g = s.kind === '404' || s.kind === 'refused' ? undefined : await this.govern(client, { method: r.method, target: r.target, headers: {} }, skip, s, r, !noRewrite);
        if (g && g !== 'lenient') candidates.set(g.label, { policy: g.policy, via: `${via}, static files skipped → ${describeServed(s)}` });
      }
    }
    if (statics) {
      for (const { mount, info, decoded } of await this.reach(client, r, extra)) {
        const g = staticPolicy(this.config, mount, info.u ?? '/', decoded);
        candidates.set(g.label, { policy: g.policy, via: `static ${mount.id} sees this target` });
      }
    }
    let list = [...candidates.values()];
    if (list.length === 0) {
      const g = resourcePolicy(this.config, this.notFoundPath(r.target, !noRewrite));
      list = [{ policy: g.policy, via: `no handler serves: ${g.label}` }];
    }
    return { list, refused };
  }

  /** Finds every candidate of a preflight, then checks the preflight against all of them. */
  async preflight(client: RawClient, r: ConcreteRequest, twin = false): Promise<void> {
    const found = await this.candidatesOf(client, r, this.expressRewrite);
    if (!found) return;
    let { list, refused } = found;
    if (list[0].via.startsWith('no handler')) this.count('preflight decided by the 404 policy');
    if (list.some((c) => c.via.startsWith('static '))) this.count('preflight with a static candidate');
    if (list.length > 1) this.count('preflight with several candidates');

    const headers: Record<string, string> = { host: r.host, origin: r.origin!, 'access-control-request-method': r.method };
    if (r.requestHeaders.length) headers['access-control-request-headers'] = r.requestHeaders.join(', ');
    if (r.accept) headers.accept = '*/*';
    const request: RawRequest = { method: 'OPTIONS', target: r.target, headers };
    const res = await this.send(client, request, true);
    if (!res) return;
    // The router may refuse the preflight's own target before any hook (an over-long parameter
    // of an OPTIONS route) even where the actual request's is routed.
    const own = identify(this.config, res, 'OPTIONS').kind === 'refused';
    const routed = list.filter((c) => !c.via.startsWith('no handler'));
    if (refused && !own && routed.length > 0 && this.config.adapter === 'Fastify') {
      // Fastify refuses some versions' request (414, with the resources entry: frameworkErrors)
      // and routes others: each is a candidate, the refused ones with the resources entry.
      const g = resourcePolicy(this.config, this.notFoundPath(r.target, !this.expressRewrite));
      list = [...routed, { policy: g.policy, via: `a version the router refuses (414): ${g.label}` }];
      refused = false;
      this.count('preflight with a version the router refuses');
    }
    const expected = expectPreflight(
      list.map((c) => c.policy),
      r.origin!,
      r.method,
      r.requestHeaders,
    );
    if (refused || own) {
      const none = res.acao.length === 0;
      this.count(none ? 'router refused: no CORS headers' : 'router refused: CORS headers');
      const g = resourcePolicy(this.config, this.notFoundPath(r.target, !this.expressRewrite));
      const problems = none ? [] : compare(expectPreflight([g.policy], r.origin!, r.method, r.requestHeaders), res, r.method);
      if (problems.length > 0) this.fail('preflight, target refused by the router: CORS headers the resources policy would not give', request, [`response: ${corsHeadersText(res)}`, `resources policy: ${g.label} → ${policyText(g.policy)}`, `problems: ${problems.join('; ')}`]);
      return;
    }
    this.count(expected.acao === undefined ? 'preflight, no ACAO expected' : 'preflight, ACAO expected');
    const problems = compare(expected, res, r.method);
    if (problems.length > 0) {
      const shape = list.length > 1 ? 'several candidates' : list[0].via.startsWith('no handler') ? 'no handler (404 policy)' : 'one candidate';
      const reading = diagnosePreflight(this.config, r.target, !this.expressRewrite, list, r.origin!, r.method, r.requestHeaders, (e) => compare(e, res, r.method).length === 0);
      const trigger = await this.trigger(client, request, (again) => compare(expected, again, r.method).length === 0, () => true);
      this.fail(`preflight, ${shape}: ${trigger}${reading?.cause ?? 'unexplained'}`, request, [
        `check: preflight${twin ? ' (again with an origin every candidate admits)' : ''}; ${problems.join('; ')}`,
        `likely cause: ${reading?.detail ?? 'no other reading explains the response'}`,
        ...list.map((c) => `candidate: ${c.via}\n      → ${policyText(c.policy)}`),
        `expected: ${expectedText(expected)}`,
        `response: ${corsHeadersText(res)}${this.originSource(res.acao[0])}`,
      ]);
    }
    // As for actual requests: when the Origin is refused, the same preflight again with an
    // origin every candidate admits, if there is one.
    if (!twin && expected.acao === undefined && list.every((c) => c.policy !== null)) {
      const all = list.map((c) => c.policy!);
      const origin = [...policyOrigins(this.config), SHARED_ORIGIN].find((o) => all.every((p) => admitsOrigin(p, o)));
      if (origin !== undefined) {
        this.count('twin with an admitted origin');
        await this.preflight(client, { ...r, origin }, true);
      }
    }
  }

  /** Counts what the configuration exercises, so that a generator regression shows. */
  countConfig(): void {
    const c = this.config;
    this.count(`app: ${c.adapter} via ${c.start}`);
    if (c.express) {
      const { how, caseSensitive, strict } = c.express;
      this.count(`app: Express router options given by ${how}`);
      if (how !== 'default' && how !== 'late') {
        if (caseSensitive) this.count('app: Express case sensitive routing');
        if (strict) this.count('app: Express strict routing');
      }
    }
    if (c.fastify) {
      this.count(`app: Fastify router options spelled ${c.fastify.spelling}`);
      for (const k of ['ignoreTrailingSlash', 'ignoreDuplicateSlashes', 'useSemicolonDelimiter'] as const) if (c.fastify[k]) this.count(`app: Fastify ${k}`);
      if (c.fastify.caseSensitive === false) this.count('app: Fastify caseSensitive false');
      if (c.fastify.maxParamLength) this.count('app: Fastify maxParamLength');
    }
    if (c.prefix) this.count(c.prefix.exclude.length ? 'app: global prefix with exclude' : 'app: global prefix');
    this.count(`app: versioning ${c.versioning.type}${c.versioning.type !== 'none' && c.versioning.defaultVersion !== undefined ? ` default ${JSON.stringify(c.versioning.defaultVersion)}` : ''}`);
    if (c.versioning.type === 'custom') {
      this.count('app: custom extractor');
      this.count(`app: custom extractor returning ${c.versioning.extractor === 'string' ? 'a string' : 'an array'}`);
    }
    if (c.controllers.some((x) => x.modulePath?.some((s) => s.kind === 'param'))) this.count('app: RouterModule path with a parameter');
    if (c.controllers.some((x) => x.host)) this.count('app: host-bound controller');
    for (const m of c.mounts) {
      if (m.kind === 'static') this.count(`app: static files ${m.prefix ? 'with' : 'without'} a prefix`);
      else if (m.kind === 'router') this.count(`app: foreign ${c.adapter === 'Express' ? 'router' : 'routes'} ${m.at ? 'under a path' : 'at the root'}`);
      else if (m.kind === 'fn') this.count("app: app.use('/x', fn)");
      else this.count('app: rewriting app.use');
    }
    if (c.nestMiddleware.rewrite) this.count('app: rewriting Nest middleware');
    if (c.nestMiddleware.deny) this.count('app: Nest middleware answering by itself');
    if (c.rewriteUrl) this.count('app: Fastify rewriteUrl');
    if (c.cors.resources?.some(([p]) => p.split('*').length > 2)) this.count('app: nested resources patterns');
    const decorations = c.controllers.flatMap((x) => [x.cors, ...x.handlers.map((h) => h.cors)]);
    for (const kind of ['off', 'named', 'options'] as const) if (decorations.some((d) => d.kind === kind)) this.count(`app: @CrossOrigin ${kind === 'off' ? '(false)' : kind === 'named' ? "('name')" : '(options)'}`);
    if (policyOrigins(c).length === 0) this.count('app: no origin of its own');
  }
}

export function describeServed(s: Served): string {
  switch (s.kind) {
    case 'nest':
      return `Nest handler ${s.handler.id} (route ${s.info.r}, params ${JSON.stringify(s.info.p)})`;
    case 'route':
      return `foreign route ${s.route.id} (route ${s.info.r}, params ${JSON.stringify(s.info.p)}${s.info.b !== undefined ? `, mount matched as ${JSON.stringify(s.info.b)}` : ''})`;
    case 'fn':
      return `foreign ${s.mount.id} app.use('${s.mount.at}') (rest of the URL ${JSON.stringify(s.info.u)})`;
    case 'static':
      return `static ${s.mount.id} file ${s.file}`;
    default:
      return servedClass(s);
  }
}
