// SPEC §4 "Errors": responses produced by guards, pipes, exception filters, middleware and
// 404s carry the same CORS headers as a success would, so the browser shows the real error.
import {
  Catch, Controller, ForbiddenException, Get, HttpException, Injectable, MiddlewareConsumer, Module, NestModule,
  Param, ParseIntPipe, Post, RequestMethod, UnauthorizedException, UseFilters, UseGuards,
  type ArgumentsHost, type CanActivate, type ExceptionFilter, type NestMiddleware,
} from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CorsModule, CrossOrigin } from '../../lib/index.js';
import { ADAPTERS, createApp } from '../utility/adapters.js';
import { actual, corsHeaders, preflight, varyOf } from '../utility/http.js';

/** Rejects requests to /guarded-global without a token; everything else passes. */
@Injectable()
class GlobalAuthGuard implements CanActivate {
  canActivate(context: import('@nestjs/common').ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ url: string; headers: Record<string, string> }>();
    if (req.url.includes('guarded-global') && !req.headers['x-token']) throw new UnauthorizedException();
    return true;
  }
}
class DenyGuard implements CanActivate {
  canActivate(): boolean { throw new ForbiddenException(); }
}
class FalseGuard implements CanActivate {
  canActivate(): boolean { return false; }
}

@Catch()
class TeapotFilter implements ExceptionFilter {
  catch(_e: unknown, host: ArgumentsHost) {
    const adapterRes = host.switchToHttp().getResponse<{ status?: (n: number) => { json: (b: unknown) => void }; code?: (n: number) => { send: (b: unknown) => void } }>();
    if (adapterRes.code) adapterRes.code(418).send({ filtered: true });
    else adapterRes.status!(418).json({ filtered: true });
  }
}

/** Express and Fastify middleware alike see Node's req/res. */
class ThrowingMiddleware implements NestMiddleware {
  use(): void { throw new HttpException('middleware says no', 429); }
}
class EndingMiddleware implements NestMiddleware {
  use(_req: unknown, res: import('node:http').ServerResponse): void {
    res.statusCode = 401;
    res.setHeader('content-type', 'text/plain');
    res.end('no token');
  }
}

@CrossOrigin({ origins: 'https://app.example', supportsCredentials: true, exposeHeaders: ['X-Reason'] })
@Controller()
class ErrorsController {
  @Get('guarded-global') global() { return 'ok'; }
  @UseGuards(DenyGuard) @Get('guarded-route') route() { return 'ok'; }
  @UseGuards(FalseGuard) @Post('guarded-false') falsy() { return 'ok'; }
  @Get('pipe/:id') pipe(@Param('id', ParseIntPipe) id: number) { return { id }; }
  @Get('boom') boom() { throw new Error('unexpected'); }
  @UseFilters(TeapotFilter) @Get('filtered') filtered() { throw new Error('to be filtered'); }
  @Get('middleware-throws') mw1() { return 'never'; }
  @Get('middleware-ends') mw2() { return 'never'; }
}

@UseGuards(DenyGuard)
@CrossOrigin({ origins: 'https://app.example', supportsCredentials: true, exposeHeaders: ['X-Reason'] })
@Controller('locked')
class LockedController {
  @Post() create() { return 'never'; }
}

@Module({ controllers: [ErrorsController, LockedController], providers: [{ provide: APP_GUARD, useClass: GlobalAuthGuard }] })
class ErrorsModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(ThrowingMiddleware).forRoutes({ path: 'middleware-throws', method: RequestMethod.ALL });
    consumer.apply(EndingMiddleware).forRoutes({ path: 'middleware-ends', method: RequestMethod.ALL });
  }
}

const ORIGIN = 'https://app.example';
const ALLOWED = { 'access-control-allow-origin': ORIGIN, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': 'X-Reason' };

describe.each(ADAPTERS)('errors on $name', (adapter) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp({ imports: [CorsModule.forRoot({ origins: ORIGIN, resources: { '/api/*': {} } }), ErrorsModule] }, adapter);
  });
  afterAll(() => app.close());

  it.each([
    { desc: 'global guard 401', method: 'get', path: '/guarded-global', status: 401 },
    { desc: 'route guard 403', method: 'get', path: '/guarded-route', status: 403 },
    { desc: 'guard returning false 403', method: 'post', path: '/guarded-false', status: 403 },
    { desc: 'controller guard 403', method: 'post', path: '/locked', status: 403 },
    { desc: 'pipe 400', method: 'get', path: '/pipe/abc', status: 400 },
    { desc: 'uncaught error 500', method: 'get', path: '/boom', status: 500 },
    { desc: 'exception filter 418', method: 'get', path: '/filtered', status: 418 },
    { desc: 'middleware throwing 429', method: 'get', path: '/middleware-throws', status: 429 },
    { desc: 'middleware ending the response 401', method: 'get', path: '/middleware-ends', status: 401 },
  ] as const)('$desc carries the route CORS headers', async ({ method, path, status }) => {
    const res = await actual(app, method, path, ORIGIN);
    expect(res.status).toBe(status);
    expect(corsHeaders(res.headers)).toEqual(ALLOWED);
    expect(varyOf(res.headers)).toContain('origin');
    // A refused origin still gets the real status and no CORS headers.
    const refused = await actual(app, method, path, 'https://evil.example');
    expect(refused.status).toBe(status);
    expect(corsHeaders(refused.headers)).toEqual({});
  });

  it('guards and middleware never see a preflight: it is answered before them', async () => {
    for (const [path, method] of [['/guarded-global', 'GET'], ['/locked', 'POST'], ['/middleware-ends', 'GET'], ['/middleware-throws', 'GET']]) {
      const res = await preflight(app, path, ORIGIN, method, 'authorization');
      expect([path, res.status, res.headers['access-control-allow-headers']]).toEqual([path, 204, 'authorization']);
    }
  });

  it('404s under a resource carry its headers; 404s outside resources carry none', async () => {
    const inside = await actual(app, 'get', '/api/missing', ORIGIN);
    expect(inside.status).toBe(404);
    expect(inside.headers['access-control-allow-origin']).toBe(ORIGIN);
    const outside = await actual(app, 'get', '/missing', ORIGIN);
    expect(outside.status).toBe(404);
    expect(corsHeaders(outside.headers)).toEqual({});
  });

  it('the success still works with the token', async () => {
    const res = await actual(app, 'get', '/guarded-global', ORIGIN).set('X-Token', 't');
    expect(res.status).toBe(200);
    expect(corsHeaders(res.headers)).toEqual(ALLOWED);
  });
});
