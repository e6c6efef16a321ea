import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CorsEngine, CorsOutcome } from '../cors-engine.js';
import type { RouteMatchingOptions } from '../route-table.js';
import { applyHeaders } from './node-response.js';

interface FastifyRequestLike {
  raw: IncomingMessage;
  headers: IncomingHttpHeaders;
}
interface FastifyReplyLike {
  raw: ServerResponse;
  code(status: number): FastifyReplyLike;
  send(payload?: unknown): unknown;
}
type Done = (err?: Error) => void;
type OnRequest = (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void;

interface FastifyLikeInstance {
  addHook(name: 'onRequest', hook: OnRequest): unknown;
  initialConfig?: { caseSensitive?: boolean; ignoreTrailingSlash?: boolean; routerOptions?: { caseSensitive?: boolean; ignoreTrailingSlash?: boolean } };
}
interface FastifyLikeAdapter {
  getInstance(): FastifyLikeInstance;
  getRouteMatchingOptions?(): Partial<RouteMatchingOptions>;
}

/** Fastify's routing rules as the app has them. */
export function fastifyMatching(adapter: FastifyLikeAdapter): RouteMatchingOptions {
  const fromNest = adapter.getRouteMatchingOptions?.();
  if (fromNest && typeof fromNest.caseSensitive === 'boolean') {
    return { caseSensitive: fromNest.caseSensitive, ignoreTrailingSlash: !!fromNest.ignoreTrailingSlash };
  }
  const config = adapter.getInstance().initialConfig ?? {};
  const router = config.routerOptions ?? {};
  return {
    caseSensitive: !(router.caseSensitive === false || config.caseSensitive === false),
    ignoreTrailingSlash: !!(router.ignoreTrailingSlash || config.ignoreTrailingSlash),
  };
}

function finish(reply: FastifyReplyLike, done: Done, outcome: CorsOutcome): void {
  // Headers go on the raw response: Fastify merges them into what it writes, and responses
  // that Nest middleware ends on the raw response carry them too.
  applyHeaders(reply.raw, outcome);
  if (!outcome.preflight) return done();
  reply.raw.setHeader('content-length', '0');
  reply.code(204).send();
}

/**
 * Moves `hook` just before @fastify/middie's hook when middie is already registered, as it is
 * when `NestFactory.create()` runs (it calls the adapter's `init()` before providers exist):
 * the CORS hook must run before Nest middleware, as on Express. Hooks are copied into routes
 * when Fastify gets ready, so reordering before then is safe. Without middie yet (testing
 * module), appending already puts the hook first.
 */
function moveBeforeMiddie(instance: object, hook: OnRequest): void {
  const symbol = Object.getOwnPropertySymbols(instance).find((s) => s.description === 'fastify.hooks');
  const hooks = symbol ? (instance as Record<symbol, { onRequest?: unknown[] }>)[symbol]?.onRequest : undefined;
  if (!Array.isArray(hooks) || hooks[hooks.length - 1] !== hook) return;
  const middie = hooks.findIndex((h) => typeof h === 'function' && (h.name === 'runMiddie' || h.name === 'runMiddieWithPayload'));
  if (middie === -1) return;
  hooks.pop();
  hooks.splice(middie, 0, hook);
}

/** Installs the CORS hook as an `onRequest` hook, ahead of Nest middleware, guards and routes. */
export function installFastifyHook(adapter: FastifyLikeAdapter, engine: CorsEngine, onError: (error: unknown) => void): void {
  const instance = adapter.getInstance();
  const hook: OnRequest = function nestCrossOrigin(request, reply, done) {
    let outcome: CorsOutcome | Promise<CorsOutcome>;
    try {
      outcome = engine.handle(request.raw.method!, request.raw.url!, request.headers, request);
    } catch (error) {
      onError(error);
      return done();
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => finish(reply, done, o),
        (error) => {
          onError(error);
          done();
        },
      );
    } else finish(reply, done, outcome);
  };
  instance.addHook('onRequest', hook);
  moveBeforeMiddie(instance, hook);
}
