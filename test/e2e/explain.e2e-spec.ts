// Explain mode (debug: true): one escaped line per refused decision with its exact reason,
// and the route policy table at start-up; nothing at all when off.
import { Controller, Get, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { connect } from 'node:net';
import { CorsModule, CorsService, CrossOrigin, cachedOrigins } from '../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { actual, preflight } from '../utility/http.js';

@CrossOrigin({ origins: 'https://*.partner.example' })
@Controller('cats')
class CatsController {
  @Get() list() { return []; }
  @CrossOrigin({ origins: 'https://app.example', allowHeaders: ['content-type'], methods: ['POST'] }) @Post() create() { return {}; }
  @CrossOrigin(false) @Get('internal') internal() { return 'x'; }
}

/** Sends bytes as written (Latin-1), which an HTTP client library would refuse to. */
async function rawRequest(app: INestApplication, text: string): Promise<string> {
  const server = app.getHttpServer();
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.from(text, 'latin1')));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

// The start-up table shows every option, a value no one wrote marked "(default)" (issue 15).
const DEFAULT_METHODS = 'methods=["GET","HEAD","POST","OPTIONS","PUT","PATCH","DELETE"] (default)';
const DEFAULT_TAIL = 'exposeHeaders=none (default), supportsCredentials=false (default), maxAge=none (default), sendWildcard=false (default), ' +
  'varyHeader=true (default), alwaysSend=true (default), automaticOptions=true (default), allowPrivateNetwork=false (default)';
/** A policy's line after its origins: everything else at its default. */
const withDefaults = (origins: string) => `${origins}, ${DEFAULT_METHODS}, allowHeaders="*" (default), ${DEFAULT_TAIL}`;

async function appWith(adapter: AdapterCase, debug: boolean, logger: CaptureLogger): Promise<INestApplication> {
  const ref = await Test.createTestingModule({
    imports: [CorsModule.forRoot({ origins: 'https://root.example', debug, resources: { '/api/*': {} } })],
    controllers: [CatsController],
  }).compile();
  const app = ref.createNestApplication(adapter.create() as never, { logger });
  await app.init();
  if (adapter.name === 'Fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  return app;
}

describe.each(ADAPTERS)('explain mode on $name', (adapter) => {
  const logger = new CaptureLogger();
  let app: INestApplication;
  beforeAll(async () => {
    app = await appWith(adapter, true, logger);
  });
  afterAll(() => app.close());

  const refusals = () => logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);

  it.each([
    { desc: 'origin (actual request)', send: () => actual(app, 'get', '/cats', 'https://x.dev'),
      line: 'CORS refused GET /cats from https://x.dev: origin https://x.dev not in origins of CatsController.list (controller @CrossOrigin)' },
    { desc: 'origin (preflight)', send: () => preflight(app, '/cats', 'https://x.dev', 'POST'),
      line: 'CORS refused preflight for POST /cats from https://x.dev: origin https://x.dev not in origins of CatsController.create (handler @CrossOrigin)' },
    { desc: 'header', send: () => preflight(app, '/cats', 'https://app.example', 'POST', 'content-type,x-api-key'),
      line: 'CORS refused preflight for POST /cats from https://app.example: header x-api-key not in allowHeaders of CatsController.create (handler @CrossOrigin)' },
    { desc: 'method', send: () => preflight(app, '/api/things', 'https://root.example', 'PURGE'),
      line: 'CORS refused preflight for PURGE /api/things from https://root.example: method PURGE not in methods of resources["/api/*"] (default)' },
  ])('logs the exact reason: $desc', async ({ send, line }) => {
    const before = refusals().length;
    await send();
    expect(refusals().slice(before)).toEqual([line]);
  });

  it('logs nothing for allowed calls or requests without Origin', async () => {
    const before = refusals().length;
    await actual(app, 'get', '/cats', 'https://a.partner.example');
    await preflight(app, '/cats', 'https://app.example', 'POST', 'content-type');
    await actual(app, 'get', '/cats/internal');
    await actual(app, 'get', '/cats');
    expect(refusals().length).toBe(before);
  });

  it.each([
    { desc: 'CORS off for the route', send: () => actual(app, 'get', '/cats/internal', 'https://x.dev'),
      line: 'CORS refused GET /cats/internal from https://x.dev: CORS is off for CatsController.internal (@CrossOrigin(false))' },
    { desc: 'no resources entry', send: () => preflight(app, '/elsewhere', 'https://x.dev', 'PUT'),
      line: 'CORS refused preflight for PUT /elsewhere from https://x.dev: no CORS policy applies: the path matches no resources entry' },
    { desc: 'a method no handler serves on the path', send: () => preflight(app, '/cats', 'https://app.example', 'DELETE'),
      line: 'CORS refused preflight for DELETE /cats from https://app.example: no handler serves DELETE on this path (its handlers serve GET, HEAD, POST), and the path matches no resources entry' },
  ])('says when no policy applies: $desc', async ({ send, line }) => {
    const before = refusals().length;
    await send();
    expect(refusals().slice(before)).toEqual([line]);
  });

  it('escapes request values: no CR, LF or control character reaches the log (CVE-2024-1681)', async () => {
    const before = refusals().length;
    // Node's parser refuses C0 controls, but header values may carry obs-text bytes such as
    // 0x9b (CSI, a terminal escape) and 0x85 (NEL, a line break): they arrive as Latin-1.
    await rawRequest(app, 'OPTIONS /cats HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n' +
      'Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-\x9b31m\x85evil\r\nConnection: close\r\n\r\n');
    await actual(app, 'get', '/api/%0d%0aFAKE', 'https://x.dev');
    const added = refusals().slice(before);
    expect(added).toHaveLength(2);
    for (const line of added) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(added[0]).toContain('header x-\\u009b31m\\u0085evil not in allowHeaders');
  });

  it('prints the route policy table at start-up', () => {
    const table = logger.from('CorsModule').filter((m) => !m.startsWith('CORS refused'));
    expect(table[0]).toBe('CORS policies of 3 routes:');
    expect(table).toContain(`  GET     /cats -> CatsController.list [CatsController.list]: ${withDefaults('origins="https://*.partner.example" (controller @CrossOrigin)')}`);
    expect(table).toContain(`  POST    /cats -> CatsController.create [CatsController.create]: origins="https://app.example" (handler @CrossOrigin), methods=["POST"] (handler @CrossOrigin), allowHeaders=["content-type"] (handler @CrossOrigin), ${DEFAULT_TAIL}`);
    expect(table).toContain('  GET     /cats/internal -> CatsController.internal: no CORS (@CrossOrigin(false))');
  });

  it('CorsService.routes() returns the same table as data', () => {
    const routes = app.get(CorsService).routes();
    expect(routes.map((r) => `${r.method} ${r.path} ${r.handler} ${r.kind}`)).toEqual([
      'GET /cats CatsController.list decorator',
      'POST /cats CatsController.create decorator',
      'GET /cats/internal CatsController.internal disabled',
    ]);
    expect(routes[1].sources).toMatchObject({ origins: 'handler', allowHeaders: 'handler', methods: 'handler', exposeHeaders: 'default' });
  });
});

describe.each(ADAPTERS)('explain mode off on $name', (adapter) => {
  it('logs nothing from CorsModule', async () => {
    const logger = new CaptureLogger();
    const app = await appWith(adapter, false, logger);
    await actual(app, 'get', '/cats', 'https://x.dev');
    await preflight(app, '/cats', 'https://x.dev', 'POST');
    expect(logger.from('CorsModule')).toEqual([]);
    await app.close();
  });
});

describe.each(ADAPTERS)('explain mode start-up table with RegExps and predicates on $name', (adapter) => {
  function isPartner(origin: string) { return origin.endsWith('.partner.example'); }
  const lookupPartner = async (origin: string) => origin === 'https://db.example';

  @Controller('dogs')
  class DogsController {
    @Get() list() { return []; }
    @CrossOrigin({ origins: /^https:\/\/y\.example$/ }) @Get('one') one() { return {}; }
    @CrossOrigin({ origins: [cachedOrigins(lookupPartner, { ttl: 1000 })] }) @Get('cached') cached() { return {}; }
  }

  it('prints a RegExp as /source/flags and a predicate as [predicate name], [predicate] when anonymous', async () => {
    const logger = new CaptureLogger();
    const ref = await Test.createTestingModule({
      imports: [CorsModule.forRoot({ origins: [/^https:\/\/x\.example$/i, isPartner, (o: string) => o === 'https://z.example'], debug: true })],
      controllers: [DogsController],
    }).compile();
    const app = ref.createNestApplication(adapter.create() as never, { logger });
    await app.init();
    try {
      const table = logger.from('CorsModule');
      expect(table).toEqual([
        'CORS policies of 3 routes:',
        `  GET     /dogs -> DogsController.list [resources["/*"]]: ${withDefaults('origins=[/^https:\\/\\/x\\.example$/i,[predicate isPartner],[predicate]] (forRoot)')}`,
        `  GET     /dogs/one -> DogsController.one [DogsController.one]: ${withDefaults('origins=/^https:\\/\\/y\\.example$/ (handler @CrossOrigin)')}`,
        `  GET     /dogs/cached -> DogsController.cached [DogsController.cached]: ${withDefaults('origins=[[predicate cachedOrigins(lookupPartner)]] (handler @CrossOrigin)')}`,
      ]);
    } finally {
      await app.close();
    }
  });
});
