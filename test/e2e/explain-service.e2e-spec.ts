// CorsService.explain(): the decision and the reason explain mode would log, on demand, with
// explain mode off, for a page that wants to show the server's reason beside a blocked call.
import { Controller, Get, Put } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { CorsModule, CorsService, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { CaptureLogger } from '../utility/capture-logger.js';

@Controller('items')
class ItemsController {
  @Get() list() { return []; }
  @CrossOrigin({ methods: ['GET', 'PUT'], allowHeaders: ['content-type'] }) @Put(':id') update() { return {}; }
  @CrossOrigin(false) @Get('internal') internal() { return {}; }
  @CrossOrigin({ methods: ['GET'] }) @Put('locked/:id') locked() { return {}; }
}

describe.each(ADAPTERS)('CorsService.explain on $name', (adapter) => {
  let app: INestApplication;
  let cors: CorsService;
  const logger = new CaptureLogger();
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot({ origins: 'https://page.example' })], controllers: [ItemsController] }, adapter);
    app.useLogger(logger);
    cors = app.get(CorsService);
  });
  afterAll(() => app.close());

  it('an allowed request: no reason, the headers that would be sent', async () => {
    const e = await cors.explain('GET', '/items', { origin: 'https://page.example' });
    expect(e).toEqual({ allowed: true, preflight: false, headers: { 'access-control-allow-origin': 'https://page.example' }, reason: null });
  });

  it.each([
    ['GET', '/items', { origin: 'https://evil.example' }, 'CORS refused GET /items from https://evil.example: origin https://evil.example not in origins of resources["/*"] (forRoot)'],
    ['GET', '/items/internal', { origin: 'https://page.example' }, 'CORS refused GET /items/internal from https://page.example: CORS is off for ItemsController.internal (@CrossOrigin(false))'],
    ['OPTIONS', '/items/1', { origin: 'https://page.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-custom' },
      'CORS refused preflight for PUT /items/1 from https://page.example: header x-custom not in allowHeaders of ItemsController.update (handler @CrossOrigin)'],
    ['OPTIONS', '/items/locked/1', { origin: 'https://page.example', 'access-control-request-method': 'PUT' },
      'CORS refused preflight for PUT /items/locked/1 from https://page.example: method PUT not in methods of ItemsController.locked (handler @CrossOrigin)'],
  ])('%s %s: the reason explain mode would log, though it is off', async (method, url, headers, reason) => {
    const e = await cors.explain(method, url, headers);
    expect(e.allowed).toBe(false);
    expect(e.reason).toBe(reason);
    expect(logger.from('CorsModule')).toEqual([]);
  });
});
