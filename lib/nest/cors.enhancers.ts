// CorsGuard and CorsInterceptor: the route's actual-request headers set from inside Nest's
// pipeline, for apps that register enhancers by hand (an adapter CorsModule cannot hook).
import { Injectable, type CanActivate, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import { decide, readCorsRequest, type Candidate, type CrossOriginLevel } from '../core/index.js';
import { CROSS_ORIGIN_METADATA } from './cors.constants.js';
import { CorsInstaller } from './cors.installer.js';
import { setNow } from './platform/node-response.js';

function nodeObjects(context: ExecutionContext): { req: IncomingMessage & { raw?: IncomingMessage }; res: ServerResponse } | null {
  if (context.getType() !== 'http') return null;
  const http = context.switchToHttp();
  const req = http.getRequest<IncomingMessage & { raw?: IncomingMessage }>();
  const reply = http.getResponse<ServerResponse & { raw?: ServerResponse }>();
  const res = reply?.raw ?? reply;
  return req && res && typeof res.setHeader === 'function' ? { req, res } : null;
}

async function applyActualHeaders(installer: CorsInstaller, context: ExecutionContext): Promise<void> {
  const objects = nodeObjects(context);
  // The module's own door decides every response of an app it is installed on.
  if (!objects || objects.res.headersSent || installer.installed || objects.res.hasHeader('access-control-allow-origin')) return;
  const raw = objects.req.raw ?? objects.req;
  const state = installer.runtime.state;
  const controller = context.getClass();
  const handler = context.getHandler();
  const route = state.policies.routePolicy(
    Reflect.getMetadata(CROSS_ORIGIN_METADATA, controller) as CrossOriginLevel,
    Reflect.getMetadata(CROSS_ORIGIN_METADATA, handler) as CrossOriginLevel,
    controller.name || 'AnonymousController', handler.name || 'handler');
  const path = (raw.url ?? '/').split(/[?#]/)[0];
  const candidate: Candidate = route.kind === 'policy' ? { policy: route.policy, source: 'decorator', route: route.label }
    : route.kind === 'disabled' ? { policy: null, source: 'disabled', route: route.label }
      : state.onRequestPath(path);
  const d = await decide([candidate], readCorsRequest(raw.method ?? 'GET', path, raw.headers, objects.req), { timeout: state.policies.originTimeout });
  setNow(objects.res, d);
}

/**
 * Sets the actual-request CORS headers of the route from a guard, for apps that register
 * enhancers by hand (an adapter the module cannot hook, say). `CorsModule` does not need it:
 * its own door decides every response. Idempotent: a response that already has ACAO is left
 * alone.
 * @publicApi
 */
@Injectable()
export class CorsGuard implements CanActivate {
  constructor(private readonly installer: CorsInstaller) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await applyActualHeaders(this.installer, context);
    return true;
  }
}

/**
 * The interceptor form of {@link CorsGuard}: sets the route's actual-request CORS headers
 * before the handler runs. Not needed with `CorsModule`, whose door decides every response.
 * @publicApi
 */
@Injectable()
export class CorsInterceptor implements NestInterceptor {
  constructor(private readonly installer: CorsInstaller) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    await applyActualHeaders(this.installer, context);
    return next.handle();
  }
}
