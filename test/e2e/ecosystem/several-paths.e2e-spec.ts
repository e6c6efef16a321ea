// One handler that Nest registers under several paths (URI versions from a `defaultVersion`
// array, a path array) serves each of them: an undecorated one gets the `resources` entry of
// the path that served the request, on the actual request and the preflight (SPEC §3 rule 6).
// Each handler answers with the path it was reached on, so the test expects that path's entry.
import { Controller, Delete, Get, Req, VERSION_NEUTRAL, VersioningType, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { CorsModule } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { actual, preflight } from '../../utility/http.js';
import { rootModule } from '../../utility/start.js';

const ENTRIES = {
  '/v1/*': 'https://v1.test',
  '/v2/*': 'https://v2.test',
  '/old/*': 'https://old.test',
  '/new/*': 'https://new.test',
} as const;
const ORIGINS = Object.values(ENTRIES);

@Controller('x')
class VersionedController {
  @Delete('billing/:bid') remove(@Req() req: { originalUrl: string; url: string }) { return req.originalUrl ?? req.url; }
}

@Controller({ path: '', version: VERSION_NEUTRAL })
class PathsController {
  @Get(['old/items', 'new/items']) list(@Req() req: { originalUrl: string; url: string }) { return req.originalUrl ?? req.url; }
}

/** The origin the `resources` entry of `path` admits. */
const entryOf = (path: string) => Object.entries(ENTRIES).find(([glob]) => path.startsWith(glob.slice(0, -1)))![1];

/** Both ways an app starts, with URI versions and `defaultVersion: ['1', '2']`. */
const STARTS = [
  { how: 'NestFactory.create + listen(0)', create: (module: never, adapter: never) => NestFactory.create(module, adapter, { logger: false, abortOnError: false }) },
  { how: '@nestjs/testing + listen(0)', create: async (module: never, adapter: never) => (await Test.createTestingModule({ imports: [module] }).compile()).createNestApplication(adapter, { logger: false }) },
];

describe.each(ADAPTERS.flatMap((adapter) => STARTS.map((s) => ({ adapter, ...s }))))('one handler, several paths, on $adapter.name ($how)', ({ adapter, create }) => {
  let app: INestApplication;
  beforeAll(async () => {
    const module = rootModule([CorsModule.forRoot({ resources: Object.fromEntries(Object.entries(ENTRIES).map(([glob, origin]) => [glob, { origins: origin }])) })], [VersionedController, PathsController]);
    app = await create(module as never, adapter.create() as never);
    app.enableVersioning({ type: VersioningType.URI, defaultVersion: ['1', '2'] });
    await app.listen(0, '127.0.0.1');
  });
  afterAll(() => app.close());

  it.each([
    ['delete', '/v1/x/billing/7', 'DELETE'],
    ['delete', '/v2/x/billing/7', 'DELETE'],
    ['get', '/old/items', 'GET'],
    ['get', '/new/items', 'GET'],
  ] as const)('%s %s: the entry of the path that served', async (method, target, acrm) => {
    for (const origin of ORIGINS) {
      const res = await actual(app, method, target, origin);
      expect(res.status).toBe(200);
      const served = res.text;
      expect(served).toBe(target);
      const expected = entryOf(served);
      expect([origin, res.headers['access-control-allow-origin']]).toEqual([origin, origin === expected ? origin : undefined]);
      const pre = await preflight(app, target, origin, acrm);
      expect([origin, pre.headers['access-control-allow-origin']]).toEqual([origin, origin === expected ? origin : undefined]);
    }
  });
});
