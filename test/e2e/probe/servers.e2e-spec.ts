// The probe against plain node:http servers that get CORS wrong the ways deployed stacks do:
// one per finding, each with the verdict a browser would reach and the reason. No CORS library
// is involved: the probe works against any server.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { probe, type ProbeOptions } from '../../../lib/cli/probe.js';
import { codes, startHttpServer, type TestServer } from './helpers.js';

const ORIGIN = 'https://app.example';

/** Answers as a correct CORS server would, unless the path asks for a mistake. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const origin = req.headers.origin ?? '';
  const preflight = req.method === 'OPTIONS';
  const send = (status: number, headers: Record<string, string | string[]>) => {
    res.writeHead(status, headers);
    res.end(preflight || status === 204 ? undefined : 'body');
  };
  const echo = { 'access-control-allow-origin': origin, vary: 'Origin' };
  const allowAll = {
    ...echo,
    'access-control-allow-methods': String(req.headers['access-control-request-method'] ?? ''),
    'access-control-allow-headers': String(req.headers['access-control-request-headers'] ?? ''),
  };
  switch (path) {
    case '/redirect-preflight':
      return preflight ? send(301, { ...echo, location: '/elsewhere' }) : send(200, echo);
    case '/preflight-404':
      return preflight ? send(404, echo) : send(200, echo);
    case '/preflight-500':
      return preflight ? send(500, {}) : send(200, echo);
    case '/no-vary':
      return send(preflight ? 204 : 200, { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'PUT', vary: 'Accept-Encoding' });
    case '/no-vary-at-all':
      return send(200, { 'access-control-allow-origin': origin });
    case '/wildcard-credentials':
      return send(preflight ? 204 : 200, { 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'PUT' });
    case '/wildcard':
      return send(200, { 'access-control-allow-origin': '*' });
    case '/headers-wildcard':
      return preflight
        ? send(204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, PUT', 'access-control-allow-headers': '*' })
        : send(200, { 'access-control-allow-origin': '*' });
    case '/max-age/86400':
    case '/max-age/3600':
    case '/max-age/600':
      return send(preflight ? 204 : 200, { ...allowAll, 'access-control-max-age': path.slice('/max-age/'.length) });
    case '/methods-upper':
      return send(preflight ? 204 : 200, { ...echo, 'access-control-allow-methods': 'GET, PATCH' });
    case '/actual-redirect':
      return send(302, { ...echo, location: 'https://elsewhere.example/target' });
    case '/actual-redirect-bare':
      return send(302, { location: '/target' });
    case '/two-fields':
      return send(200, { 'access-control-allow-origin': [origin, '*'], vary: 'Origin' });
    case '/one-field-two-values':
      return send(200, { 'access-control-allow-origin': `${origin}, https://b.example`, vary: 'Origin' });
    default:
      return send(preflight ? 204 : 200, preflight ? allowAll : echo);
  }
}

let server: TestServer;
beforeAll(async () => {
  server = await startHttpServer(handler);
});
afterAll(() => server.close());

const at = (path: string, o: Partial<ProbeOptions> = {}) => probe({ url: `${server.url}${path}`, origin: ORIGIN, ...o });

describe('what the probe sends, as a browser does', () => {
  it('a simple GET: no preflight, Origin and fetch metadata on the request, nothing of the page held back', async () => {
    server.seen.length = 0;
    const result = await at('/plain', { headers: [{ name: 'Content-Type', value: 'text/plain;charset=UTF-8' }, { name: 'Accept-Language', value: 'de' }] });
    expect(result).toMatchObject({ verdict: 'allowed', reason: null, preflight: null, findings: [] });
    expect(server.seen.map((s) => s.method)).toEqual(['GET']);
    expect(server.seen[0].headers).toMatchObject({
      origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8', 'accept-language': 'de', accept: '*/*',
      'sec-fetch-mode': 'cors', 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'empty',
    });
  });

  it('a preflight when a header is not safelisted: OPTIONS with the method and the sorted, lower-cased names, none of the page\'s headers, no credentials', async () => {
    server.seen.length = 0;
    const result = await at('/plain', {
      method: 'put', credentials: true,
      headers: [{ name: 'X-B', value: '2' }, { name: 'Content-Type', value: 'application/json' }, { name: 'x-a', value: '1' }, { name: 'Accept', value: 'application/json' }],
    });
    expect(result.verdict).toBe('refused'); // the default route sends no Access-Control-Allow-Credentials
    expect(server.seen.map((s) => s.method)).toEqual(['OPTIONS']);
    const sent = server.seen[0].headers;
    expect(sent).toMatchObject({ origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,x-a,x-b', accept: '*/*' });
    expect(sent['x-a']).toBeUndefined();
    expect(sent['content-type']).toBeUndefined();
    expect(sent.cookie).toBeUndefined();
    expect(result.preflight?.request.headers['access-control-request-headers']).toBe('content-type,x-a,x-b');
  });

  it('then the request itself, with the page\'s headers; a header named twice is one, values joined', async () => {
    server.seen.length = 0;
    const result = await at('/plain', { method: 'DELETE', headers: [{ name: 'X-Tag', value: 'a' }, { name: 'x-tag', value: 'b' }] });
    expect(result).toMatchObject({ verdict: 'allowed', reason: null, findings: [] });
    expect(server.seen.map((s) => [s.method, s.headers['access-control-request-headers'] ?? s.headers['x-tag']])).toEqual([['OPTIONS', 'x-tag'], ['DELETE', 'a, b']]);
    expect(result.actual?.request).toMatchObject({ method: 'DELETE', headers: { 'x-tag': 'a, b', origin: ORIGIN } });
  });

  it('a header without a value: empty and unsafe, unless its name is safelisted (then a safe value, no preflight)', async () => {
    server.seen.length = 0;
    await at('/plain', { headers: [{ name: 'Content-Type' }, { name: 'Accept' }] });
    expect(server.seen.map((s) => s.method)).toEqual(['GET']);
    expect(server.seen[0].headers).toMatchObject({ 'content-type': 'text/plain', accept: '*/*' });
    server.seen.length = 0;
    await at('/plain', { headers: [{ name: 'X-Flag' }] });
    expect(server.seen.map((s) => [s.method, s.headers['access-control-request-headers'] ?? s.headers['x-flag']])).toEqual([['OPTIONS', 'x-flag'], ['GET', '']]);
  });

  it('Content-Type application/json, a value over 128 bytes, and a non-safelisted method each need a preflight', async () => {
    for (const o of [
      { headers: [{ name: 'Content-Type', value: 'application/json' }] },
      { headers: [{ name: 'Accept', value: 'a'.repeat(129) }] },
      { method: 'PATCH' },
    ]) {
      server.seen.length = 0;
      expect((await at('/plain', o)).preflight).not.toBeNull();
      expect(server.seen[0].method).toBe('OPTIONS');
    }
  });

  it('methods: fetch upper-cases put, not patch, and the server compares as written', async () => {
    expect((await at('/methods-upper', { method: 'PATCH' })).verdict).toBe('allowed');
    const lower = await at('/methods-upper', { method: 'patch' });
    expect(lower.preflight?.request.headers['access-control-request-method']).toBe('patch');
    expect(lower.reason).toBe('preflight: method patch is not in Access-Control-Allow-Methods (GET, PATCH)');
  });
});

describe('findings, whatever the verdict', () => {
  it('preflight-redirected: refused, the redirect not followed', async () => {
    server.seen.length = 0;
    const result = await at('/redirect-preflight', { method: 'PUT' });
    expect(result).toMatchObject({
      verdict: 'refused', actual: null,
      reason: 'preflight: the response is a redirect (301 to /elsewhere), which a browser never follows for a preflight',
    });
    expect(codes(result)).toEqual(['preflight-redirected']);
    expect(result.findings[0].message).toContain('redirect (301 to "/elsewhere")');
    expect(result.preflight?.response).toEqual({ status: 301, headers: { 'access-control-allow-origin': [ORIGIN], vary: ['Origin'], location: ['/elsewhere'] } });
    expect(server.seen.map((s) => s.path)).toEqual(['/redirect-preflight']);
  });

  it('preflight-not-ok: a 404 with CORS headers, and a 500 without', async () => {
    const notFound = await at('/preflight-404', { method: 'PUT' });
    expect(notFound).toMatchObject({ verdict: 'refused', reason: 'preflight: status 404 is not an ok status', actual: null });
    expect(codes(notFound)).toEqual(['preflight-not-ok']);
    expect(notFound.findings[0].message).toContain('status 404');
    const failed = await at('/preflight-500', { method: 'PUT' });
    expect(failed.reason).toBe('preflight: the response has no Access-Control-Allow-Origin header');
    expect(codes(failed)).toEqual(['preflight-not-ok']);
  });

  it('vary-origin-missing: the echoed origin is allowed now, and a cache can serve it to the next origin', async () => {
    const result = await at('/no-vary');
    expect(result).toMatchObject({ verdict: 'allowed', reason: null });
    expect(codes(result)).toEqual(['vary-origin-missing']);
    expect(result.findings[0].message).toContain('Vary is "Accept-Encoding"');
    expect(codes(await at('/no-vary-at-all'))).toEqual(['vary-origin-missing']);
    // Only the actual response counts: shared caches do not store OPTIONS responses.
    expect(codes(await at('/no-vary', { method: 'PUT' }))).toEqual(['vary-origin-missing']);
    // "*" does not depend on the origin: no Vary needed.
    expect(codes(await at('/wildcard'))).toEqual([]);
  });

  it('wildcard-with-credentials: "*" with Access-Control-Allow-Credentials: true, found without --credentials, refused with it', async () => {
    const plain = await at('/wildcard-credentials');
    expect(plain.verdict).toBe('allowed');
    expect(codes(plain)).toEqual(['wildcard-with-credentials']);
    const credentialed = await at('/wildcard-credentials', { credentials: true });
    expect(credentialed).toMatchObject({ verdict: 'refused', reason: 'Access-Control-Allow-Origin is "*", which a credentialed request does not accept' });
    expect(codes(credentialed)).toEqual(['wildcard-with-credentials']);
    const preflighted = await at('/wildcard-credentials', { method: 'PUT', credentials: true });
    expect(preflighted.reason).toBe('preflight: Access-Control-Allow-Origin is "*", which a credentialed request does not accept');
    expect(preflighted.findings[0].message).toContain('the preflight response has Access-Control-Allow-Origin "*" with Access-Control-Allow-Credentials: true');
    // "*" answering a credentialed request is the same mistake, even without the header.
    expect(codes(await at('/wildcard', { credentials: true }))).toEqual(['wildcard-with-credentials']);
  });

  it('allow-headers-wildcard-with-authorization: "*" covers other names, never Authorization', async () => {
    const result = await at('/headers-wildcard', { headers: [{ name: 'Authorization', value: 'Bearer t' }, { name: 'X-Api-Key', value: 'k' }] });
    expect(result).toMatchObject({
      verdict: 'refused', actual: null,
      reason: 'preflight: header authorization is not in Access-Control-Allow-Headers (*), and "*" does not cover Authorization',
    });
    expect(codes(result)).toEqual(['allow-headers-wildcard-with-authorization']);
    const other = await at('/headers-wildcard', { method: 'PUT', headers: [{ name: 'X-Api-Key', value: 'k' }] });
    expect(other).toMatchObject({ verdict: 'allowed', findings: [] });
  });

  it('max-age-over-browser-cap: says which browsers cap it', async () => {
    const day = await at('/max-age/86400', { method: 'PUT' });
    expect(day.verdict).toBe('allowed');
    expect(codes(day)).toEqual(['max-age-over-browser-cap']);
    expect(day.findings[0].message).toMatch(/86400, above Chromium's cap of 7200 seconds and WebKit's of 600: /);
    const hour = await at('/max-age/3600', { method: 'PUT' });
    expect(codes(hour)).toEqual(['max-age-over-browser-cap']);
    expect(hour.findings[0].message).toMatch(/3600, above WebKit's cap of 600 seconds/);
    expect(hour.findings[0].message).not.toContain("Chromium's cap");
    expect(codes(await at('/max-age/600', { method: 'PUT' }))).toEqual([]);
  });

  it('acao-duplicated: two fields, or one field with two values', async () => {
    const two = await at('/two-fields');
    expect(two).toMatchObject({ verdict: 'refused', reason: `Access-Control-Allow-Origin holds several values (${ORIGIN}, *)` });
    expect(codes(two)).toEqual(['acao-duplicated']);
    expect(two.findings[0].message).toContain(`the actual response has 2 Access-Control-Allow-Origin headers ("${ORIGIN}", "*")`);
    expect(two.actual?.response.headers['access-control-allow-origin']).toEqual([ORIGIN, '*']);
    const one = await at('/one-field-two-values');
    expect(one.verdict).toBe('refused');
    expect(codes(one)).toEqual(['acao-duplicated']);
  });
});

describe('the actual request redirected', () => {
  it('is not followed: refused, with where it leads and what a browser would do', async () => {
    server.seen.length = 0;
    const result = await at('/actual-redirect');
    expect(result.verdict).toBe('refused');
    expect(result.reason).toBe('the response is a redirect (302 to https://elsewhere.example/target), which the probe does not follow: ' +
      'a browser would, sending Origin: null if it leads to another origin; probe https://elsewhere.example/target itself');
    expect(result.actual?.response.status).toBe(302);
    expect(server.seen).toHaveLength(1);
  });

  it('a redirect that fails the CORS check is refused for that, as the browser checks it before following', async () => {
    const result = await at('/actual-redirect-bare');
    expect(result.reason).toBe('the response has no Access-Control-Allow-Origin header');
  });
});
