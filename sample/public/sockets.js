// Opens one socket to the API's chat gateway with socket.io-client (the page loads its browser
// build as /socket.io.min.js) and sends one message. Shared by the page and the other origin.

const TIMEOUT_MS = 5000;

/** Resolves with `{ result: 'connected', reply }` or `{ result: 'refused' | 'failed', error }`. */
export function trySocket(api, socket) {
  return new Promise((resolve) => {
    const client = window.io(`${api}/chat`, {
      transports: [socket.transport],
      upgrade: false,
      reconnection: false,
      forceNew: true,
      timeout: TIMEOUT_MS,
      // Sends the session cookie with polling requests; a WebSocket carries it anyway.
      withCredentials: true,
      extraHeaders: socket.extraHeaders ?? {},
    });
    const done = (outcome) => {
      client.close();
      resolve(outcome);
    };
    client.on('connect', async () => {
      try {
        const reply = await client.timeout(TIMEOUT_MS).emitWithAck('echo', `hello from ${location.origin}`);
        done({ result: 'connected', reply });
      } catch (error) {
        done({ result: 'failed', error: `connected, but no reply: ${error.message}` });
      }
    });
    // All a script learns from a refused handshake or upgrade: "xhr poll error" or
    // "websocket error". The API's terminal says why (debug: true).
    client.on('connect_error', (error) => done({ result: 'refused', error: error.message }));
  });
}
