// docs/recipes/socket-io.md, run as written: the code between the markers below is the
// recipe's, byte for byte but for the import path (checked by the first test).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ADAPTERS } from '../utility/adapters.js';
import { varyOf } from '../utility/http.js';
import { connectIo, engineUrl, httpCall, ioRefusal, openWebSocket } from '../utility/sockets.js';

// recipe:start
import { Module } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CorsModule, CrossOrigin } from '../../lib/index.js';

@CrossOrigin('app') // no `cors` option on the gateway: @CrossOrigin replaces it
@WebSocketGateway({ namespace: 'chat' })
export class ChatGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() text: string) {
    return { echoed: text };
  }
}

@Module({
  imports: [
    CorsModule.forRoot({
      policies: {
        app: { origins: ['https://app.example.com'], supportsCredentials: true, allowHeaders: ['x-client'] },
      },
    }),
  ],
  providers: [ChatGateway],
})
export class AppModule {}
// recipe:end

const PAGE = 'https://app.example.com';

it('is the code docs/recipes/socket-io.md shows', () => {
  const recipe = readFileSync(new URL('../../docs/recipes/socket-io.md', import.meta.url), 'utf8').match(/```ts\n([\s\S]*?)```/)?.[1];
  const here = readFileSync(new URL(import.meta.url), 'utf8').match(/\/\/ recipe:start\n([\s\S]*?)\/\/ recipe:end/)?.[1];
  expect(here?.replace("'../../lib/index.js'", "'nest-cross-origin'")).toBe(recipe);
});

describe.each(ADAPTERS)('the socket.io recipe on $name', (adapter) => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => {
    app = await NestFactory.create(AppModule, adapter.create() as never, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app?.close());

  it.each(['polling', 'websocket'] as const)('the page exchanges a message over %s', async (transport) => {
    const socket = await connectIo(`${base}/chat`, { transports: [transport], origin: PAGE, headers: { 'x-client': 'web' } });
    try {
      await expect(socket.timeout(3_000).emitWithAck('echo', 'hi')).resolves.toEqual({ echoed: 'hi' });
    } finally {
      socket.close();
    }
  });

  it('polling requests and preflights get the policy\'s headers', async () => {
    const poll = await httpCall(engineUrl(base, 'polling'), 'GET', { origin: PAGE });
    expect(poll.headers).toMatchObject({ 'access-control-allow-origin': PAGE, 'access-control-allow-credentials': 'true' });
    expect(varyOf(poll.headers)).toContain('origin');
    const preflight = await httpCall(engineUrl(base, 'polling'), 'OPTIONS', {
      origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-client',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': PAGE, 'access-control-allow-headers': 'x-client' });
  });

  it('any other origin gets 403 before a socket exists; a native client connects', async () => {
    expect((await httpCall(engineUrl(base, 'polling'), 'GET', { origin: 'https://evil.example' })).status).toBe(403);
    expect((await openWebSocket(engineUrl(base, 'websocket'), 'https://evil.example')).status).toBe(403);
    await expect(ioRefusal(`${base}/chat`, { transports: ['polling'], origin: 'https://evil.example' })).resolves.toMatchObject({ status: 403 });
    const native = await connectIo(`${base}/chat`, { transports: ['websocket'] });
    native.close();
  });
});
