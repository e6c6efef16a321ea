import { SAMPLE_TOKEN } from './config.js';

/**
 * One cross-origin call the page makes with `fetch`, and what the sample expects the browser
 * to decide. The page server hands this list to the page as JSON, so the page and this file
 * cannot drift apart.
 */
export interface SampleCall {
  readonly id: string;
  readonly title: string;
  /** What the call demonstrates, in a sentence. */
  readonly why: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as a JSON body with `Content-Type: application/json`. */
  readonly json?: unknown;
  /** `include` sends and accepts cookies; the default, `same-origin`, sends none cross-origin. */
  readonly credentials?: 'include';
  /** Whether the browser has to send an OPTIONS preflight before the call. */
  readonly preflight: boolean;
  readonly expect: { readonly cors: 'allowed' | 'blocked'; readonly status?: number };
  /** Response headers the page tries to read (null when CORS hides them from scripts). */
  readonly readHeaders?: readonly string[];
}

export const SAMPLE_CALLS: readonly SampleCall[] = [
  {
    id: 'global',
    title: 'Global policy',
    why: 'No @CrossOrigin on the route: CorsModule.forRoot({ origins: [page] }) applies.',
    method: 'GET',
    path: '/greetings',
    preflight: false,
    expect: { cors: 'allowed', status: 200 },
  },
  {
    id: 'not-found',
    title: 'Unrouted path',
    why: 'A 404 gets the forRoot policy too, so the page sees the real 404, not a network error.',
    method: 'GET',
    path: '/no-such-route',
    preflight: false,
    expect: { cors: 'allowed', status: 404 },
  },
  {
    id: 'disabled',
    title: 'Disabled route',
    why: '@CrossOrigin(false): the server answers 200, but without CORS headers the browser hides it.',
    method: 'GET',
    path: '/greetings/internal',
    preflight: false,
    expect: { cors: 'blocked' },
  },
  {
    id: 'controller-refuses',
    title: 'Controller policy refuses the page',
    why: '@CrossOrigin({ origins: "https://*.partner.example" }) on the controller replaces forRoot\'s origins.',
    method: 'GET',
    path: '/partner/catalog',
    preflight: false,
    expect: { cors: 'blocked' },
  },
  {
    id: 'handler-readmits',
    title: 'Handler override',
    why: 'A handler @CrossOrigin lists the page next to the partners, over the controller policy.',
    method: 'GET',
    path: '/partner/status',
    preflight: false,
    expect: { cors: 'allowed', status: 200 },
  },
  {
    id: 'named-policy',
    title: 'Named policy',
    why: "@CrossOrigin('pageFeed') uses forRoot({ policies: { pageFeed } }), which admits the page and exposes X-Feed-Version.",
    method: 'GET',
    path: '/partner/feed',
    preflight: false,
    expect: { cors: 'allowed', status: 200 },
    readHeaders: ['X-Feed-Version'],
  },
  {
    id: 'exposed-header',
    title: 'Controller override exposing a header',
    why: 'The controller adds exposeHeaders: ["X-Total-Count"], so the script can read it.',
    method: 'GET',
    path: '/items',
    preflight: false,
    expect: { cors: 'allowed', status: 200 },
    readHeaders: ['X-Total-Count'],
  },
  {
    id: 'preflight-put',
    title: 'Preflighted PUT',
    why: 'PUT with a JSON body and a custom header: the browser sends OPTIONS first, answered with this handler\'s policy.',
    method: 'PUT',
    path: '/items/42',
    headers: { 'X-Sample-Client': 'cors-sample-page' },
    json: { name: 'quince' },
    preflight: true,
    expect: { cors: 'allowed', status: 200 },
  },
  {
    id: 'preflight-refused',
    title: 'Preflight refused (method)',
    why: 'The DELETE handler\'s policy has methods GET, HEAD, PUT only: the preflight fails and the DELETE is never sent.',
    method: 'DELETE',
    path: '/items/42',
    preflight: true,
    expect: { cors: 'blocked' },
  },
  {
    id: 'guard-401',
    title: 'Guarded route, no token',
    why: 'The guard throws 401; the error response carries CORS headers, so the page reads the real 401.',
    method: 'GET',
    path: '/secret',
    preflight: false,
    expect: { cors: 'allowed', status: 401 },
  },
  {
    id: 'guard-ok',
    title: 'Guarded route, with token',
    why: 'Authorization is not a safelisted header, so this one is preflighted; then the guard lets it through.',
    method: 'GET',
    path: '/secret',
    headers: { Authorization: `Bearer ${SAMPLE_TOKEN}` },
    preflight: true,
    expect: { cors: 'allowed', status: 200 },
  },
  {
    id: 'credentials-login',
    title: 'Credentialed call sets a cookie',
    why: 'supportsCredentials: true with an explicit origin list: the browser accepts the Set-Cookie.',
    method: 'POST',
    path: '/session/login',
    credentials: 'include',
    preflight: false,
    expect: { cors: 'allowed', status: 201 },
  },
  {
    id: 'credentials-me',
    title: 'Credentialed call reads it back',
    why: 'The cookie set by the previous call is sent back; the API reports the same session id.',
    method: 'GET',
    path: '/session/me',
    credentials: 'include',
    preflight: false,
    expect: { cors: 'allowed', status: 200 },
  },
  {
    id: 'credentials-refused',
    title: 'Credentials on a route that does not allow them',
    why: 'The forRoot policy sends no Access-Control-Allow-Credentials, so a credentialed call is blocked.',
    method: 'GET',
    path: '/greetings',
    credentials: 'include',
    preflight: false,
    expect: { cors: 'blocked' },
  },
];

/**
 * One socket the sample opens to the chat gateway (`/chat`), and what it expects. `page` runs
 * in the page itself; `other` in a frame from the second page origin, which no policy lists
 * (until the page's admin panel adds it: the page then expects those sockets to connect).
 */
export interface SampleSocket {
  readonly id: string;
  readonly title: string;
  readonly why: string;
  readonly from: 'page' | 'other';
  readonly transport: 'websocket' | 'polling';
  /** Sent with every polling request (socket.io-client's extraHeaders), so those are preflighted. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
  readonly expect: 'connected' | 'refused';
}

export const SAMPLE_SOCKETS: readonly SampleSocket[] = [
  {
    id: 'socket-websocket',
    title: 'WebSocket from the page',
    why: '@CrossOrigin({ supportsCredentials: true }) on the gateway, over forRoot\'s origins (the page): the upgrade is accepted, with the session cookie.',
    from: 'page',
    transport: 'websocket',
    expect: 'connected',
  },
  {
    id: 'socket-polling',
    title: 'Long-polling from the page',
    why: 'Each poll is an HTTP request with X-Sample-Client: preflighted, and answered with the gateway\'s policy.',
    from: 'page',
    transport: 'polling',
    extraHeaders: { 'X-Sample-Client': 'cors-sample-page' },
    expect: 'connected',
  },
  {
    id: 'socket-other-websocket',
    title: 'WebSocket from another origin',
    why: 'Browsers apply no CORS to WebSockets and send the cookie anyway: the gateway answers 403 before a socket exists.',
    from: 'other',
    transport: 'websocket',
    expect: 'refused',
  },
  {
    id: 'socket-other-polling',
    title: 'Long-polling from another origin',
    why: 'The polling handshake is refused with 403 too, so no session is ever opened for that page.',
    from: 'other',
    transport: 'polling',
    expect: 'refused',
  },
];
