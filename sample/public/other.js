// Runs inside a frame from the second page origin, which no policy lists: tries the sockets
// the page asks for and reports what happened. Plain browser JavaScript.
import { trySocket } from './sockets.js';

const config = await (await fetch('/calls.json', { cache: 'no-store' })).json();

window.addEventListener('message', async (event) => {
  if (event.origin !== config.pageOrigin || event.data?.type !== 'try-socket') return;
  const socket = config.sockets.find((s) => s.id === event.data.id && s.from === 'other');
  if (!socket) return;
  const outcome = await trySocket(config.api, socket);
  event.source.postMessage({ type: 'socket-outcome', id: socket.id, outcome }, config.pageOrigin);
});

window.parent.postMessage({ type: 'other-ready' }, config.pageOrigin);
