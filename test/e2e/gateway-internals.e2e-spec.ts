// Canaries for lib/nest/gateway-internals.ts: each @nestjs/websockets, socket.io or ws detail
// the gateway support relies on, checked against the installed releases. When one of these
// fails, a release changed something the library depends on: fix gateway-internals.ts, do not
// loosen the test.
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { WebSocketGateway } from '@nestjs/websockets';
import { GATEWAY_METADATA, GATEWAY_OPTIONS, PORT_METADATA } from '@nestjs/websockets/internal';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { WebSocketServer } from 'ws';
import {
  NEST_GATEWAY_KEYS, engineOf, honoursVerifyClient, interceptCreate, isSocketIoAdapter, isUpgradeResponse,
  readGatewayMetadata, watchAdapterLookups, type SocketAdapter, type VerifyClient,
} from '../../lib/nest/gateway-internals.js';
import { ADAPTERS } from '../utility/adapters.js';
import { engineUrl, httpCall, openWebSocket } from '../utility/sockets.js';

describe('@nestjs/websockets metadata', () => {
  it('the keys @WebSocketGateway writes are the ones the library reads', () => {
    expect(NEST_GATEWAY_KEYS).toEqual({ gateway: GATEWAY_METADATA, port: PORT_METADATA, options: GATEWAY_OPTIONS });
  });

  it('reads port and options as Nest does, and tells a gateway from any other class', () => {
    @WebSocketGateway(4321, { path: '/x', namespace: 'n' })
    class OwnPort {}
    @WebSocketGateway()
    class Bare {}
    @Injectable()
    class NotAGateway {}
    expect(readGatewayMetadata(OwnPort)).toEqual({ port: 4321, options: { path: '/x', namespace: 'n' } });
    expect(readGatewayMetadata(Bare)).toEqual({ port: 0, options: {} });
    expect(readGatewayMetadata(NotAGateway)).toBeNull();
  });
});

describe.each(ADAPTERS)('how Nest creates gateway servers, on $name', (adapter) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  @Injectable()
  class ConfigProbe {
    constructor(readonly config: ApplicationConfig) {}
  }

  it.each([
    { desc: 'the IoAdapter Nest makes by default', install: undefined },
    { desc: 'an adapter set with useWebSocketAdapter()', install: 'io' as const },
    { desc: 'a WsAdapter', install: 'ws' as const },
  ])('asks the injectable ApplicationConfig for $desc and calls its create() once per server, then per namespace', async ({ install }) => {
    @WebSocketGateway({ path: '/one' })
    class First {}
    @WebSocketGateway({ path: '/one', namespace: 'second' })
    class Second {}
    @Module({ providers: [ConfigProbe, First, ...(install === 'ws' ? [] : [Second])] })
    class AppModule {}
    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = ref.createNestApplication(adapter.create() as never, { logger: false });
    close = () => app.close();
    const calls: { port: number; options: Record<string, unknown> | undefined; adapter: SocketAdapter }[] = [];
    watchAdapterLookups(app.get(ConfigProbe).config, (a) =>
      interceptCreate(a, (port, options, create) => (calls.push({ port, options, adapter: a }), create(port, options))));
    const set = install === 'io' ? new IoAdapter(app) : install === 'ws' ? new WsAdapter(app) : undefined;
    if (set) app.useWebSocketAdapter(set);
    await app.init();
    // One server for (port 0, "/one"), created with the options minus namespace and server…
    expect(calls[0]).toMatchObject({ port: 0, options: { path: '/one' } });
    expect(calls[0].options).not.toHaveProperty('namespace');
    expect(calls[0].options).not.toHaveProperty('server');
    if (set) expect(calls[0].adapter).toBe(set);
    expect(isSocketIoAdapter(calls[0].adapter)).toBe(install !== 'ws');
    // …then, on socket.io, the namespace, with the server it belongs to.
    if (install !== 'ws') {
      expect(calls).toHaveLength(2);
      expect(calls[1].options).toMatchObject({ namespace: '/second', path: '/one' });
      expect(calls[1].options?.server).toBeDefined();
    } else {
      expect(calls).toHaveLength(1);
    }
  });
});

describe('socket.io and ws', () => {
  let servers: { close(cb?: () => void): unknown }[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    servers = [];
  });

  it('engine.io runs a middleware on polling requests (a ServerResponse) and upgrades (a stand-in)', async () => {
    const http: HttpServer = createServer();
    const io = new IoServer(http);
    servers.push(io);
    const engine = engineOf(io);
    expect(engine).not.toBeNull();
    const seen: boolean[] = [];
    engine!.use((req, res, next) => {
      seen.push(isUpgradeResponse(res));
      expect(req.socket).toBeDefined();
      next();
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    expect((await httpCall(engineUrl(base, 'polling'), 'GET', {})).status).toBe(200);
    const upgraded = await openWebSocket(engineUrl(base, 'websocket'));
    expect(upgraded.status).toBe(101);
    if (upgraded.opened) upgraded.socket.close();
    expect(seen).toEqual([false, true]);
  });

  it('ws keeps verifyClient in server.options and calls it on each upgrade', async () => {
    const calls: (string | undefined)[] = [];
    const verify: VerifyClient = (info, done) => {
      calls.push(info.origin);
      done(false, 403);
    };
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', verifyClient: verify });
    servers.push(wss);
    await new Promise((r) => wss.once('listening', r));
    expect(honoursVerifyClient(wss, verify)).toBe(true);
    expect(honoursVerifyClient(wss, () => {})).toBe(false);
    const answer = await openWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, 'https://a.example');
    expect(answer.status).toBe(403);
    expect(calls).toEqual(['https://a.example']);
  });
});
