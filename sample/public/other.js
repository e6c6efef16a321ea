// Runs inside a frame from the second page origin, which no policy lists (until the admin
// panel adds it): tries the sockets and the HTTP call the page asks for and reports what
// happened. Plain browser JavaScript.
import { trySocket } from './sockets.js';

const config = await (await fetch('/calls.json', { cache: 'no-store' })).json();

/** The HTTP call the admin panel makes from here: the page asks for it by id. */
const CALLS = { greetings: { method: 'GET', path: '/greetings' } };

/** `fetch` from this origin: what the browser let this page's script see. */
async function tryCall(call) {
  try {
    const response = await fetch(`${config.api}${call.path}`, { method: call.method, mode: 'cors', cache: 'no-store' });
    return { cors: 'allowed', status: response.status, body: await response.text() };
  } catch (error) {
    return { cors: 'blocked', error: `${error.name}: ${error.message}` };
  }
}

window.addEventListener('message', async (event) => {
  if (event.origin !== config.pageOrigin) return;
  if (event.data?.type === 'try-socket') {
    const socket = config.sockets.find((s) => s.id === event.data.id && s.from === 'other');
    if (!socket) return;
    const outcome = await trySocket(config.api, socket);
    event.source.postMessage({ type: 'socket-outcome', id: socket.id, outcome }, config.pageOrigin);
  } else if (event.data?.type === 'try-call' && Object.hasOwn(CALLS, event.data.id)) {
    const outcome = await tryCall(CALLS[event.data.id]);
    event.source.postMessage({ type: 'call-outcome', id: event.data.id, outcome }, config.pageOrigin);
  }
});

window.parent.postMessage({ type: 'other-ready' }, config.pageOrigin);
