// Issue 14, class 6: request targets the router itself refuses. Fastify answers a malformed
// escape (`/a/%zz`, 400) and a parameter longer than `maxParamLength` (414, in the option's
// top-level and `routerOptions` spellings) from its router, before any hook runs; Express
// answers the malformed escape with a 400 too. No route served them, so such a response
// carries either no CORS header (Fastify: the library may not get to see it) or the `resources`
// entry of its path (SPEC §3 rule 3), never the policy of the route whose pattern matches
// (`@Get('a/:p')`, decorated), and never a 500. Express's 400 goes through the app, so it gets
// the `resources` entry (README, Known limits).
import { Controller, Get, Header, Module, Param } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import type { AdapterCase } from '../../utility/adapters.js';
import type { RawResponse } from '../../utility/raw-http.js';
import { SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const ROUTE_ORIGIN = 'https://route.test';
const ENTRY_ORIGIN = 'https://entry.test';
const ROOT_ORIGIN = 'https://root.test';
const ORIGINS = [ROUTE_ORIGIN, ENTRY_ORIGIN, ROOT_ORIGIN];

const ROUTE: Declared = { name: 'ParamController.get', origins: [ROUTE_ORIGIN], maxAge: 61, expose: 'x-route' };
const A_ENTRY: Declared = { name: "'/a/*'", origins: [ENTRY_ORIGIN], maxAge: 62, expose: 'x-entry-a' };
const ROOT_ENTRY: Declared = { name: "'/*'", origins: [ROOT_ORIGIN], maxAge: 63, expose: 'x-entry-root' };

@CrossOrigin(optionsOf(ROUTE))
@Controller('a')
class ParamController {
  @Get(':p') @Header(SERVED_BY, 'route') get(@Param('p') p: string) { return `route ${p}`; }
}

@Module({
  imports: [CorsModule.forRoot({ resources: { '/a/*': optionsOf(A_ENTRY), '/*': optionsOf(ROOT_ENTRY) } })],
  controllers: [ParamController],
})
class AppModule {}

const MAX_PARAM_LENGTH = 8;
const LONGEST = `/a/${'1'.repeat(MAX_PARAM_LENGTH)}`;
const TOO_LONG = `/a/${'1'.repeat(MAX_PARAM_LENGTH + 1)}`;
const MALFORMED = '/a/%zz';

interface Setup {
  readonly desc: string;
  readonly adapter: AdapterCase;
  /** What the framework answers each target with: a status of its own, or the route. */
  readonly answers: Readonly<Record<string, number | 'route'>>;
}

const SETUPS: readonly Setup[] = [
  { desc: 'Express', adapter: { name: 'Express', create: () => new ExpressAdapter() }, answers: { [MALFORMED]: 400, [LONGEST]: 'route', [TOO_LONG]: 'route' } },
  ...[
    { desc: `Fastify { maxParamLength: ${MAX_PARAM_LENGTH} }`, options: { maxParamLength: MAX_PARAM_LENGTH } },
    { desc: `Fastify { routerOptions: { maxParamLength: ${MAX_PARAM_LENGTH} } }`, options: { routerOptions: { maxParamLength: MAX_PARAM_LENGTH } } },
  ].map(({ desc, options }): Setup => ({
    desc,
    adapter: { name: 'Fastify', create: () => new FastifyAdapter(options) },
    answers: { [MALFORMED]: 400, [LONGEST]: 'route', [TOO_LONG]: 414 },
  })),
];

const CASES = SETUPS.flatMap((setup) => STARTERS.map((s) => ({ setup, ...s })));

describe.each(CASES)('targets the router refuses, on $setup.desc ($how)', ({ setup, start }) => {
  const s = startedForSuite(() => start(AppModule, setup.adapter));

  const targets = Object.entries(setup.answers).map(([target, answer]) => ({ target, answer }));
  const withOrigins = targets.flatMap((t) => ORIGINS.map((origin) => ({ ...t, origin })));

  it.each(targets)('GET $target is answered by $answer', async ({ target, answer }) => {
    const res = await send(s.port, 'GET', target);
    if (answer === 'route') expect(servedBy(res)).toBe('route');
    else expect(res.status).toBe(answer);
  });

  it.each(withOrigins)('GET $target from $origin: the route\'s policy only if the route served it', async ({ target, answer, origin }) => {
    const res = await send(s.port, 'GET', target, { Origin: origin });
    expect(res.status).toBeLessThan(500);
    if (answer === 'route') {
      expect(servedBy(res)).toBe('route');
      expectActual(res, ROUTE, origin);
    } else if (setup.adapter.name === 'Express') {
      expect(res.status).toBe(answer);
      expectActual(res, A_ENTRY, origin);
    } else {
      // Fastify's own 400/414: with the instance Nest creates, its frameworkErrors handler lets
      // the library give the response the entry of its path, whole, as for any unrouted request.
      expect(res.status).toBe(answer);
      expectActual(res, A_ENTRY, origin);
    }
  });

  it.each(withOrigins)('the preflight of GET $target from $origin: never the route\'s policy unless the route serves the GET', async ({ target, answer, origin }) => {
    const res = await sendPreflight(s.port, target, origin);
    expect(res.status).toBeLessThan(500);
    if (answer === 'route') expectPreflight(res, [ROUTE], origin);
    else if (setup.adapter.name === 'Express') expectPreflight(res, [A_ENTRY], origin);
    // Fastify refuses a malformed target for every method before any hook, with 400: a status
    // that fails the preflight whatever its headers, and the library adds none to it.
    else if (target === MALFORMED) expect([res.status, res.headers['access-control-allow-origin']]).toEqual([400, undefined]);
    // An over-long parameter: the GET gets the router's 414 with the entry, and so does its
    // preflight get the entry (the library routes it as the GET).
    else expectPreflight(res, [A_ENTRY], origin);
  });
});
