// SPEC §3 rule 7: with header or media-type versioning, two controllers serve the same path.
// An actual request gets the policy of the version that serves it; a preflight carries no
// version, so it is answered with only what every candidate allows (origin, method, each
// requested header, credentials; the smallest maxAge), and never admits a request that the
// serving version would refuse.
import { Controller, Get, Module, VersioningType, type INestApplication, type VersioningOptions } from '@nestjs/common';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { STARTERS, type Started } from './start.js';

const BOTH = 'https://both.test';
const V1_ONLY = 'https://v1.test';
const V2_ONLY = 'https://v2.test';
const GLOBAL = 'https://app.test';

@CrossOrigin({ origins: [BOTH, V1_ONLY], methods: ['GET', 'PUT'], allowHeaders: ['x-api-version', 'x-one'], maxAge: 600, supportsCredentials: true })
@Controller({ path: 'cats', version: '1' })
class CatsV1 {
  @Get() list() { return 'cats v1'; }
}

@CrossOrigin({ origins: [BOTH, V2_ONLY], methods: ['GET', 'PATCH'], allowHeaders: ['x-api-version', 'x-two'], maxAge: 60 })
@Controller({ path: 'cats', version: '2' })
class CatsV2 {
  @Get() list() { return 'cats v2'; }
}

@Module({ imports: [CorsModule.forRoot({ origins: [GLOBAL] })], controllers: [CatsV1, CatsV2] })
class AppModule {}

const SCHEMES: { name: string; versioning: VersioningOptions; ask: (version: string) => [string, string] }[] = [
  { name: 'header', versioning: { type: VersioningType.HEADER, header: 'X-API-Version' }, ask: (v) => ['X-API-Version', v] },
  { name: 'media type', versioning: { type: VersioningType.MEDIA_TYPE, key: 'v=' }, ask: (v) => ['Accept', `application/json;v=${v}`] },
];

const CASES = SCHEMES.flatMap((scheme) => ADAPTERS.flatMap((adapter) => STARTERS.map((s) => ({ scheme, adapter, ...s }))));

const list = (value: unknown) => String(value ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);

describe.each(CASES)('$scheme.name versioning on $adapter.name ($how)', ({ scheme, adapter, start }) => {
  let s: Started;
  beforeAll(async () => {
    s = await start(AppModule, adapter, (app: INestApplication) => { app.enableVersioning(scheme.versioning); });
  });
  afterAll(() => s?.app.close());

  const get = (version: string, origin: string) => request(s.url).get('/cats').set(...scheme.ask(version)).set('Origin', origin);
  const preflight = (origin: string, headers?: string) => {
    const r = request(s.url).options('/cats').set('Origin', origin).set('Access-Control-Request-Method', 'GET');
    return headers === undefined ? r : r.set('Access-Control-Request-Headers', headers);
  };

  it('each version serves its own body', async () => {
    expect((await get('1', BOTH)).text).toBe('cats v1');
    expect((await get('2', BOTH)).text).toBe('cats v2');
  });

  it('version 2 from an origin only v2 allows: v2 body AND its ACAO', async () => {
    const res = await get('2', V2_ONLY);
    expect([res.status, res.text]).toEqual([200, 'cats v2']);
    expect(res.headers['access-control-allow-origin']).toBe(V2_ONLY);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('version 1 gets v1\'s policy: its origins and its credentials', async () => {
    const refused = await get('1', V2_ONLY);
    expect([refused.text, refused.headers['access-control-allow-origin']]).toEqual(['cats v1', undefined]);
    const allowed = await get('1', V1_ONLY);
    expect([allowed.text, allowed.headers['access-control-allow-origin']]).toEqual(['cats v1', V1_ONLY]);
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
  });

  it('version 2 refuses the origin only v1 allows', async () => {
    const res = await get('2', V1_ONLY);
    expect([res.text, res.headers['access-control-allow-origin']]).toEqual(['cats v2', undefined]);
  });

  it.each([V1_ONLY, V2_ONLY])('a preflight from %s, which only one version allows, is refused', async (origin) => {
    const res = await preflight(origin);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('a preflight from an origin both allow gets only what both allow, and the smallest maxAge', async () => {
    const res = await preflight(BOTH, 'x-api-version');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(BOTH);
    expect(list(res.headers['access-control-allow-methods'])).toEqual(['get']);
    expect(list(res.headers['access-control-allow-headers'])).toEqual(['x-api-version']);
    expect(res.headers['access-control-max-age']).toBe('60');
    // v2 does not support credentials, so the preflight cannot promise them.
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it.each(['x-one', 'x-two'])('a header only one version allows (%s) is not allowed by the preflight', async (header) => {
    const res = await preflight(BOTH, `x-api-version, ${header}`);
    expect(list(res.headers['access-control-allow-headers'])).not.toContain(header);
  });
});
