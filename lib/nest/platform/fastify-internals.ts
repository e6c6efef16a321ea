// Every detail of Fastify (5.x) and of Nest's FastifyAdapter the library relies on beyond
// their documented APIs lives in this file. Each has a canary in
// test/e2e/framework-internals.e2e-spec.ts and a check when the app starts, so a release that
// changes one fails start-up with a message naming it.
import { CorsInternalsError } from '../nest-internals.js';

export const SUPPORTED_FASTIFY = 'fastify 5 (find-my-way 9), @nestjs/platform-fastify 11 and 12';

/** The names @fastify/middie gives the onRequest hook that runs Nest middleware. */
const MIDDIE_HOOKS = ['runMiddie', 'runMiddieWithPayload'];

function hookList(context: object): unknown[] | undefined {
  const symbol = Object.getOwnPropertySymbols(context).find((s) => s.description === 'fastify.hooks');
  const hooks = symbol ? (context as Record<symbol, { onRequest?: unknown }>)[symbol]?.onRequest : undefined;
  return Array.isArray(hooks) ? hooks : undefined;
}

function childContexts(context: object): object[] {
  const symbol = Object.getOwnPropertySymbols(context).find((s) => s.description === 'fastify.children');
  const children = symbol ? (context as Record<symbol, unknown>)[symbol] : undefined;
  return Array.isArray(children) ? children.filter((c): c is object => c !== null && typeof c === 'object') : [];
}

/**
 * Moves `hook` just before @fastify/middie's hook in a context's `onRequest` list (Fastify's
 * `kHooks`, symbol description `fastify.hooks`), and in its child contexts
 * (`fastify.children`). `NestFactory.create()` registers middie before any provider exists,
 * so an appended hook would run after Nest middleware; CORS must run before it, as on
 * Express. Fastify has no public way to order hooks. Routes copy the lists when Fastify gets
 * ready, so reordering before then is safe.
 */
export function moveBeforeMiddie(context: object, hook: Function): void {
  const hooks = hookList(context);
  if (hooks) {
    const own = hooks.indexOf(hook);
    const middie = hooks.findIndex((h) => typeof h === 'function' && MIDDIE_HOOKS.includes(h.name));
    if (own !== -1 && middie !== -1 && middie < own) {
      hooks.splice(own, 1);
      hooks.splice(middie, 0, hook);
    }
  }
  for (const child of childContexts(context)) moveBeforeMiddie(child, hook);
}

/**
 * Fails start-up unless the CORS hook runs before Nest middleware: the `onRequest` list is
 * where this file expects it, holds the hook, and middie (when registered) comes after it.
 * Also refuses a Fastify major the preflight router (find-my-way) was not checked against.
 */
export function checkFastifyInternals(instance: { version?: string }, hook: Function): void {
  const fail = (what: string) => {
    throw new CorsInternalsError('Fastify', what, SUPPORTED_FASTIFY);
  };
  if (typeof instance.version !== 'string' || !instance.version.startsWith('5.')) {
    fail(`fastify ${String(instance.version)} is not fastify 5, whose router (find-my-way 9) answers preflights here`);
  }
  const hooks = hookList(instance);
  if (!hooks) return fail('the onRequest hooks are no longer kept under the symbol "fastify.hooks"');
  const own = hooks.indexOf(hook);
  if (own === -1) return fail('the CORS onRequest hook is not in the instance\'s onRequest list');
  const middie = hooks.findIndex((h) => typeof h === 'function' && MIDDIE_HOOKS.includes(h.name));
  if (middie !== -1 && middie < own) fail('@fastify/middie\'s hook (Nest middleware) runs before the CORS hook');
}

/**
 * Whether Nest's FastifyAdapter answers a route whose parameter came out empty
 * (`/users//profile`: find-my-way gives `id: ''`) with its 404, as its `requireNonEmptyParams`
 * says; tried on the adapter's own method with a handler of ours, never the app's. When it
 * does, a preflight to such a path gets the `resources` policy, as its actual request will.
 */
export function answers404ForEmptyParams(adapter: object): boolean {
  const wrap = (adapter as { requireNonEmptyParams?: (url: string, handler: Function) => Function }).requireNonEmptyParams;
  if (typeof wrap !== 'function') return false;
  let served = false;
  let notFound = false;
  try {
    const handler = wrap.call(adapter, '/probe/:id', () => {
      served = true;
    });
    handler.call(null, { params: { id: '' }, raw: { url: '/probe/' } }, { callNotFound: () => (notFound = true) });
  } catch {
    return false;
  }
  return notFound && !served;
}

/** Nest's security hook (`registerSecurityHook`, HttpServer interface): (request, rawResponse) => Error | undefined. */
export type SecurityHook = (request: { params?: unknown; raw: unknown }, response: unknown) => Error | undefined;

/**
 * Runs `onFrameworkError` for the requests Fastify's router answers itself (a malformed URL:
 * 400; an over-long parameter: 414), which no hook sees: Nest's FastifyAdapter (12.5) passes
 * them to its security hook from Fastify's `frameworkErrors`, with `request.params === null`.
 * The library takes the security hook's place and chains the app's own (CSRF protection,
 * security headers) behind it. Returns `false` when the adapter has no security hook.
 */
export function onFrameworkErrors(adapter: Record<string, unknown>, onFrameworkError: (request: { raw: unknown }, response: unknown) => void): boolean {
  const register = adapter.registerSecurityHook as ((hook: SecurityHook) => unknown) | undefined;
  if (typeof register !== 'function') return false;
  let appHook: SecurityHook | undefined;
  const hook: SecurityHook = function corsFrameworkErrors(request, response) {
    if (request.params === null) {
      try {
        onFrameworkError(request, response);
      } catch {
        // The router's answer goes out either way.
      }
    }
    return appHook?.(request, response);
  };
  register.call(adapter, hook);
  adapter.registerSecurityHook = function registerAfterCors(this: unknown, next: SecurityHook) {
    appHook = next;
    return register.call(this, hook);
  };
  return true;
}
