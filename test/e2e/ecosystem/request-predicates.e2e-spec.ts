// SPEC §3 rule 8: an origin predicate always gets the framework's request object (Express
// `Request`, `FastifyRequest`), on preflights as on actual requests, so a rule on
// `req.hostname` or `req.ip` decides a preflight the way it decides the request it announces.
// A deny-list on `req.ip` must refuse the blocked client's preflight, not let it pass.
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { CorsModule } from '../../../lib/index.js';
import { startApp, type Started } from './start.js';

const ORIGIN = 'https://page.test';
const ALLOWED_HOST = 'api.allowed.test';
const OTHER_HOST = 'api.other.test';
const CLIENT_IP = '198.51.100.1';
const BLOCKED_IP = '203.0.113.7';

interface Seen { readonly hostname: unknown; readonly ip: unknown; readonly frameworkRequest: boolean }
const seen: Seen[] = [];
let isFrameworkRequest: (req: unknown) => boolean = () => false;

const allowedHosts = new Set([ALLOWED_HOST]);
const blockedIps = new Set([BLOCKED_IP]);

/** Admits any origin, but only for requests to an allowed host from a client not blocked. */
function byHostAndIp(_origin: string, req: unknown): boolean {
  const { hostname, ip } = req as { hostname?: unknown; ip?: unknown };
  seen.push({ hostname, ip, frameworkRequest: isFrameworkRequest(req) });
  return typeof hostname === 'string' && allowedHosts.has(hostname) && typeof ip === 'string' && !blockedIps.has(ip);
}

@Controller('items')
class ItemsController {
  @Get() list() { return 'items'; }
}

@Module({ imports: [CorsModule.forRoot({ origins: byHostAndIp })], controllers: [ItemsController] })
class AppModule {}

// Behind a proxy, as such deny-lists are: the framework reads the client from X-Forwarded-For.
const ADAPTERS = [
  {
    name: 'Express',
    create: () => new ExpressAdapter(),
    trustProxy: (app: INestApplication) => (app.getHttpAdapter().getInstance() as { set(k: string, v: unknown): void }).set('trust proxy', true),
    isFrameworkRequest: (s: Started) => (req: unknown) => (req as { app?: unknown }).app === s.app.getHttpAdapter().getInstance(),
  },
  {
    name: 'Fastify',
    create: () => new FastifyAdapter({ trustProxy: true }),
    trustProxy: (_app: INestApplication) => undefined,
    isFrameworkRequest: (s: Started) => (req: unknown) => (req as { server?: unknown }).server === s.app.getHttpAdapter().getInstance(),
  },
] as const;

describe.each(ADAPTERS)('request-aware origin predicates on $name', (adapter) => {
  let s: Started;
  beforeAll(async () => {
    s = await startApp(AppModule, adapter, (app) => adapter.trustProxy(app));
    isFrameworkRequest = adapter.isFrameworkRequest(s);
  });
  afterAll(() => s?.app.close());
  beforeEach(() => { seen.length = 0; });

  const preflight = (host: string, ip: string) => request(s.url).options('/items')
    .set('Host', host).set('X-Forwarded-For', ip).set('Origin', ORIGIN).set('Access-Control-Request-Method', 'GET');
  const actual = (host: string, ip: string) => request(s.url).get('/items').set('Host', host).set('X-Forwarded-For', ip).set('Origin', ORIGIN);

  it('the preflight gets the framework request, with hostname and ip, and is allowed', async () => {
    const res = await preflight(ALLOWED_HOST, CLIENT_IP);
    expect(seen).toEqual([{ hostname: ALLOWED_HOST, ip: CLIENT_IP, frameworkRequest: true }]);
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([204, ORIGIN]);
  });

  it('the actual request gets the same kind of request object, and the same answer', async () => {
    const res = await actual(ALLOWED_HOST, CLIENT_IP);
    expect(seen).toEqual([{ hostname: ALLOWED_HOST, ip: CLIENT_IP, frameworkRequest: true }]);
    expect([res.status, res.text, res.headers['access-control-allow-origin']]).toEqual([200, 'items', ORIGIN]);
  });

  it('a blocked client\'s preflight is refused, as its actual request is', async () => {
    const pre = await preflight(ALLOWED_HOST, BLOCKED_IP);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await actual(ALLOWED_HOST, BLOCKED_IP);
    expect([res.text, res.headers['access-control-allow-origin']]).toEqual(['items', undefined]);
    expect(seen.map((x) => x.ip)).toEqual([BLOCKED_IP, BLOCKED_IP]);
  });

  it('a preflight to a host not in the list is refused, as its actual request is', async () => {
    const pre = await preflight(OTHER_HOST, CLIENT_IP);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await actual(OTHER_HOST, CLIENT_IP);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(seen).toEqual([
      { hostname: OTHER_HOST, ip: CLIENT_IP, frameworkRequest: true },
      { hostname: OTHER_HOST, ip: CLIENT_IP, frameworkRequest: true },
    ]);
  });
});
