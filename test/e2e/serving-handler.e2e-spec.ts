// SPEC §3 rules 6-8: the handler that actually serves decides. Foreign routes (registered on
// the framework, not by a Nest controller) get the resources policy even where a Nest route's
// pattern also matches; header versions each get their own policy, and a preflight only what
// every version allows; request targets are read as the router reads them; predicates get
// the framework's request object on preflights too. Apps are started as production starts
// them (NestFactory.create + listen) and through @nestjs/testing.
import { Controller, Get, Module, Post, Put, VersioningType } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp, type AdapterCase } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';

const SLUG = 'http://slug.test';
const RESOURCE = 'http://resource.test';

@CrossOrigin({ origins: SLUG })
@Controller()
class SlugController {
  @Get(':slug') get() { return 'slug'; }
  @Post(':slug') post() { return 'slug'; }
}

@Controller('admin')
class AdminController {
  @CrossOrigin(false) @Get('secret') secret() { return 'secret'; }
}

@CrossOrigin({ origins: 'http://v1.test', methods: ['GET', 'PUT'], maxAge: 600 })
// Two segments, so the one-segment ':slug' route cannot also serve (Express would pass an
// unknown version on to it, which would make it a candidate for the preflight too).
@Controller({ path: 'pets/cats', version: '1' })
class CatsV1 {
  @Get() list() { return 'v1'; }
  @Put() replace() { return 'v1 put'; }
}
@CrossOrigin({ origins: ['http://v1.test', 'http://v2.test'], methods: ['GET'], maxAge: 60 })
@Controller({ path: 'pets/cats', version: '2' })
class CatsV2 {
  @Get() list() { return 'v2'; }
  @Put() replace() { return 'v2 put'; }
}

const allowedHosts = new Set(['allowed.localhost']);
const seen: { hostname?: string; ip?: string }[] = [];
@CrossOrigin({
  origins: (_origin: string, req: unknown) => {
    const r = req as { hostname?: string; ip?: string };
    seen.push({ hostname: r.hostname, ip: r.ip });
    return typeof r.hostname === 'string' && allowedHosts.has(r.hostname) && typeof r.ip === 'string';
  },
})
@Controller('aware')
class AwareController {
  @Post() post() { return 'aware'; }
}

@Module({
  imports: [CorsModule.forRoot({ resources: { '/*': { origins: RESOURCE } } })],
  controllers: [AdminController, CatsV1, CatsV2, AwareController, SlugController],
})
class AppModule {}

/** A foreign handler on each platform, registered outside any controller. */
function mountForeign(app: INestApplication, adapter: AdapterCase): void {
  if (adapter.name === 'Express') {
    app.use('/legacy', (_req: IncomingMessage, res: ServerResponse) => res.end('legacy'));
  } else {
    const fastify = app.getHttpAdapter().getInstance() as { get(p: string, h: () => string): void; post(p: string, h: () => string): void };
    fastify.get('/legacy', () => 'legacy');
    fastify.post('/graphql', () => 'graphql');
  }
}

async function rawRequest(server: { address(): unknown }, text: string): Promise<string> {
  const { port } = server.address() as { port: number };
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    socket.on('data', (c) => (data += c));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

const START = [
  {
    how: 'NestFactory.create + listen',
    start: async (adapter: AdapterCase) => {
      const app = await NestFactory.create(AppModule, adapter.create() as never, { logger: false, abortOnError: false });
      app.enableVersioning({ type: VersioningType.HEADER, header: 'X-API-Version' });
      mountForeign(app, adapter);
      await app.listen(0, '127.0.0.1');
      return app;
    },
  },
  {
    how: '@nestjs/testing',
    start: async (adapter: AdapterCase) => {
      const app = await createApp(AppModule, adapter, (a) => {
        a.enableVersioning({ type: VersioningType.HEADER, header: 'X-API-Version' });
        mountForeign(a, adapter);
      });
      // Listening, for the raw-socket cases.
      await app.listen(0, '127.0.0.1');
      return app;
    },
  },
] as const;

describe.each(ADAPTERS)('the serving handler decides on $name', (adapter) => {
  describe.each(START)('started with $how', ({ start }) => {
    let app: INestApplication;
    const http = () => request(app.getHttpServer());
    beforeAll(async () => {
      app = await start(adapter);
    });
    afterAll(() => app.close());

    it('a foreign route next to a Nest ":slug" route gets the resources policy, never the slug\'s', async () => {
      const res = await http().get('/legacy').set('Origin', SLUG);
      expect(res.text).toBe('legacy');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const ok = await http().get('/legacy').set('Origin', RESOURCE);
      expect(ok.headers['access-control-allow-origin']).toBe(RESOURCE);
      const pre = await http().options('/legacy').set('Origin', RESOURCE).set('Access-Control-Request-Method', 'GET');
      expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([204, RESOURCE]);
      const refused = await http().options('/legacy').set('Origin', SLUG).set('Access-Control-Request-Method', 'GET');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
      // The Nest route itself keeps its own policy.
      const slug = await http().get('/anything').set('Origin', SLUG);
      expect([slug.text, slug.headers['access-control-allow-origin']]).toEqual(['slug', SLUG]);
    });

    if (adapter.name === 'Fastify') {
      it('a plugin route at /graphql beats ":slug" in find-my-way, and gets the resources policy', async () => {
        const res = await http().post('/graphql').set('Origin', RESOURCE);
        expect([res.text, res.headers['access-control-allow-origin']]).toEqual(['graphql', RESOURCE]);
        const slug = await http().post('/graphql').set('Origin', SLUG);
        expect(slug.headers['access-control-allow-origin']).toBeUndefined();
        const pre = await http().options('/graphql').set('Origin', RESOURCE).set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'content-type');
        expect([pre.status, pre.headers['access-control-allow-origin'], pre.headers['access-control-allow-headers']]).toEqual([204, RESOURCE, 'content-type']);
      });
    }

    it('header versions: each actual request gets the serving version\'s policy', async () => {
      const v2 = await http().get('/pets/cats').set('X-API-Version', '2').set('Origin', 'http://v2.test');
      expect([v2.text, v2.headers['access-control-allow-origin']]).toEqual(['v2', 'http://v2.test']);
      const v1 = await http().get('/pets/cats').set('X-API-Version', '1').set('Origin', 'http://v2.test');
      expect([v1.text, v1.headers['access-control-allow-origin']]).toEqual(['v1', undefined]);
      const v1ok = await http().get('/pets/cats').set('X-API-Version', '1').set('Origin', 'http://v1.test');
      expect([v1ok.text, v1ok.headers['access-control-allow-origin']]).toEqual(['v1', 'http://v1.test']);
    });

    it('header versions: a preflight gets only what every version allows', async () => {
      const onlyV2 = await http().options('/pets/cats').set('Origin', 'http://v2.test').set('Access-Control-Request-Method', 'GET');
      expect(onlyV2.status).toBe(204);
      expect(onlyV2.headers['access-control-allow-origin']).toBeUndefined();
      const both = await http().options('/pets/cats').set('Origin', 'http://v1.test').set('Access-Control-Request-Method', 'GET');
      expect([both.headers['access-control-allow-origin'], both.headers['access-control-allow-methods'], both.headers['access-control-max-age']])
        .toEqual(['http://v1.test', 'GET', '60']);
      // PUT is served by both versions (each says so); v1 allows it, v2 does not: the method
      // is refused as v2 would, the origin both admit still answered.
      for (const [version, who] of [['1', 'v1 put'], ['2', 'v2 put']]) {
        expect((await http().put('/pets/cats').set('X-API-Version', version)).text).toBe(who);
      }
      const put = await http().options('/pets/cats').set('Origin', 'http://v1.test').set('Access-Control-Request-Method', 'PUT');
      expect(put.headers['access-control-allow-methods']).toBeUndefined();
      expect(put.headers['access-control-allow-origin']).toBe('http://v1.test');
    });

    it('preflights vary on Origin, ACRM and ACRH, and ACRPN when Private Network Access is answered', async () => {
      const res = await http().options('/anything').set('Origin', SLUG).set('Access-Control-Request-Method', 'POST');
      expect(res.headers.vary).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      const refused = await http().options('/anything').set('Origin', 'http://evil.test').set('Access-Control-Request-Method', 'POST');
      expect(refused.headers.vary).toBe('Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
      const pna = await http().options('/anything').set('Origin', SLUG).set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Private-Network', 'true');
      expect([pna.headers['access-control-allow-private-network'], pna.headers.vary]).toEqual([
        'false', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network']);
      const actual = await http().post('/anything').set('Origin', SLUG);
      expect(actual.headers.vary).toBe('Origin');
    });

    it.each([
      ['absolute form', (port: number) => `GET http://127.0.0.1:${port}/admin/secret HTTP/1.1`],
      ['a fragment', () => 'GET /admin/secret#/../../x HTTP/1.1'],
      ['a query', () => 'GET /admin/secret?x=/../y HTTP/1.1'],
    ])('%s: the @CrossOrigin(false) handler that runs sends no CORS headers', async (_desc, line) => {
      const server = app.getHttpServer();
      const { port } = server.address() as { port: number };
      const text = await rawRequest(server, `${line(port)}\r\nHost: 127.0.0.1\r\nOrigin: ${RESOURCE}\r\nConnection: close\r\n\r\n`);
      const [head, body] = text.split('\r\n\r\n');
      // Both routers serve these targets with the handler the path names.
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      expect(body).toContain('secret');
      expect(head.toLowerCase()).not.toContain('access-control-allow-origin');
    });

    it('origin predicates get the framework\'s request (hostname, ip) on preflights and actual requests', async () => {
      seen.length = 0;
      const pre = await http().options('/aware').set('Host', 'allowed.localhost').set('Origin', 'http://any.test').set('Access-Control-Request-Method', 'POST');
      expect(pre.headers['access-control-allow-origin']).toBe('http://any.test');
      const denied = await http().options('/aware').set('Host', 'other.localhost').set('Origin', 'http://any.test').set('Access-Control-Request-Method', 'POST');
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
      const act = await http().post('/aware').set('Host', 'allowed.localhost').set('Origin', 'http://any.test');
      expect(act.headers['access-control-allow-origin']).toBe('http://any.test');
      expect(seen).toEqual([
        { hostname: 'allowed.localhost', ip: expect.any(String) },
        { hostname: 'other.localhost', ip: expect.any(String) },
        { hostname: 'allowed.localhost', ip: expect.any(String) },
      ]);
    });
  });
});

describe.each(ADAPTERS)('explain mode on $name', (adapter) => {
  it('names the paths whose versions have different policies, at start-up', async () => {
    const logger = new CaptureLogger();
    const app = await NestFactory.create(
      { module: class DebugModule {}, imports: [CorsModule.forRoot({ debug: true })], controllers: [CatsV1, CatsV2, SlugController] } as never,
      adapter.create() as never,
      { logger, abortOnError: false },
    );
    app.enableVersioning({ type: VersioningType.HEADER, header: 'X-API-Version' });
    await app.init();
    const warnings = logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);
    expect(warnings).toEqual([
      'GET /pets/cats: its versions (CatsV1.list, CatsV2.list) have different CORS policies; a preflight carries no version, so it gets only what all of them allow',
      'PUT /pets/cats: its versions (CatsV1.replace, CatsV2.replace) have different CORS policies; a preflight carries no version, so it gets only what all of them allow',
    ]);
    await app.close();
  });
});
