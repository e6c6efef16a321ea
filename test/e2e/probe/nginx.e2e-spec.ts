// A deployed stack: a Nest app with CorsModule behind a real nginx that adds CORS headers of
// its own, the mistake explain mode and expectCors cannot see (they run in-process). The app
// alone is right; through nginx a browser refuses, and the probe says why. nginx comes from
// NGINX_PATH or /usr/sbin/nginx; without it these tests fail, saying so.
import { Controller, Get, Put } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule } from '../../../lib/index.js';
import { probe } from '../../../lib/cli/probe.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { startNginx, type Nginx } from '../../utility/nginx.js';
import { cli } from '../../utility/probe-cli.js';
import { portOf, rootModule, STARTS } from '../../utility/start.js';
import { codes } from './helpers.js';

const PAGE = 'https://app.example';

@Controller('items')
class ItemsController {
  @Get() list() {
    return [];
  }

  @Put(':id') update() {
    return {};
  }
}

let app: INestApplication;
let nginx: Nginx;
let direct: string;

beforeAll(async () => {
  app = await STARTS[0].start(rootModule([CorsModule.forRoot({ origins: PAGE, allowHeaders: ['authorization', 'content-type'] })], [ItemsController]), ADAPTERS[0], false);
  const upstream = `http://127.0.0.1:${portOf(app)}`;
  direct = upstream;
  nginx = await startNginx(`
    # The app's own CORS headers pass through, and nginx adds one more: a second
    # Access-Control-Allow-Origin on every response, errors and preflights included.
    location / {
      proxy_pass ${upstream};
      add_header Access-Control-Allow-Origin * always;
    }
    # The snippet copied into many nginx configs: nginx answers every preflight itself,
    # for every origin and header, cached for 20 days.
    location /edge/ {
      if ($request_method = OPTIONS) {
        add_header Access-Control-Allow-Origin *;
        add_header Access-Control-Allow-Methods 'GET, POST, PUT, DELETE, OPTIONS';
        add_header Access-Control-Allow-Headers *;
        add_header Access-Control-Max-Age 1728000;
        return 204;
      }
      proxy_pass ${upstream}/;
    }
  `);
}, 30_000);

afterAll(async () => {
  await nginx?.stop();
  await app?.close();
});

describe('probe through a real nginx in front of the app', () => {
  it('the app alone is allowed, with no findings', async () => {
    const result = await probe({ url: `${direct}/items`, origin: PAGE });
    expect(result).toMatchObject({ verdict: 'allowed', findings: [] });
  });

  it('nginx adds its own Access-Control-Allow-Origin: two values, refused, acao-duplicated', async () => {
    const result = await probe({ url: `${nginx.url}/items`, origin: PAGE });
    expect(result).toMatchObject({ verdict: 'refused', reason: `Access-Control-Allow-Origin holds several values (${PAGE}, *)` });
    expect(result.actual?.response.headers['access-control-allow-origin']).toEqual([PAGE, '*']);
    expect(codes(result)).toEqual(['acao-duplicated']);
    expect(result.findings[0].message).toContain(`the actual response has 2 Access-Control-Allow-Origin headers ("${PAGE}", "*")`);
    const run = await cli('probe', `${nginx.url}/items`, '--origin', PAGE);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`  < Access-Control-Allow-Origin: ${PAGE}\n  < Access-Control-Allow-Origin: *\n`);
    expect(run.stdout).toContain('Findings (1):\n  acao-duplicated: ');
  });

  it('the preflight gets the second header too: refused at the preflight', async () => {
    const result = await probe({ url: `${nginx.url}/items/1`, origin: PAGE, method: 'PUT', headers: [{ name: 'Content-Type', value: 'application/json' }] });
    expect(result).toMatchObject({ verdict: 'refused', reason: `preflight: Access-Control-Allow-Origin holds several values (${PAGE}, *)`, actual: null });
    expect(result.preflight?.response.status).toBe(204);
    expect(codes(result)).toEqual(['acao-duplicated']);
    expect(result.findings[0].message).toContain('the preflight response has 2 Access-Control-Allow-Origin headers');
  });

  it('nginx answering preflights itself: "*" does not cover Authorization, and 20 days is over every cap', async () => {
    const result = await probe({
      url: `${nginx.url}/edge/items/1`, origin: PAGE, method: 'PUT',
      headers: [{ name: 'Authorization', value: 'Bearer t' }, { name: 'Content-Type', value: 'application/json' }],
    });
    expect(result).toMatchObject({
      verdict: 'refused', actual: null,
      reason: 'preflight: header authorization is not in Access-Control-Allow-Headers (*), and "*" does not cover Authorization',
    });
    expect(codes(result)).toEqual(['max-age-over-browser-cap', 'allow-headers-wildcard-with-authorization']);
    expect(result.findings[0].message).toMatch(/^Access-Control-Max-Age is 1728000, above Chromium's cap of 7200 seconds/);
  });

  it('without Authorization the edge preflight passes, and the app answers the PUT', async () => {
    const result = await probe({ url: `${nginx.url}/edge/items/1`, origin: PAGE, method: 'PUT', headers: [{ name: 'X-Trace', value: '1' }] });
    expect(result.preflight?.reason).toBeNull();
    expect(result).toMatchObject({ verdict: 'allowed', findings: [{ code: 'max-age-over-browser-cap' }] });
    expect(result.actual?.response).toMatchObject({ status: 200, headers: { 'access-control-allow-origin': [PAGE] } });
  });
});
