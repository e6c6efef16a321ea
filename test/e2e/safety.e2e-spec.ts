// SPEC §6, "Configurations that leak credentials are refused": the tables of
// test/core/cases/safety.cases.ts through real apps, on both adapters, written in forRoot, in
// @CrossOrigin (controller and handler), in a named policy and in a resources entry. Refused
// configurations fail start-up with one CorsConfigError; the safe ones start and answer CORS.
import { Controller, Get, Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { CorsConfigError, CorsModule, CrossOrigin, type CorsModuleOptions, type CorsOptions } from '../../lib/index.js';
import { SAFETY_OPT_INS } from '../../lib/core/index.js';
import { ACCEPTED_CASES, REFUSED_CASES, type AcceptedCase } from '../core/cases/safety.cases.js';
import { ADAPTERS, createApp, type AdapterCase } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { actual, preflight } from '../utility/http.js';

@Controller('api')
class PlainController {
  @Get() get() { return 'ok'; }
}

/** How a policy is written into an app: module options plus the controllers carrying it. */
interface Place {
  readonly desc: string;
  readonly where: string;
  readonly app: (o: CorsOptions) => { root: CorsModuleOptions; controllers: Type<unknown>[] };
}

const PLACES: readonly Place[] = [
  { desc: 'CorsModule.forRoot', where: 'forRoot', app: (o) => ({ root: o, controllers: [PlainController] }) },
  { desc: 'a resources entry', where: 'forRoot.resources["/api*"]', app: (o) => ({ root: { resources: { '/api*': o } }, controllers: [PlainController] }) },
  {
    desc: '@CrossOrigin on a controller', where: 'SafetyController',
    app: (o) => {
      @CrossOrigin(o) @Controller('api')
      class SafetyController { @Get() get() { return 'ok'; } }
      return { root: {}, controllers: [SafetyController] };
    },
  },
  {
    desc: '@CrossOrigin on a handler', where: 'SafetyController.get',
    app: (o) => {
      @Controller('api')
      class SafetyController { @CrossOrigin(o) @Get() get() { return 'ok'; } }
      return { root: {}, controllers: [SafetyController] };
    },
  },
  // Reported where the policy's keys were written (issue 15), not at each route using it.
  {
    desc: 'a named policy', where: 'forRoot.policies.partners',
    app: (o) => {
      @Controller('api')
      class SafetyController { @CrossOrigin('partners') @Get() get() { return 'ok'; } }
      return { root: { policies: { partners: o } }, controllers: [SafetyController] };
    },
  },
];

async function startupError(build: () => Promise<unknown>): Promise<CorsConfigError> {
  try {
    const app = await build();
    await (app as INestApplication).close();
  } catch (e) {
    if (e instanceof CorsConfigError) return e;
    throw e;
  }
  throw new Error('start-up did not fail');
}

/** A correct CORS response for the case's origin: echoed, with credentials and PNA as set. */
async function expectServes(app: INestApplication, c: AcceptedCase): Promise<void> {
  const res = await actual(app, 'get', '/api', c.origin);
  expect(res.status).toBe(200);
  expect(res.text).toBe('ok');
  expect(res.headers['access-control-allow-origin']).toBe(c.origin);
  expect(res.headers['access-control-allow-credentials']).toBe(c.options.supportsCredentials ? 'true' : undefined);
  const pre = await preflight(app, '/api', c.origin, 'GET').set('Access-Control-Request-Private-Network', 'true');
  expect(pre.status).toBe(204);
  expect(pre.headers['access-control-allow-origin']).toBe(c.origin);
  expect(pre.headers['access-control-allow-private-network']).toBe(c.options.allowPrivateNetwork ? 'true' : 'false');
}

describe.each(ADAPTERS)('safety rules on $name', (adapter: AdapterCase) => {
  describe.each(PLACES)('written in $desc', ({ where, app }) => {
    it.each(REFUSED_CASES)('refuses $desc at start-up', async ({ options, rule, option }) => {
      const { root, controllers } = app(options);
      const error = await startupError(() => createApp({ imports: [CorsModule.forRoot(root)], controllers }, adapter));
      const optIn = SAFETY_OPT_INS[rule];
      expect(error.issues).toEqual([expect.objectContaining({ where, option, reason: 'unsafe', rule, optIn })]);
      expect(error.message).toContain(`${where}: ${option} = `);
      expect(error.message).toContain(`rule "${rule}"`);
      expect(error.message).toContain(`set ${optIn}: true`);
    });

    it.each(ACCEPTED_CASES)('starts with $desc and answers CORS', async (c) => {
      const { root, controllers } = app(c.options);
      const started = await createApp({ imports: [CorsModule.forRoot(root)], controllers }, adapter);
      try {
        await expectServes(started, c);
      } finally {
        await started.close();
      }
    });
  });

  describe('NestFactory.create() + listen(0), as production starts', () => {
    const [refused] = REFUSED_CASES;
    const safe = ACCEPTED_CASES[0];

    it(`fails NestFactory.create() on ${refused.desc}`, async () => {
      @Module({ imports: [CorsModule.forRoot(refused.options)], controllers: [PlainController] })
      class RefusedModule {}
      const failure = NestFactory.create(RefusedModule, adapter.create() as never, { logger: false, abortOnError: false });
      await expect(failure).rejects.toThrow(CorsConfigError);
      await expect(failure).rejects.toThrow(`set ${SAFETY_OPT_INS[refused.rule]}: true`);
    });

    it(`starts on ${safe.desc} and answers over a real socket`, async () => {
      @Module({ imports: [CorsModule.forRoot(safe.options)], controllers: [PlainController] })
      class SafeModule {}
      const started = await NestFactory.create(SafeModule, adapter.create() as never, { logger: false, abortOnError: false });
      await started.listen(0, '127.0.0.1');
      try {
        const res = await request(await started.getUrl()).get('/api').set('Origin', safe.origin);
        expect(res.headers['access-control-allow-origin']).toBe(safe.origin);
        expect(res.headers['access-control-allow-credentials']).toBe('true');
      } finally {
        await started.close();
      }
    });
  });

  describe('explain mode prints the start-up warnings', () => {
    @CrossOrigin({ origins: /.*/, supportsCredentials: true, dangerouslyAllowAnyOriginWithCredentials: true })
    @Controller('risky')
    class RiskyController { @Get() get() { return 'ok'; } }

    /** The CorsModule warnings of an app started as production starts it. */
    async function warnings(debug: boolean): Promise<string[]> {
      @Module({ imports: [CorsModule.forRoot({ origins: 'https://*.github.io', debug })], controllers: [RiskyController] })
      class WarnedModule {}
      const logger = new CaptureLogger();
      const started = await NestFactory.create(WarnedModule, adapter.create() as never, { logger, abortOnError: false });
      await started.init();
      await started.close();
      return logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);
    }

    it('with debug: true, one Logger warning per opt-in in use and per public-suffix wildcard', async () => {
      expect(await warnings(true)).toEqual([
        expect.stringMatching(/^forRoot: origins = "https:\/\/\*\.github\.io" \(set in forRoot\) is a wildcard over the public suffix "github\.io".*rule "public-suffix-with-credentials"/),
        expect.stringMatching(/^RiskyController: origins = \/\.\*\/ \(set in controller\) admits https?:\/\/\S+, .*allowed by dangerouslyAllowAnyOriginWithCredentials: true \(rule "any-origin-with-credentials"\)$/),
      ]);
    });

    it('with debug off, nothing is logged', async () => {
      expect(await warnings(false)).toEqual([]);
    });
  });
});
