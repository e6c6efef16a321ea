// A route at '/' under a mount (an express.Router at app.use('/legacy'), a Fastify plugin
// registered with prefix '/legacy') serves both '/legacy' and '/legacy/'. Fastify tells
// onRoute only of the first spelling (its prefixTrailingSlash 'both' adds the second quietly),
// so a preflight to '/legacy/' once fell to the looser entry of the request path ('/*').
// Both spellings are the route's: its entry ('/legacy'), on the actual request and the preflight.
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Controller, Get, Header, Module, Param, type INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../../utility/adapters.js';
import { SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const LEGACY = 'https://legacy.test'; // the '/legacy' entry only
const ROOT = 'https://root.test'; // the '/*' entry and the slug
const ORIGINS = [LEGACY, ROOT];

const LEGACY_ENTRY: Declared = { name: "'/legacy'", origins: [LEGACY], maxAge: 30, expose: 'x-entry-legacy' };
const ROOT_ENTRY: Declared = { name: "'/*'", origins: [ROOT], maxAge: 40, expose: 'x-entry-root' };
const SLUG: Declared = { name: 'SlugController.get', origins: [ROOT], maxAge: 50, expose: 'x-slug' };

@CrossOrigin(optionsOf(SLUG))
@Controller()
class SlugController {
  @Get(':slug') @Header(SERVED_BY, 'slug') get(@Param('slug') slug: string) { return `slug ${slug}`; }
}

@Module({
  imports: [CorsModule.forRoot({ resources: { '/legacy': optionsOf(LEGACY_ENTRY), '/*': optionsOf(ROOT_ENTRY) } })],
  controllers: [SlugController],
})
class AppModule {}

const require = createRequire(import.meta.url);
interface ExpressRouter {
  get(path: string, handler: (req: { method: string }, res: ServerResponse) => void): void;
}
interface FastifyPlugins {
  register(plugin: (f: FastifyRoutes, opts: unknown, done: () => void) => void, opts: { prefix: string }): unknown;
}
interface FastifyRoutes {
  get(path: string, handler: (req: unknown, reply: { header(k: string, v: string): { type(t: string): { send(b: string): void } } }) => void): void;
}

function mount(app: INestApplication, adapter: AdapterCase): void {
  if (adapter.name === 'Express') {
    const router = (require('express') as { Router(): ExpressRouter }).Router();
    router.get('/', (req, res) => {
      res.setHeader(SERVED_BY, 'legacy');
      res.end(`legacy ${req.method}`);
    });
    app.use('/legacy', router);
  } else {
    const instance = (app as NestFastifyApplication).getHttpAdapter().getInstance() as unknown as FastifyPlugins;
    instance.register((f, _opts, done) => {
      f.get('/', (_req, reply) => reply.header(SERVED_BY, 'legacy').type('text/plain').send('legacy GET'));
      done();
    }, { prefix: '/legacy' });
  }
}

const TARGETS = ['/legacy', '/legacy/'];
const WHO = ADAPTERS.flatMap((adapter) => STARTERS.map((s) => ({ adapter, ...s })));

describe.each(WHO)("a mount's '/' route, beside @Get(':slug'), on $adapter.name ($how)", ({ adapter, start }) => {
  const s = startedForSuite(() => start(AppModule, adapter, (app) => mount(app, adapter)));
  const cases = TARGETS.flatMap((target) => ORIGINS.map((origin) => ({ target, origin })));

  it('the route serves both spellings, and says so', async () => {
    for (const target of TARGETS) expect(servedBy(await send(s.port, 'GET', target))).toBe('legacy');
  });

  it.each(cases)('GET $target from $origin gets the route\'s entry', async ({ target, origin }) => {
    expectActual(await send(s.port, 'GET', target, { Origin: origin }), LEGACY_ENTRY, origin);
  });

  it.each(cases)('the preflight of GET $target from $origin gets the route\'s entry', async ({ target, origin }) => {
    expectPreflight(await sendPreflight(s.port, target, origin), [LEGACY_ENTRY], origin);
  });
});
