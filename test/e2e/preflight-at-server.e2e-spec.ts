// Express: an automatic preflight is answered at the HTTP server, before Express sets up its
// request (README "Where the library enters"), but only when nothing could have run before the
// library's first middleware. Whatever would have run first still sees every preflight: a
// request hook set on the adapter, a layer of an Express app passed to ExpressAdapter, another
// `request` listener (socket.io's engine.io). Express's `X-Powered-By`, which Express sets on
// every response it handles, tells which way a preflight went.
import { Controller, Get, Post, type INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { createRequire } from 'node:module';
import { Server as SocketIoServer } from 'socket.io';
import request from 'supertest';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp, type AdapterCase } from '../utility/adapters.js';
import { preflight } from '../utility/http.js';
import { RawClient } from '../utility/raw-http.js';
import { portOf, rootModule, STARTS } from '../utility/start.js';

type Use = (fn: (req: { method: string; url: string }, res: unknown, next: () => void) => void) => void;
const express = createRequire(import.meta.url)('express') as () => { use: Use };
const ORIGIN = 'https://app.example';

@Controller('things')
class ThingsController {
  @Post() create() { return 'created'; }
  @CrossOrigin({ origins: [(o: string) => o === ORIGIN] }) @Post('predicate') predicate() { return 'ok'; }
}

@Controller({ path: 'hosted', host: 'api.example' })
class HostedController {
  @Post() create() { return 'hosted'; }
}

const EXPRESS = ADAPTERS[0];
const module = () => ({ imports: [CorsModule.forRoot({ origins: ORIGIN })], controllers: [ThingsController] });

/** A preflight's answer, and whether Express handled it. */
async function ask(app: INestApplication, path = '/things', origin = ORIGIN) {
  const res = await preflight(app, path, origin, 'POST', 'content-type');
  return { status: res.status, acao: res.headers['access-control-allow-origin'], acah: res.headers['access-control-allow-headers'], express: res.headers['x-powered-by'] === 'Express' };
}

describe.each(STARTS)('Express preflights at the server ($how)', ({ start }) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await start(rootModule([CorsModule.forRoot({ origins: ORIGIN })], [ThingsController]), EXPRESS, false);
  });
  afterAll(() => app.close());

  it('are answered before Express handles the request, with the same headers', async () => {
    expect(await ask(app)).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: false });
    expect(await ask(app, '/things', 'https://evil.example')).toEqual({ status: 204, acao: undefined, acah: undefined, express: false });
  });

  it('an origin predicate is asked in the first middleware, as before', async () => {
    expect(await ask(app, '/things/predicate')).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: true });
  });

  it('actual requests and OPTIONS without ACRM go through Express', async () => {
    const res = await preflight(app, '/things', ORIGIN, 'POST').unset('Access-Control-Request-Method');
    expect(res.headers['x-powered-by']).toBe('Express');
    const post = await request(app.getHttpServer()).post('/things').set('Origin', ORIGIN);
    expect([post.text, post.headers['access-control-allow-origin'], post.headers['x-powered-by']]).toEqual(['created', ORIGIN, 'Express']);
  });
});

describe('Express preflights go through whatever runs before the library', () => {
  it('a request hook set on the adapter, after or before the app is created', async () => {
    const seen: string[] = [];
    const after = await createApp(module(), EXPRESS, (app) => {
      (app.getHttpAdapter() as ExpressAdapter).setOnRequestHook((req, _res, done) => {
        seen.push(`${req.method} ${req.url}`);
        done();
      });
    });
    try {
      expect(await ask(after)).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: true });
      expect(seen).toEqual(['OPTIONS /things']);
    } finally {
      await after.close();
    }
    const early = new ExpressAdapter();
    early.setOnResponseHook(() => { seen.push('response'); });
    const before = await createApp(module(), { name: 'Express', create: () => early } satisfies AdapterCase);
    try {
      expect(await ask(before)).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: true });
      // The response hook set before the app existed saw the preflight too.
      expect(seen).toContain('response');
    } finally {
      await before.close();
    }
  });

  it('a layer of the Express app given to ExpressAdapter', async () => {
    const seen: string[] = [];
    const instance = express();
    instance.use((req, _res, next) => {
      seen.push(`${req.method} ${req.url}`);
      next();
    });
    const app = await createApp(module(), { name: 'Express', create: () => new ExpressAdapter(instance) } satisfies AdapterCase);
    try {
      expect(await ask(app)).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: true });
      expect(seen).toEqual(['OPTIONS /things']);
    } finally {
      await app.close();
    }
  });

  it("another request listener (socket.io's engine.io), and again when it is gone", async () => {
    const app = await createApp(module(), EXPRESS);
    const io = new SocketIoServer(app.getHttpServer());
    try {
      expect(await ask(app)).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: true });
      // engine.io's own requests stay its own: no CORS headers of ours.
      const polling = await preflight(app, '/socket.io/?EIO=4&transport=polling', ORIGIN, 'GET');
      expect([polling.headers['access-control-allow-origin'], polling.headers['x-powered-by']]).toEqual([undefined, undefined]);
    } finally {
      io.engine.close();
    }
    const server = app.getHttpServer();
    server.removeAllListeners('request');
    server.on('request', app.getHttpAdapter().getInstance());
    try {
      expect(await ask(app)).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: false });
    } finally {
      await app.close();
    }
  });

  it('a host-bound controller: the host name is Express\'s to read', async () => {
    const app = await createApp({ imports: [CorsModule.forRoot({ origins: ORIGIN })], controllers: [ThingsController, HostedController] }, EXPRESS);
    try {
      expect(await ask(app)).toEqual({ status: 204, acao: ORIGIN, acah: 'content-type', express: true });
    } finally {
      await app.close();
    }
  });
});

// At the server, Express has not set the request up yet (no `originalUrl`): the path is the
// target's own. `//#f` is `//`, which Express dispatches to '*rest' (registered first), not '/'.
const CATCH_ALL = 'https://catch-all.example';

@CrossOrigin({ origins: CATCH_ALL })
@Controller()
class CatchAllController {
  @Get('*rest') any() { return 'any'; }
}

@Controller()
class RootController {
  @Get() root() { return 'root'; }
}

describe.each(STARTS)('Express preflights at the server read the target as Express will ($how)', ({ start }) => {
  let app: INestApplication;
  let client: RawClient;
  beforeAll(async () => {
    app = await start(rootModule([CorsModule.forRoot({ resources: { '/*': { origins: ORIGIN } } })], [CatchAllController, RootController]), EXPRESS, false);
    client = new RawClient(portOf(app));
  });
  afterAll(async () => {
    client.close();
    await app.close();
  });

  const ask = async (target: string, method: string, origin: string) => {
    const res = await client.send({ method, target, headers: { host: 'localhost', origin, ...(method === 'OPTIONS' ? { 'access-control-request-method': 'GET' } : {}) } });
    return { body: method === 'GET' ? res.body : undefined, acao: res.headers['access-control-allow-origin'], express: res.headers['x-powered-by'] === 'Express' };
  };

  it.each(['//', '//#f'])('%s: the preflight agrees with the handler that serves the GET', async (target) => {
    expect(await ask(target, 'GET', CATCH_ALL)).toEqual({ body: 'any', acao: CATCH_ALL, express: true });
    expect(await ask(target, 'OPTIONS', CATCH_ALL)).toEqual({ body: undefined, acao: CATCH_ALL, express: false });
    expect(await ask(target, 'OPTIONS', ORIGIN)).toEqual({ body: undefined, acao: undefined, express: false });
  });
});
