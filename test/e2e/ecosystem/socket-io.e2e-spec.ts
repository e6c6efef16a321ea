// SPEC §3 rule 6 and §8: a socket.io gateway without @CrossOrigin keeps its own `cors` option.
// engine.io listens on the same Node server as the framework and answers its own requests
// (polling, its preflights, upgrades); CorsModule, which only sees what the framework
// dispatches, never answers or decorates them, on either HTTP adapter.
import { Controller, Get, Module } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { io, type Socket } from 'socket.io-client';
import request from 'supertest';
import { CorsModule } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { startApp, type Started } from './start.js';

const GLOBAL = 'http://app.test';
const WS = 'http://ws.test';
const HANDSHAKE = '/socket.io/?EIO=4&transport=polling';
/** The methods the `cors` package (engine.io's) answers with by default; ours list OPTIONS too. */
const CORS_PACKAGE_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

@WebSocketGateway({ cors: { origin: WS } })
class ChatGateway {
  @SubscribeMessage('ping') ping(@MessageBody() body: string) { return `pong ${body}`; }
}

@Controller('api')
class ApiController {
  @Get() get() { return 'api'; }
}

@Module({ imports: [CorsModule.forRoot({ origins: [GLOBAL] })], controllers: [ApiController], providers: [ChatGateway] })
class AppModule {}

/** Connects with the given transport, an Origin and a custom header, and waits for the handshake. */
function connect(url: string, transport: 'polling' | 'websocket'): Promise<Socket> {
  const socket = io(url, {
    transports: [transport],
    upgrade: false,
    reconnection: false,
    timeout: 5_000,
    extraHeaders: { Origin: WS, 'X-Client': 'e2e' },
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => { socket.close(); reject(error); });
  });
}

describe.each(ADAPTERS)('socket.io gateway beside CorsModule on $name', (adapter) => {
  let s: Started;
  beforeAll(async () => { s = await startApp(AppModule, adapter); });
  afterAll(() => s?.app.close());

  it.each(['polling', 'websocket'] as const)('a client on %s from the gateway origin connects and exchanges a message', async (transport) => {
    const socket = await connect(s.url, transport);
    try {
      expect(socket.io.engine.transport.name).toBe(transport);
      await expect(socket.timeout(5_000).emitWithAck('ping', transport)).resolves.toBe(`pong ${transport}`);
    } finally {
      socket.close();
    }
  });

  it('the polling preflight (custom header) is answered by engine.io with its cors settings', async () => {
    const res = await request(s.url).options(HANDSHAKE).set('Origin', WS)
      .set('Access-Control-Request-Method', 'GET').set('Access-Control-Request-Headers', 'x-client');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(WS);
    expect(res.headers['access-control-allow-methods']).toBe(CORS_PACKAGE_METHODS);
    expect(res.headers['access-control-allow-headers']).toBe('x-client');
  });

  it('a preflight from the CorsModule origin is still engine.io\'s: its fixed origin, not an echo of ours', async () => {
    const res = await request(s.url).options(HANDSHAKE).set('Origin', GLOBAL).set('Access-Control-Request-Method', 'GET');
    expect(res.headers['access-control-allow-origin']).toBe(WS);
    expect(res.headers['access-control-allow-methods']).toBe(CORS_PACKAGE_METHODS);
  });

  it.each([WS, GLOBAL])('the polling handshake from %s carries engine.io\'s one ACAO and no header of ours', async (origin) => {
    const res = await request(s.url).get(HANDSHAKE).set('Origin', origin);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^0\{"sid":/);
    expect(res.headers['access-control-allow-origin']).toBe(WS);
    expect(res.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('HTTP routes beside the gateway keep the CorsModule policy', async () => {
    const res = await request(s.url).get('/api').set('Origin', GLOBAL);
    expect([res.status, res.text, res.headers['access-control-allow-origin']]).toEqual([200, 'api', GLOBAL]);
    const pre = await request(s.url).options('/api').set('Origin', WS).set('Access-Control-Request-Method', 'GET');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });
});
