// The probe against a Nest app using this library, listening on a real port, on both
// adapters: the verdicts a browser reaches, in the same words expectCors uses, and no findings
// (the library answers the way the findings ask for).
import { Controller, Get, Put } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { probe } from '../../../lib/cli/probe.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { cli } from '../../utility/probe-cli.js';
import { portOf, rootModule, STARTS } from '../../utility/start.js';

const PAGE = 'https://app.example';

@Controller('cats')
class CatsController {
  @Get() list() {
    return [];
  }

  @CrossOrigin({ origins: PAGE, allowHeaders: ['content-type', 'x-api-key'], maxAge: 600 })
  @Put(':id')
  update() {
    return {};
  }

  @CrossOrigin({ origins: PAGE, supportsCredentials: true })
  @Get('me')
  me() {
    return {};
  }
}

describe.each(ADAPTERS)('probe against a Nest app with CorsModule on $name', (adapter) => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    app = await STARTS[0].start(rootModule([CorsModule.forRoot({ origins: PAGE })], [CatsController]), adapter, false);
    base = `http://127.0.0.1:${portOf(app)}`;
  });
  afterAll(() => app.close());

  it('allowed: a simple GET from a listed origin, exit code 0', async () => {
    const result = await probe({ url: `${base}/cats`, origin: PAGE });
    expect(result).toMatchObject({ verdict: 'allowed', reason: null, preflight: null, findings: [] });
    expect(result.actual?.response).toMatchObject({ status: 200, headers: { 'access-control-allow-origin': [PAGE], vary: ['Origin'] } });
    const run = await cli('probe', `${base}/cats`, '--origin', PAGE);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Verdict: allowed\nA script on https:\/\/app\.example can read the response \(status 200\)\./);
  });

  it('refused: an origin the policy does not list, exit code 1, with the reason', async () => {
    const result = await probe({ url: `${base}/cats`, origin: 'https://evil.example' });
    expect(result).toMatchObject({ verdict: 'refused', reason: 'the response has no Access-Control-Allow-Origin header', findings: [] });
    expect(result.actual?.response.status).toBe(200); // served; the browser hides it
    const run = await cli('probe', `${base}/cats`, '--origin', 'https://evil.example');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Verdict: refused\nReason: the response has no Access-Control-Allow-Origin header\n');
  });

  it('a preflighted PUT with a custom header: the preflight passes, then the PUT', async () => {
    const result = await probe({
      url: `${base}/cats/1`, origin: PAGE, method: 'PUT',
      headers: [{ name: 'Content-Type', value: 'application/json' }, { name: 'X-Api-Key', value: 'k' }],
    });
    expect(result).toMatchObject({ verdict: 'allowed', findings: [] });
    expect(result.preflight?.request.headers).toMatchObject({ 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-api-key' });
    expect(result.preflight?.response.status).toBe(204);
    expect(result.preflight?.response.headers['access-control-max-age']).toEqual(['600']);
    expect(result.actual?.request.method).toBe('PUT');
  });

  it('a preflight for a header the policy does not allow: refused before the PUT is sent', async () => {
    const result = await probe({ url: `${base}/cats/1`, origin: PAGE, method: 'PUT', headers: [{ name: 'X-Secret', value: 's' }] });
    expect(result).toMatchObject({ verdict: 'refused', actual: null, findings: [] });
    expect(result.reason).toMatch(/^preflight: header x-secret is not in Access-Control-Allow-Headers \(/);
  });

  it('credentials: allowed where the policy supports them, refused where it does not', async () => {
    const me = await probe({ url: `${base}/cats/me`, origin: PAGE, credentials: true });
    expect(me).toMatchObject({ verdict: 'allowed', findings: [] });
    expect(me.actual?.response.headers['access-control-allow-credentials']).toEqual(['true']);
    const list = await probe({ url: `${base}/cats`, origin: PAGE, credentials: true });
    expect(list).toMatchObject({ verdict: 'refused', reason: 'a credentialed request needs Access-Control-Allow-Credentials: true', findings: [] });
  });

  it('a 404 carries CORS headers: the page reads the real status', async () => {
    const result = await probe({ url: `${base}/no-such-route`, origin: PAGE });
    expect(result).toMatchObject({ verdict: 'allowed', findings: [] });
    expect(result.actual?.response.status).toBe(404);
  });
});
