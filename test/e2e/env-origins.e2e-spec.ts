// SPEC §2: origins from an environment variable, as forRootAsync with a ConfigService gets
// them: one comma-separated string is a list, and a bad element is named on its own.
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { CorsConfigError, CorsModule, CorsService } from '../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../utility/adapters.js';
import { STARTS, rootModule } from '../utility/start.js';
import { startupError } from '../utility/startup-error.js';

/** What @nestjs/config's ConfigService does for a plain variable: read process.env. */
@Injectable()
class EnvConfigService {
  get<T = string>(key: string): T | undefined {
    return process.env[key] as T | undefined;
  }
}
@Module({ providers: [EnvConfigService], exports: [EnvConfigService] })
class EnvConfigModule {}

@Controller('data')
class DataController {
  @Get() get() { return 'data'; }
}

const corsFromEnv = () =>
  CorsModule.forRootAsync({
    imports: [EnvConfigModule],
    inject: [EnvConfigService],
    useFactory: (config: EnvConfigService) => ({ origins: config.get<string>('CORS_ORIGINS') }),
  });

/**
 * The error start-up fails with when CORS_ORIGINS is `value` (unset when undefined); an app that
 * starts anyway is closed, and the test fails.
 */
function startWith(value: string | undefined, start: (typeof STARTS)[number]['start'], adapter: AdapterCase): Promise<CorsConfigError> {
  if (value === undefined) delete process.env.CORS_ORIGINS;
  else process.env.CORS_ORIGINS = value;
  return startupError(async () => (await start(rootModule([corsFromEnv()], [DataController]), adapter, false)).close());
}

const saved = process.env.CORS_ORIGINS;
afterAll(() => {
  if (saved === undefined) delete process.env.CORS_ORIGINS;
  else process.env.CORS_ORIGINS = saved;
});

describe.each(ADAPTERS)('CORS_ORIGINS through forRootAsync on $name', (adapter) => {
  describe.each(STARTS)('started with $how', ({ start }) => {
    let app: INestApplication;
    beforeAll(async () => {
      process.env.CORS_ORIGINS = 'https://a.example, https://*.b.example ,http://localhost:*,';
      app = await start(rootModule([corsFromEnv()], [DataController]), adapter, false);
    });
    afterAll(() => app.close());

    it.each([
      { origin: 'https://a.example', want: 'https://a.example' },
      { origin: 'https://x.b.example', want: 'https://x.b.example' },
      { origin: 'http://localhost:5173', want: 'http://localhost:5173' },
      { origin: 'https://c.example', want: undefined },
      { origin: 'https://b.example', want: undefined },
    ])('allows each element and nothing else: $origin', async ({ origin, want }) => {
      const res = await request(app.getHttpServer()).get('/data').set('Origin', origin);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(want);
    });

    it('shows the variable split into its elements in CorsService.policyFor()', () => {
      expect(app.get(CorsService).policyFor('GET', '/data')?.options.origins).toEqual(['https://a.example', 'https://*.b.example', 'http://localhost:*']);
    });

    it('answers a preflight from an element', async () => {
      const res = await request(app.getHttpServer()).options('/data').set('Origin', 'https://a.example').set('Access-Control-Request-Method', 'GET');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://a.example');
    });
  });

  describe.each(STARTS)('the variable unset, started with $how', ({ start }) => {
    it.each([
      { desc: 'unset', value: undefined },
      { desc: 'empty', value: '' },
    ])('fails start-up instead of allowing every origin: $desc', async ({ value }) => {
      const e = await startWith(value, start, adapter);
      expect(e).toBeInstanceOf(CorsConfigError);
      expect(e.issues).toEqual([expect.objectContaining({ where: 'forRootAsync', option: 'origins', value, reason: 'missing' })]);
      expect(e.message).toContain(`forRootAsync: origins = ${value === undefined ? 'undefined' : '""'}: is `);
      expect(e.message).toContain("config.get('CORS_ORIGINS')");
    });
  });

  describe.each(STARTS)('a bad element, started with $how', ({ start }) => {
    it('fails start-up naming the element, not the whole string', async () => {
      const e = await startWith('https://a.example, https://b.example/', start, adapter);
      expect(e).toBeInstanceOf(CorsConfigError);
      // Issue 15: named after the call the options came from.
      expect(e.issues).toEqual([expect.objectContaining({ where: 'forRootAsync', option: 'origins', value: 'https://b.example/', reason: 'invalid' })]);
      expect(e.message).toContain('forRootAsync: origins = "https://b.example/": has a path, query, fragment or trailing slash');
      expect(e.message).not.toContain('https://a.example');
    });
  });
});
