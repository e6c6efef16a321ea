// The browser's side of CORS as the Fetch standard writes it, shared by expectCors and the
// probe CLI: which headers need a preflight, and the checks on the answers.
import {
  corsCheck, corsUnsafeRequestHeaderNames, isCorsSafelistedRequestHeader, isForbiddenRequestHeader, methodProblem,
  normalizeMethod, preflightCheck, type HeaderGet,
} from '../../lib/fetch/cors-check.js';

const headers = (h: Record<string, string>): HeaderGet => (name) => h[name];

describe('CORS-safelisted request headers (Fetch)', () => {
  it.each([
    ['Accept', 'application/json', true],
    ['accept', 'text/html, */*;q=0.8', true],
    ['Accept', 'a(b)', false],
    ['Accept-Language', 'en-GB,fr;q=0.5', true],
    ['Accept-Language', 'en_GB', false],
    ['Content-Language', 'de-DE', true],
    ['Content-Type', 'text/plain', true],
    ['Content-Type', ' Text/Plain ; charset=utf-8', true],
    ['Content-Type', 'multipart/form-data; boundary=x', true],
    ['Content-Type', 'application/x-www-form-urlencoded', true],
    ['Content-Type', 'application/json', false],
    ['Content-Type', 'text/plain; charset="utf-8"', false], // a quote is a CORS-unsafe byte
    ['Content-Type', 'text/', false],
    ['Content-Type', '', false],
    ['Range', 'bytes=0-', true],
    ['Range', 'bytes=10-20', true],
    ['Range', 'bytes=20-10', false],
    ['Range', 'bytes=-500', false],
    ['Range', 'bytes=0-1,3-4', false],
    ['X-Api-Key', 'k', false],
    ['Authorization', 'Bearer t', false],
    ['Accept', 'a'.repeat(128), true],
    ['Accept', 'a'.repeat(129), false],
  ])('%s: %j → %s', (name, value, safelisted) => {
    expect(isCorsSafelistedRequestHeader(name, value)).toBe(safelisted);
  });

  it('names the unsafe ones lower-cased, sorted, once; safelisted values over 1024 bytes in all make them unsafe too', () => {
    expect(corsUnsafeRequestHeaderNames([['X-B', '1'], ['Accept', '*/*'], ['x-a', '2'], ['X-A', '3']])).toEqual(['x-a', 'x-b']);
    expect(corsUnsafeRequestHeaderNames([['Content-Type', 'application/json']])).toEqual(['content-type']);
    const long = 'a'.repeat(128);
    const many: [string, string][] = [['Accept', long], ['Accept-Language', long], ['Content-Language', long]];
    expect(corsUnsafeRequestHeaderNames(many)).toEqual([]);
    const over: [string, string][] = [...many, ...many, ...many]; // 9 × 128 bytes
    expect(corsUnsafeRequestHeaderNames(over)).toEqual(['accept', 'accept-language', 'content-language']);
  });

  it('forbidden request headers and methods, which a page cannot use', () => {
    for (const name of ['Cookie', 'Host', 'Origin', 'Content-Length', 'Sec-Fetch-Site', 'Proxy-Authorization', 'Referer']) {
      expect(isForbiddenRequestHeader(name, 'x')).toBe(true);
    }
    expect(isForbiddenRequestHeader('X-HTTP-Method-Override', 'trace')).toBe(true);
    expect(isForbiddenRequestHeader('X-HTTP-Method-Override', 'PATCH')).toBe(false);
    expect(isForbiddenRequestHeader('Authorization', 'x')).toBe(false);
    expect(methodProblem('CONNECT')).toMatch(/forbidden method/);
    expect(methodProblem('track')).toMatch(/TRACK is a forbidden method/);
    expect(methodProblem('PU T')).toMatch(/not a method name/);
    expect(methodProblem('PATCH')).toBeUndefined();
  });

  it('normalizes only the six methods fetch upper-cases', () => {
    expect(['get', 'put', 'Delete', 'options', 'head', 'post'].map(normalizeMethod)).toEqual(['GET', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'POST']);
    expect(normalizeMethod('patch')).toBe('patch');
  });
});

describe('the CORS check', () => {
  const origin = 'https://app.example';
  it.each([
    [{}, false, 'the response has no Access-Control-Allow-Origin header'],
    [{ 'access-control-allow-origin': '*' }, false, undefined],
    [{ 'access-control-allow-origin': '*' }, true, 'Access-Control-Allow-Origin is "*", which a credentialed request does not accept'],
    [{ 'access-control-allow-origin': '*, https://app.example' }, false, 'Access-Control-Allow-Origin holds several values (*, https://app.example)'],
    [{ 'access-control-allow-origin': 'https://other.example' }, false, 'Access-Control-Allow-Origin "https://other.example" is not the page\'s origin "https://app.example"'],
    [{ 'access-control-allow-origin': 'https://APP.example' }, false, 'Access-Control-Allow-Origin "https://APP.example" is not the page\'s origin "https://app.example"'],
    [{ 'access-control-allow-origin': origin }, true, 'a credentialed request needs Access-Control-Allow-Credentials: true'],
    [{ 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'TRUE' }, true, 'a credentialed request needs Access-Control-Allow-Credentials: true (it is "TRUE")'],
    [{ 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true' }, true, undefined],
    [{ 'access-control-allow-origin': 'x\u001b[31m' }, false, 'Access-Control-Allow-Origin "x\\u001b[31m" is not the page\'s origin "https://app.example"'],
  ])('%j, credentials %s', (h, credentials, reason) => {
    expect(corsCheck(headers(h), origin, credentials)).toBe(reason);
  });
});

describe('the preflight checks', () => {
  const ok = { 'access-control-allow-origin': 'https://app.example' };
  const put = { origin: 'https://app.example', method: 'PUT', headers: [] as string[], credentials: false };
  it('a redirect fails first, whatever its headers', () => {
    expect(preflightCheck(301, headers({ ...ok, location: '/elsewhere' }), put)).toBe(
      'preflight: the response is a redirect (301 to /elsewhere), which a browser never follows for a preflight');
  });
  it('then the CORS check, then the status', () => {
    expect(preflightCheck(404, headers({}), put)).toBe('preflight: the response has no Access-Control-Allow-Origin header');
    expect(preflightCheck(404, headers(ok), put)).toBe('preflight: status 404 is not an ok status');
  });
  it('methods: exact, case-sensitive; safelisted ones need no listing; "*" only without credentials', () => {
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-methods': 'GET, PUT' }), put)).toBeUndefined();
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-methods': 'get, put' }), put)).toBe(
      'preflight: method PUT is not in Access-Control-Allow-Methods (get, put)');
    expect(preflightCheck(204, headers(ok), { ...put, method: 'POST' })).toBeUndefined();
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-methods': '*' }), put)).toBeUndefined();
    const credentialed = { ...ok, 'access-control-allow-credentials': 'true', 'access-control-allow-methods': '*' };
    expect(preflightCheck(204, headers(credentialed), { ...put, credentials: true })).toBe(
      'preflight: method PUT is not in Access-Control-Allow-Methods (*), and "*" is no wildcard for a credentialed request');
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-methods': 'GET PUT' }), put)).toBe(
      'preflight: Access-Control-Allow-Methods (GET PUT) does not parse: "GET PUT" is not a method name');
  });
  it('headers: case-insensitive; "*" only without credentials, and never for Authorization', () => {
    const req = { ...put, method: 'GET', headers: ['authorization', 'x-api-key'] };
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-headers': 'X-Api-Key, Authorization' }), req)).toBeUndefined();
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-headers': '*' }), { ...req, headers: ['x-api-key'] })).toBeUndefined();
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-headers': '*' }), req)).toBe(
      'preflight: header authorization is not in Access-Control-Allow-Headers (*), and "*" does not cover Authorization');
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-headers': 'x-api-key' }), req)).toBe(
      'preflight: header authorization is not in Access-Control-Allow-Headers (x-api-key)');
    expect(preflightCheck(204, headers({ ...ok, 'access-control-allow-headers': '*', 'access-control-allow-credentials': 'true' }),
      { ...req, headers: ['x-api-key'], credentials: true })).toBe(
      'preflight: header x-api-key is not in Access-Control-Allow-Headers (*), and "*" is no wildcard for a credentialed request');
    expect(preflightCheck(204, headers(ok), { ...req, headers: ['x-api-key'] })).toBe(
      'preflight: header x-api-key is not in Access-Control-Allow-Headers (absent)');
  });
});
