// SPEC §3: merge order key by key, named policies, false, resources; forRoot and forRootAsync.
import { Controller, Get, Injectable, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, CorsService, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, corsHeaders, preflight } from '../utility/http.js';

@CrossOrigin({ origins: 'https://*.partner.example', maxAge: 100 })
@Controller('cats')
class CatsController {
  @Get() list() { return 'list'; }
  @CrossOrigin({ maxAge: 600 }) @Post() create() { return 'create'; }
  @CrossOrigin({ origins: ['https://only.example'] }) @Get('only') only() { return 'only'; }
  @CrossOrigin(false) @Get('internal') internal() { return 'internal'; }
  @CrossOrigin('partners') @Get('feed') feed() { return 'feed'; }
}

@CrossOrigin(false)
@Controller('private')
class PrivateController {
  @Get() hidden() { return 'hidden'; }
  @CrossOrigin({ origins: 'https://reopened.example' }) @Get('open') open() { return 'open'; }
  @CrossOrigin('partners') @Get('feed') feed() { return 'feed'; }
}

@CrossOrigin('partners')
@Controller('partner-area')
class PartnerAreaController {
  @Get() index() { return 'index'; }
  @CrossOrigin({ maxAge: 42, exposeHeaders: ['X-Area'] }) @Get('tuned') tuned() { return 'tuned'; }
  @CrossOrigin(false) @Get('closed') closed() { return 'closed'; }
}

@Controller()
class PlainController {
  @Get('api/v1/secure') secure() { return 'secure'; }
  @Get('api/v1/items') items() { return 'items'; }
  @Get('home') home() { return 'home'; }
}

const ROOT = {
  origins: ['https://app.example'],
  exposeHeaders: ['X-Total'],
  resources: { '/api/*': { origins: 'https://api-client.example' }, '/api/v1/secure': { origins: 'https://secure.example' } },
  policies: { partners: { origins: 'https://feed.example', exposeHeaders: ['X-Feed'] } },
};

/** A ConfigService-like provider, as apps inject into forRootAsync. */
@Injectable()
class FakeConfigService {
  get(key: string): unknown {
    return key === 'CORS' ? ROOT : undefined;
  }
}
@Module({ providers: [FakeConfigService], exports: [FakeConfigService] })
class FakeConfigModule {}

const MODULES = [
  { how: 'forRoot', module: CorsModule.forRoot(ROOT) },
  { how: 'forRootAsync (useFactory + inject)', module: CorsModule.forRootAsync({ imports: [FakeConfigModule], inject: [FakeConfigService], useFactory: async (config: FakeConfigService) => config.get('CORS') as never }) },
  { how: 'forRootAsync (useClass)', module: CorsModule.forRootAsync({ useClass: class { createCorsOptions() { return ROOT; } } }) },
];

describe.each(ADAPTERS)('merge order on $name', (adapter) => {
  describe.each(MODULES)('with $how', ({ module }) => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createApp({ imports: [module], controllers: [CatsController, PrivateController, PartnerAreaController, PlainController] }, adapter);
    });
    afterAll(() => app.close());

    it('controller options replace forRoot keys they set and inherit the others', async () => {
      const res = await actual(app, 'get', '/cats', 'https://a.partner.example');
      expect(corsHeaders(res.headers)).toEqual({ 'access-control-allow-origin': 'https://a.partner.example', 'access-control-expose-headers': 'X-Total' });
      expect(corsHeaders((await actual(app, 'get', '/cats', 'https://app.example')).headers)).toEqual({});
    });

    it('handler options replace controller keys (maxAge) and keep the rest (origins)', async () => {
      const res = await preflight(app, '/cats', 'https://a.partner.example', 'POST');
      expect(res.headers['access-control-max-age']).toBe('600');
      const list = await preflight(app, '/cats', 'https://a.partner.example', 'GET');
      expect(list.headers['access-control-max-age']).toBe('100');
    });

    it('arrays replace, never union', async () => {
      expect((await actual(app, 'get', '/cats/only', 'https://only.example')).headers['access-control-allow-origin']).toBe('https://only.example');
      expect(corsHeaders((await actual(app, 'get', '/cats/only', 'https://a.partner.example')).headers)).toEqual({});
      expect(corsHeaders((await actual(app, 'get', '/cats/only', 'https://app.example')).headers)).toEqual({});
    });

    it('@CrossOrigin(false) on a handler turns CORS off, preflights included', async () => {
      expect(corsHeaders((await actual(app, 'get', '/cats/internal', 'https://a.partner.example')).headers)).toEqual({});
      const pre = await preflight(app, '/cats/internal', 'https://a.partner.example', 'GET');
      expect(corsHeaders(pre.headers)).toEqual({});
      expect(pre.status).toBe(404); // the app answers, as without the library
    });

    it('a named policy stands in for the handler options', async () => {
      const res = await actual(app, 'get', '/cats/feed', 'https://feed.example');
      expect(corsHeaders(res.headers)).toEqual({ 'access-control-allow-origin': 'https://feed.example', 'access-control-expose-headers': 'X-Feed' });
    });

    it('a controller false is reopened by handler options or a handler policy', async () => {
      expect(corsHeaders((await actual(app, 'get', '/private', 'https://app.example')).headers)).toEqual({});
      expect((await actual(app, 'get', '/private/open', 'https://reopened.example')).headers['access-control-allow-origin']).toBe('https://reopened.example');
      expect((await actual(app, 'get', '/private/feed', 'https://feed.example')).headers['access-control-allow-origin']).toBe('https://feed.example');
    });

    it('a named policy on the controller: handler options override its keys, false turns it off', async () => {
      const index = await actual(app, 'get', '/partner-area', 'https://feed.example');
      expect(corsHeaders(index.headers)).toEqual({ 'access-control-allow-origin': 'https://feed.example', 'access-control-expose-headers': 'X-Feed' });
      const tuned = await preflight(app, '/partner-area/tuned', 'https://feed.example', 'GET');
      expect(tuned.headers['access-control-allow-origin']).toBe('https://feed.example');
      expect(tuned.headers['access-control-max-age']).toBe('42');
      expect(tuned.headers['access-control-expose-headers']).toBe('X-Area');
      expect(corsHeaders((await actual(app, 'get', '/partner-area/tuned', 'https://app.example')).headers)).toEqual({});
      expect(corsHeaders((await actual(app, 'get', '/partner-area/closed', 'https://feed.example')).headers)).toEqual({});
      expect(app.get(CorsService).policyFor('GET', '/partner-area/tuned')?.sources).toMatchObject({
        origins: 'policy:partners', maxAge: 'handler', exposeHeaders: 'handler', methods: 'default',
      });
    });

    it('undecorated routes use defaults < forRoot < the most specific resource', async () => {
      expect((await actual(app, 'get', '/api/v1/items', 'https://api-client.example')).headers['access-control-allow-origin']).toBe('https://api-client.example');
      expect(corsHeaders((await actual(app, 'get', '/api/v1/items', 'https://app.example')).headers)).toEqual({});
      expect((await actual(app, 'get', '/api/v1/secure', 'https://secure.example')).headers['access-control-allow-origin']).toBe('https://secure.example');
      expect(corsHeaders((await actual(app, 'get', '/api/v1/secure', 'https://api-client.example')).headers)).toEqual({});
      // The resource entry inherits forRoot's exposeHeaders.
      expect((await actual(app, 'get', '/api/v1/items', 'https://api-client.example')).headers['access-control-expose-headers']).toBe('X-Total');
    });

    it('with resources given and none matching, no CORS headers (routed or not)', async () => {
      expect(corsHeaders((await actual(app, 'get', '/home', 'https://app.example')).headers)).toEqual({});
      const missing = await actual(app, 'get', '/nowhere', 'https://app.example');
      expect(missing.status).toBe(404);
      expect(corsHeaders(missing.headers)).toEqual({});
    });

    it('unrouted paths under a resource get its headers on the 404 (rule 3)', async () => {
      const res = await actual(app, 'get', '/api/v2/missing', 'https://api-client.example');
      expect(res.status).toBe(404);
      expect(res.headers['access-control-allow-origin']).toBe('https://api-client.example');
    });

    it('decorated routes ignore resources entirely (Flask-CORS: the decorator wins)', async () => {
      const svc = app.get(CorsService);
      expect(svc.policyFor('GET', '/cats')?.sources).toMatchObject({ origins: 'controller', exposeHeaders: 'forRoot', maxAge: 'controller', methods: 'default' });
      expect(svc.policyFor('GET', '/api/v1/items')?.sources).toMatchObject({ origins: 'resource', exposeHeaders: 'forRoot' });
    });
  });
});

describe('forRootAsync', () => {
  it('fails start-up with a clear error when given no factory', () => {
    expect(() => CorsModule.forRootAsync({} as never)).toThrow(/useFactory, useClass or useExisting/);
  });
});
