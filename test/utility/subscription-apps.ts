// GraphQL subscriptions over WebSockets that no gateway owns (SPEC §8, second paragraph), for
// the Node suite and the browser suite: Apollo with graphql-ws (Express, Fastify), Mercurius
// (Fastify), the legacy subscriptions-transport-ws protocol mounted by hand, a plain `ws`
// server mounted by hand, and a socket.io gateway with @CrossOrigin beside them. Every server
// names itself in what it sends, so a test knows who answered.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, GraphQLSchemaHost, Query, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { execute, subscribe } from 'graphql';
import { SubscriptionServer } from 'subscriptions-transport-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { CrossOrigin } from '../../lib/index.js';

const TYPE_DEFS = 'type Query { hello: String } type Subscription { tick: String }';

/** The one event every subscription delivers, naming the server that sent it. */
export const tickFrom = (server: string) => `tock from ${server}`;

/** The subscription every client sends. */
export const TICK_SUBSCRIPTION = 'subscription { tick }';

export type SubscriptionDriver = 'Apollo' | 'Mercurius';

/** A resolver whose one subscription event says which driver served it. */
function tickResolver(driver: SubscriptionDriver): Type<unknown> {
  @Resolver()
  class TickResolver {
    @Query() hello() { return 'world'; }
    @Subscription() tick() {
      return (async function* ticks() {
        yield { tick: tickFrom(driver) };
      })();
    }
  }
  return TickResolver;
}

/** GraphQLModule with subscriptions on `/graphql`: graphql-ws for Apollo, Mercurius's own. */
function graphqlModule(driver: SubscriptionDriver): DynamicModule {
  return driver === 'Apollo'
    ? GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs: TYPE_DEFS, subscriptions: { 'graphql-ws': true } })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, typeDefs: TYPE_DEFS, subscription: true });
}

/** A socket.io gateway on the app's server with its own @CrossOrigin: SPEC §8's first paragraph. */
export function socketGateway(origin: string): Type<unknown> {
  @CrossOrigin({ origins: [origin] })
  @WebSocketGateway()
  class EchoGateway {
    @SubscribeMessage('echo') echo(@MessageBody() body: unknown) { return { by: 'gateway', echoed: body }; }
  }
  return EchoGateway;
}

/** The root module: CorsModule, GraphQL on `driver`, and the gateway when one is given. */
export function subscriptionModule(cors: DynamicModule, driver: SubscriptionDriver, gateway?: Type<unknown>): Type<unknown> {
  @Module({ imports: [cors, graphqlModule(driver)], providers: [tickResolver(driver), ...(gateway ? [gateway] : [])] })
  class SubscriptionAppModule {}
  return SubscriptionAppModule;
}

/**
 * Hands the upgrades to `path` (and only those) to `wss`, as the `ws` README says to share one
 * HTTP server between several WebSocket servers (`noServer`), and as a user mounting one on a
 * Nest app's server does. Closed with the app's server.
 */
function mountOnUpgrade(app: INestApplication, path: string, wss: WebSocketServer): void {
  const server = app.getHttpServer() as import('node:http').Server;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://upgrade.invalid').pathname !== path) return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  server.on('close', () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
}

/**
 * The legacy subscriptions-transport-ws protocol, which @nestjs/graphql 14 no longer offers:
 * its SubscriptionServer on the app's own schema and HTTP server, at `path`, as an app upgrading
 * from an older Nest keeps it. Needs the schema, so call it after `app.init()`.
 */
export function mountLegacySubscriptions(app: INestApplication, path = '/subscriptions'): void {
  const { schema } = app.get(GraphQLSchemaHost);
  const wss = new WebSocketServer({ noServer: true });
  SubscriptionServer.create({ schema, execute, subscribe }, wss);
  mountOnUpgrade(app, path, wss);
}

/** A plain `ws` server at `path` that greets each connection with `feed hello`. */
export function mountFeed(app: INestApplication, path = '/feed'): void {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws: WebSocket) => ws.send('feed hello'));
  mountOnUpgrade(app, path, wss);
}
