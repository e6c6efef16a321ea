// Automatic preflights are answered by the CORS hook, which the framework runs before any
// app.use() middleware: that middleware never sees them (as guards and handlers never do);
// every other request still goes through it, and an async predicate is asked once.
import { Controller, Options, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, preflight } from '../utility/http.js';

let predicateCalls = 0;

@Controller('things')
class ThingsController {
  @Post() create() { return 'created'; }
  @CrossOrigin({ origins: async (o: string) => (predicateCalls++, o === 'https://async.example') }) @Post('async') viaStore() { return 'ok'; }
  @CrossOrigin({ automaticOptions: false }) @Post('manual') manual() { return 'manual'; }
  @CrossOrigin({ automaticOptions: false }) @Options('manual') manualOptions() { return 'options handler'; }
}

describe.each(ADAPTERS)('preflights before middleware on $name', (adapter) => {
  const seen: string[] = [];
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot({ origins: 'https://app.example' })], controllers: [ThingsController] }, adapter, (a) => {
      a.use((req: { method: string; url: string }, _res: unknown, next: () => void) => {
        seen.push(`${req.method} ${req.url}`);
        next();
      });
    });
  });
  afterAll(() => app.close());

  it('an automatic preflight never reaches app.use() middleware', async () => {
    seen.length = 0;
    const res = await preflight(app, '/things', 'https://app.example', 'POST', 'content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(seen).toEqual([]);
  });

  it('everything else still does: actual requests, OPTIONS without ACRM, automaticOptions: false', async () => {
    seen.length = 0;
    await actual(app, 'post', '/things', 'https://app.example');
    await actual(app, 'options', '/things', 'https://app.example');
    const manual = await preflight(app, '/things/manual', 'https://app.example', 'POST');
    expect(manual.text).toBe('options handler');
    expect(manual.headers['access-control-allow-methods']).toBeDefined();
    expect(seen).toEqual(['POST /things', 'OPTIONS /things', 'OPTIONS /things/manual']);
  });

  it('an async origin predicate is asked once per preflight', async () => {
    predicateCalls = 0;
    const ok = await preflight(app, '/things/async', 'https://async.example', 'POST');
    expect(ok.headers['access-control-allow-origin']).toBe('https://async.example');
    const refused = await preflight(app, '/things/async', 'https://other.example', 'POST');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(predicateCalls).toBe(2);
  });
});
