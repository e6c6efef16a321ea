// CorsService.reconfigure() is atomic (SPEC §9): while the options are swapped between two
// sets A and B every few milliseconds, 200 concurrent requests (actual requests and
// preflights, some decided by an async origin predicate that answers after a random delay,
// all served by handlers that take a few ms, so decisions straddle swaps) each get exactly
// A's CORS headers or exactly B's, never a mix. A and B differ in every header a response can
// show. What each set must answer is worked out here from the option sets and SPEC §4, not
// asked of the library. Two pairs: both sets with an async predicate, and only one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, Patch, Post, Put } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { CorsModule, CorsService, CrossOrigin, type CorsModuleOptions } from '../../lib/index.js';
import { ADAPTERS } from '../utility/adapters.js';
import { STARTS, portOf } from '../utility/start.js';

const CONCURRENT = 200;
const ROUNDS = 3;
/** The longest an async predicate waits before answering, in ms; swaps come faster than that. */
const MAX_PREDICATE_DELAY = 8;
const SWAP_EVERY_MS = 3;
/** The longest a handler takes before it answers, in ms. */
const MAX_HANDLER_DELAY = 5;
/** The 200 requests all start within this many ms, each taking longer than that under load. */
const START_SPREAD_MS = 10;

/** Origins by who admits them: listed in both sets, in one, answered by a predicate, or nobody. */
const O = {
  both: 'https://both.example',
  onlyA: 'https://only-a.example',
  onlyB: 'https://only-b.example',
  asyncBoth: 'https://async-both.example',
  asyncA: 'https://async-a.example',
  asyncB: 'https://async-b.example',
  nobody: 'https://nobody.example',
} as const;

/** An async predicate admitting `admitted`, answering after a random delay. */
function slowly(admitted: readonly string[]) {
  return (origin: string) =>
    new Promise<boolean>((resolve) => setTimeout(() => resolve(admitted.includes(origin)), Math.random() * MAX_PREDICATE_DELAY));
}

/** The plain data of one option set, from which both the options and the expectations come. */
interface SetSpec {
  readonly listed: readonly string[];
  readonly byPredicate: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge: number;
  readonly methods: readonly string[];
  readonly credentials: boolean;
}

const SET_A: SetSpec = {
  listed: [O.both, O.onlyA],
  byPredicate: [O.asyncBoth, O.asyncA],
  exposeHeaders: ['X-From-A'],
  maxAge: 100,
  methods: ['GET', 'POST', 'PUT'],
  credentials: true,
};
const SET_B: SetSpec = {
  listed: [O.both, O.onlyB],
  byPredicate: [O.asyncBoth, O.asyncB],
  exposeHeaders: ['X-From-B', 'X-Other-B'],
  maxAge: 200,
  methods: ['GET', 'POST', 'PATCH'],
  credentials: false,
};
/** A without any predicate: a request that enters under it has no async verdict to work out. */
const SET_A_LISTED: SetSpec = { ...SET_A, listed: [...SET_A.listed, ...SET_A.byPredicate], byPredicate: [] };

/** The pairs swapped: both sets with an async predicate, and only one of them. */
const PAIRS = [
  { desc: 'both with an async predicate', a: SET_A, b: SET_B },
  { desc: 'only B with an async predicate', a: SET_A_LISTED, b: SET_B },
] as const;

function optionsOf(s: SetSpec): CorsModuleOptions {
  return {
    origins: s.byPredicate.length > 0 ? [...s.listed, slowly(s.byPredicate)] : [...s.listed],
    exposeHeaders: [...s.exposeHeaders],
    maxAge: s.maxAge,
    methods: [...s.methods],
    supportsCredentials: s.credentials,
  };
}

/** The route a request goes to: forRoot's policy, or a handler decorator that keeps its own exposeHeaders. */
type Route = '/data' | '/decorated';
const HANDLER_EXPOSE = ['X-Handler'];

interface Call {
  readonly route: Route;
  readonly origin: string;
  /** For a preflight, the method it announces; for an actual request, undefined. */
  readonly acrm: string | undefined;
}

type CorsSet = Record<string, string>;

/**
 * What set `s` makes the response to `call` carry (SPEC §4), as lower-case header names:
 * nothing for a refused origin; else ACAO (echoed), ACEH (the route's exposeHeaders, on
 * preflights too, as Flask-CORS sends them), ACAC with credentials; a preflight for an allowed
 * method adds ACAM (the policy's methods) and ACMA.
 */
function expected(s: SetSpec, call: Call): CorsSet {
  if (![...s.listed, ...s.byPredicate].includes(call.origin)) return {};
  const out: CorsSet = { 'access-control-allow-origin': call.origin };
  const expose = call.route === '/decorated' ? HANDLER_EXPOSE : s.exposeHeaders;
  out['access-control-expose-headers'] = expose.join(', ');
  if (s.credentials) out['access-control-allow-credentials'] = 'true';
  if (call.acrm !== undefined && s.methods.includes(call.acrm)) {
    out['access-control-allow-methods'] = s.methods.join(', ');
    out['access-control-max-age'] = String(s.maxAge);
  }
  return out;
}

/** A handler's own work (a database call): the response is written a few ms after the request came in. */
const work = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), Math.random() * MAX_HANDLER_DELAY));

@Controller('data')
class DataController {
  @Get() get() { return work('data'); }
  @Put() put() { return work('put'); }
  @Patch() patch() { return work('patch'); }
  @Post() post() { return work('post'); }
}

@Controller('decorated')
class DecoratedController {
  @CrossOrigin({ exposeHeaders: HANDLER_EXPOSE }) @Get() get() { return work('decorated'); }
  @CrossOrigin({ exposeHeaders: HANDLER_EXPOSE }) @Put() put() { return work('put'); }
  @CrossOrigin({ exposeHeaders: HANDLER_EXPOSE }) @Patch() patch() { return work('patch'); }
}

function appModule(options: CorsModuleOptions) {
  @Module({ imports: [CorsModule.forRoot(options)], controllers: [DataController, DecoratedController] })
  class AppModule {}
  return AppModule;
}

/** A random mix: actual GETs and preflights for PUT (A only), PATCH (B only) and GET, from every kind of origin. */
function randomCalls(n: number): Call[] {
  const origins = Object.values(O);
  const acrms = [undefined, undefined, 'PUT', 'PATCH', 'GET'];
  const routes: Route[] = ['/data', '/data', '/decorated'];
  const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)];
  return Array.from({ length: n }, () => ({ route: pick(routes), origin: pick(origins), acrm: pick(acrms) }));
}

function send(port: number, agent: Agent, call: Call): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const headers: Record<string, string> = { origin: call.origin };
  if (call.acrm !== undefined) headers['access-control-request-method'] = call.acrm;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: call.route, method: call.acrm === undefined ? 'GET' : 'OPTIONS', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${call.acrm ?? 'GET'} ${call.route} within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

const corsOf = (headers: IncomingHttpHeaders): CorsSet =>
  Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('access-control-')).map(([k, v]) => [k, String(v)]));

describe.each(ADAPTERS)('reconfigure() is atomic on $name', (adapter) => describe.each(PAIRS)('$desc', ({ a: SET_A, b: SET_B }) => {
  const A = optionsOf(SET_A);
  const B = optionsOf(SET_B);
  let app: INestApplication;
  let cors: CorsService;
  let agent: Agent;
  beforeAll(async () => {
    app = await STARTS[0].start(appModule(A), adapter, false);
    cors = app.get(CorsService);
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENT });
  });
  afterAll(async () => {
    agent?.destroy();
    await app?.close();
  });

  it('the expectations tell A from B for every origin the sets treat differently', () => {
    // Guards the test itself: a header both sets send alike could hide a mix.
    for (const origin of [O.both, O.asyncBoth]) {
      for (const acrm of [undefined, 'GET']) {
        const a = expected(SET_A, { route: '/data', origin, acrm });
        const b = expected(SET_B, { route: '/data', origin, acrm });
        for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
          if (name !== 'access-control-allow-origin') expect(a[name]).not.toBe(b[name]);
        }
      }
    }
  });

  it.each(['A', 'B'] as const)('without swaps, every response is exactly set %s\'s', async (name) => {
    await cors.reconfigure(name === 'A' ? A : B);
    const spec = name === 'A' ? SET_A : SET_B;
    const calls = randomCalls(CONCURRENT);
    const responses = await Promise.all(calls.map((c) => send(portOf(app), agent, c)));
    responses.forEach((res, i) => {
      expect({ call: calls[i], headers: corsOf(res.headers) }).toEqual({ call: calls[i], headers: expected(spec, calls[i]) });
      expect(res.status).toBe(calls[i].acrm === undefined ? 200 : 204);
    });
  });

  it(`with A and B swapped at most ${SWAP_EVERY_MS} ms apart under ${CONCURRENT} concurrent requests, each response is wholly A's or wholly B's (${ROUNDS} rounds)`, async () => {
    const seen = { A: 0, B: 0, either: 0 };
    const mixed: unknown[] = [];
    let swaps = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let current = A;
      await cors.reconfigure(current);
      let swapping = true;
      const swapper = (async () => {
        while (swapping) {
          current = current === A ? B : A;
          await cors.reconfigure(current);
          swaps += 1;
          // Between every batch of I/O the loop runs, or after a few ms: swaps land between
          // the steps of every kind of decision.
          await new Promise((resolve) => (Math.random() < 0.5 ? setImmediate(resolve) : setTimeout(resolve, Math.random() * SWAP_EVERY_MS)));
        }
      })();
      const calls = randomCalls(CONCURRENT);
      const swapsBefore = swaps;
      // All launched within START_SPREAD_MS, so arrivals and decisions interleave with swaps.
      const responses = await Promise.all(calls.map((c) =>
        new Promise((resolve) => setTimeout(resolve, Math.random() * START_SPREAD_MS)).then(() => send(portOf(app), agent, c))));
      swapping = false;
      await swapper;
      // The requests really ran while the options changed.
      expect(swaps - swapsBefore).toBeGreaterThanOrEqual(2);
      responses.forEach((res, i) => {
        const got = corsOf(res.headers);
        const a = expected(SET_A, calls[i]);
        const b = expected(SET_B, calls[i]);
        const isA = JSON.stringify(sorted(got)) === JSON.stringify(sorted(a));
        const isB = JSON.stringify(sorted(got)) === JSON.stringify(sorted(b));
        if (isA && isB) seen.either += 1;
        else if (isA) seen.A += 1;
        else if (isB) seen.B += 1;
        else mixed.push({ call: calls[i], status: res.status, got, A: a, B: b });
        expect(res.status).toBe(calls[i].acrm === undefined ? 200 : 204);
      });
    }
    expect(mixed).toEqual([]);
    // Both sets were seen deciding, so the swaps were observed, not slept through.
    expect(seen.A).toBeGreaterThan(0);
    expect(seen.B).toBeGreaterThan(0);
  }, 60_000);
}));

function sorted(set: CorsSet): [string, string][] {
  return Object.entries(set).sort(([a], [b]) => a.localeCompare(b));
}
