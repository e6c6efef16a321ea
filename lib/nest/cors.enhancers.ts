import { Injectable, type CanActivate, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import { CorsHook } from './cors.hook.js';
import { applyHeaders, hasCorsDecision } from './platform/node-response.js';

function nodeObjects(context: ExecutionContext): { req: IncomingMessage & { raw?: IncomingMessage }; res: ServerResponse } | null {
  if (context.getType() !== 'http') return null;
  const http = context.switchToHttp();
  const req = http.getRequest<IncomingMessage & { raw?: IncomingMessage }>();
  const reply = http.getResponse<ServerResponse & { raw?: ServerResponse }>();
  const res = reply?.raw ?? reply;
  return req && res && typeof res.setHeader === 'function' ? { req, res } : null;
}

async function applyActualHeaders(hook: CorsHook, context: ExecutionContext): Promise<void> {
  const objects = nodeObjects(context);
  // The module's hook already decided for this response: doing it again would only repeat it.
  if (!objects || objects.res.headersSent || hasCorsDecision(objects.res)) return;
  const raw = objects.req.raw ?? objects.req;
  const route = hook.routePolicyOf(context.getClass(), context.getHandler());
  applyHeaders(objects.res, await hook.engine.decideActualFor(route, raw.method!, raw.url!, raw.headers, objects.req));
}

/**
 * Sets the actual-request CORS headers of the route from a guard, for apps that register
 * enhancers by hand (an adapter the module cannot hook, say). `CorsModule` does not need it:
 * its hook runs before routing. Idempotent: a response that already has ACAO is left alone.
 * @publicApi
 */
@Injectable()
export class CorsGuard implements CanActivate {
  constructor(private readonly hook: CorsHook) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await applyActualHeaders(this.hook, context);
    return true;
  }
}

/**
 * The interceptor form of {@link CorsGuard}: sets the route's actual-request CORS headers
 * before the handler runs. Not needed with `CorsModule`, whose hook runs before routing.
 * @publicApi
 */
@Injectable()
export class CorsInterceptor implements NestInterceptor {
  constructor(private readonly hook: CorsHook) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    await applyActualHeaders(this.hook, context);
    return next.handle();
  }
}
