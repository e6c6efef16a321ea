// SPEC §8 on socket.io: @CrossOrigin on a gateway gives its polling requests and preflights
// the policy's headers, and refuses every handshake and upgrade from a refused Origin with 403
// before a socket exists; a gateway without @CrossOrigin keeps its own cors option untouched.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { connect, type AddressInfo } from 'node:net';
import type { ServerOptions } from 'socket.io';
import { CorsModule, CorsService, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import {
  gatewayCorsOptions, socketIoGateways, startGatewayApp, type Connections, type GatewayApp, type StartStyle,
} from '../utility/gateway-apps.js';
import { varyOf } from '../utility/http.js';
import { connectIo, echo, engineUrl, freePort, httpCall, ioRefusal, openWebSocket } from '../utility/sockets.js';

const o = { allowed: 'https://app.example:8080', refused: 'https://evil.example' };
const STYLES: StartStyle[] = ['NestFactory', 'testing'];

describe.each(ADAPTERS)('socket.io gateways on $name', (adapter) => {
  describe.each(STYLES)('started with %s', (style) => {
    const seen: Connections = [];
    const logger = new CaptureLogger();
    let g: GatewayApp;
    beforeAll(async () => {
      const ownPort = await freePort();
      g = await startGatewayApp(adapter, style, CorsModule.forRoot(gatewayCorsOptions(o, true)), socketIoGateways(o, ownPort, seen), ownPort, { logger });
    });
    afterAll(() => g?.app.close());
    const refusals = () => logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);

    it.each(['polling', 'websocket'] as const)('an allowed Origin exchanges a message over %s', async (transport) => {
      const socket = await connectIo(g.base, { transports: [transport], origin: o.allowed, headers: { 'x-token': 't1' } });
      try {
        expect(socket.io.engine.transport.name).toBe(transport);
        await expect(echo(socket, { n: 1 })).resolves.toEqual({ by: 'chat', echoed: { n: 1 } });
      } finally {
        socket.close();
      }
    });

    it('a native client without Origin connects (no browser, no hijacking)', async () => {
      const socket = await connectIo(g.base, { transports: ['polling'] });
      try {
        await expect(echo(socket, 'native')).resolves.toEqual({ by: 'chat', echoed: 'native' });
      } finally {
        socket.close();
      }
    });

    it('a polling request from the allowed Origin carries the policy headers', async () => {
      const res = await httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: o.allowed });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(o.allowed);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(varyOf(res.headers)).toContain('origin');
    });

    it('a preflight for extraHeaders is answered with the policy: ACAH, credentials, Vary', async () => {
      const res = await httpCall(engineUrl(g.base, 'polling'), 'OPTIONS', {
        origin: o.allowed, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-token',
      });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(o.allowed);
      expect(res.headers['access-control-allow-headers']).toBe('x-token');
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      // The same preflight Vary as an HTTP route's (one writer for both).
      expect(varyOf(res.headers)).toContain('origin');
    });

    it('a preflight for a header the policy does not allow gets no ACAH, and is explained', async () => {
      const before = refusals().length;
      const res = await httpCall(engineUrl(g.base, 'polling'), 'OPTIONS', {
        origin: o.allowed, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-other',
      });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBeUndefined();
      expect(refusals().slice(before)).toEqual([
        `CORS refused preflight for socket.io polling request OPTIONS /socket.io/ to ChatGateway, NewsGateway from ${o.allowed}: header x-other not in allowHeaders of ChatGateway, NewsGateway (policy "sockets")`,
      ]);
    });

    it('a refused Origin gets 403 on a polling handshake and its preflight, with Vary and without CORS headers', async () => {
      const res = await httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: o.refused });
      expect(res.status).toBe(403);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(varyOf(res.headers)).toContain('origin');
      expect(JSON.parse(res.body)).toEqual({ code: 4, message: 'Forbidden' });
      const preflight = await httpCall(engineUrl(g.base, 'polling'), 'OPTIONS', {
        origin: o.refused, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-token',
      });
      expect(preflight.status).toBe(403);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('a refused Origin gets 403 on a WebSocket upgrade, before any socket exists', async () => {
      const before = seen.length;
      const answer = await openWebSocket(engineUrl(g.base, 'websocket'), o.refused);
      expect(answer.status).toBe(403);
      expect(seen.length).toBe(before);
    });

    it('a refused Origin cannot upgrade a session it did not open either', async () => {
      // The handshake from the allowed origin opens a session; its id alone must not let
      // another origin upgrade it (engine.io asks allowRequest only without a session id).
      const open = await httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: o.allowed });
      const sid = (JSON.parse(open.body.slice(1)) as { sid: string }).sid;
      const answer = await openWebSocket(`${engineUrl(g.base, 'websocket')}&sid=${sid}`, o.refused);
      expect(answer.status).toBe(403);
      const poll = await httpCall(`${engineUrl(g.base, 'polling')}&sid=${sid}`, 'GET', { origin: o.refused });
      expect(poll.status).toBe(403);
    });

    it.each(['polling', 'websocket'] as const)('socket.io-client from a refused Origin fails over %s', async (transport) => {
      const before = seen.length;
      const refusal = await ioRefusal(g.base, { transports: [transport], origin: o.refused });
      expect(refusal.message).toBe(transport === 'polling' ? 'xhr poll error' : 'websocket error');
      if (transport === 'polling') expect(refusal.status).toBe(403);
      expect(seen.length).toBe(before);
    });

    it('explain mode logs each refused handshake and upgrade: gateway, origin, reason', async () => {
      const before = refusals().length;
      await httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: o.refused });
      await openWebSocket(engineUrl(g.base, 'websocket'), o.refused);
      const reason = `origin ${o.refused} not in origins of ChatGateway, NewsGateway (policy "sockets")`;
      expect(refusals().slice(before)).toEqual([
        `CORS refused socket.io polling request GET /socket.io/ to ChatGateway, NewsGateway from ${o.refused} (403): ${reason}`,
        `CORS refused WebSocket upgrade GET /socket.io/ to ChatGateway, NewsGateway from ${o.refused} (403): ${reason}`,
      ]);
    });

    it('a namespace shares its server\'s policy', async () => {
      const socket = await connectIo(`${g.base}/news`, { transports: ['websocket'], origin: o.allowed });
      try {
        await expect(echo(socket, 'n')).resolves.toEqual({ by: 'news', echoed: 'n' });
      } finally {
        socket.close();
      }
      await expect(ioRefusal(`${g.base}/news`, { transports: ['polling'], origin: o.refused })).resolves.toMatchObject({ status: 403 });
    });

    it('a gateway on its own port gets its policy', async () => {
      const socket = await connectIo(g.ownBase, { transports: ['polling'], origin: o.allowed });
      try {
        await expect(echo(socket, 'p')).resolves.toEqual({ by: 'own-port', echoed: 'p' });
      } finally {
        socket.close();
      }
      expect((await httpCall(engineUrl(g.ownBase, 'polling'), 'GET', { origin: o.refused })).status).toBe(403);
      expect((await openWebSocket(engineUrl(g.ownBase, 'websocket'), o.refused)).status).toBe(403);
      // forRoot's policy has no credentials; this gateway's own @CrossOrigin did not add them.
      const res = await httpCall(engineUrl(g.ownBase, 'polling'), 'GET', { origin: o.allowed });
      expect(res.headers['access-control-allow-origin']).toBe(o.allowed);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('a gateway without @CrossOrigin keeps its own cors option, untouched', async () => {
      const allowed = await httpCall(engineUrl(g.base, 'polling', '/plain'), 'GET', { origin: o.allowed });
      expect(allowed.status).toBe(200);
      expect(allowed.headers['access-control-allow-origin']).toBe(o.allowed);
      // socket.io's cors option (the cors package) sends its one origin to anyone and refuses
      // nobody: every origin still gets a session. Its behaviour, not the library's 403.
      const other = await httpCall(engineUrl(g.base, 'polling', '/plain'), 'GET', { origin: o.refused });
      expect(other.status).toBe(200);
      expect(other.headers['access-control-allow-origin']).toBe(o.allowed);
      expect(other.headers['access-control-allow-credentials']).toBeUndefined();
      const upgraded = await openWebSocket(engineUrl(g.base, 'websocket', '/plain'), o.refused);
      expect(upgraded.status).toBe(101);
      if (upgraded.opened) upgraded.socket.close();
    });

    it('CorsService.gateways() lists every gateway with its policy and transport', () => {
      const reports = g.app.get(CorsService).gateways();
      expect(reports.map((r) => [r.gateway, r.kind, r.transport, r.port === 0 ? 'app' : 'own', r.path, r.namespace])).toEqual([
        ['ChatGateway', 'decorator', 'socket.io', 'app', null, null],
        ['NewsGateway', 'decorator', 'socket.io', 'app', null, 'news'],
        ['OwnPortGateway', 'decorator', 'socket.io', 'own', null, null],
        ['PlainGateway', 'own', 'socket.io', 'app', '/plain', null],
      ]);
      expect(reports[0].options).toMatchObject({ origins: [o.allowed], allowHeaders: ['x-token'], supportsCredentials: true });
      expect(reports[0].sources).toMatchObject({ origins: 'policy:sockets', supportsCredentials: 'policy:sockets', methods: 'default' });
      expect(reports[2].sources).toMatchObject({ origins: 'gateway' });
      expect(reports[3].options).toBeNull();
    });
  });
});

/** Sends bytes as written (Latin-1), which an HTTP client library would refuse to. */
function rawRequest(base: string, text: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(Buffer.from(text, 'latin1')));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe.each(ADAPTERS)('socket.io gateways in explain mode on $name', (adapter) => {
  it('escapes the Origin it logs, and prints the gateway table at start-up', async () => {
    const logger = new CaptureLogger();
    const ownPort = await freePort();
    const g = await startGatewayApp(adapter, 'testing', CorsModule.forRoot(gatewayCorsOptions(o, true)), socketIoGateways(o, ownPort, []), ownPort, { logger });
    try {
      // Header values may carry obs-text bytes such as 0x85 (NEL, a line break) and 0x9b (CSI).
      const answer = await rawRequest(g.base, 'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n' +
        'Origin: https://evil.example\x85\x9b31m\r\nConnection: close\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 403 /);
      const lines = logger.from('CorsModule');
      const refusal = lines.filter((l) => l.startsWith('CORS refused'));
      expect(refusal).toHaveLength(1);
      expect(refusal[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      expect(refusal[0]).toContain('from https://evil.example\\u0085\\u009b31m (403)');
      expect(lines).toContain('CORS policies of 4 gateways:');
      expect(lines).toContain(`  ChatGateway (socket.io, the app's port, path default): origins=["${o.allowed}"] (policy "sockets"), allowHeaders=["x-token"] (policy "sockets"), supportsCredentials=true (policy "sockets")`);
      expect(lines).toContain("  PlainGateway (socket.io, the app's port, path /plain): no @CrossOrigin, left to its own options");
    } finally {
      await g.app.close();
    }
  });

  it('logs nothing when explain mode is off', async () => {
    const logger = new CaptureLogger();
    const ownPort = await freePort();
    const g = await startGatewayApp(adapter, 'testing', CorsModule.forRoot(gatewayCorsOptions(o, false)), socketIoGateways(o, ownPort, []), ownPort, { logger });
    try {
      expect((await httpCall(engineUrl(g.base, 'polling'), 'GET', { origin: o.refused })).status).toBe(403);
      expect((await openWebSocket(engineUrl(g.base, 'websocket'), o.refused)).status).toBe(403);
      expect(logger.from('CorsModule')).toEqual([]);
    } finally {
      await g.app.close();
    }
  });
});

describe.each(ADAPTERS)('a custom IoAdapter on $name', (adapter) => {
  it('a subclass overriding createIOServer (the Redis adapter recipe) gets the check too', async () => {
    const created: number[] = [];
    class CustomIoAdapter extends IoAdapter {
      override createIOServer(port: number, options?: ServerOptions) {
        created.push(port);
        return super.createIOServer(port, options);
      }
    }
    @CrossOrigin({ origins: [o.allowed] })
    @WebSocketGateway()
    class CustomGateway {
      @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { echoed: body }; }
    }
    const app = await createApp({ imports: [CorsModule.forRoot()], providers: [CustomGateway] }, adapter, (a) => {
      a.useWebSocketAdapter(new CustomIoAdapter(a));
    });
    try {
      await app.listen(0, '127.0.0.1');
      const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      expect(created).toEqual([0]);
      expect((await openWebSocket(engineUrl(base, 'websocket'), o.refused)).status).toBe(403);
      const socket = await connectIo(base, { transports: ['websocket'], origin: o.allowed });
      await expect(echo(socket, 'x')).resolves.toEqual({ echoed: 'x' });
      socket.close();
    } finally {
      await app.close();
    }
  });
});

describe.each(ADAPTERS)('an app whose gateways have no @CrossOrigin, on $name', (adapter) => {
  it('leaves them alone and still reports them', async () => {
    @WebSocketGateway({ cors: { origin: o.allowed } })
    class OwnCorsGateway {}
    const app = await createApp({ imports: [CorsModule.forRoot({ origins: [o.allowed] })], providers: [OwnCorsGateway] }, adapter);
    try {
      await app.listen(0, '127.0.0.1');
      const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      // forRoot lists only o.allowed, yet a refused origin still opens a socket: no policy was imposed.
      const upgraded = await openWebSocket(engineUrl(base, 'websocket'), o.refused);
      expect(upgraded.status).toBe(101);
      if (upgraded.opened) upgraded.socket.close();
      const poll = await httpCall(engineUrl(base, 'polling'), 'GET', { origin: o.allowed });
      expect(poll.headers['access-control-allow-origin']).toBe(o.allowed);
      expect(app.get(CorsService).gateways()).toEqual([
        { gateway: 'OwnCorsGateway', port: 0, path: null, namespace: null, transport: 'socket.io', kind: 'own', options: null, sources: null },
      ]);
    } finally {
      await app.close();
    }
  });
});
