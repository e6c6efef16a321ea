// One handler that Nest registers under several paths (URI versions from a `defaultVersion`
// array, a path array) serves each of them: an undecorated one gets the `resources` entry of
// the path that served the request, on the actual request and the preflight (SPEC §3 rule 6).
// Each handler answers with the route the framework matched (Express's `req.route.path`,
// Fastify's `request.routeOptions.url`), so the test expects that route's entry.
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

/** What a request says of itself once routed: the route the framework matched, and its URL. */
interface Routed {
  originalUrl?: string;
  url: string;
  route?: { path?: string };
  routeOptions?: { url?: string };
}

/** The route that served, as the framework names it, and the target as the handler saw it. */
const whoServed = (req: Routed) => ({ route: req.route?.path ?? req.routeOptions?.url, url: req.originalUrl ?? req.url });

@Controller('x')
class VersionedController {
  @Delete('billing/:bid') remove(@Req() req: Routed) { return whoServed(req); }
}

@Controller({ path: '', version: VERSION_NEUTRAL })
class PathsController {
  @Get(['old/items', 'new/items']) list(@Req() req: Routed) { return whoServed(req); }
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
      const served = res.body as { route?: string; url: string };
      expect(served.url).toBe(target);
      // The route the framework matched, with the parameter the test sent: the expected entry is its.
      expect(typeof served.route).toBe('string');
      expect(served.route!.replace(':bid', '7')).toBe(target);
      const expected = entryOf(served.route!);
      expect([origin, res.headers['access-control-allow-origin']]).toEqual([origin, origin === expected ? origin : undefined]);
      const pre = await preflight(app, target, origin, acrm);
      expect(pre.status).toBe(204);
      expect([origin, pre.headers['access-control-allow-origin']]).toEqual([origin, origin === expected ? origin : undefined]);
    }
  });
});
