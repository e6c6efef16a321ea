// The probe in the sample's walkthrough (README, "Sample"): the sample API as `npm start` builds
// it, on both adapters, probed the way the README does it. Its verdicts are the ones the
// sample's page shows in the browser (sample/calls.ts), and a refusal's reason sits next to the
// line explain mode logs for it. The sample reads its ports when its modules load, so they are
// set first and the modules imported after.
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { probe } from '../../../lib/cli/probe.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { cli } from '../../utility/probe-cli.js';
import { freePort } from '../../utility/sockets.js';

let sample: {
  AppModule: typeof import('../../../sample/api/app.module.js').AppModule;
  config: typeof import('../../../sample/config.js');
  calls: typeof import('../../../sample/calls.js');
};

beforeAll(async () => {
  const [api, page, other] = [await freePort(), await freePort(), await freePort()];
  Object.assign(process.env, { API_PORT: String(api), PAGE_PORT: String(page), OTHER_PAGE_PORT: String(other), CORS_DEBUG: '0' });
  const [{ AppModule }, config, calls] = await Promise.all([
    import('../../../sample/api/app.module.js'),
    import('../../../sample/config.js'),
    import('../../../sample/calls.js'),
  ]);
  sample = { AppModule, config, calls };
});

describe.each(ADAPTERS)('probing the sample API on $name', (adapter) => {
  let api: INestApplication;
  let base: string;
  beforeAll(async () => {
    expect(sample.config.CONFIG_PROBLEMS).toEqual([]);
    api = await NestFactory.create(sample.AppModule, adapter.create() as never, { logger: false, forceCloseConnections: true });
    await api.listen(sample.config.API_PORT, '127.0.0.1');
    base = `http://127.0.0.1:${sample.config.API_PORT}`;
  }, 30_000);
  afterAll(() => api?.close());

  const expected = (id: string) => sample.calls.SAMPLE_CALLS.find((c) => c.id === id)!.expect.cors === 'allowed' ? 0 : 1;

  it('GET /partner/catalog from the page: refused, as the page shows it, with the reason (README walkthrough)', async () => {
    const run = await cli('probe', `${base}/partner/catalog`, '--origin', sample.config.PAGE_ORIGIN);
    expect(run.code).toBe(expected('controller-refuses'));
    expect(run.stdout).toContain('Verdict: refused\nReason: the response has no Access-Control-Allow-Origin header\n');
    expect(run.stdout).toContain('  < status 200\n  < Vary: Origin\n  < (no Access-Control-* header)\n');
  });

  it('the preflighted PUT /items/42 with the page\'s headers: allowed, as the page shows it', async () => {
    const call = sample.calls.SAMPLE_CALLS.find((c) => c.id === 'preflight-put')!;
    const run = await cli('probe', `${base}${call.path}`, '--origin', sample.config.PAGE_ORIGIN, '-X', call.method,
      '-H', 'Content-Type: application/json', ...Object.entries(call.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), '--json');
    expect(run.code).toBe(expected('preflight-put'));
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ verdict: 'allowed', findings: [] });
    expect(result.preflight.request.headers['access-control-request-headers']).toBe('content-type,x-sample-client');
  });

  it('the refused DELETE and the credentials the forRoot policy does not support: refused at the preflight, and at the response', async () => {
    const del = await probe({ url: `${base}/items/42`, origin: sample.config.PAGE_ORIGIN, method: 'DELETE' });
    expect(del).toMatchObject({ verdict: 'refused', reason: 'preflight: method DELETE is not in Access-Control-Allow-Methods (absent)', actual: null });
    const credentialed = await probe({ url: `${base}/greetings`, origin: sample.config.PAGE_ORIGIN, credentials: true });
    expect(credentialed).toMatchObject({ verdict: 'refused', reason: 'a credentialed request needs Access-Control-Allow-Credentials: true' });
  });
});
