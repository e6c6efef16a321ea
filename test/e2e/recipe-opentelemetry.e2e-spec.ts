// docs/recipes/opentelemetry.md, run as written: the recipe's listener is
// test/e2e/recipes/otel-cors-metrics.ts, which the document quotes byte for byte but for the
// import path (checked by the first test). It feeds the real OpenTelemetry SDK: a MeterProvider
// registered globally, read through an in-memory exporter, on both adapters, with apps started
// as production starts them (NestFactory.create + listen(0)).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality, DataPointType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type MetricData,
} from '@opentelemetry/sdk-metrics';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS } from '../utility/adapters.js';
import { STARTS, portOf, rootModule } from '../utility/start.js';
import { corsDecisionMetrics, type CorsMetricsOptions } from './recipes/otel-cors-metrics.js';

const PAGE = 'https://app.example.com';
const evil = (n: number) => `https://evil-${n}.example`;

it('is the code docs/recipes/opentelemetry.md shows', () => {
  const doc = readFileSync(new URL('../../docs/recipes/opentelemetry.md', import.meta.url), 'utf8');
  const quoted = doc.match(/```ts\n([\s\S]*?)```/)?.[1];
  const code = readFileSync(new URL('./recipes/otel-cors-metrics.ts', import.meta.url), 'utf8');
  expect(quoted).toBeDefined();
  expect(code.replace("'../../../lib/index.js'", "'nest-cross-origin'")).toBe(quoted);
});

@Controller('cats')
class CatsController {
  @CrossOrigin({ origins: [PAGE], allowHeaders: ['x-token'] })
  @Get() list() { return 'cats'; }
}

// Undecorated: forRoot's policy, the default `/*` resources entry.
@Controller('items')
class ItemsController {
  @Get() list() { return 'items'; }
}

/** What the browser-shaped traffic of a test is. */
type Call = { readonly path: string; readonly origin?: string; readonly acrm?: string; readonly acrh?: string };

/** 6 refused and 7 allowed decisions, and 2 requests without Origin that are none. */
const TRAFFIC: readonly Call[] = [
  ...[1, 2, 3].map((n) => ({ path: '/items', origin: evil(n) })),
  ...[4, 5].map((n) => ({ path: '/cats', origin: evil(n), acrm: 'GET' })),
  { path: '/cats', origin: PAGE, acrm: 'GET', acrh: 'x-other' },
  ...Array.from({ length: 4 }, () => ({ path: '/cats', origin: PAGE })),
  ...Array.from({ length: 2 }, () => ({ path: '/items', origin: PAGE })),
  { path: '/cats', origin: PAGE, acrm: 'GET', acrh: 'x-token' },
  ...Array.from({ length: 2 }, () => ({ path: '/items' })),
];

async function call(app: INestApplication, c: Call): Promise<number> {
  const url = `http://127.0.0.1:${portOf(app)}`;
  let req = c.acrm ? request(url).options(c.path).set('Access-Control-Request-Method', c.acrm) : request(url).get(c.path);
  if (c.origin) req = req.set('Origin', c.origin);
  if (c.acrh) req = req.set('Access-Control-Request-Headers', c.acrh);
  return (await req).status;
}

const point = (route: string, kind: string, verdict: string, reason: string, value: number, origin?: string) => ({
  attributes: {
    'cors.route': route, 'cors.kind': kind, 'cors.verdict': verdict, 'cors.reason': reason, ...(origin === undefined ? {} : { 'cors.origin': origin }),
  },
  value,
});

/** Data points in a stable order, for whole-list comparisons. */
function sorted<T extends { attributes: object }>(points: readonly T[]): T[] {
  return [...points].sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

/** A MeterProvider with an in-memory exporter, registered as the global one while a test runs. */
class Telemetry {
  readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when asked to (forceFlush); the hour-long interval never elapses in a test.
  readonly reader = new PeriodicExportingMetricReader({ exporter: this.exporter, exportIntervalMillis: 3_600_000 });
  readonly provider = new MeterProvider({ readers: [this.reader] });

  register(): void {
    if (!metrics.setGlobalMeterProvider(this.provider)) throw new Error('a global MeterProvider is registered already');
  }

  /** The `cors.decisions` metric as exported now; fails if it is missing or not a monotonic sum. */
  async decisions(): Promise<MetricData> {
    await this.reader.forceFlush();
    const latest = this.exporter.getMetrics().at(-1);
    const scope = latest?.scopeMetrics.find((s) => s.scope.name === 'nest-cross-origin');
    const metric = scope?.metrics.find((m) => m.descriptor.name === 'cors.decisions');
    if (metric === undefined) throw new Error(`no cors.decisions in ${JSON.stringify(latest?.scopeMetrics.map((s) => s.scope.name))}`);
    expect(metric.dataPointType).toBe(DataPointType.SUM);
    expect(metric).toMatchObject({ isMonotonic: true, descriptor: { unit: '{decision}' } });
    return metric;
  }

  async close(): Promise<void> {
    await this.provider.shutdown();
    metrics.disable();
  }
}

describe.each(ADAPTERS)('the OpenTelemetry recipe on $name', (adapter) => {
  describe.each(STARTS)('started with $how', ({ start }) => {
    describe.each([
      { variant: 'by default', options: {} as CorsMetricsOptions },
      { variant: 'with knownOrigins (opt-in)', options: { knownOrigins: [PAGE] } as CorsMetricsOptions },
    ])('$variant', ({ options }) => {
      const telemetry = new Telemetry();
      let app: INestApplication;
      beforeAll(async () => {
        // The listener is made before the SDK registers its provider, as an AppModule imported
        // ahead of the SDK's start makes it: the counter must still reach the provider.
        const onDecision = corsDecisionMetrics(options);
        telemetry.register();
        app = await start(rootModule([CorsModule.forRoot({ origins: [PAGE], onDecision, reportAllowed: true })], [CatsController, ItemsController]), adapter, false);
      });
      afterAll(async () => {
        await app?.close();
        await telemetry.close();
      });

      it('counts each decision once, per route, kind, verdict and reason', async () => {
        const statuses = [];
        for (const c of TRAFFIC) statuses.push(await call(app, c));
        expect(statuses).toEqual([200, 200, 200, 204, 204, 204, 200, 200, 200, 200, 200, 200, 204, 200, 200]);

        const known = options.knownOrigins !== undefined;
        const other = known ? 'other' : undefined;
        const page = known ? PAGE : undefined;
        const { dataPoints } = await telemetry.decisions();
        expect(sorted(dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })))).toStrictEqual(sorted([
          point('/*', 'actual', 'refused', 'origin-not-allowed', 3, other),
          point('CatsController.list', 'preflight', 'refused', 'origin-not-allowed', 2, other),
          point('CatsController.list', 'preflight', 'refused', 'header-not-allowed', 1, page),
          point('CatsController.list', 'actual', 'allowed', 'allowed', 4, page),
          point('/*', 'actual', 'allowed', 'allowed', 2, page),
          point('CatsController.list', 'preflight', 'allowed', 'allowed', 1, page),
        ]));
        // 6 refused and 7 allowed: the requests without Origin are not CORS decisions.
        const total = (verdict: string) => dataPoints.filter((p) => p.attributes['cors.verdict'] === verdict).reduce((n, p) => n + (p.value as number), 0);
        expect([total('refused'), total('allowed')]).toEqual([6, 7]);
      });

      it('no attribute holds an origin it was not told to name', async () => {
        const { dataPoints } = await telemetry.decisions();
        const values = dataPoints.flatMap((p) => Object.values(p.attributes).map(String));
        for (let n = 1; n <= 5; n++) expect(values.filter((v) => v.includes(`evil-${n}`))).toEqual([]);
        if (options.knownOrigins === undefined) {
          expect(values.filter((v) => v.includes('example'))).toEqual([]);
          expect(dataPoints.every((p) => !('cors.origin' in p.attributes))).toBe(true);
        } else {
          expect(new Set(dataPoints.map((p) => p.attributes['cors.origin']))).toEqual(new Set([PAGE, 'other']));
        }
      });
    });
  });
});
