import { Module, type DynamicModule, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessageBody, SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { WsAdapter } from '@nestjs/platform-ws';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'socket.io';
import { CrossOrigin, type CorsModuleOptions } from '../../lib/index.js';
import { createApp, type AdapterCase } from './adapters.js';

/** The origins the gateway apps know: one page they admit, and one origin nobody lists. */
export interface GatewayOrigins {
  readonly allowed: string;
  readonly refused: string;
}

/** What the gateways saw: for each connection, the gateway and the Cookie header it carried. */
export type Connections = { gateway: string; cookie: string | undefined; origin: string | undefined }[];

/** forRoot for the socket.io gateways: a named policy they share, credentials and `x-token`. */
export function gatewayCorsOptions(o: GatewayOrigins, debug = false): CorsModuleOptions {
  return {
    origins: [o.allowed],
    policies: { sockets: { origins: [o.allowed], allowHeaders: ['x-token'], supportsCredentials: true } },
    debug,
  };
}

/**
 * socket.io gateways covering SPEC §8: two on the app's server (one in a namespace) sharing a
 * named policy, one on its own port, and one without @CrossOrigin and its own `cors` option
 * on another path. Defined in a factory because decorators take the origins and the port.
 */
export function socketIoGateways(o: GatewayOrigins, ownPort: number, seen: Connections): Type<unknown>[] {
  const record = (gateway: string, client: Socket) =>
    seen.push({ gateway, cookie: client.handshake.headers.cookie, origin: client.handshake.headers.origin });

  @CrossOrigin('sockets')
  @WebSocketGateway()
  class ChatGateway implements OnGatewayConnection {
    handleConnection(client: Socket) { record('chat', client); }
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { by: 'chat', echoed: body }; }
  }

  @CrossOrigin('sockets')
  @WebSocketGateway({ namespace: 'news' })
  class NewsGateway implements OnGatewayConnection {
    handleConnection(client: Socket) { record('news', client); }
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { by: 'news', echoed: body }; }
  }

  @CrossOrigin({ origins: [o.allowed] })
  @WebSocketGateway(ownPort)
  class OwnPortGateway implements OnGatewayConnection {
    handleConnection(client: Socket) { record('own-port', client); }
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { by: 'own-port', echoed: body }; }
  }

  // No @CrossOrigin: socket.io's own cors option, which the library must leave alone.
  @WebSocketGateway({ path: '/plain', cors: { origin: o.allowed } })
  class PlainGateway implements OnGatewayConnection {
    handleConnection(client: Socket) { record('plain', client); }
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { by: 'plain', echoed: body }; }
  }

  return [ChatGateway, NewsGateway, OwnPortGateway, PlainGateway];
}

/** A ws gateway on the app's server and one on its own port, both with @CrossOrigin. */
export function wsGateways(o: GatewayOrigins, ownPort: number): Type<unknown>[] {
  @CrossOrigin({ origins: [o.allowed] })
  @WebSocketGateway({ path: '/echo' })
  class EchoGateway {
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { event: 'echo', data: { by: 'ws', echoed: body } }; }
  }

  @CrossOrigin({ origins: [o.allowed] })
  @WebSocketGateway(ownPort, { path: '/own' })
  class OwnPortWsGateway {
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { event: 'echo', data: { by: 'ws-own-port', echoed: body } }; }
  }

  return [EchoGateway, OwnPortWsGateway];
}

/** A started gateway app: its base URL, and the one of its own-port gateway. */
export interface GatewayApp {
  readonly app: INestApplication;
  readonly base: string;
  readonly ownBase: string;
}

export type StartStyle = 'NestFactory' | 'testing';

/**
 * Starts an app with the given gateways on `adapter`, the way production does
 * (`NestFactory.create` + `listen(0)`) or through `@nestjs/testing`, with the WsAdapter when
 * `ws` is set (socket.io's IoAdapter is Nest's default).
 */
export async function startGatewayApp(
  adapter: AdapterCase,
  style: StartStyle,
  cors: DynamicModule,
  gateways: Type<unknown>[],
  ownPort: number,
  opts: { ws?: boolean; logger?: LoggerService | false } = {},
): Promise<GatewayApp> {
  const metadata = { imports: [cors], providers: gateways };
  const logger = opts.logger ?? false;
  let app: INestApplication;
  if (style === 'NestFactory') {
    @Module(metadata)
    class AppModule {}
    app = await NestFactory.create(AppModule, adapter.create() as never, { logger, abortOnError: false });
    if (opts.ws) app.useWebSocketAdapter(new WsAdapter(app));
    await app.listen(0, '127.0.0.1');
  } else {
    app = await createApp(metadata, adapter, (a) => {
      a.useLogger(logger);
      if (opts.ws) a.useWebSocketAdapter(new WsAdapter(a));
    });
    await app.listen(0, '127.0.0.1');
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}`, ownBase: `http://127.0.0.1:${ownPort}` };
}
