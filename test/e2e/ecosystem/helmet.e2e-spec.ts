// helmet beside CorsModule (docs/RECIPES.md, "helmet"). helmet's default
// `Cross-Origin-Resource-Policy: same-origin` blocks other origins' no-cors loads (<img>,
// <script>, fetch(mode: 'no-cors')) but not CORS fetches: the Fetch standard applies the CORP
// check only to no-cors responses, so a CORS read is decided by ACAO alone. Both headers must
// be on the response, whichever middleware runs first; for assets meant to be embedded
// elsewhere, helmet's `crossOriginResourcePolicy` is set to 'cross-origin' (or 'same-site').
import { Controller, Get, Module } from '@nestjs/common';
import helmet, { type HelmetOptions } from 'helmet';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { startApp, type Started } from './start.js';

const PAGE = 'https://page.test';

@Controller('api')
class ApiController {
  @Get('items') items() { return ['a', 'b']; }
  @CrossOrigin(false) @Get('internal') internal() { return 'internal'; }
}

@Module({ imports: [CorsModule.forRoot({ origins: [PAGE], exposeHeaders: ['X-Total'] })], controllers: [ApiController] })
class AppModule {}

const SETUPS: { desc: string; options: HelmetOptions | undefined; corp: string }[] = [
  { desc: 'helmet() defaults', options: undefined, corp: 'same-origin' },
  { desc: "crossOriginResourcePolicy: 'cross-origin'", options: { crossOriginResourcePolicy: { policy: 'cross-origin' } }, corp: 'cross-origin' },
  { desc: "crossOriginResourcePolicy: 'same-site'", options: { crossOriginResourcePolicy: { policy: 'same-site' } }, corp: 'same-site' },
];

const CASES = ADAPTERS.flatMap((adapter) => SETUPS.map((setup) => ({ adapter, ...setup })));

describe.each(CASES)('$desc on $adapter.name', ({ adapter, options, corp }) => {
  let s: Started;
  beforeAll(async () => {
    // app.use() on Fastify goes through @fastify/middie, which runs Connect-style middleware.
    s = await startApp(AppModule, adapter, (app) => { app.use(helmet(options)); });
  });
  afterAll(() => s?.app.close());

  it('an allowed CORS fetch gets the CORS headers and helmet\'s headers, CORP included', async () => {
    const res = await request(s.url).get('/api/items').set('Origin', PAGE);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(PAGE);
    expect(res.headers['access-control-expose-headers']).toBe('X-Total');
    expect(res.headers['cross-origin-resource-policy']).toBe(corp);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
  });

  it('a refused origin gets helmet\'s headers but no CORS header', async () => {
    const res = await request(s.url).get('/api/items').set('Origin', 'https://evil.test');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['cross-origin-resource-policy']).toBe(corp);
    const off = await request(s.url).get('/api/internal').set('Origin', PAGE);
    expect([off.text, off.headers['access-control-allow-origin'], off.headers['cross-origin-resource-policy']]).toEqual(['internal', undefined, corp]);
  });

  it('the preflight is answered before helmet, with the CORS headers', async () => {
    const res = await request(s.url).options('/api/items').set('Origin', PAGE).set('Access-Control-Request-Method', 'GET');
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([204, PAGE]);
    expect(res.headers['access-control-allow-methods']).toMatch(/\bGET\b/);
  });
});
