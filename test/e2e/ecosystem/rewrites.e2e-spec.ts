// Issue 14, class 3: middleware that rewrites the request target. On Express an `app.use()`
// function and a Nest middleware map `/old/…` (and `/older/…`) to `/new/…` by assigning
// `req.url`: the actual request is served by the `/new` handler and gets its policy (SPEC §3
// rule 6). The library answers a preflight before any middleware runs (so an auth middleware
// never answers one): a preflight is decided on the target as received, the old path's policy,
// and explain mode says so the first time it sees a rewrite. Fastify's own `rewriteUrl` runs
// before routing, for preflights too: both agree on the rewritten target.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Header, Injectable, Module, Param, RequestMethod, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../../utility/adapters.js';
import { CaptureLogger } from '../../utility/capture-logger.js';
import { SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const NEW_ORIGIN = 'https://new.test';
const OLD_ORIGIN = 'https://old.test';
const ROOT_ORIGIN = 'https://root.test';
const ORIGINS = [NEW_ORIGIN, OLD_ORIGIN, ROOT_ORIGIN];

const NEW: Declared = { name: 'NewController.get', origins: [NEW_ORIGIN], maxAge: 31, expose: 'x-new' };
const OLD_ENTRY: Declared = { name: "'/old*'", origins: [OLD_ORIGIN], maxAge: 32, expose: 'x-entry-old' };
const ROOT_ENTRY: Declared = { name: "'/*'", origins: [ROOT_ORIGIN], maxAge: 33, expose: 'x-entry-root' };

@CrossOrigin(optionsOf(NEW))
@Controller('new')
class NewController {
  @Get(':item') @Header(SERVED_BY, 'new') get(@Param('item') item: string) { return `new ${item}`; }
}

/** `/<from>/x` → `/new/x`, as written in an app's own middleware; other targets untouched. */
function rewrite(from: string, req: IncomingMessage): void {
  const url = req.url ?? '/';
  if (url.startsWith(`/${from}/`)) req.url = `/new/${url.slice(from.length + 2)}`;
}

/** A Nest middleware rewriting `/older/…`. */
@Injectable()
class OlderToNew implements NestMiddleware {
  use(req: IncomingMessage, _res: ServerResponse, next: () => void) {
    rewrite('older', req);
    next();
  }
}

function appModule(debug: boolean) {
  @Module({
    imports: [CorsModule.forRoot({ debug, resources: { '/old*': optionsOf(OLD_ENTRY), '/*': optionsOf(ROOT_ENTRY) } })],
    controllers: [NewController],
    providers: [OlderToNew],
  })
  class AppModule implements NestModule {
    configure(consumer: MiddlewareConsumer) {
      // Bound to GET: Nest registers it as an Express route then, which sees the whole target.
      // For every method it would be `app.use('/older/*path')`, which strips the matched path
      // from `req.url` and puts it back in front of whatever the middleware assigns.
      consumer.apply(OlderToNew).forRoutes({ path: 'older/*path', method: RequestMethod.GET });
    }
  }
  return AppModule;
}

const EXPRESS = ADAPTERS.find((a) => a.name === 'Express') as AdapterCase;
const REWRITTEN = [
  { how: 'app.use()', target: '/old/a' },
  { how: 'a Nest middleware', target: '/older/b' },
];

describe.each(STARTERS)('Express: middleware rewriting req.url ($how)', ({ start }) => {
  const logger = new CaptureLogger();
  const s = startedForSuite(() => start(appModule(true), EXPRESS, (app) => {
    app.use((req: IncomingMessage, _res: ServerResponse, next: () => void) => {
      rewrite('old', req);
      next();
    });
  }, logger));

  const corsLines = () => logger.lines.filter((l) => l.context === 'CorsModule').map((l) => l.message);

  it.each(REWRITTEN)('$how: $target is served by the /new handler', async ({ target }) => {
    const res = await send(s.port, 'GET', target);
    expect([res.status, servedBy(res), res.body]).toEqual([200, 'new', `new ${target.split('/')[2]}`]);
  });

  it.each(REWRITTEN.flatMap((r) => ORIGINS.map((origin) => ({ ...r, origin }))))(
    '$how: GET $target from $origin gets the policy of the handler that served it',
    async ({ target, origin }) => {
      const res = await send(s.port, 'GET', target, { Origin: origin });
      expect(servedBy(res)).toBe('new');
      expectActual(res, NEW, origin);
    },
  );

  it.each(REWRITTEN.flatMap((r) => ORIGINS.map((origin) => ({ ...r, origin }))))(
    '$how: the preflight of GET $target from $origin is decided on the target as received (the old path\'s entry)',
    async ({ target, origin }) => {
      expectPreflight(await sendPreflight(s.port, target, origin), [OLD_ENTRY], origin);
    },
  );

  it('explain mode logs a rewrite the first time it sees one, naming both targets', async () => {
    // A fresh target: the earlier tests may have made the library see /old/a already.
    const before = corsLines().length;
    await send(s.port, 'GET', '/old/first-seen', { Origin: NEW_ORIGIN });
    const logged = corsLines().slice(before);
    const line = logged.find((l) => /rewr/i.test(l));
    expect({ logged, line }).toEqual({ logged, line: expect.stringContaining('/old/first-seen') });
    expect(line).toContain('/new/first-seen');
  });

  it('explain mode does not repeat it for the same rewrite', async () => {
    await send(s.port, 'GET', '/old/again', { Origin: NEW_ORIGIN });
    const before = corsLines().filter((l) => /rewr/i.test(l)).length;
    expect(before).toBeGreaterThan(0);
    await send(s.port, 'GET', '/old/again', { Origin: NEW_ORIGIN });
    expect(corsLines().filter((l) => /rewr/i.test(l)).length).toBe(before);
  });
});

/** Fastify's own rewriteUrl: runs before routing, for every request. */
const FASTIFY_REWRITING: AdapterCase = {
  name: 'Fastify',
  create: () => new FastifyAdapter({ rewriteUrl: (req: IncomingMessage) => (req.url ?? '/').replace(/^\/old\//, '/new/') }),
};

describe.each(STARTERS)('Fastify: rewriteUrl ($how)', ({ start }) => {
  const s = startedForSuite(() => start(appModule(false), FASTIFY_REWRITING));

  it('/old/a is served by the /new handler', async () => {
    const res = await send(s.port, 'GET', '/old/a');
    expect([res.status, servedBy(res), res.body]).toEqual([200, 'new', 'new a']);
  });

  it.each(ORIGINS)('GET /old/a from %s gets the policy of the handler that served it', async (origin) => {
    const res = await send(s.port, 'GET', '/old/a', { Origin: origin });
    expect(servedBy(res)).toBe('new');
    expectActual(res, NEW, origin);
  });

  it.each(ORIGINS)('the preflight of GET /old/a from %s agrees: the rewritten target\'s handler', async (origin) => {
    expectPreflight(await sendPreflight(s.port, '/old/a', origin), [NEW], origin);
  });
});
