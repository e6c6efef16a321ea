// Every detail of NestJS (11, 12) the library relies on beyond Nest's documented API lives in
// this file, each with a canary in test/e2e/framework-internals.e2e-spec.ts and a check when
// the app starts: a Nest release that changes one fails start-up with a message naming it,
// never a silently different CORS policy.
//
// Read from Nest, none of it written:
// - the metadata keys of @Controller/@Get… (`path`, `method`, `host`), spelled out here
//   (checked against the real decorators by `checkNestMetadataKeys`);
// - Nest copies a controller method's metadata onto the function it registers with the
//   router (RouterExplorer's copyMetadataToCallback): a route is recognised by the tag the
//   library writes on the method (checked by `RouteTags.assertAllSeen`);
// - Nest 12 names each registered handler `Controller.method` (only relied on to tell apart
//   one method inherited by controllers with different policies; refused otherwise);
// - Nest's host filter compiles `@Controller({ host })` with path-to-regexp and tests the
//   request's host name (mirrored by `hostMatchers`, compared with Nest's own
//   `RouterExplorer.applyHostFilter` by `checkHostFilters`).
import { Controller, Get, RequestMethod } from '@nestjs/common';
import { pathToRegexp } from 'path-to-regexp';

export const SUPPORTED_NEST = '@nestjs/core 11 and 12';

/**
 * Start-up failed because a framework no longer works the way the library relies on: the
 * library refuses to guess, since a wrong guess would send another handler's CORS policy.
 */
export class CorsInternalsError extends Error {
  constructor(framework: string, what: string, supported: string) {
    super(
      `nest-cross-origin: ${framework} does not work as this release of nest-cross-origin relies on: ${what}. ` +
        `Supported: ${supported}. Pin the framework to a supported release, or update nest-cross-origin.`,
    );
    this.name = 'CorsInternalsError';
  }
}

/** The metadata keys `@Controller()` and `@Get()`… write (`@nestjs/common/constants`). */
export const NEST_KEYS = Object.freeze({ path: 'path', method: 'method', host: 'host' });

/** Fails start-up unless Nest's decorators still write {@link NEST_KEYS}, tried on a probe class. */
export function checkNestMetadataKeys(): void {
  class Probe {
    handler(): void {}
  }
  const method = Object.getOwnPropertyDescriptor(Probe.prototype, 'handler')!;
  Get('probe-path')(Probe.prototype, 'handler', method);
  Controller({ path: 'probe', host: 'probe.host' })(Probe);
  const fn = Probe.prototype.handler;
  const ok = Reflect.getMetadata(NEST_KEYS.path, fn) === 'probe-path'
    && Reflect.getMetadata(NEST_KEYS.method, fn) === RequestMethod.GET
    && Reflect.getMetadata(NEST_KEYS.host, Probe) === 'probe.host';
  if (!ok) throw new CorsInternalsError('NestJS', 'its route decorators no longer write the metadata keys "path", "method" and "host"', SUPPORTED_NEST);
}

/** Whether a controller method is a route handler (`@Get()`, `@Post()`…). */
export function isRouteHandler(fn: Function): boolean {
  return Reflect.getMetadata(NEST_KEYS.method, fn) !== undefined && Reflect.getMetadata(NEST_KEYS.path, fn) !== undefined;
}

/** `@Controller({ host })` of a controller class, as written. */
export function controllerHosts(controller: Function): string | RegExp | (string | RegExp)[] | undefined {
  return Reflect.getMetadata(NEST_KEYS.host, controller) as string | RegExp | (string | RegExp)[] | undefined;
}

/** A controller's host patterns compiled as Nest's host filter compiles them, or `null` for none. */
export function hostMatchers(host: string | RegExp | (string | RegExp)[] | undefined): RegExp[] | null {
  if (host === undefined) return null;
  return (Array.isArray(host) ? host : [host]).map((h) =>
    h instanceof RegExp ? new RegExp(h.source, h.flags.replace(/[gy]/g, '')) : pathToRegexp(h).regexp);
}

/** Whether a host-bound handler's filter lets `hostname` through. */
export function servesHost(hosts: readonly RegExp[] | null, hostname: string | undefined): boolean {
  if (hosts === null) return true;
  const name = hostname ?? '';
  for (const re of hosts) if (re.test(name)) return true;
  return false;
}

/** Host names to try a host pattern on: one it should admit (parameters filled in) and one it should not. */
function sampleHosts(host: string | RegExp): string[] {
  if (host instanceof RegExp) return ['nco-probe.invalid'];
  return [host.replace(/:[A-Za-z_$][\w$]*/g, 'probe').replace(/[{}]/g, ''), 'nco-probe.invalid', `x.${host}`];
}

type HostFilter = (host: unknown, handler: Function) => (req: unknown, res: unknown, next: () => void) => unknown;

/**
 * Fails start-up unless Nest's own host filter (`RouterExplorer.applyHostFilter`, run here on
 * a handler of ours, never the app's) agrees with {@link hostMatchers} on sample host names of
 * every host pattern the app uses. Skipped when no controller is host-bound.
 */
export async function checkHostFilters(hosts: readonly (string | RegExp | (string | RegExp)[])[]): Promise<void> {
  if (hosts.length === 0) return;
  let applyHostFilter: HostFilter | undefined;
  try {
    const mod = (await import('@nestjs/core/router/router-explorer.js')) as unknown as { RouterExplorer?: { prototype: { applyHostFilter?: HostFilter } } };
    applyHostFilter = mod.RouterExplorer?.prototype.applyHostFilter;
  } catch {
    applyHostFilter = undefined;
  }
  if (typeof applyHostFilter !== 'function') {
    throw new CorsInternalsError('NestJS', 'RouterExplorer.applyHostFilter (the host filter of @Controller({ host })) was not found', SUPPORTED_NEST);
  }
  const explorer = {
    container: { getHttpAdapterRef: () => ({ getRequestHostname: (req: { hostname: string }) => req.hostname, getRequestMethod: () => 'GET', getRequestUrl: () => '/' }) },
    logger: { error() {}, warn() {}, log() {} },
  };
  for (const host of hosts) {
    let served = false;
    const filter = applyHostFilter.call(explorer, host, () => {
      served = true;
    });
    const ours = hostMatchers(host);
    for (const hostname of (Array.isArray(host) ? host : [host]).flatMap(sampleHosts)) {
      served = false;
      filter({ hostname }, {}, () => {});
      if (served !== servesHost(ours, hostname)) {
        throw new CorsInternalsError('NestJS', `its host filter and the library disagree on host name ${JSON.stringify(hostname)} for @Controller({ host: ${String(host)} })`, SUPPORTED_NEST);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Route tags: how a registered handler is recognised as a controller method's.

/** Metadata key the library writes on controller methods; Nest copies it onto registered handlers. */
const ROUTE_TAG_METADATA = 'nest-cross-origin:route-tag';

/** Tags of one app's controller methods (an app is keyed by its own object: tests share controllers). */
export class RouteTags<T extends { readonly controller: string; readonly handler: string }> {
  private readonly seen = new Set<T>();
  private readonly written: T[] = [];

  constructor(private readonly app: object) {}

  /** Tags a controller method; several controllers may inherit one method. */
  tag(fn: Function, tag: T): void {
    let byApp = Reflect.getOwnMetadata(ROUTE_TAG_METADATA, fn) as WeakMap<object, T[]> | undefined;
    if (!byApp) Reflect.defineMetadata(ROUTE_TAG_METADATA, (byApp = new WeakMap()), fn);
    const tags = (byApp.get(this.app) ?? []).filter((t) => t.controller !== tag.controller);
    tags.push(tag);
    byApp.set(this.app, tags);
    this.written.push(tag);
  }

  /**
   * The tag of a handler Nest registers, read from the metadata Nest copied onto it, or
   * `undefined` for a handler no controller method tagged. For a method several controllers
   * inherit, the handler's name (`Controller.method`, Nest 12) says which.
   */
  of(handler: Function): T | undefined {
    const byApp = Reflect.getMetadata(ROUTE_TAG_METADATA, handler) as WeakMap<object, T[]> | undefined;
    const tags = byApp?.get(this.app);
    if (!tags || tags.length === 0) return undefined;
    let tag = tags[0];
    if (tags.length > 1) {
      const named = tags.find((t) => `${t.controller}.${t.handler}` === handler.name);
      if (!named) {
        throw new CorsInternalsError('NestJS',
          `the handler of ${tags.map((t) => `${t.controller}.${t.handler}`).join(', ')} (one method several controllers inherit) is not named "Controller.method", so its controller cannot be told; give each controller its own method`,
          '@nestjs/core 12');
      }
      tag = named;
    }
    this.seen.add(tag);
    return tag;
  }

  /**
   * Fails start-up if a tagged route was never recognised when Nest registered it: Nest no
   * longer copies a method's metadata onto its handler, and those routes would get the
   * `resources` policy instead of their own.
   */
  assertAllSeen(): void {
    const missed = this.written.filter((t) => !this.seen.has(t));
    if (missed.length === 0) return;
    throw new CorsInternalsError('NestJS',
      `routes were registered without the metadata of their controller method (RouterExplorer's copyMetadataToCallback): ${missed.slice(0, 5).map((t) => `${t.controller}.${t.handler}`).join(', ')}`,
      SUPPORTED_NEST);
  }
}
