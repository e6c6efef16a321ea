// SPEC §10 `onDecision` (issue 18) through real requests on both adapters, with apps started as
// production starts them (NestFactory.create + listen(0)) and through @nestjs/testing: one event
// per refused decision with exactly its fields, for every reason code HTTP can produce; allowed
// decisions only with `reportAllowed`; request values escaped; nothing for requests without an
// Origin; the response byte for byte what it is without a listener, whatever the listener does
// (throws, rejects, never settles); the options checked at start-up; and the gateway events of
// socket.io and ws gateways and of an unowned WebSocket upgrade.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Delete, Get, type INestApplication, type Type } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { WebSocketServer } from 'ws';
import { CorsConfigError, CorsModule, CrossOrigin, type CorsDecisionEvent, type CorsModuleOptions } from '../../lib/index.js';
import { ADAPTERS } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { startGatewayApp, type GatewayApp, type StartStyle } from '../utility/gateway-apps.js';
import { engineUrl, httpCall, openWebSocket, type UpgradeAnswer } from '../utility/sockets.js';
import { STARTS, portOf, rawExchange, rootModule } from '../utility/start.js';
import { startupError } from '../utility/startup-error.js';
import { corsCheck, headerList, preflightCheck } from '../../lib/fetch/cors-check.js';

const PAGE = 'https://app.example';
const EVIL = 'https://evil.example';
const TIMEOUT = 50;

// A listener's failure quoting request data: CR, LF and ESC must not reach the log raw.
const FORGED = 'listener down\r\nCORS allowed GET /admin from https://evil.example\u001b[31m';
const FORGED_LOGGED = 'onDecision threw; the response was not affected: listener down\\r\\nCORS allowed GET /admin from https://evil.example\\u001b[31m';

// A value with neither a message nor a way to become text: `String()` of it throws.
const unprintable = () => Object.create(null) as object;
const UNPRINTABLE_LOGGED = 'onDecision threw; the response was not affected: a value that cannot be turned into text';

/** What the one listener of this file does after recording the event. */
type Mode = 'record' | 'throw' | 'reject' | 'hang' | 'throw-unprintable' | 'reject-unprintable';
let mode: Mode = 'record';
const events: CorsDecisionEvent[] = [];
function onDecision(event: CorsDecisionEvent): unknown {
  events.push(event);
  switch (mode) {
    case 'record': return undefined;
    case 'throw': throw new Error(FORGED);
    case 'reject': return Promise.reject(new Error(FORGED));
    case 'hang': return new Promise(() => {});
    case 'throw-unprintable': throw unprintable();
    case 'reject-unprintable': return Promise.reject(unprintable());
  }
}

/** The misbehaving listeners, and the error line each event must log. */
const FAILING: readonly { readonly how: Mode; readonly logged: readonly string[] }[] = [
  { how: 'throw', logged: [FORGED_LOGGED] },
  { how: 'reject', logged: [FORGED_LOGGED] },
  { how: 'hang', logged: [] },
  { how: 'throw-unprintable', logged: [UNPRINTABLE_LOGGED] },
  { how: 'reject-unprintable', logged: [UNPRINTABLE_LOGGED] },
];

// Nest's Logger is one per process (the last app created sets it), so every app of this file
// logs into this one.
const logger = new CaptureLogger();
const errors = () => logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'error').map((l) => l.message);

/** Lets anything the request set off run (a rejection's handler, a second event), then the events since `from`. */
async function eventsSince(from: number): Promise<CorsDecisionEvent[]> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return events.slice(from);
}

/** The events (and what the response was) of one exchange. */
async function during<T>(send: () => Promise<T>): Promise<{ result: T; events: CorsDecisionEvent[] }> {
  const from = events.length;
  const result = await send();
  return { result, events: await eventsSince(from) };
}

it('README lists the reason codes CorsDecisionReason has and its JSDoc explains, no more, no fewer', () => {
  const source = readFileSync(new URL('../../lib/core/decision-event.ts', import.meta.url), 'utf8');
  const union = source.match(/export type CorsDecisionReason =([^;]*);/)?.[1] ?? '';
  const codes = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]).sort();
  const jsdoc = source.slice(0, source.indexOf('export type CorsDecisionReason'));
  // Each bullet names its codes before its colon: ` * - `origin-timeout`, `origin-error`, …: …`.
  const bullets = [...jsdoc.matchAll(/^ \* - ([^:]*):/gm)].map((m) => m[1]);
  const explained = bullets.flatMap((b) => [...b.matchAll(/`([a-z-]+)`/g)].map((m) => m[1])).sort();
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('| `reason` | meaning |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2); // past the header and |---|
  const listed = rows.map((row) => row.match(/^\| `([a-z-]+)` \|/)?.[1] ?? row).sort();
  expect(codes).toHaveLength(10);
  expect(explained).toEqual(codes);
  expect(listed).toEqual(codes);
});

// ---------------------------------------------------------------------------------------
// HTTP

@Controller('cats')
class CatsController {
  @CrossOrigin({ origins: [PAGE], methods: ['GET', 'POST'], allowHeaders: ['x-token'] })
  @Get() list() { return 'cats'; }

  @CrossOrigin(false)
  @Get('off') off() { return 'off'; }
}

// Undecorated: the `/api/*` resources entry.
@Controller('api/items')
class ItemsController {
  @Get() list() { return 'items'; }
  @Delete(':id') remove() { return 'removed'; }
}

// Its own policy admits only a partner; its 404 (an empty `:id`) gets `/api/*`'s, which admits PAGE.
@Controller('api/pets')
class PetsController {
  @CrossOrigin({ origins: ['https://partner.example'] })
  @Get(':id') one() { return 'pet'; }
}

// Undecorated, and no resources entry matches: no policy.
@Controller('misc')
class MiscController {
  @Get() get() { return 'misc'; }
}

@Controller('faults')
class FaultsController {
  @CrossOrigin({ origins: [() => new Promise<boolean>(() => {})] })
  @Get('stuck') stuck() { return 'stuck'; }

  @CrossOrigin({ origins: [() => { throw new Error('partners store down'); }] })
  @Get('broken') broken() { return 'broken'; }
}

const CONTROLLERS = [CatsController, ItemsController, PetsController, MiscController, FaultsController];
const BASE_OPTIONS: CorsModuleOptions = { resources: { '/api/*': { origins: [PAGE], methods: ['GET'] } }, originTimeout: TIMEOUT };

/** What a test sends: an actual request or a preflight, as a browser on `origin` would. */
interface Exchange {
  readonly method: 'GET' | 'DELETE' | 'OPTIONS';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

const get = (path: string, origin?: string): Exchange => ({ method: 'GET', path, headers: origin ? { origin } : {} });
const pre = (path: string, origin: string, acrm: string, acrh?: string): Exchange => ({
  method: 'OPTIONS', path, headers: { origin, 'access-control-request-method': acrm, ...(acrh ? { 'access-control-request-headers': acrh } : {}) },
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

async function send(app: INestApplication, x: Exchange): Promise<Answer> {
  const url = `http://127.0.0.1:${portOf(app)}`;
  let req = x.method === 'OPTIONS' ? request(url).options(x.path) : x.method === 'DELETE' ? request(url).delete(x.path) : request(url).get(x.path);
  for (const [name, value] of Object.entries(x.headers)) req = req.set(name, value);
  // A response held up by a listener fails here, not at Jest's limit.
  const res = await req.timeout(3_000);
  return { status: res.status, headers: res.headers, body: res.text };
}

/**
 * What a browser makes of the answer, by the Fetch standard's checks (the same module the
 * probe uses): the event must say the same.
 */
function browserVerdict(x: Exchange, a: Answer): 'allowed' | 'refused' {
  const get = (name: string) => {
    const v = a.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const origin = x.headers.origin!;
  const problem = x.method === 'OPTIONS'
    ? preflightCheck(a.status, get, { origin, method: x.headers['access-control-request-method']!, headers: headerList(x.headers['access-control-request-headers']).map((h) => h.toLowerCase()), credentials: false })
    : corsCheck(get, origin, false);
  return problem === undefined ? 'allowed' : 'refused';
}

/** The whole response but its Date, which two responses a second apart differ in. */
function comparable(a: Answer): Answer {
  const { date: _date, ...headers } = a.headers;
  return { ...a, headers };
}

type Expected = Omit<CorsDecisionEvent, 'verdict' | 'origin'> & { readonly origin?: string };

const refusal = (e: Expected): CorsDecisionEvent => ({ origin: PAGE, ...e, verdict: 'refused' });

const HUNDRED_AND_ONE = Array.from({ length: 101 }, (_, i) => `x-h${i}`).join(', ');

interface Refused {
  readonly desc: string;
  readonly x: Exchange;
  readonly event: CorsDecisionEvent;
}

/** One refusal of GET `path` from `origin`, on the actual request and on its preflight: the same event but for its kind. */
function refusedBoth(path: string, origin: string, e: Pick<CorsDecisionEvent, 'route' | 'policy' | 'reason'>, where = ''): Refused[] {
  return (['actual', 'preflight'] as const).map((kind) => ({
    desc: `${e.reason}, ${kind}${where}`,
    x: kind === 'actual' ? get(path, origin) : pre(path, origin, 'GET'),
    event: refusal({ kind, method: 'GET', ...e, origin }),
  }));
}

/** Every reason code HTTP can produce, on actual requests and preflights. */
const REFUSED: Refused[] = [
  ...refusedBoth('/cats', EVIL, { route: 'CatsController.list', policy: 'decorator', reason: 'origin-not-allowed' }, ', decorated handler'),
  { desc: 'origin-not-allowed, actual, resources entry', x: get('/api/items', EVIL),
    event: refusal({ kind: 'actual', method: 'GET', route: '/api/*', policy: 'resources', reason: 'origin-not-allowed', origin: EVIL }) },
  { desc: 'method-not-allowed, preflight, resources entry', x: pre('/api/items/7', PAGE, 'DELETE'),
    event: refusal({ kind: 'preflight', method: 'DELETE', route: '/api/*', policy: 'resources', reason: 'method-not-allowed' }) },
  { desc: 'header-not-allowed, preflight', x: pre('/cats', PAGE, 'GET', 'x-token, x-other'),
    event: refusal({ kind: 'preflight', method: 'GET', route: 'CatsController.list', policy: 'decorator', reason: 'header-not-allowed' }) },
  { desc: 'too-many-headers, preflight', x: pre('/cats', PAGE, 'GET', HUNDRED_AND_ONE),
    event: refusal({ kind: 'preflight', method: 'GET', route: 'CatsController.list', policy: 'decorator', reason: 'too-many-headers' }) },
  ...refusedBoth('/cats/off', PAGE, { route: 'CatsController.off', policy: 'disabled', reason: 'cors-disabled' }),
  { desc: 'no-policy, actual, undecorated handler', x: get('/misc', PAGE),
    event: refusal({ kind: 'actual', method: 'GET', route: '', policy: 'none', reason: 'no-policy' }) },
  { desc: 'no-policy, actual, a 404', x: get('/nowhere', PAGE),
    event: refusal({ kind: 'actual', method: 'GET', route: '', policy: 'none', reason: 'no-policy' }) },
  { desc: 'no-policy, preflight', x: pre('/misc', PAGE, 'GET'),
    event: refusal({ kind: 'preflight', method: 'GET', route: '', policy: 'none', reason: 'no-policy' }) },
  ...refusedBoth('/faults/stuck', PAGE, { route: 'FaultsController.stuck', policy: 'decorator', reason: 'origin-timeout' }),
  ...refusedBoth('/faults/broken', PAGE, { route: 'FaultsController.broken', policy: 'decorator', reason: 'origin-error' }),
];

const allowance = (e: Omit<CorsDecisionEvent, 'verdict' | 'reason' | 'origin'>): CorsDecisionEvent => ({ ...e, verdict: 'allowed', reason: 'allowed', origin: PAGE });

const ALLOWED: { desc: string; x: Exchange; event: CorsDecisionEvent }[] = [
  { desc: 'actual, decorated handler', x: get('/cats', PAGE),
    event: allowance({ kind: 'actual', method: 'GET', route: 'CatsController.list', policy: 'decorator' }) },
  { desc: 'preflight, decorated handler', x: pre('/cats', PAGE, 'GET', 'x-token'),
    event: allowance({ kind: 'preflight', method: 'GET', route: 'CatsController.list', policy: 'decorator' }) },
  { desc: 'actual, resources entry', x: get('/api/items', PAGE),
    event: allowance({ kind: 'actual', method: 'GET', route: '/api/*', policy: 'resources' }) },
  { desc: 'preflight, resources entry', x: pre('/api/items', PAGE, 'GET'),
    event: allowance({ kind: 'preflight', method: 'GET', route: '/api/*', policy: 'resources' }) },
];

/** Requests without Origin: not CORS requests, whatever their shape. */
const NO_ORIGIN: { desc: string; x: Exchange }[] = [
  { desc: 'GET of a decorated handler', x: get('/cats') },
  { desc: 'GET of a handler with CORS off', x: get('/cats/off') },
  { desc: 'GET of a path without policy', x: get('/misc') },
  { desc: 'OPTIONS with Access-Control-Request-Method', x: { method: 'OPTIONS', path: '/cats', headers: { 'access-control-request-method': 'GET' } } },
  { desc: 'GET of a stuck predicate\'s handler', x: get('/faults/stuck') },
];

function httpModule(options: CorsModuleOptions): Type<unknown> {
  return rootModule([CorsModule.forRoot({ ...BASE_OPTIONS, ...options })], CONTROLLERS);
}

describe.each(ADAPTERS)('onDecision over HTTP on $name', (adapter) => {
  describe.each(STARTS)('started with $how', ({ start }) => {
    let refusalsOnly: INestApplication;
    let everything: INestApplication;
    let silent: INestApplication;
    beforeAll(async () => {
      mode = 'record';
      refusalsOnly = await start(httpModule({ onDecision }), adapter, logger);
      everything = await start(httpModule({ onDecision, reportAllowed: true }), adapter, logger);
      silent = await start(httpModule({}), adapter, logger);
    });
    afterAll(async () => {
      mode = 'record';
      await Promise.all([refusalsOnly, everything, silent].map((app) => app?.close()));
    });

    describe('refusals: one event each, exactly', () => {
      it.each(REFUSED)('$desc', async ({ x, event }) => {
        const heard = await during(() => send(refusalsOnly, x));
        expect(heard.events).toStrictEqual([event]);
        // The response says what the event says.
        expect(browserVerdict(x, heard.result)).toBe('refused');
        expect((await during(() => send(everything, x))).events).toStrictEqual([event]);
      });
    });

    describe('allowances: reported only with reportAllowed: true', () => {
      it.each(ALLOWED)('$desc', async ({ x, event }) => {
        expect((await during(() => send(refusalsOnly, x))).events).toStrictEqual([]);
        const heard = await during(() => send(everything, x));
        expect(heard.events).toStrictEqual([event]);
        expect(browserVerdict(x, heard.result)).toBe('allowed');
      });
    });

    it.each(NO_ORIGIN)('no event for a request without Origin: $desc', async ({ x }) => {
      expect((await during(() => send(everything, x))).events).toStrictEqual([]);
    });

    it('one event for a request to a Nest route whose parameter is empty (its 404)', async () => {
      // Fastify matches DELETE /api/items/ to `:id` and Nest then answers its 404; Express's
      // router never matches it. Either way the request is decided once, by its path's entry.
      const { events: got, result } = await during(() => send(everything, { method: 'DELETE', path: '/api/items/', headers: { origin: EVIL } }));
      expect(result.status).toBe(404);
      expect(got).toStrictEqual([refusal({ kind: 'actual', method: 'DELETE', route: '/api/*', policy: 'resources', reason: 'origin-not-allowed', origin: EVIL })]);
    });

    it('the event says what the response got: a 404 for an empty parameter, allowed by its path\'s entry', async () => {
      // Fastify matches GET /api/pets/ to PetsController.one (`:id` empty), then Nest answers
      // its 404, which gets `/api/*`'s policy: the response admits PAGE. PetsController.one,
      // whose policy would refuse PAGE, never served the request.
      const { result, events: got } = await during(() => send(everything, get('/api/pets/', PAGE)));
      expect(result.status).toBe(404);
      expect(result.headers['access-control-allow-origin']).toBe(PAGE);
      expect(got).toStrictEqual([allowance({ kind: 'actual', method: 'GET', route: '/api/*', policy: 'resources' })]);
      expect((await during(() => send(refusalsOnly, get('/api/pets/', PAGE)))).events).toStrictEqual([]);
    });

    it('one event for a target that is not a path (`GET *cats`), which no route serves', async () => {
      // Express answers 404, Fastify's router 400; neither runs the /cats handler, and the
      // answer has no policy: no CORS headers.
      const from = events.length;
      const answer = await rawExchange(portOf(everything), `GET *cats HTTP/1.1\r\nHost: x\r\nOrigin: ${EVIL}\r\nConnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(answer.toLowerCase()).not.toContain('access-control-');
      expect(await eventsSince(from)).toStrictEqual([
        refusal({ kind: 'actual', method: 'GET', route: '', policy: 'none', reason: 'no-policy', origin: EVIL }),
      ]);
    });

    describe('the origin, escaped', () => {
      it('control characters (a tab, C1 controls) and backslashes sent over a raw socket are made visible', async () => {
        // Node's parser refuses C0 controls but the tab in a header value; it reads the other
        // bytes as Latin-1, so 0x85 (NEL) and 0x9b (CSI, an 8-bit terminal escape) arrive as such.
        const sent = 'https://a.example\t\x85\x9b31m\\x';
        const from = events.length;
        const answer = await rawExchange(portOf(everything), `GET /cats HTTP/1.1\r\nHost: x\r\nOrigin: ${sent}\r\nConnection: close\r\n\r\n`);
        expect(answer.slice(0, 12)).toBe('HTTP/1.1 200');
        expect(await eventsSince(from)).toStrictEqual([
          refusal({ kind: 'actual', method: 'GET', route: 'CatsController.list', policy: 'decorator', reason: 'origin-not-allowed', origin: 'https://a.example\\t\\u0085\\u009b31m\\\\x' }),
        ]);
      });

      it('a 1 KB origin is cut to its first 200 characters', async () => {
        const long = `https://${'a'.repeat(1000)}.example`;
        const { events: got } = await during(() => send(everything, get('/cats', long)));
        expect(got).toStrictEqual([
          refusal({ kind: 'actual', method: 'GET', route: 'CatsController.list', policy: 'decorator', reason: 'origin-not-allowed', origin: `${long.slice(0, 200)}…` }),
        ]);
      });

      it('so is the method a preflight asks for', async () => {
        const from = events.length;
        const answer = await rawExchange(portOf(everything),
          `OPTIONS /api/items HTTP/1.1\r\nHost: x\r\nOrigin: ${PAGE}\r\nAccess-Control-Request-Method: GET\t\x85\r\nConnection: close\r\n\r\n`);
        expect(answer.slice(0, 9)).toBe('HTTP/1.1 ');
        expect(await eventsSince(from)).toStrictEqual([
          refusal({ kind: 'preflight', method: 'GET\\t\\u0085', route: '/api/*', policy: 'resources', reason: 'method-not-allowed' }),
        ]);
      });
    });

    describe('the response is exactly what it is without a listener', () => {
      const ALL = [...REFUSED, ...ALLOWED, ...NO_ORIGIN.map(({ desc, x }) => ({ desc: `no Origin: ${desc}`, x }))];

      it.each(ALL)('with a listener that records: $desc', async ({ x }) => {
        mode = 'record';
        expect(comparable(await send(everything, x))).toStrictEqual(comparable(await send(silent, x)));
      });

      // 'hang': a promise that never settles; each response must still arrive within send()'s 3 s.
      it.each(FAILING)('a listener that does $how: the same response, and its error logged once per event, escaped', async ({ how, logged }) => {
        mode = how;
        try {
          for (const { x } of [...REFUSED, ...ALLOWED]) {
            const before = errors().length;
            const { result, events: got } = await during(() => send(everything, x));
            expect(comparable(result)).toStrictEqual(comparable(await send(silent, x)));
            expect(got).toHaveLength(1);
            expect(errors().slice(before)).toStrictEqual(logged);
          }
        } finally {
          mode = 'record';
        }
      });
    });
  });
});

describe.each(ADAPTERS)('onDecision and reportAllowed at start-up, on $name', (adapter) => {
  describe.each(STARTS)('started with $how', ({ start }) => {
    it.each([
      { desc: 'onDecision that is not a function', options: { onDecision: 'x' }, option: 'onDecision', reason: 'invalid' },
      { desc: 'reportAllowed that is not a boolean', options: { onDecision, reportAllowed: 1 }, option: 'reportAllowed', reason: 'invalid' },
      { desc: 'reportAllowed: true without onDecision', options: { reportAllowed: true }, option: 'reportAllowed', reason: 'incompatible' },
    ])('refuses $desc', async ({ options, option, reason }) => {
      const error = await startupError(() => start(rootModule([CorsModule.forRoot(options as never)], [MiscController]), adapter, logger));
      expect(error).toBeInstanceOf(CorsConfigError);
      expect(error.issues).toEqual([expect.objectContaining({ where: 'forRoot', option, reason })]);
    });

    it('accepts reportAllowed: false without onDecision', async () => {
      const app = await start(rootModule([CorsModule.forRoot({ reportAllowed: false })], [MiscController]), adapter, logger);
      await app.close();
    });

    it('refuses onDecision and reportAllowed anywhere but forRoot: on a handler, in a resources entry', async () => {
      @Controller('elsewhere')
      class ElsewhereController {
        @CrossOrigin({ origins: [PAGE], onDecision } as never) @Get() get() { return 'x'; }
      }
      const error = await startupError(() => start(rootModule([CorsModule.forRoot({ onDecision, resources: { '/*': { reportAllowed: true } as never } })], [ElsewhereController]), adapter, logger));
      expect(error.issues.map((i) => [i.option, i.detail])).toEqual(expect.arrayContaining([
        ['onDecision', 'is only accepted by CorsModule.forRoot()'],
        ['reportAllowed', 'is only accepted by CorsModule.forRoot()'],
      ]));
      expect(error.issues).toHaveLength(2);
    });

    it('refuses the same values returned by a forRootAsync factory, naming forRootAsync', async () => {
      const error = await startupError(() => start(rootModule([CorsModule.forRootAsync({ useFactory: () => ({ onDecision: 'x' }) as never })], [MiscController]), adapter, logger));
      expect(error.issues).toEqual([expect.objectContaining({ where: 'forRootAsync', option: 'onDecision', reason: 'invalid' })]);
    });

    it('takes onDecision and reportAllowed from a forRootAsync factory', async () => {
      const app = await start(rootModule([CorsModule.forRootAsync({ useFactory: async () => ({ ...BASE_OPTIONS, onDecision, reportAllowed: true }) })], CONTROLLERS), adapter, logger);
      try {
        expect((await during(() => send(app, get('/cats', EVIL)))).events).toStrictEqual([REFUSED[0].event]);
        expect((await during(() => send(app, get('/cats', PAGE)))).events).toStrictEqual([ALLOWED[0].event]);
      } finally {
        await app.close();
      }
    });
  });
});

// ---------------------------------------------------------------------------------------
// Gateways

const STYLES: StartStyle[] = ['NestFactory', 'testing'];

const stuckPredicate = () => new Promise<boolean>(() => {});
const throwingPredicate = () => { throw new Error('partners store down'); };

/** A socket.io gateway on the default path, and one on `/broken` whose predicate throws. */
function socketIoGateways(): Type<unknown>[] {
  @CrossOrigin({ origins: [PAGE], allowHeaders: ['x-token'] })
  @WebSocketGateway()
  class ChatGateway {
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return body; }
  }

  @CrossOrigin({ origins: [throwingPredicate] })
  @WebSocketGateway({ path: '/broken' })
  class BrokenGateway {
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return body; }
  }
  return [ChatGateway, BrokenGateway];
}

/** A ws gateway at `/echo`, and one at `/stuck` whose predicate never settles. */
function wsGateways(): Type<unknown>[] {
  @CrossOrigin({ origins: [PAGE] })
  @WebSocketGateway({ path: '/echo' })
  class EchoGateway {
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { event: 'echo', data: body }; }
  }

  @CrossOrigin({ origins: [stuckPredicate] })
  @WebSocketGateway({ path: '/stuck' })
  class StuckGateway {
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { event: 'echo', data: body }; }
  }
  return [EchoGateway, StuckGateway];
}

const wsUrl = (base: string, path: string) => `${base.replace(/^http/, 'ws')}${path}`;

/** Opens and closes at once: only the status matters. */
async function statusOf(answer: Promise<UpgradeAnswer>): Promise<number> {
  const a = await answer;
  if (a.opened) a.socket.close();
  return a.status;
}

const gatewayEvent = (e: Pick<CorsDecisionEvent, 'method' | 'route' | 'policy' | 'verdict' | 'reason' | 'origin'>): CorsDecisionEvent => ({ kind: 'gateway', ...e });

/** Each of a listener's misbehaviours must leave the answer as it is when it only records. */
async function sameUnderEveryMode<T>(exchange: () => Promise<T>): Promise<void> {
  mode = 'record';
  const expected = await exchange();
  try {
    for (const { how, logged } of FAILING) {
      mode = how;
      const before = errors().length;
      const { result, events: got } = await during(exchange);
      expect({ how, result }).toStrictEqual({ how, result: expected });
      expect(got).toHaveLength(1);
      expect({ how, logged: errors().slice(before) }).toStrictEqual({ how, logged });
    }
  } finally {
    mode = 'record';
  }
}

describe.each(ADAPTERS)('onDecision for gateways on $name', (adapter) => {
  describe.each(STYLES)('started with %s', (style) => {
    describe('a socket.io gateway with @CrossOrigin (refusals only)', () => {
      let g: GatewayApp;
      beforeAll(async () => {
        g = await startGatewayApp(adapter, style, CorsModule.forRoot({ onDecision }), socketIoGateways(), 0, { logger });
      });
      afterAll(() => g?.app.close());

      const refused = (method: string, reason: CorsDecisionEvent['reason'], origin = EVIL) =>
        gatewayEvent({ method, route: 'ChatGateway', policy: 'gateway', verdict: 'refused', reason, origin });

      it('a refused polling handshake: 403 and one event', async () => {
        const { result, events: got } = await during(() => httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: EVIL }));
        expect(result.status).toBe(403);
        expect(got).toStrictEqual([refused('GET', 'origin-not-allowed')]);
      });

      it('a refused WebSocket upgrade: 403 and one event', async () => {
        const { result, events: got } = await during(() => statusOf(openWebSocket(engineUrl(g.base, 'websocket'), EVIL)));
        expect(result).toBe(403);
        expect(got).toStrictEqual([refused('GET', 'origin-not-allowed')]);
      });

      it('a refused preflight names the method it asks for', async () => {
        const { result, events: got } = await during(() => httpCall(engineUrl(g.base, 'polling'), 'OPTIONS', { origin: EVIL, 'access-control-request-method': 'POST' }));
        expect(result.status).toBe(403);
        expect(got).toStrictEqual([refused('POST', 'origin-not-allowed')]);
      });

      it('a preflight for a header the policy does not allow: header-not-allowed', async () => {
        const { events: got } = await during(() => httpCall(engineUrl(g.base, 'polling'), 'OPTIONS', {
          origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-other',
        }));
        expect(got).toStrictEqual([refused('POST', 'header-not-allowed', PAGE)]);
      });

      it('the origin, escaped: a tab, a C1 control and a backslash made visible', async () => {
        const { events: got } = await during(() => httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: 'https://a.example\t\u0085\\x' }));
        expect(got).toStrictEqual([refused('GET', 'origin-not-allowed', 'https://a.example\\t\\u0085\\\\x')]);
      });

      it('a predicate that throws: origin-error, named by its gateway', async () => {
        const { result, events: got } = await during(() => httpCall(engineUrl(g.base, 'polling', '/broken'), 'GET', { origin: PAGE }));
        expect(result.status).toBe(403);
        expect(got).toStrictEqual([gatewayEvent({ method: 'GET', route: 'BrokenGateway', policy: 'gateway', verdict: 'refused', reason: 'origin-error', origin: PAGE })]);
      });

      it('an allowed handshake, or one without Origin, reports nothing', async () => {
        const allowed = await during(() => httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: PAGE }));
        expect(allowed.result.status).toBe(200);
        expect(allowed.events).toStrictEqual([]);
        const native = await during(() => httpCall(engineUrl(g.base, 'polling'), 'GET', {}));
        expect(native.result.status).toBe(200);
        expect(native.events).toStrictEqual([]);
      });

      it('a listener that throws, rejects or never settles changes nothing', async () => {
        await sameUnderEveryMode(async () => {
          const r = await httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: EVIL });
          const { date: _date, ...headers } = r.headers;
          return { status: r.status, headers, body: r.body };
        });
        await sameUnderEveryMode(() => statusOf(openWebSocket(engineUrl(g.base, 'websocket'), EVIL)));
      });
    });

    describe('a ws gateway with @CrossOrigin (reportAllowed: true)', () => {
      let g: GatewayApp;
      beforeAll(async () => {
        g = await startGatewayApp(adapter, style, CorsModule.forRoot({ onDecision, reportAllowed: true, originTimeout: TIMEOUT }), wsGateways(), 0, { ws: true, logger });
      });
      afterAll(() => g?.app.close());

      it('a refused upgrade: 403 and one event', async () => {
        const { result, events: got } = await during(() => statusOf(openWebSocket(wsUrl(g.base, '/echo'), EVIL)));
        expect(result).toBe(403);
        expect(got).toStrictEqual([gatewayEvent({ method: 'GET', route: 'EchoGateway', policy: 'gateway', verdict: 'refused', reason: 'origin-not-allowed', origin: EVIL })]);
      });

      it('a predicate that never settles: origin-timeout after originTimeout', async () => {
        const { result, events: got } = await during(() => statusOf(openWebSocket(wsUrl(g.base, '/stuck'), PAGE)));
        expect(result).toBe(403);
        expect(got).toStrictEqual([gatewayEvent({ method: 'GET', route: 'StuckGateway', policy: 'gateway', verdict: 'refused', reason: 'origin-timeout', origin: PAGE })]);
      });

      it('an allowed upgrade: 101 and one allowed event; none without Origin', async () => {
        const allowed = await during(() => statusOf(openWebSocket(wsUrl(g.base, '/echo'), PAGE)));
        expect(allowed.result).toBe(101);
        expect(allowed.events).toStrictEqual([gatewayEvent({ method: 'GET', route: 'EchoGateway', policy: 'gateway', verdict: 'allowed', reason: 'allowed', origin: PAGE })]);
        const native = await during(() => statusOf(openWebSocket(wsUrl(g.base, '/echo'))));
        expect(native.result).toBe(101);
        expect(native.events).toStrictEqual([]);
      });

      it('a listener that throws, rejects or never settles changes nothing, refused or allowed', async () => {
        await sameUnderEveryMode(() => statusOf(openWebSocket(wsUrl(g.base, '/echo'), EVIL)));
        await sameUnderEveryMode(() => statusOf(openWebSocket(wsUrl(g.base, '/echo'), PAGE)));
      });
    });

    describe('an unowned WebSocket upgrade, checked against its path\'s resources entry (reportAllowed: true)', () => {
      let app: INestApplication;
      let base: string;
      beforeAll(async () => {
        const start = STARTS[style === 'NestFactory' ? 0 : 1].start;
        const resources = { '/feed': { origins: [PAGE] }, '/stuck': { origins: [stuckPredicate] } };
        app = await start(rootModule([CorsModule.forRoot({ resources, originTimeout: TIMEOUT, onDecision, reportAllowed: true })], []), adapter, logger);
        // A plain ws server on the app's own HTTP server, as an app mounts one by hand.
        const wss = new WebSocketServer({ server: app.getHttpServer(), path: '/feed' });
        wss.on('connection', (socket) => socket.send('feed hello'));
        app.getHttpServer().once('close', () => {
          for (const client of wss.clients) client.terminate();
          wss.close();
        });
        base = `http://127.0.0.1:${portOf(app)}`;
      });
      afterAll(() => app?.close());

      it('a refused upgrade to /feed: 403 and one gateway event naming the resources entry', async () => {
        const { result, events: got } = await during(() => statusOf(openWebSocket(wsUrl(base, '/feed'), EVIL)));
        expect(result).toBe(403);
        expect(got).toStrictEqual([gatewayEvent({ method: 'GET', route: '/feed', policy: 'resources', verdict: 'refused', reason: 'origin-not-allowed', origin: EVIL })]);
      });

      it('a predicate that never settles: 403 and origin-timeout, named by its entry', async () => {
        const { result, events: got } = await during(() => statusOf(openWebSocket(wsUrl(base, '/stuck'), PAGE)));
        expect(result).toBe(403);
        expect(got).toStrictEqual([gatewayEvent({ method: 'GET', route: '/stuck', policy: 'resources', verdict: 'refused', reason: 'origin-timeout', origin: PAGE })]);
      });

      it('an allowed upgrade: 101 and one allowed event; none without Origin', async () => {
        const allowed = await during(() => statusOf(openWebSocket(wsUrl(base, '/feed'), PAGE)));
        expect(allowed.result).toBe(101);
        expect(allowed.events).toStrictEqual([gatewayEvent({ method: 'GET', route: '/feed', policy: 'resources', verdict: 'allowed', reason: 'allowed', origin: PAGE })]);
        const native = await during(() => statusOf(openWebSocket(wsUrl(base, '/feed'))));
        expect(native.result).toBe(101);
        expect(native.events).toStrictEqual([]);
      });

      it('a listener that throws, rejects or never settles changes nothing, refused or allowed', async () => {
        await sameUnderEveryMode(() => statusOf(openWebSocket(wsUrl(base, '/feed'), EVIL)));
        await sameUnderEveryMode(() => statusOf(openWebSocket(wsUrl(base, '/feed'), PAGE)));
      });
    });
  });
});
