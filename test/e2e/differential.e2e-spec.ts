// The differential test of issue 8 (SPEC §3 rules 2-8): the policy on a response is the
// policy of the handler the framework actually dispatched the request to. fast-check builds
// route sets (static, parametric, wildcard, URI and header versions, host-bound controllers,
// handlers no Nest controller registered) and request targets spelled every odd way a raw
// client can send; each app is started like a user's (NestFactory.create or @nestjs/testing,
// then listen(0)) and hit over a keep-alive socket. Every handler names itself in a response
// header, so the test knows which one ran without asking the library, and the oracle
// (test/utility/differential/oracle.ts) says which ACAO that handler's policy gives the Origin
// sent. A preflight runs no handler: its expectation comes from the actual request(s) it
// announces, sent first on the same target, one per version value under header versioning
// (rule 7: only what every candidate allows).
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { ADAPTERS } from '../utility/adapters.js';
import { startApp } from '../utility/differential/app.js';
import { expectedActualAcao, expectedPreflightAcao, policyAdmitting, routedPath, servedPolicy, type PolicyView } from '../utility/differential/oracle.js';
import { describeRouteSet, routeSetArb, VERSION_HEADER, type RouteSet } from '../utility/differential/route-sets.js';
import { actualHeaders, concretize, requestSpecArb, servedByOf, versionProbes, type ConcreteRequest } from '../utility/differential/targets.js';
import { RawClient, type RawRequest, type RawResponse } from '../utility/raw-http.js';

const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 0x5eed8);
/** Route sets per adapter, and request specs per set; a spec is 1 to 5 requests. */
const SETS = Number(process.env.DIFFERENTIAL_SETS ?? 40);
const SPECS_PER_SET = 180;
const MIN_REQUESTS = 10_000;
const SHOWN = 8;
/** Keep-alive sockets per app. */
const LANES = 3;

interface Mismatch {
  readonly kind: string;
  readonly text: string;
}

function rawText(r: RawRequest): string {
  return `${r.method} ${r.target} HTTP/1.1\n${Object.entries(r.headers).map(([k, v]) => `    ${k}: ${v}`).join('\n')}`;
}

function responseText(res: RawResponse): string {
  return `${res.status}, served by ${servedByOf(res.headers) ?? '(no handler)'}, ACAO ${res.acao.length ? res.acao.map((a) => JSON.stringify(a)).join(' + ') : '(none)'}`;
}

/** The odd spellings in a target, for the coverage count. */
function oddities(target: string): string[] {
  const path = routedPath(target);
  const out: string[] = [];
  if (/^https?:/i.test(target)) out.push('the absolute form');
  if (target.includes('#')) out.push('a fragment');
  if (/%[0-9a-f]{2}/i.test(path)) out.push('a percent-encoding');
  if (/%(?![0-9a-f]{2})/i.test(path)) out.push('a malformed escape');
  if (/\/(\.|%2e){1,2}(\/|$)/i.test(path)) out.push('a dot segment');
  if (path.includes('//')) out.push('a duplicate slash');
  return out;
}

/** Situations every run must reach often enough, or the generators have stopped exercising them. */
const REQUIRED = [
  'Nest handler', 'foreign handler', 'no handler (404)', 'actual, ACAO expected', 'actual, no ACAO expected',
  'preflight, ACAO expected', 'preflight, no ACAO expected', 'preflight with several version candidates',
  'handler reached through the absolute form', 'handler reached through a fragment', 'handler reached through a percent-encoding',
  'handler reached through a dot segment', 'handler reached through a duplicate slash',
];
const MIN_COVERAGE = 20;

/**
 * Fastify answers a target its router refuses (a malformed escape: 400, an over-long
 * parameter: 414) from the router itself, before any hook or error handler runs, so no
 * plugin can add headers to it (README, known limits): no CORS headers are expected there.
 */
function routerRefused(rs: RouteSet, servedBy: string | undefined, res: RawResponse, method: string): PolicyView | null {
  if (rs.adapter !== 'Fastify' || servedBy !== undefined || (res.status !== 400 && res.status !== 414)) return null;
  // A HEAD answer has no body to name the error; no route ran, so only the router could refuse it.
  if (method !== 'HEAD' && !/FST_ERR_BAD_URL|FST_ERR_MAX_PARAM_LENGTH/.test(res.body)) return null;
  return { origin: null, label: "Fastify's router refused the target before any hook ran" };
}

function servedKind(servedBy: string | undefined, status: number | undefined): string {
  if (servedBy === undefined) return `no handler (${status})`;
  return servedBy.startsWith('foreign:') ? 'foreign handler' : 'Nest handler';
}

function verdict(want: string | undefined, got: string | undefined): string {
  return want === undefined ? 'expected none' : got === undefined ? 'missing' : 'wrong';
}

/** One app's worth of requests, with every check the oracle can make. */
class Checker {
  requests = 0;
  readonly mismatches: Mismatch[] = [];
  /** How often each situation the test is meant to reach was reached. */
  readonly coverage = new Map<string, number>();

  constructor(private readonly rs: RouteSet) {}

  private count(what: string): void {
    this.coverage.set(what, (this.coverage.get(what) ?? 0) + 1);
  }

  private fail(kind: string, request: RawRequest, lines: string[]): void {
    this.mismatches.push({ kind, text: [`route set:\n${describeRouteSet(this.rs)}`, `request:\n    ${rawText(request)}`, ...lines].join('\n') });
  }

  private async send(client: RawClient, request: RawRequest): Promise<RawResponse | null> {
    this.requests++;
    try {
      const res = await client.send(request);
      if (res.status >= 500) this.fail(`${res.status} response`, request, [`response: ${responseText(res)}`, `body: ${res.body.slice(0, 200)}`]);
      else if (res.acao.length > 1) this.fail('more than one ACAO', request, [`response: ${responseText(res)}`]);
      else return res;
    } catch (error) {
      this.fail('no response', request, [`error: ${(error as Error).message}`]);
    }
    return null;
  }

  /**
   * Which policy the library applied, for a failure message: every policy admits one origin
   * of its own, so an ACAO names it; with none, the same request sent without an Origin gets
   * the applied policy's origin (alwaysSend), or nothing when no policy applied.
   */
  private async appliedPolicy(client: RawClient, request: RawRequest, acao: string | undefined): Promise<string> {
    if (acao !== undefined) return policyAdmitting(this.rs, acao);
    if (request.headers.origin === undefined) return 'none (no CORS headers)';
    const { origin: _, ...headers } = request.headers;
    const again = await client.send({ ...request, headers }).catch(() => null);
    if (!again) return 'unknown (no response without an Origin)';
    return again.acao.length ? `${policyAdmitting(this.rs, again.acao[0])} (sent again without an Origin)` : 'none (no CORS headers, also without an Origin)';
  }

  /** Sends an actual request and checks its ACAO against the policy of the handler that ran. */
  async actual(client: RawClient, r: ConcreteRequest, version: string | undefined, role = 'actual'): Promise<{ servedBy: string | undefined; policy: PolicyView; status: number } | null> {
    const request: RawRequest = { method: r.method, target: r.target, headers: actualHeaders(r, version) };
    const res = await this.send(client, request);
    if (!res) return null;
    const servedBy = servedByOf(res.headers);
    const policy = routerRefused(this.rs, servedBy, res, r.method) ?? servedPolicy(this.rs, servedBy, r.target);
    const want = expectedActualAcao(policy, r.origin);
    const got = res.acao[0];
    this.count(servedKind(servedBy, res.status));
    this.count(want === undefined ? 'actual, no ACAO expected' : 'actual, ACAO expected');
    if (servedBy !== undefined) for (const odd of oddities(r.target)) this.count(`handler reached through ${odd}`);
    if (got !== want) {
      this.fail(`${role}, ${servedKind(servedBy, res.status)}, ACAO ${verdict(want, got)}`, request, [
        `response: ${responseText(res)}`,
        `serving policy: ${policy.label} → admits ${policy.origin ?? 'nothing'}`,
        `applied policy: ${await this.appliedPolicy(client, request, got)}`,
        `expected ACAO: ${want ?? '(none)'}`,
      ]);
    }
    return { servedBy, policy, status: res.status };
  }

  /**
   * Finds the candidates with actual requests (each checked as any other), then checks the
   * preflight against all of them.
   */
  async preflight(client: RawClient, r: ConcreteRequest): Promise<void> {
    type Candidate = PolicyView & { via: string; status: number };
    const candidates = new Map<string, Candidate>();
    const unrouted: Candidate[] = [];
    for (const version of versionProbes(this.rs)) {
      const probe = await this.actual(client, r, version, 'actual (preflight probe)');
      if (!probe) return;
      const sent = this.rs.versioning === 'header' ? `${r.method} with ${VERSION_HEADER}: ${version ?? '(none)'}` : r.method;
      const policy = { ...probe.policy, via: `${sent} → ${probe.servedBy ?? probe.status}`, status: probe.status };
      if (probe.servedBy === undefined) unrouted.push(policy);
      else candidates.set(probe.servedBy, policy);
    }
    const policies = candidates.size > 0 ? [...candidates.values()] : unrouted.slice(0, 1);
    const headers: Record<string, string> = { host: r.host, origin: r.origin!, 'access-control-request-method': r.method };
    if (this.rs.versioning === 'header') headers['access-control-request-headers'] = VERSION_HEADER.toLowerCase();
    const request: RawRequest = { method: 'OPTIONS', target: r.target, headers };
    const res = await this.send(client, request);
    if (!res) return;
    const want = expectedPreflightAcao(policies, r.origin!);
    const got = res.acao[0];
    this.count(want === undefined ? 'preflight, no ACAO expected' : 'preflight, ACAO expected');
    if (candidates.size > 1) this.count('preflight with several version candidates');
    if (got !== want) {
      const served = candidates.size > 1 ? `${candidates.size} version candidates` : servedKind([...candidates.keys()][0], unrouted[0]?.status);
      this.fail(`preflight, ${served}, ACAO ${verdict(want, got)}`, request, [
        `response: ${responseText(res)}`,
        ...policies.map((p) => `candidate (${p.via}): ${p.label} → admits ${p.origin ?? 'nothing'}`),
        `applied policy: ${got === undefined ? `one refusing ${r.origin}, or none` : policyAdmitting(this.rs, got)}`,
        `expected ACAO: ${want ?? '(none)'}`,
      ]);
    }
  }
}

function report(adapter: string, mismatches: readonly Mismatch[], requests: number): string {
  const byKind = new Map<string, Mismatch[]>();
  for (const m of mismatches) byKind.set(m.kind, [...(byKind.get(m.kind) ?? []), m]);
  const lines = [`${mismatches.length} mismatches in ${requests} requests on ${adapter} (seed ${SEED}):`];
  for (const [kind, list] of byKind) lines.push(`  ${list.length} × ${kind}`);
  const shown: Mismatch[] = [];
  // The shortest few of each kind first: the easiest to read.
  for (const list of byKind.values()) shown.push(...[...list].sort((a, b) => a.text.length - b.text.length).slice(0, Math.max(1, Math.floor(SHOWN / byKind.size))));
  for (const m of shown.slice(0, SHOWN)) lines.push('', `--- ${m.kind}`, m.text);
  return lines.join('\n');
}

describe.each(ADAPTERS)('differential: the policy is the serving handler\'s, on $name', (adapter) => {
  it(`0 mismatches over at least ${MIN_REQUESTS} requests (seed ${SEED})`, async () => {
    const cases = fc.sample(fc.tuple(routeSetArb(adapter.name), fc.array(requestSpecArb, { minLength: SPECS_PER_SET, maxLength: SPECS_PER_SET })), { seed: SEED, numRuns: SETS });
    let requests = 0;
    const mismatches: Mismatch[] = [];
    const coverage = new Map<string, number>();
    for (const [rs, specs] of cases) {
      const { app, port } = await startApp(rs);
      // A few keep-alive sockets side by side, each sending its share of the specs in turn.
      const clients = Array.from({ length: LANES }, () => new RawClient(port));
      const checker = new Checker(rs);
      try {
        await Promise.all(
          clients.map(async (client, lane) => {
            for (let i = lane; i < specs.length; i += LANES) {
              const r = concretize(specs[i], rs, port);
              if (r.preflight) await checker.preflight(client, r);
              else await checker.actual(client, r, r.version);
            }
          }),
        );
      } finally {
        for (const client of clients) client.close();
        await app.close();
      }
      requests += checker.requests;
      mismatches.push(...checker.mismatches);
      for (const [what, n] of checker.coverage) coverage.set(what, (coverage.get(what) ?? 0) + n);
    }
    console.log(
      `differential ${adapter.name}: ${requests} requests over ${SETS} route sets, ${mismatches.length} mismatches (seed ${SEED})\n` +
        [...coverage].sort().map(([what, n]) => `  ${n} × ${what}`).join('\n'),
    );
    if (process.env.DIFFERENTIAL_DUMP) writeFileSync(`${process.env.DIFFERENTIAL_DUMP}.${adapter.name}.json`, JSON.stringify(mismatches, null, 1));
    if (mismatches.length > 0) throw new Error(report(adapter.name, mismatches, requests));
    expect(requests).toBeGreaterThanOrEqual(MIN_REQUESTS);
    const thin = REQUIRED.filter((what) => (coverage.get(what) ?? 0) < MIN_COVERAGE).map((what) => `${what}: ${coverage.get(what) ?? 0}`);
    expect(thin).toEqual([]);
  }, 180_000);
});
