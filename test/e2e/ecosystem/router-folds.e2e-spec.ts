// Issue 14, class 1, and the router options next to it (SPEC §3 rule 6): a spelling the router
// folds onto a route (`/TEAMS/7`, `//billing/1`, `/reports/summary/`, `;jsessionid=…`) never
// selects another `resources` entry than the canonical path. The entry is chosen on the path as
// the router matched it: the route's own spelling of its static segments, the request's parameter
// values. Each app below sets the router one way (Express's defaults, an Express app passed in
// with `case sensitive routing` and `strict routing`, each Fastify router option in its top-level
// and its `routerOptions` spelling); each request says who served it, and gets that handler's
// entry, on the actual request and on its preflight.
import { createRequire } from 'node:module';
import { Controller, Get, Header, Module, Param } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CorsModule } from '../../../lib/index.js';
import type { AdapterCase } from '../../utility/adapters.js';
import { NOT_FOUND, SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const STRICT = 'https://strict.test';
const LOOSE = 'https://loose.test';
const ORIGINS = [STRICT, LOOSE];

// Four entries, each told apart by its maxAge (preflights) and exposed header (actual requests).
const TEAM_BILLING: Declared = { name: "'/teams/*/billing/*'", origins: [STRICT], maxAge: 11, expose: 'x-entry-team-billing' };
const BILLING: Declared = { name: "'/billing/*'", origins: [STRICT], maxAge: 12, expose: 'x-entry-billing' };
const SUMMARY: Declared = { name: "'/reports/summary'", origins: [STRICT], maxAge: 13, expose: 'x-entry-summary' };
const PERMISSIVE: Declared = { name: "'/*'", origins: [STRICT, LOOSE], maxAge: 99, expose: 'x-entry-permissive' };

const CORS = CorsModule.forRoot({
  resources: {
    '/teams/*/billing/*': optionsOf(TEAM_BILLING),
    '/billing/*': optionsOf(BILLING),
    '/reports/summary': optionsOf(SUMMARY),
    '/*': optionsOf(PERMISSIVE),
  },
});

/** Undecorated routes: each gets the entry its matched path selects. */
@Controller()
class BillingController {
  @Get('teams/:id/billing/:bid') @Header(SERVED_BY, 'team-billing')
  teamBilling(@Param('id') id: string, @Param('bid') bid: string) { return `team-billing ${id} ${bid}`; }

  @Get('billing/:bid') @Header(SERVED_BY, 'billing')
  billing(@Param('bid') bid: string) { return `billing ${bid}`; }

  @Get('reports/summary') @Header(SERVED_BY, 'summary')
  summary() { return 'summary'; }
}

@Module({ imports: [CORS], controllers: [BillingController] })
class AppModule {}

/** The entry each handler's canonical path selects. */
const POLICY_OF: Record<string, Declared> = { 'team-billing': TEAM_BILLING, billing: BILLING, summary: SUMMARY };

interface Case {
  readonly target: string;
  /** Who the router runs for it: the assertion that the fold is really exercised. */
  readonly served: string;
  /** For Nest's 404 only: the entry of the path as received (rule 3). */
  readonly entry?: Declared;
}

interface RouterSetup {
  readonly desc: string;
  readonly adapter: AdapterCase;
  readonly cases: readonly Case[];
}

const require = createRequire(import.meta.url);
/** An Express app created by the user, with its router settings, as `new ExpressAdapter(app)` takes it. */
function expressApp(settings: Record<string, boolean>): unknown {
  const app = (require('express') as () => { set(name: string, value: unknown): unknown })();
  for (const [name, value] of Object.entries(settings)) app.set(name, value);
  return app;
}

const express = (create: () => ExpressAdapter): AdapterCase => ({ name: 'Express', create });
const fastify = (options: object): AdapterCase => ({ name: 'Fastify', create: () => new FastifyAdapter(options as never) });

/** The same Fastify router option, in both spellings Fastify 5 accepts. */
function bothSpellings(option: string, value: unknown, cases: readonly Case[]): RouterSetup[] {
  return [
    { desc: `Fastify { ${option}: ${JSON.stringify(value)} }`, adapter: fastify({ [option]: value }), cases },
    { desc: `Fastify { routerOptions: { ${option}: ${JSON.stringify(value)} } }`, adapter: fastify({ routerOptions: { [option]: value } }), cases },
  ];
}

const SETUPS: RouterSetup[] = [
  {
    desc: 'Express defaults (case-insensitive, non-strict)',
    adapter: express(() => new ExpressAdapter()),
    cases: [
      { target: '/TEAMS/7/BILLING/1', served: 'team-billing' },
      { target: '/Teams/Ab/Billing/Cd', served: 'team-billing' },
      { target: '/BILLING/1', served: 'billing' },
      { target: '/REPORTS/SUMMARY', served: 'summary' },
      { target: '/reports/summary/', served: 'summary' },
      { target: '/Reports/Summary/', served: 'summary' },
    ],
  },
  {
    desc: "an Express app passed in with 'case sensitive routing' and 'strict routing'",
    adapter: express(() => new ExpressAdapter(expressApp({ 'case sensitive routing': true, 'strict routing': true }))),
    cases: [
      { target: '/teams/7/billing/1', served: 'team-billing' },
      { target: '/reports/summary', served: 'summary' },
      // Neither is routed now: Nest's 404, with the entry of the path as received.
      { target: '/TEAMS/7/BILLING/1', served: NOT_FOUND, entry: PERMISSIVE },
      { target: '/reports/summary/', served: NOT_FOUND, entry: PERMISSIVE },
    ],
  },
  {
    desc: 'Fastify defaults (case-sensitive)',
    adapter: fastify({}),
    cases: [
      { target: '/teams/7/billing/1', served: 'team-billing' },
      { target: '/TEAMS/7/BILLING/1', served: NOT_FOUND, entry: PERMISSIVE },
    ],
  },
  ...bothSpellings('caseSensitive', false, [
    { target: '/TEAMS/7/BILLING/1', served: 'team-billing' },
    { target: '/Teams/Ab/Billing/Cd', served: 'team-billing' },
    { target: '/BILLING/1', served: 'billing' },
    { target: '/REPORTS/SUMMARY', served: 'summary' },
  ]),
  ...bothSpellings('ignoreTrailingSlash', true, [
    { target: '/reports/summary/', served: 'summary' },
    { target: '/teams/7/billing/1/', served: 'team-billing' },
  ]),
  ...bothSpellings('ignoreDuplicateSlashes', true, [
    { target: '//billing/1', served: 'billing' },
    { target: '//reports//summary', served: 'summary' },
    { target: '//teams//7//billing//1', served: 'team-billing' },
  ]),
  ...bothSpellings('useSemicolonDelimiter', true, [
    { target: '/reports/summary;jsessionid=1', served: 'summary' },
    { target: '/billing/1;jsessionid=1', served: 'billing' },
  ]),
];

const CASES = SETUPS.flatMap((setup) => STARTERS.map((s) => ({ ...s, setup })));

describe.each(CASES)('$setup.desc ($how)', ({ setup, start }) => {
  const s = startedForSuite(() => start(AppModule, setup.adapter));

  /** The policy a response must carry: its handler's entry, or for a 404 the entry of the path. */
  const policyFor = (server: string, c: Case): Declared => {
    if (server === NOT_FOUND) {
      if (!c.entry) throw new Error(`${c.target} was not routed, and the case names no entry for it`);
      return c.entry;
    }
    return POLICY_OF[server];
  };

  it.each(setup.cases)('$target is served by $served', async (c) => {
    expect(servedBy(await send(s.port, 'GET', c.target))).toBe(c.served);
  });

  it.each(setup.cases.flatMap((c) => ORIGINS.map((origin) => ({ ...c, origin }))))(
    'GET $target from $origin gets the entry of the handler that served it',
    async (c) => {
      const res = await send(s.port, 'GET', c.target, { Origin: c.origin });
      expectActual(res, policyFor(servedBy(res), c), c.origin);
    },
  );

  it.each(setup.cases.flatMap((c) => ORIGINS.map((origin) => ({ ...c, origin }))))(
    'the preflight of GET $target from $origin gets the entry of the handler its GET reaches',
    async (c) => {
      const server = servedBy(await send(s.port, 'GET', c.target));
      expectPreflight(await sendPreflight(s.port, c.target, c.origin), [policyFor(server, c)], c.origin);
    },
  );
});
