// Fastify only: with header versions, the router may refuse a target for one version and
// route it for another. Under `maxParamLength`, `/a/<too long>/x` reaches version 1's
// wildcard route (the parameter route before it is passed over), while a request naming no
// version matches nothing but the over-long parameter: Fastify answers it 414 from its router,
// with the `resources` entry of its path (frameworkErrors). The preflight, which carries no
// version, gets only what both allow (SPEC §3 rule 7): the wildcard's policy and the entry's.
import { Controller, Get, Header, Module, Param, VersioningType } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const BOTH = 'https://both.test';
const WILDCARD_ONLY = 'https://wildcard.test';
const ENTRY_ONLY = 'https://entry.test';
const ORIGINS = [BOTH, WILDCARD_ONLY, ENTRY_ONLY];

const WILDCARD: Declared = { name: 'VersionOne.rest', origins: [BOTH, WILDCARD_ONLY], maxAge: 61, expose: 'x-wildcard' };
const PARAM: Declared = { name: 'VersionOne.one', origins: [BOTH], maxAge: 64, expose: 'x-param' };
const A_ENTRY: Declared = { name: "'/a/*'", origins: [BOTH, ENTRY_ONLY], maxAge: 62, expose: 'x-entry-a' };

@Controller({ path: 'a', version: '1' })
class VersionOne {
  @CrossOrigin(optionsOf(PARAM)) @Get(':p/x') @Header(SERVED_BY, 'param') one(@Param('p') p: string) { return `param ${p}`; }
  @CrossOrigin(optionsOf(WILDCARD)) @Get('*') @Header(SERVED_BY, 'wildcard') rest() { return 'wildcard'; }
}

@Module({ imports: [CorsModule.forRoot({ resources: { '/a/*': optionsOf(A_ENTRY) } })], controllers: [VersionOne] })
class AppModule {}

const TARGET = `/a/${'1'.repeat(9)}/x`;
const adapter = { name: 'Fastify' as const, create: () => new FastifyAdapter({ maxParamLength: 8 }) };

describe.each(STARTERS)('a target Fastify refuses for one version and routes for another ($how)', ({ start }) => {
  const s = startedForSuite(() => start(AppModule, adapter, (app) => {
    app.enableVersioning({ type: VersioningType.HEADER, header: 'X-API-Version' });
  }));

  it.each(ORIGINS)('GET with version 1 from %s: the wildcard route serves, with its policy', async (origin) => {
    const res = await send(s.port, 'GET', TARGET, { Origin: origin, 'X-API-Version': '1' });
    expect(servedBy(res)).toBe('wildcard');
    expectActual(res, WILDCARD, origin);
  });

  it.each(ORIGINS)('GET with no version from %s: 414 from the router, with the entry of its path', async (origin) => {
    const res = await send(s.port, 'GET', TARGET, { Origin: origin });
    expect(res.status).toBe(414);
    expectActual(res, A_ENTRY, origin);
  });

  it.each(ORIGINS)('the preflight from %s: only what both allow', async (origin) => {
    expectPreflight(await sendPreflight(s.port, TARGET, origin), [WILDCARD, A_ENTRY], origin);
  });
});
