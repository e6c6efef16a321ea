// Issue 14, class 7 (SPEC §8, second paragraph): WebSocket upgrades that no gateway owns, to a
// path the app serves, are checked against that path's policy: its `resources` entry, or
// forRoot's. A browser sends no preflight for an upgrade and applies no CORS to it, but does
// send the user's cookies with it from a same-site page, so a refused origin must get 403 before
// the upgrade: no `connection_ack`, no event. An upgrade without Origin (a native client)
// passes; a path no policy covers is left alone; a gateway with @CrossOrigin keeps its own.
// Real clients throughout: graphql-ws's createClient and subscriptions-transport-ws's
// SubscriptionClient on `ws`, raw `ws` for the refusal's status, socket.io-client for the gateway.
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CorsModule } from '../../../lib/index.js';
import type { AdapterCase } from '../../utility/adapters.js';
import { connectIo, echo, ioRefusal } from '../../utility/sockets.js';
import { mountFeed, mountLegacySubscriptions, socketGateway, subscriptionModule, tickFrom, type SubscriptionDriver } from '../../utility/subscription-apps.js';
import { subscribeGraphqlWs, subscribeLegacy, upgrade, type Caller } from '../../utility/subscription-clients.js';
import { STARTERS, type Started } from './start.js';

const GQL = 'https://gql.test'; // the /graphql (and /subscriptions) policy's origin
const GLOBAL = 'https://app.test'; // forRoot's top-level origin: the rest of the API
const EVIL = 'https://evil.test'; // no policy's
const SOCKET = 'https://socket.test'; // the gateway's
const COOKIE = 'session=the-users-session';

const TRANSPORT_WS = 'graphql-transport-ws'; // graphql-ws's protocol
const LEGACY_WS = 'graphql-ws'; // subscriptions-transport-ws's protocol
const INIT = { type: 'connection_init' };
const ACK = { type: 'connection_ack' };

interface Config {
  readonly desc: string;
  readonly cors: () => ReturnType<typeof CorsModule.forRoot>;
  /** The origins the policy of /graphql admits; every other origin is refused an upgrade. */
  readonly graphql: readonly string[];
  /** Whether `/feed` has a policy (a resources entry or forRoot's), or none at all. */
  readonly feedPolicy: readonly string[] | 'none';
}

const CONFIGS: readonly Config[] = [
  {
    desc: "resources { '/graphql', '/subscriptions', '/api/*' }",
    // No '/*': a path outside these three has no policy.
    cors: () => CorsModule.forRoot({
      origins: [GLOBAL],
      resources: { '/graphql': { origins: [GQL], supportsCredentials: true }, '/subscriptions': { origins: [GQL] }, '/api/*': {} },
    }),
    graphql: [GQL],
    feedPolicy: 'none',
  },
  {
    desc: 'forRoot only (no resources)',
    cors: () => CorsModule.forRoot({ origins: [GQL] }),
    graphql: [GQL],
    feedPolicy: [GQL],
  },
];

interface AppShape {
  readonly desc: string;
  readonly adapter: AdapterCase;
  readonly driver: SubscriptionDriver;
  /** Where the legacy protocol is served: by hand at /subscriptions, or by Mercurius at /graphql. */
  readonly legacyPath: string;
  /** Whether the app mounts its own servers (legacy, /feed) on the HTTP server by hand. */
  readonly handMounted: boolean;
  /**
   * Whether a socket.io gateway shares the server. Not beside Mercurius: its @fastify/websocket
   * takes every upgrade through Fastify's router, and socket.io's websocket transport fails
   * there with or without this library.
   */
  readonly gateway: boolean;
}

const EXPRESS: AdapterCase = { name: 'Express', create: () => new ExpressAdapter() };
const FASTIFY: AdapterCase = { name: 'Fastify', create: () => new FastifyAdapter() };

const SHAPES: readonly AppShape[] = [
  { desc: 'Apollo (graphql-ws) on Express', adapter: EXPRESS, driver: 'Apollo', legacyPath: '/subscriptions', handMounted: true, gateway: true },
  { desc: 'Apollo (graphql-ws) on Fastify', adapter: FASTIFY, driver: 'Apollo', legacyPath: '/subscriptions', handMounted: true, gateway: true },
  { desc: 'Mercurius on Fastify', adapter: FASTIFY, driver: 'Mercurius', legacyPath: '/graphql', handMounted: false, gateway: false },
];

// Both starters with resources; NestFactory.create alone for the forRoot-only policy.
const CASES = SHAPES.flatMap((shape) => CONFIGS.flatMap((config, i) => (i === 0 ? STARTERS : STARTERS.slice(0, 1)).map((s) => ({ shape, config, ...s }))));

describe.each(CASES)('subscriptions: $shape.desc, $config.desc ($how)', ({ shape, config, start }) => {
  let s: Started;
  let ws: string;
  beforeAll(async () => {
    s = await start(subscriptionModule(config.cors(), shape.driver, shape.gateway ? socketGateway(SOCKET) : undefined), shape.adapter, async (app) => {
      if (!shape.handMounted) return;
      await app.init(); // the legacy server needs the schema, which init() builds
      mountLegacySubscriptions(app);
      mountFeed(app);
    });
    ws = s.url.replace(/^http/, 'ws');
  });
  afterAll(() => s?.app.close());

  const refused = [GLOBAL, EVIL].filter((o) => !config.graphql.includes(o));
  const event = { data: { tick: tickFrom(shape.driver) } };

  it('an allowed origin, with the user\'s cookie, subscribes and receives the event (graphql-ws client)', async () => {
    await expect(subscribeGraphqlWs(`${ws}/graphql`, { origin: GQL, cookie: COOKIE })).resolves.toEqual({ events: [event] });
  });

  it.each(refused)('an upgrade from %s, cookie included, gets 403 before the upgrade', async (origin) => {
    await expect(upgrade(`${ws}/graphql`, { origin, cookie: COOKIE }, TRANSPORT_WS, INIT)).resolves.toEqual({ opened: false, status: 403 });
  });

  it.each(refused)('the graphql-ws client from %s never receives an event', async (origin) => {
    const delivery = await subscribeGraphqlWs(`${ws}/graphql`, { origin, cookie: COOKIE });
    expect(delivery.events).toEqual([]);
    expect(delivery.error).toEqual(expect.any(String));
  });

  it('an upgrade without Origin (a native client) passes: connection_ack', async () => {
    const answer = await upgrade(`${ws}/graphql`, { cookie: COOKIE }, TRANSPORT_WS, INIT);
    expect(answer).toEqual({ opened: true, status: 101, first: JSON.stringify(ACK) });
  });

  it('the allowed origin gets connection_ack on a raw upgrade too', async () => {
    const answer = await upgrade(`${ws}/graphql`, { origin: GQL, cookie: COOKIE }, TRANSPORT_WS, INIT);
    expect(answer).toEqual({ opened: true, status: 101, first: JSON.stringify(ACK) });
  });

  describe(`the legacy subscriptions-transport-ws protocol at ${shape.legacyPath}`, () => {
    it('an allowed origin subscribes and receives the event (SubscriptionClient)', async () => {
      await expect(subscribeLegacy(`${ws}${shape.legacyPath}`, { origin: GQL, cookie: COOKIE })).resolves.toEqual({ events: [event] });
    });

    it.each(refused)('an upgrade from %s, cookie included, gets 403 before the upgrade', async (origin) => {
      await expect(upgrade(`${ws}${shape.legacyPath}`, { origin, cookie: COOKIE }, LEGACY_WS, INIT)).resolves.toEqual({ opened: false, status: 403 });
    });

    it.each(refused)('SubscriptionClient from %s never receives an event', async (origin) => {
      const delivery = await subscribeLegacy(`${ws}${shape.legacyPath}`, { origin, cookie: COOKIE });
      expect(delivery.events).toEqual([]);
      expect(delivery.error).toEqual(expect.any(String));
    });

    it('an upgrade without Origin passes: connection_ack', async () => {
      const answer = await upgrade(`${ws}${shape.legacyPath}`, {}, LEGACY_WS, INIT);
      expect(answer).toEqual({ opened: true, status: 101, first: JSON.stringify(ACK) });
    });
  });

  if (shape.handMounted) {
    const feed = (caller: Caller) => upgrade(`${ws}/feed`, caller);
    if (config.feedPolicy === 'none') {
      it('a plain ws server at /feed, a path no policy covers, is left alone: any origin opens it', async () => {
        await expect(feed({ origin: EVIL, cookie: COOKIE })).resolves.toEqual({ opened: true, status: 101, first: 'feed hello' });
        await expect(feed({ origin: GQL })).resolves.toEqual({ opened: true, status: 101, first: 'feed hello' });
      });
    } else {
      const admitted = config.feedPolicy;
      it("a plain ws server at /feed gets forRoot's policy: a refused origin gets 403, an allowed one opens it", async () => {
        await expect(feed({ origin: EVIL, cookie: COOKIE })).resolves.toEqual({ opened: false, status: 403 });
        await expect(feed({ origin: admitted[0] })).resolves.toEqual({ opened: true, status: 101, first: 'feed hello' });
        await expect(feed({})).resolves.toEqual({ opened: true, status: 101, first: 'feed hello' });
      });
    }
  }

  if (shape.gateway) describe('a socket.io gateway with @CrossOrigin on the same server keeps its own policy', () => {
    it('its origin connects over websocket and over polling, and gets its echo', async () => {
      for (const transport of ['websocket', 'polling'] as const) {
        const socket = await connectIo(s.url, { transports: [transport], origin: SOCKET });
        try {
          await expect(echo(socket, transport)).resolves.toEqual({ by: 'gateway', echoed: transport });
        } finally {
          socket.close();
        }
      }
    });

    it('the /graphql policy\'s origin is refused there (403): the gateway\'s policy, not the path\'s', async () => {
      const upgradeUrl = `${ws}/socket.io/?EIO=4&transport=websocket`;
      await expect(upgrade(upgradeUrl, { origin: GQL, cookie: COOKIE })).resolves.toEqual({ opened: false, status: 403 });
      await expect(ioRefusal(s.url, { transports: ['websocket'], origin: GQL })).resolves.toMatchObject({ message: 'websocket error' });
      await expect(ioRefusal(s.url, { transports: ['polling'], origin: GQL })).resolves.toEqual({ message: 'xhr poll error', status: 403 });
      // A native client without Origin still gets in, as everywhere (SPEC §8).
      await expect(upgrade(upgradeUrl, {})).resolves.toMatchObject({ opened: true, status: 101 });
    });
  });
});
