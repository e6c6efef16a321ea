// Requests whose target reaches the server exactly as written. supertest and fetch normalise
// URLs (dot segments, case of the scheme, fragments dropped), so they cannot send the odd
// targets a raw client can; node's http.request puts `path` on the request line verbatim.
import http from 'node:http';

export interface RawRequest {
  readonly method: string;
  /** The request target, verbatim: origin form, absolute form, with `#…` and `%zz` as given. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent with its Content-Length when given. */
  readonly body?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Every `Access-Control-Allow-Origin` field as received (the spec allows exactly one). */
  readonly acao: readonly string[];
  readonly body: string;
}

/** A keep-alive client for one server: one socket, reused for every request in turn. */
export class RawClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly port: number) {}

  send(request: RawRequest, timeoutMs = 5000): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
      const req = http.request(
        { agent: this.agent, host: '127.0.0.1', port: this.port, method: request.method, path: request.target, headers, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const acao: string[] = [];
            for (let i = 0; i < res.rawHeaders.length; i += 2) {
              if (res.rawHeaders[i].toLowerCase() === 'access-control-allow-origin') acao.push(res.rawHeaders[i + 1]);
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, acao, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
