import { Controller, Get, Post } from '@nestjs/common';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';

@CrossOrigin({ origins: 'https://*.partner.example' })
@Controller('cats')
class CatsController {
  @Get() list() { return ['tom']; }
  @CrossOrigin({ maxAge: 600 }) @Post() create() { return { ok: true }; }
  @CrossOrigin(false) @Get('internal') internal() { return 'internal'; }
}

describe.each(ADAPTERS)('smoke on $name', (adapter) => {
  let app: Awaited<ReturnType<typeof createApp>>;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot({ origins: ['https://app.example.com'] })], controllers: [CatsController] }, adapter);
  });
  afterAll(() => app.close());

  it('echoes an allowed origin on an actual request', async () => {
    const res = await request(app.getHttpServer()).get('/cats').set('Origin', 'https://a.partner.example');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://a.partner.example');
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('answers a preflight with the handler policy', async () => {
    const res = await request(app.getHttpServer()).options('/cats')
      .set('Origin', 'https://a.partner.example').set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://a.partner.example');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers['access-control-allow-headers']).toBe('content-type');
  });

  it('sends nothing on a disabled route', async () => {
    const res = await request(app.getHttpServer()).get('/cats/internal').set('Origin', 'https://a.partner.example');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('uses forRoot on unrouted paths', async () => {
    const res = await request(app.getHttpServer()).get('/nope').set('Origin', 'https://app.example.com');
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
  });
});
