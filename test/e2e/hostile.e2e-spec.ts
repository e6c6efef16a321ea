// Random configurations and hostile requests through real HTTP, on Express and Fastify: the
// oracle of test/utility/adversarial.ts (SPEC §4/§5) decides every CORS header, and SPEC §7's
// bounds are checked as counts (calls of the allowHeaders RegExp), never as timings.
import { Controller, Get, Post, type INestApplication } from '@nestjs/common';
import fc from 'fast-check';
import request from 'supertest';
import { CorsModule, type CorsOptions } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import {
  ACRM_VALUES,
  acrhArb,
  checkAgainst,
  checkSafety,
  configArb,
  expectActual,
  expectPreflight,
  isHttpToken,
  isSendableHeaderValue,
  requestOrigin,
  toOptions,
  wildcardMode,
  type GenConfig,
  countMatcherCallsAsync,
} from '../utility/adversarial.js';

// The random configurations are drawn once per run from this seed, which is in the test names
// so a failure can be replayed with CORS_FC_SEED=<seed>.
const SEED = Number(process.env.CORS_FC_SEED ?? Math.floor(Math.random() * 0x7fffffff));
const CONFIGS: GenConfig[] = fc.sample(configArb, { numRuns: 10, seed: SEED });
const HTTP_RUNS = 40;

// Undecorated routes: every path below gets its policy from `resources` (SPEC §3 rule 2).
@Controller()
class ItemsController {
  @Get(':k/item') item() { return 'ok'; }
  @Post(':k/item') create() { return 'created'; }
}

const HOSTILE: CorsOptions = {
  origins: ['https://app.test', 'https://*.example.com'],
  methods: ['GET', 'POST'],
  allowHeaders: ['content-type', /x-cnt-[a-z0-9]+/],
};

function moduleOptions() {
  const resources: Record<string, CorsOptions> = { '/h/*': HOSTILE, '/star/*': { origins: '*' }, '/any/*': { ...HOSTILE, allowHeaders: '*' } };
  CONFIGS.forEach((c, k) => {
    resources[`/p${k}/*`] = toOptions(c);
  });
  return { resources };
}


const CORS_NAMES = [
  'access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods',
  'access-control-allow-headers', 'access-control-expose-headers', 'access-control-max-age',
  'access-control-allow-private-network',
];

function corsHeaders(res: request.Response): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of CORS_NAMES) {
    const v = res.headers[name] as string | string[] | undefined;
    // Two header lines would arrive as an array or comma-joined: never acceptable for ACAO.
    expect(Array.isArray(v)).toBe(false);
    if (v !== undefined) map.set(name, v as string);
  }
  return map;
}

function varies(res: request.Response): boolean {
  return String(res.headers.vary ?? '').split(',').some((v) => v.trim().toLowerCase() === 'origin');
}

/**
 * An array value is sent as that many header lines (Node's setHeader takes arrays; the
 * supertest types do not say so), which the server joins with ", " into one value.
 */
function lines(value: string | string[]): string {
  return value as unknown as string;
}

function preflight(app: INestApplication, path: string, origin: string | string[], acrh?: string | string[], acrm: string | string[] = 'GET') {
  let r = request(app.getHttpServer()).options(path).set('Origin', lines(origin)).set('Access-Control-Request-Method', lines(acrm));
  if (acrh !== undefined) r = r.set('Access-Control-Request-Headers', lines(acrh));
  return r;
}

function echoed(res: request.Response): string[] {
  const v = res.headers['access-control-allow-headers'] as string | undefined;
  return v === undefined ? [] : v.split(', ');
}

const httpOrigin = requestOrigin.filter((o) => isSendableHeaderValue(o.value));
const httpAcrh = acrhArb.filter((v) => v === undefined || isSendableHeaderValue(v));

describe.each(ADAPTERS)('hostile requests on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot(moduleOptions())], controllers: [ItemsController] }, adapter);
  });
  afterAll(() => app.close());

  it(`random configurations agree with the SPEC oracle (config seed ${SEED})`, async () => {
    const scenario = fc.record({
      k: fc.nat(CONFIGS.length - 1),
      origin: fc.option(httpOrigin, { nil: undefined, freq: 6 }),
      preflight: fc.boolean(),
      acrm: fc.constantFrom(...ACRM_VALUES),
      acrh: httpAcrh,
      acrpn: fc.constantFrom(undefined, 'true', 'false'),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ k, origin, preflight: isPreflight, acrm, acrh, acrpn }) => {
        const c = CONFIGS[k];
        const path = `/p${k}/item`;
        const asPreflight = isPreflight && origin !== undefined;
        let r = asPreflight ? request(app.getHttpServer()).options(path) : request(app.getHttpServer()).get(path);
        if (origin) r = r.set('Origin', origin.value);
        if (acrpn) r = r.set('Access-Control-Request-Private-Network', acrpn);
        if (asPreflight) {
          r = r.set('Access-Control-Request-Method', acrm);
          if (acrh !== undefined) r = r.set('Access-Control-Request-Headers', acrh);
        }
        const res = await r;
        expect(res.status).toBe(asPreflight ? 204 : 200);
        const h = corsHeaders(res);
        checkSafety(c, h, origin?.value);
        if (asPreflight) checkAgainst(expectPreflight(c, origin!, acrm, acrh, acrpn), h);
        else if (origin) checkAgainst(expectActual(c, origin, acrpn), h);
        else expect(h.get('access-control-allow-origin')).toBe(expectActual(c, undefined, acrpn).acao);
        // SPEC §4: Vary: Origin whenever ACAO is echoed from the Origin, and only if varyHeader.
        if (!c.varyHeader) expect(varies(res)).toBe(false);
        else if (!wildcardMode(c)) expect(varies(res)).toBe(true);
      }),
      { numRuns: HTTP_RUNS },
    );
  });

  describe('Access-Control-Request-Headers (SPEC §7)', () => {
    it('thousands of names: never 5xx, at most 100 echoed, matcher calls capped at 100', async () => {
      const rows: { k: number; calls: number; echoed: number }[] = [];
      for (const [k, name] of [[1, 'x-cnt-a'], [10, 'x-cnt-a'], [100, 'x-cnt-a'], [101, 'x-cnt-a'], [1500, 'x-cnt-a'], [7000, 'a']] as const) {
        const acrh = Array(k).fill(name).join(',');
        expect(acrh.length).toBeLessThan(15_000); // within Node's 16 KiB header limit
        const { result: res, calls } = await countMatcherCallsAsync(() => preflight(app, '/h/item', 'https://app.test', acrh));
        expect(res.status).toBe(204);
        expect(res.headers['access-control-allow-origin']).toBe('https://app.test');
        rows.push({ k, calls, echoed: echoed(res).length });
      }
      // Linear below the bound, capped above it: calls ≤ min(names, 100); nothing echoed past 100 names.
      for (const row of rows) {
        expect(row.calls).toBeLessThanOrEqual(Math.min(row.k, 100));
        expect(row.echoed).toBe(row.k <= 100 ? row.k : 0);
      }
      expect(rows.find((r) => r.k === 10)!.calls).toBe(10); // the counter does see the library's calls
    });

    it('empty elements: 16 are tolerated, 17 fail the list, 14 000 are harmless', async () => {
      expect(echoed(await preflight(app, '/h/item', 'https://app.test', `x-cnt-a${','.repeat(16)}`))).toEqual(['x-cnt-a']);
      const over = await preflight(app, '/h/item', 'https://app.test', `x-cnt-a${','.repeat(17)}`);
      expect(over.status).toBe(204);
      expect(over.headers['access-control-allow-headers']).toBeUndefined();
      const { result: many, calls } = await countMatcherCallsAsync(() => preflight(app, '/h/item', 'https://app.test', `x-cnt-a${', ,'.repeat(4_500)}x-cnt-b`));
      expect(many.status).toBe(204);
      expect(many.headers['access-control-allow-headers']).toBeUndefined();
      expect(calls).toBeLessThanOrEqual(1);
    });

    it('long whitespace runs are trimmed around names, never echoed', async () => {
      const acrh = `x-cnt-a${' '.repeat(7_000)},${'\t'.repeat(6_000)}x-cnt-b${' \t'.repeat(500)}`;
      const { result: res, calls } = await countMatcherCallsAsync(() => preflight(app, '/h/item', 'https://app.test', acrh));
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBe('x-cnt-a, x-cnt-b');
      expect(calls).toBe(2);
    });

    it('names that are not tokens are never echoed', async () => {
      const acrh = 'x-cnt-a, x(b), x"c", x@d, x\u0085e, \u00ff, x/y, x=y, x{z}, x-cnt-f, ü, x-cnt-\u009b';
      const res = await preflight(app, '/h/item', 'https://app.test', acrh);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBe('x-cnt-a, x-cnt-f');
      // With allowHeaders '*' every token is admitted, and still nothing else is echoed.
      const star = await preflight(app, '/any/item', 'https://app.test', acrh);
      expect(star.status).toBe(204);
      expect(star.headers['access-control-allow-headers']).toBe('x-cnt-a, x-cnt-f');
      const huge = await preflight(app, '/h/item', 'https://app.test', `x-cnt-a,${'\u0085'.repeat(14_000)}`);
      expect(huge.status).toBe(204);
      expect(huge.headers['access-control-allow-headers']).toBe('x-cnt-a');
    });

    it('repeated header lines are one list: 400 lines fail it, 50 lines are answered', async () => {
      const { result: many, calls } = await countMatcherCallsAsync(() => preflight(app, '/h/item', 'https://app.test', Array(400).fill('x-cnt-a')));
      expect(many.status).toBe(204);
      expect(many.headers['access-control-allow-headers']).toBeUndefined();
      expect(calls).toBeLessThanOrEqual(100);
      const some = await preflight(app, '/h/item', 'https://app.test', Array(50).fill('x-cnt-a'));
      expect(echoed(some)).toHaveLength(50);
      // Two Access-Control-Request-Method lines make "GET, GET", which is no method.
      const twice = await preflight(app, '/h/item', 'https://app.test', 'x-cnt-a', ['GET', 'GET']);
      expect(twice.status).toBe(204);
      expect(twice.headers['access-control-allow-methods']).toBeUndefined();
      expect(twice.headers['access-control-allow-headers']).toBeUndefined();
    });

    it('random hostile lists: never 5xx, only requested admitted tokens, at most 100, matcher calls capped', async () => {
      const piece = fc.oneof(
        fc.constantFrom('x-cnt-1', 'X-CNT-z9', 'content-type', 'x-other', ',', ', ', '\t', '"', '(', '@', '\u0085', 'ü'),
        fc.tuple(fc.constantFrom(' ', '\t', ',', 'a,', 'x-cnt-q,', '\u009b'), fc.integer({ min: 1, max: 1_500 })).map(([s, n]) => s.repeat(n)),
      );
      const list = fc.array(piece, { minLength: 1, maxLength: 20 }).map((a) => a.join('')).filter((v) => v.length < 14_000 && isSendableHeaderValue(v));
      await fc.assert(
        fc.asyncProperty(list, async (acrh) => {
          const { result: res, calls } = await countMatcherCallsAsync(() => preflight(app, '/h/item', 'https://app.test', acrh));
          expect(res.status).toBe(204);
          const names = acrh.split(',').map((e) => e.replace(/^[ \t]+|[ \t]+$/g, '')).filter(Boolean);
          const out = echoed(res);
          expect(out.length).toBeLessThanOrEqual(100);
          expect(calls).toBeLessThanOrEqual(Math.min(100, names.length));
          for (const n of out) {
            expect(isHttpToken(n)).toBe(true);
            expect(names).toContain(n);
          }
        }),
        { numRuns: 25 },
      );
    });
  });

  describe('Origin (SPEC §7)', () => {
    const hugeOrigins = [
      `https://${'a'.repeat(15_000)}.example.com`,
      `https://${'a.'.repeat(7_000)}example.com`,
      `https://app.test${':1'.repeat(7_000)}`,
      `${'https://app.test, '.repeat(800)}https://app.test`,
      `https://app.test/${'%'.repeat(14_000)}`,
      `https://[${':'.repeat(14_000)}]`,
      `null${' null'.repeat(3_000)}`,
      '\u0085'.repeat(14_000),
    ];

    it('huge or malformed Origins: never 5xx, never echoed, on actual requests and preflights', async () => {
      for (const path of ['/h/item', '/star/item']) {
        for (const origin of hugeOrigins) {
          const actual = await request(app.getHttpServer()).get(path).set('Origin', origin);
          expect({ path, size: origin.length, status: actual.status }).toEqual({ path, size: origin.length, status: 200 });
          expect(actual.headers['access-control-allow-origin']).toBeUndefined();
          expect(varies(actual)).toBe(true);
          const pre = await preflight(app, path, origin, 'x-cnt-a');
          expect(pre.status).toBe(204);
          expect(pre.headers['access-control-allow-origin']).toBeUndefined();
          expect(pre.headers['access-control-allow-headers']).toBeUndefined();
        }
      }
    });

    it('two or a hundred Origin lines are never echoed as a list', async () => {
      for (const count of [2, 100]) {
        for (const path of ['/h/item', '/star/item']) {
          const res = await request(app.getHttpServer()).get(path).set('Origin', lines(Array(count).fill('https://app.test')));
          expect(res.status).toBe(200);
          expect(res.headers['access-control-allow-origin']).toBeUndefined();
          const pre = await preflight(app, path, Array(count).fill('https://app.test'));
          expect(pre.status).toBe(204);
          expect(pre.headers['access-control-allow-origin']).toBeUndefined();
        }
      }
    });
  });
});
