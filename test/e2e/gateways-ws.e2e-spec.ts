// SPEC §8 on ws (@nestjs/platform-ws): an upgrade from a refused Origin gets 403 before the
// socket opens; an allowed Origin, or a native client without one, gets 101.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { CorsModule, CorsService, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';
import { startGatewayApp, wsGateways, type GatewayApp, type StartStyle } from '../utility/gateway-apps.js';
import { freePort, openWebSocket, wsExchange, type UpgradeAnswer } from '../utility/sockets.js';

const o = { allowed: 'https://app.example:8080', refused: 'https://evil.example' };
const STYLES: StartStyle[] = ['NestFactory', 'testing'];
const ws = (base: string, path: string) => `${base.replace(/^http/, 'ws')}${path}`;

async function opened(answer: Promise<UpgradeAnswer>): Promise<Extract<UpgradeAnswer, { opened: true }>> {
  const a = await answer;
  if (!a.opened) throw new Error(`expected 101, got ${a.status}`);
  return a;
}

describe.each(ADAPTERS)('ws gateways on $name', (adapter) => {
  describe.each(STYLES)('started with %s', (style) => {
    const logger = new CaptureLogger();
    let g: GatewayApp;
    beforeAll(async () => {
      const ownPort = await freePort();
      g = await startGatewayApp(adapter, style, CorsModule.forRoot({ origins: [o.allowed], debug: true }), wsGateways(o, ownPort), ownPort, { ws: true, logger });
    });
    afterAll(() => g?.app.close());
    const refusals = () => logger.lines.filter((l) => l.context === 'CorsModule' && l.level === 'warn').map((l) => l.message);

    it.each([
      { desc: 'the app\'s server', base: () => g.base, path: '/echo', by: 'ws' },
      { desc: 'its own port', base: () => g.ownBase, path: '/own', by: 'ws-own-port' },
    ])('on $desc: 101 for the allowed Origin, and a message round trip', async ({ base, path, by }) => {
      const { socket } = await opened(openWebSocket(ws(base(), path), o.allowed));
      try {
        await expect(wsExchange(socket, 'echo', { n: 1 })).resolves.toEqual({ event: 'echo', data: { by, echoed: { n: 1 } } });
      } finally {
        socket.close();
      }
    });

    it.each([
      { desc: 'the app\'s server', base: () => g.base, path: '/echo', gateway: 'EchoGateway' },
      { desc: 'its own port', base: () => g.ownBase, path: '/own', gateway: 'OwnPortWsGateway' },
    ])('on $desc: 403 for a refused Origin, explained', async ({ base, path, gateway }) => {
      const before = refusals().length;
      const answer = await openWebSocket(ws(base(), path), o.refused);
      expect(answer).toMatchObject({ status: 403 });
      expect(refusals().slice(before)).toEqual([
        `CORS refused WebSocket upgrade GET ${path} to ${gateway} from ${o.refused} (403): origin ${o.refused} not in origins of ${gateway} (gateway @CrossOrigin)`,
      ]);
    });

    it('a native client without Origin gets 101', async () => {
      const { socket } = await opened(openWebSocket(ws(g.base, '/echo')));
      socket.close();
    });

    it('the null origin of a sandboxed page is refused', async () => {
      expect(await openWebSocket(ws(g.base, '/echo'), 'null')).toMatchObject({ status: 403 });
    });

    it('CorsService.gateways() reports the ws transport', () => {
      expect(g.app.get(CorsService).gateways().map((r) => [r.gateway, r.transport, r.path])).toEqual([
        ['EchoGateway', 'ws', '/echo'],
        ['OwnPortWsGateway', 'ws', '/own'],
      ]);
    });
  });

  it('runs the gateway\'s own verifyClient after an allowed Origin, never for a refused one', async () => {
    const asked: (string | undefined)[] = [];
    @CrossOrigin({ origins: [o.allowed] })
    @WebSocketGateway({
      path: '/guarded',
      verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number) => void) => {
        asked.push(info.req.headers.origin);
        done(info.req.headers['x-token'] === 'yes', 401);
      },
    })
    class GuardedGateway {
      @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { event: 'echo', data: body }; }
    }
    const g = await startGatewayApp(adapter, 'testing', CorsModule.forRoot(), [GuardedGateway], 0, { ws: true });
    try {
      expect(await openWebSocket(ws(g.base, '/guarded'), o.refused)).toMatchObject({ status: 403 });
      expect(asked).toEqual([]);
      // forRoot admits any origin by default; the gateway's own check still refuses without the token.
      expect(await openWebSocket(ws(g.base, '/guarded'), o.allowed)).toMatchObject({ status: 401 });
      expect(asked).toEqual([o.allowed]);
    } finally {
      await g.app.close();
    }
  });
});
