// Serverless (docs/RECIPES.md, "Serverless"): a Nest Express app wrapped by
// @codegenie/serverless-express 4, invoked the way AWS Lambda invokes it, with API Gateway
// events (REST API v1 and HTTP API v2) for a preflight and an actual request. CorsModule needs
// nothing more than app.init(): there is no listen() and no server, and the CORS headers must
// come back in the Lambda result. (Leave CORS off in API Gateway's own settings, or the
// gateway answers preflights itself and the two layers disagree.)
import { Controller, Get, Module, Post } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { configure as serverlessExpress } from '@codegenie/serverless-express';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';

const PAGE = 'https://page.test';
const ADMIN = 'https://admin.test';

@Controller('items')
class ItemsController {
  @Get() list() { return { items: ['a'] }; }
  @CrossOrigin({ origins: ADMIN, maxAge: 300 }) @Post() create() { return { created: true }; }
}

@Module({ imports: [CorsModule.forRoot({ origins: [PAGE], exposeHeaders: ['X-Request-Id'] })], controllers: [ItemsController] })
class AppModule {}

interface LambdaResult {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
}

type Invoke = (event: unknown, context: unknown) => Promise<LambdaResult>;

/** Both API Gateway event shapes, each answering with its own header layout. */
const EVENTS = [
  {
    name: 'REST API (v1)',
    event: (method: string, path: string, headers: Record<string, string>) => ({
      resource: '/{proxy+}', path, httpMethod: method, headers, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: { proxy: path.slice(1) }, stageVariables: null,
      requestContext: { resourcePath: '/{proxy+}', httpMethod: method, path: `/prod${path}`, stage: 'prod', requestId: 'req-1', identity: { sourceIp: '198.51.100.1' } },
      body: null, isBase64Encoded: false,
    }),
    headers: (r: LambdaResult) => Object.fromEntries(Object.entries(r.multiValueHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v.join(', ')])),
  },
  {
    name: 'HTTP API (v2)',
    event: (method: string, path: string, headers: Record<string, string>) => ({
      version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: '', headers,
      requestContext: { http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.1', userAgent: 'test' }, requestId: 'req-2', routeKey: '$default', stage: '$default' },
      isBase64Encoded: false,
    }),
    headers: (r: LambdaResult) => Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
  },
];

describe.each(EVENTS)('@codegenie/serverless-express, $name events', ({ event, headers }) => {
  let app: INestApplication;
  let invoke: Invoke;
  beforeAll(async () => {
    app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false, abortOnError: false });
    await app.init();
    invoke = serverlessExpress({ app: app.getHttpAdapter().getInstance() }) as unknown as Invoke;
  });
  afterAll(() => app?.close());

  const call = async (method: string, path: string, h: Record<string, string>) => {
    const result = await invoke(event(method, path, h), { awsRequestId: 'local', callbackWaitsForEmptyEventLoop: false });
    return { status: result.statusCode, body: result.body, headers: headers(result) };
  };

  it('the preflight is answered by the library, in the Lambda result', async () => {
    const res = await call('OPTIONS', '/items', { origin: PAGE, 'access-control-request-method': 'GET', host: 'api.example' });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(PAGE);
    expect(res.headers['access-control-allow-methods']).toMatch(/\bGET\b/);
    expect(res.body).toBe('');
  });

  it('the actual request carries ACAO, ACEH and Vary', async () => {
    const res = await call('GET', '/items', { origin: PAGE, host: 'api.example' });
    expect([res.status, JSON.parse(res.body)]).toEqual([200, { items: ['a'] }]);
    expect(res.headers['access-control-allow-origin']).toBe(PAGE);
    expect(res.headers['access-control-expose-headers']).toBe('X-Request-Id');
    expect(res.headers.vary).toMatch(/origin/i);
  });

  it('a handler\'s own @CrossOrigin applies, preflight and actual', async () => {
    const pre = await call('OPTIONS', '/items', { origin: ADMIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', host: 'api.example' });
    expect([pre.status, pre.headers['access-control-allow-origin'], pre.headers['access-control-max-age']]).toEqual([204, ADMIN, '300']);
    expect(pre.headers['access-control-allow-headers']).toBe('content-type');
    const res = await call('POST', '/items', { origin: ADMIN, host: 'api.example' });
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([201, ADMIN]);
    const refused = await call('POST', '/items', { origin: PAGE, host: 'api.example' });
    expect([refused.status, refused.headers['access-control-allow-origin']]).toEqual([201, undefined]);
  });

  it('a refused origin gets no CORS header, preflight or actual', async () => {
    const pre = await call('OPTIONS', '/items', { origin: 'https://evil.test', 'access-control-request-method': 'GET', host: 'api.example' });
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const res = await call('GET', '/items', { origin: 'https://evil.test', host: 'api.example' });
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([200, undefined]);
  });
});
