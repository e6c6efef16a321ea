import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { CrossOrigin } from '../../lib/index.js';
import { COOKIE, readCookie } from './session.controller.js';

const MAX_ECHO = 200;

// One policy for HTTP and WebSockets. Browsers apply no CORS to a WebSocket and send the
// session cookie with it from any same-site page, so without this decorator the page on the
// other localhost port could talk to this gateway as the signed-in user. With it, a socket from
// an origin forRoot does not list is refused with 403 before it exists; the page's own polling
// requests get the same CORS headers as the HTTP routes. No origins of its own: forRoot's, so
// an origin the admin panel adds (CorsService.reconfigure) may open the socket at once, and
// one it removes may not.
@CrossOrigin({ supportsCredentials: true })
@WebSocketGateway({ namespace: 'chat' })
export class ChatGateway {
  @SubscribeMessage('echo')
  echo(@ConnectedSocket() client: Socket, @MessageBody() text: unknown) {
    return {
      echoed: String(text).slice(0, MAX_ECHO),
      // The session the socket was opened with: the cookie /session/login set.
      session: readCookie(client.handshake.headers.cookie, COOKIE),
      transport: client.conn.transport.name,
    };
  }
}
