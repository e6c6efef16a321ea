import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { CorsEngine, CorsOutcome } from '../cors-engine.js';
import type { RouteMatchingOptions } from '../route-table.js';
import { whenDecided } from './when-decided.js';
import { deferHeaders, endPreflight } from './node-response.js';

interface FastifyRequestLike {
  raw: IncomingMessage;
  headers: IncomingHttpHeaders;
}
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}
type Done = (err?: Error) => void;
type OnRequest = (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void;

interface FastifyLikeInstance {
  addHook(name: 'onRequest', hook: OnRequest): unknown;
  after?(callback: (err: Error | null, done: (err?: Error | null) => void) => void): unknown;
  initialConfig?: {
    caseSensitive?: boolean;
    ignoreTrailingSlash?: boolean;
    ignoreDuplicateSlashes?: boolean;
    routerOptions?: { caseSensitive?: boolean; ignoreTrailingSlash?: boolean; ignoreDuplicateSlashes?: boolean };
  };
}
interface FastifyLikeAdapter {
  getInstance(): FastifyLikeInstance;
  getRouteMatchingOptions?(): Partial<RouteMatchingOptions>;
}

/** Fastify's routing rules as the app has them. */
export function fastifyMatching(adapter: FastifyLikeAdapter): RouteMatchingOptions {
  const config = adapter.getInstance().initialConfig ?? {};
  const router = config.routerOptions ?? {};
  const ignoreDuplicateSlashes = !!(router.ignoreDuplicateSlashes || config.ignoreDuplicateSlashes);
  const fromNest = adapter.getRouteMatchingOptions?.();
  if (fromNest && typeof fromNest.caseSensitive === 'boolean') {
    return { caseSensitive: fromNest.caseSensitive, ignoreTrailingSlash: !!fromNest.ignoreTrailingSlash, ignoreDuplicateSlashes };
  }
  return {
    caseSensitive: !(router.caseSensitive === false || config.caseSensitive === false),
    ignoreTrailingSlash: !!(router.ignoreTrailingSlash || config.ignoreTrailingSlash),
    ignoreDuplicateSlashes,
  };
}

/** Puts a decision on the reply; true when that ended it (an automatic preflight). */
function write(reply: FastifyReplyLike, outcome: CorsOutcome): boolean {
  if (outcome.preflight) {
    // The answer is complete and has no body: written on the raw response, as Nest
    // middleware writes its own, after telling Fastify the reply is handled here.
    reply.hijack();
    endPreflight(reply.raw, outcome);
    return true;
  }
  // Added when the head is written, into the headers Fastify passes (keeping Node's fast
  // path), or onto a response Nest middleware writes on the raw socket.
  deferHeaders(reply.raw, outcome);
  return false;
}

/**
 * Moves `hook` just before @fastify/middie's hook in a context's `onRequest` list, and in its
 * child contexts. Middie is already registered when `NestFactory.create()` creates providers
 * (it calls the adapter's `init()` first), so an appended hook would run after Nest
 * middleware; the CORS hook must run before it, as on Express. Routes copy the lists when
 * Fastify gets ready (`preReady`), so reordering before then is safe.
 */
function moveBeforeMiddie(context: object, hook: OnRequest): void {
  const symbols = Object.getOwnPropertySymbols(context);
  const hooksSymbol = symbols.find((s) => s.description === 'fastify.hooks');
  const hooks = hooksSymbol ? (context as Record<symbol, { onRequest?: unknown[] }>)[hooksSymbol]?.onRequest : undefined;
  if (Array.isArray(hooks)) {
    const own = hooks.indexOf(hook);
    const middie = hooks.findIndex((h) => typeof h === 'function' && (h.name === 'runMiddie' || h.name === 'runMiddieWithPayload'));
    if (own !== -1 && middie !== -1 && middie < own) {
      hooks.splice(own, 1);
      hooks.splice(middie, 0, hook);
    }
  }
  const childrenSymbol = symbols.find((s) => s.description === 'fastify.children');
  const children = childrenSymbol ? (context as Record<symbol, unknown[]>)[childrenSymbol] : undefined;
  if (Array.isArray(children)) for (const child of children) if (child && typeof child === 'object') moveBeforeMiddie(child, hook);
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
    if (outcome instanceof Promise) whenDecided(outcome, (o) => write(reply, o), done, onError);
    else if (!write(reply, outcome)) done();
  };
  instance.addHook('onRequest', hook);
  // Fastify adds the hook from its plugin queue, not now: reorder from the same queue, next.
  instance.after?.((err, next) => {
    try {
      moveBeforeMiddie(instance, hook);
    } finally {
      next(err);
    }
  });
}
