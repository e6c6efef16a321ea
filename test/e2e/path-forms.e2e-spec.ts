// A request reaches a handler only in forms its router accepts: percent-encoded letters on
// Fastify (find-my-way decodes them), any letter case on Express (case-insensitive by
// default). Whenever the handler runs, the response must carry that handler's policy, never
// the fallback, or a page could pick a URL spelling that escapes a restriction.
import { Controller, Get } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, preflight } from '../utility/http.js';

const EVIL = 'https://evil.example';
const ADMIN = 'https://admin.example';

@Controller('admin')
class AdminController {
  @CrossOrigin(false) @Get('report') report() { return 'report'; }
  @CrossOrigin({ origins: ADMIN }) @Get('users/:id') user() { return 'user'; }
  @Get('items/:id') item() { return 'item'; }
  @Get('static') fixed() { return 'static'; }
}

// Outside /admin/* the fallback policy admits any origin, so only the handler's own policy
// can refuse.
@Controller('open')
class OpenController {
  @CrossOrigin(false) @Get('report') report() { return 'open report'; }
  @CrossOrigin({ origins: ADMIN }) @Get('users/:id') user() { return 'open user'; }
}

describe.each(ADAPTERS)('path forms on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp(
      { imports: [CorsModule.forRoot({ resources: { '/admin/*': { origins: ADMIN }, '/*': { origins: '*' } } })], controllers: [AdminController, OpenController] },
      adapter,
    );
  });
  afterAll(() => app.close());

  it.each([
    { desc: 'encoded letter, CORS off', path: '/admin/rep%6Frt', body: 'report' },
    { desc: 'encoded letters, handler origins', path: '/%61dmin/users/7', body: 'user' },
    { desc: 'upper case, handler origins', path: '/ADMIN/users/7', body: 'user' },
    { desc: 'upper case, undecorated parametric route under /admin/*', path: '/ADMIN/items/1', body: 'item' },
    { desc: 'upper case, undecorated static route under /admin/*', path: '/Admin/Static', body: 'static' },
    { desc: 'encoded letter, undecorated parametric route', path: '/%41dmin/items/1', body: 'item' },
    { desc: 'encoded letter, CORS off, permissive fallback', path: '/open/rep%6Frt', body: 'open report' },
    { desc: 'encoded letter, handler origins, permissive fallback', path: '/open/us%65rs/7', body: 'open user' },
    { desc: 'upper case, handler origins, permissive fallback', path: '/OPEN/users/7', body: 'open user' },
  ])('$desc: $path never gets the fallback policy when the handler runs', async ({ path, body }) => {
    const res = await actual(app, 'get', path, EVIL);
    const pre = await preflight(app, path, EVIL, 'GET');
    if (res.status === 200) {
      expect(res.text).toBe(body);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    } else {
      // Not routed here: the 404 and its preflight both get the resources policy of the path,
      // so they answer the origin alike.
      expect(res.status).toBe(404);
      expect(pre.headers['access-control-allow-origin']).toBe(res.headers['access-control-allow-origin']);
    }
  });

  it('the same spellings still serve the allowed origin where the handler allows it', async () => {
    let served = 0;
    for (const path of ['/admin/users/7', '/ADMIN/users/7', '/%61dmin/users/7']) {
      const res = await actual(app, 'get', path, ADMIN);
      if (res.status !== 200) {
        expect([path, res.status]).toEqual([path, 404]);
        continue;
      }
      served++;
      expect([path, res.text, res.headers['access-control-allow-origin']]).toEqual([path, 'user', ADMIN]);
    }
    // The plain spelling is routed on both adapters, so this checked something.
    expect(served).toBeGreaterThan(0);
  });

  it('each adapter routes the forms its router accepts (so the cases above are exercised)', async () => {
    const encoded = await actual(app, 'get', '/admin/rep%6Frt', EVIL);
    const upper = await actual(app, 'get', '/ADMIN/items/1', EVIL);
    expect([encoded.status, upper.status]).toEqual(adapter.name === 'Fastify' ? [200, 404] : [404, 200]);
  });
});
