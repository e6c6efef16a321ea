// Issue 14, class 4: `setGlobalPrefix('api')`, with and without `exclude`. A route under the
// prefix, and Nest's 404 for a path under it (`GET /api/nothing`), get the `'/api/*'` entry,
// as their preflights do (SPEC §3 rules 2, 3 and 5); an excluded route, outside the prefix, gets
// the entry of its own path; a decorated route keeps its decorator's policy.
import { Controller, Get, Header, Module } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { NOT_FOUND, SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const API = 'https://api.test';
const HEALTH = 'https://health.test';
const ROOT = 'https://root.test';
const DECORATED = 'https://decorated.test';
const ORIGINS = [API, HEALTH, ROOT, DECORATED];

const API_ENTRY: Declared = { name: "'/api/*'", origins: [API], maxAge: 41, expose: 'x-entry-api' };
const HEALTH_ENTRY: Declared = { name: "'/health'", origins: [HEALTH], maxAge: 42, expose: 'x-entry-health' };
const ROOT_ENTRY: Declared = { name: "'/*'", origins: [ROOT], maxAge: 43, expose: 'x-entry-root' };
const DECORATED_POLICY: Declared = { name: 'ApiController.decorated', origins: [DECORATED], maxAge: 44, expose: 'x-decorated' };

@Controller()
class ApiController {
  @Get('items') @Header(SERVED_BY, 'items') items() { return 'items'; }
  @Get('health') @Header(SERVED_BY, 'health') health() { return 'health'; }
  @CrossOrigin(optionsOf(DECORATED_POLICY)) @Get('decorated') @Header(SERVED_BY, 'decorated') decorated() { return 'decorated'; }
}

@Module({
  imports: [CorsModule.forRoot({ resources: { '/api/*': optionsOf(API_ENTRY), '/health': optionsOf(HEALTH_ENTRY), '/*': optionsOf(ROOT_ENTRY) } })],
  controllers: [ApiController],
})
class AppModule {}

interface Case {
  readonly target: string;
  /** Who serves it: the check that the prefix and `exclude` are what the case says. */
  readonly served: string;
  /** The entry of the path: the policy of an undecorated route there, or of Nest's 404. */
  readonly entry: Declared;
}

const PREFIXES = [
  {
    desc: "setGlobalPrefix('api')",
    exclude: undefined,
    cases: [
      { target: '/api/items', served: 'items', entry: API_ENTRY },
      { target: '/api/health', served: 'health', entry: API_ENTRY },
      { target: '/api/nothing', served: NOT_FOUND, entry: API_ENTRY },
      { target: '/api/decorated', served: 'decorated', entry: API_ENTRY },
      { target: '/health', served: NOT_FOUND, entry: HEALTH_ENTRY },
      { target: '/items', served: NOT_FOUND, entry: ROOT_ENTRY },
    ],
  },
  {
    desc: "setGlobalPrefix('api', { exclude: ['health'] })",
    exclude: ['health'],
    cases: [
      { target: '/api/items', served: 'items', entry: API_ENTRY },
      { target: '/health', served: 'health', entry: HEALTH_ENTRY },
      { target: '/api/health', served: NOT_FOUND, entry: API_ENTRY },
      { target: '/api/nothing', served: NOT_FOUND, entry: API_ENTRY },
      { target: '/api/decorated', served: 'decorated', entry: API_ENTRY },
    ],
  },
] as const;

const WHO = PREFIXES.flatMap((prefix) => ADAPTERS.flatMap((adapter) => STARTERS.map((s) => ({ prefix, adapter, ...s }))));

describe.each(WHO)('$prefix.desc on $adapter.name ($how)', ({ prefix, adapter, start }) => {
  const s = startedForSuite(() => start(AppModule, adapter, (app) => {
    app.setGlobalPrefix('api', prefix.exclude ? { exclude: [...prefix.exclude] } : undefined);
  }));

  const policyOf = (server: string, c: Case): Declared => (server === 'decorated' ? DECORATED_POLICY : c.entry);
  const cases: readonly Case[] = prefix.cases;
  const withOrigins = cases.flatMap((c) => ORIGINS.map((origin) => ({ ...c, origin })));

  it.each(cases)('$target is served by $served', async (c) => {
    expect(servedBy(await send(s.port, 'GET', c.target))).toBe(c.served);
  });

  it.each(withOrigins)('GET $target from $origin gets the policy of the handler that served it', async (c) => {
    const res = await send(s.port, 'GET', c.target, { Origin: c.origin });
    expectActual(res, policyOf(servedBy(res), c), c.origin);
  });

  it.each(withOrigins)('the preflight of GET $target from $origin gets the same policy', async (c) => {
    const server = servedBy(await send(s.port, 'GET', c.target));
    expectPreflight(await sendPreflight(s.port, c.target, c.origin), [policyOf(server, c)], c.origin);
  });
});
