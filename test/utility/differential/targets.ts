// Requests for the differential test: a path aimed at one of the app's routes, foreign
// handlers, static files or rewritten prefixes (or made up), spelled every odd way a raw client
// can send it (letter case, duplicate and trailing slashes, percent-encodings of letters, `/`
// and `.`, malformed escapes, dot segments, `;`, absolute form, fragments, queries, the
// asterisk form), sent as an actual request or a preflight, with an Origin from some policy
// (or a foreign one, or none), a Host, a version, requested headers, a middleware trigger or a
// malformed body. A spec holds only numbers and choices; `concretize` reads it against an app.
import fc from 'fast-check';
import {
  CUSTOM_VERSION_HEADER,
  FOREIGN_ORIGIN,
  MEDIA_KEY,
  SHARED_ORIGIN,
  VERBS,
  VERSION_HEADER,
  allHandlers,
  originOf,
  type AppConfig,
  type Decoration,
  type RouteMethod,
  type Segment,
  type Verb,
  type Version,
} from './config.js';
import { STATIC_FILES } from './app.js';

type Mutation = 'case' | 'upper' | 'lower' | 'dupSlash' | 'trailingSlash' | 'encodeChar' | 'encodeSlash' | 'encodeDot' | 'malformed' | 'dot' | 'semicolon';
const MUTATIONS: readonly Mutation[] = ['case', 'upper', 'lower', 'dupSlash', 'trailingSlash', 'encodeChar', 'encodeSlash', 'encodeDot', 'malformed', 'dot', 'semicolon'];

export interface RequestSpec {
  readonly base: { readonly kind: 'handler' | 'foreign' | 'static' | 'rewrite' | 'random' | 'asterisk'; readonly index: number; readonly words: readonly number[] };
  readonly prefix: number;
  readonly uriVersion: number;
  readonly fill: readonly number[];
  readonly mutations: readonly { readonly kind: Mutation; readonly at: number; readonly variant: number }[];
  readonly query: number;
  readonly fragment: number;
  readonly absolute: number;
  readonly method: 'same' | Verb | 'HEAD' | 'OPTIONS';
  readonly preflight: boolean;
  readonly origin: 'aimed' | 'other' | 'shared' | 'evil' | 'none';
  readonly other: number;
  readonly host: number;
  readonly variation: number;
  readonly acrh: number;
  readonly accept: boolean;
  readonly deny: boolean;
  readonly body: 'none' | 'json' | 'bad';
}

/** Parameter and wildcard values: plain, encoded or traversing, malformed or too long for a short `maxParamLength`. */
const PLAIN_FILLERS = ['7', 'x', 'Mixed', 'teams', '1', 'billing', 'v1', 'legacy', 'acme'];
const ODD_FILLERS = ['%41b', 'a%2Fb', '..', '.', '%2e%2e', 'a+b', 'a%20b', 'a.txt'];
const BAD_FILLERS = ['%zz', '%ff', 'L'.repeat(45), 'L'.repeat(70)];
const FILLERS = [...PLAIN_FILLERS, ...ODD_FILLERS, ...BAD_FILLERS];
const fillerArb = fc.oneof(
  { weight: 12, arbitrary: fc.nat(PLAIN_FILLERS.length - 1) },
  { weight: 5, arbitrary: fc.nat(ODD_FILLERS.length - 1).map((i) => PLAIN_FILLERS.length + i) },
  { weight: 1, arbitrary: fc.nat(BAD_FILLERS.length - 1).map((i) => PLAIN_FILLERS.length + ODD_FILLERS.length + i) },
);
const RANDOM_WORDS = ['teams', 'Teams', 'billing', '7', '1', 'legacy', 'api', 'v1', 'v2', 'x', 'assets', 'health', 'admin', 't', 'acme', 'old', 'zz'];
const REWRITE_TAILS = ['7', '7/billing/1', 'legacy', 'a.txt', '1', 'x/y'];
const QUERIES = ['', '', '', '?a=1', '?', '?p=/../teams/1/billing/2', '?%zz'];
const FRAGMENTS = ['', '', '', '', '#f', '#/../../teams/1/billing/2', '#?x=1'];
const ABSOLUTES = ['', '', '', '', '', '', 'http://a.test', 'HTTP://A.TEST', 'https://b.test', 'http://127.0.0.1:1'];
const DOTS = ['/.', '/..', '/zz/..', '/%2e', '/%2e%2e', '/.%2e', '/%2E%2E', '/..%2f..', '/../..'];
const BAD_ESCAPES = ['%zz', '%', '%e', '%ff', '%2', '%c0%af'];
const SEMICOLONS = [';x', ';jsessionid=1', ';', ';v=1'];
/** Host headers: the listener's address, a host-bound controller's host, a tenant, letter case, a port. */
const HOSTS = ['@', '@', '@', '@', '@', 'admin.localhost', 'ADMIN.localhost', 'admin.localhost:8080', 'acme.t.localhost', 'localhost'];
const ACRH = [[], [], ['x-a'], ['x-b'], ['x-a', 'x-b']] as const;

const mutationArb = fc.record({ kind: fc.constantFrom(...MUTATIONS), at: fc.nat(63), variant: fc.nat(15) });

export const requestSpecArb: fc.Arbitrary<RequestSpec> = fc.record({
  base: fc.record({
    kind: fc.oneof(
      { weight: 24, arbitrary: fc.constant<'handler'>('handler') },
      { weight: 6, arbitrary: fc.constant<'foreign'>('foreign') },
      { weight: 4, arbitrary: fc.constant<'static'>('static') },
      { weight: 2, arbitrary: fc.constant<'rewrite'>('rewrite') },
      { weight: 3, arbitrary: fc.constant<'random'>('random') },
      { weight: 1, arbitrary: fc.constant<'asterisk'>('asterisk') },
    ),
    index: fc.nat(255),
    words: fc.array(fc.nat(RANDOM_WORDS.length - 1), { maxLength: 4 }),
  }),
  prefix: fc.nat(9),
  uriVersion: fc.nat(9),
  fill: fc.array(fillerArb, { minLength: 4, maxLength: 4 }),
  mutations: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 4, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(mutationArb, { minLength: 2, maxLength: 2 }) }),
  query: fc.nat(QUERIES.length - 1),
  fragment: fc.nat(FRAGMENTS.length - 1),
  absolute: fc.nat(ABSOLUTES.length - 1),
  method: fc.oneof(
    { weight: 10, arbitrary: fc.constant<'same'>('same') },
    { weight: 3, arbitrary: fc.constantFrom<Verb | 'HEAD'>(...VERBS, 'HEAD') },
    { weight: 1, arbitrary: fc.constant<'OPTIONS'>('OPTIONS') },
  ),
  preflight: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 2, arbitrary: fc.constant(true) }),
  origin: fc.oneof(
    { weight: 6, arbitrary: fc.constant<'aimed'>('aimed') },
    { weight: 3, arbitrary: fc.constant<'other'>('other') },
    { weight: 2, arbitrary: fc.constant<'shared'>('shared') },
    { weight: 1, arbitrary: fc.constant<'evil'>('evil') },
    { weight: 2, arbitrary: fc.constant<'none'>('none') },
  ),
  other: fc.nat(255),
  host: fc.nat(HOSTS.length - 1),
  variation: fc.nat(15),
  acrh: fc.nat(ACRH.length - 1),
  accept: fc.boolean(),
  deny: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  body: fc.constantFrom<'none' | 'json' | 'bad'>('none', 'none', 'json', 'bad'),
});

/** Request headers the preflight cannot carry, one set per variation of the actual request (SPEC §3 rule 7). */
export function variations(config: AppConfig): readonly Readonly<Record<string, string>>[] {
  switch (config.versioning.type) {
    case 'header':
      return [{}, { [VERSION_HEADER]: '1' }, { [VERSION_HEADER]: '2' }, { [VERSION_HEADER]: '3' }];
    case 'media':
      return [{}, { accept: 'application/json' }, { accept: `application/json;${MEDIA_KEY}1` }, { accept: `application/json;${MEDIA_KEY}2` }, { accept: `application/json;${MEDIA_KEY}3` }];
    case 'custom':
      return [{}, { [CUSTOM_VERSION_HEADER]: '1' }, { [CUSTOM_VERSION_HEADER]: '2' }, { [CUSTOM_VERSION_HEADER]: '3' }, { [CUSTOM_VERSION_HEADER]: '2,1' }];
    default:
      return [{}];
  }
}

/** A request ready to send, with what it carries beside the target. */
export interface ConcreteRequest {
  /** The actual request's method: the one sent, or the ACRM a preflight announces. */
  readonly method: Verb | 'HEAD' | 'OPTIONS';
  readonly preflight: boolean;
  readonly target: string;
  readonly origin: string | undefined;
  readonly host: string;
  /** Headers of the chosen variation (version header, Accept, custom extractor input). */
  readonly variation: Readonly<Record<string, string>>;
  /** Preflights: the requested headers. */
  readonly requestHeaders: readonly string[];
  /** Preflights: send `Accept: *\/*` as browsers do. */
  readonly accept: boolean;
  readonly deny: boolean;
  readonly body: 'none' | 'json' | 'bad';
}

const fillSegments = (segments: readonly Segment[], fill: readonly number[]): string =>
  segments
    .map((s, i) => (s.kind === 'lit' ? s.text : s.kind === 'param' ? FILLERS[fill[i % fill.length]] : `${FILLERS[fill[i % fill.length]]}/${FILLERS[fill[(i + 1) % fill.length]]}`))
    .join('/');

function positions(path: string, test: (ch: string, i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < path.length; i++) if (test(path[i], i)) out.push(i);
  return out;
}

/** Applies one odd spelling at a position chosen by `at` among the places it fits. */
function mutate(path: string, m: RequestSpec['mutations'][number]): string {
  const pick = (list: number[]) => (list.length === 0 ? -1 : list[m.at % list.length]);
  const slashes = () => positions(path, (ch, j) => ch === '/' && j > 0);
  switch (m.kind) {
    case 'case': {
      const i = pick(positions(path, (ch) => ch.toLowerCase() !== ch.toUpperCase()));
      if (i === -1) return path;
      const ch = path[i];
      return path.slice(0, i) + (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) + path.slice(i + 1);
    }
    case 'upper':
      return path.toUpperCase();
    case 'lower':
      return path.toLowerCase();
    case 'dupSlash': {
      const i = pick(positions(path, (ch) => ch === '/'));
      return i === -1 ? path : `${path.slice(0, i)}/${path.slice(i)}`;
    }
    case 'trailingSlash':
      return path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : `${path}/`;
    case 'encodeChar': {
      const i = pick(positions(path, (ch) => /[A-Za-z0-9]/.test(ch)));
      if (i === -1) return path;
      const hex = path.charCodeAt(i).toString(16).padStart(2, '0');
      return `${path.slice(0, i)}%${m.variant % 2 ? hex.toUpperCase() : hex}${path.slice(i + 1)}`;
    }
    case 'encodeSlash': {
      const i = pick(slashes());
      return i === -1 ? path : `${path.slice(0, i)}${m.variant % 2 ? '%2F' : '%2f'}${path.slice(i + 1)}`;
    }
    case 'encodeDot': {
      const i = pick(positions(path, (ch) => ch === '.'));
      if (i !== -1) return `${path.slice(0, i)}${m.variant % 2 ? '%2E' : '%2e'}${path.slice(i + 1)}`;
      const j = pick(slashes().concat(path.length));
      return `${path.slice(0, j)}/%2e${path.slice(j)}`;
    }
    case 'malformed': {
      const i = pick(slashes().concat(path.length));
      return `${path.slice(0, i)}${BAD_ESCAPES[m.variant % BAD_ESCAPES.length]}${path.slice(i)}`;
    }
    case 'dot': {
      const i = pick(positions(path, (ch) => ch === '/'));
      return i === -1 ? path : `${path.slice(0, i)}${DOTS[m.variant % DOTS.length]}${path.slice(i)}`;
    }
    case 'semicolon': {
      const i = pick(slashes().concat(path.length));
      return `${path.slice(0, i)}${SEMICOLONS[m.variant % SEMICOLONS.length]}${path.slice(i)}`;
    }
  }
}

/** Every origin a policy source of the app admits (top, resources, named policies, decorators). */
export function policyOrigins(config: AppConfig): string[] {
  const out = new Set<string>();
  const add = (o: string | readonly string[] | undefined) => {
    for (const x of typeof o === 'string' ? [o] : (o ?? [])) if (x !== '*') out.add(x);
  };
  add(config.cors.top.origins);
  for (const [, o] of config.cors.resources ?? []) add(o.origins);
  for (const [, o] of config.cors.policies) add(o.origins);
  const deco = (d: Decoration) => d.kind === 'options' && add(d.options.origins);
  for (const c of config.controllers) {
    deco(c.cors);
    c.handlers.forEach((h) => deco(h.cors));
  }
  return [...out];
}

function decoratedOrigin(d: Decoration, label: string): string | undefined {
  if (d.kind === 'options') return d.options.origins === '*' ? undefined : originOf(label);
  if (d.kind === 'named') return originOf(`p-${d.name}`);
  return undefined;
}

const versionSegments = (v: Version | readonly Version[] | undefined): (string | null)[] => {
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v as Version];
  return list.map((x) => (x === 'N' ? null : `v${x}`));
};

/** Reads a spec against an app and the port it listens on. */
export function concretize(spec: RequestSpec, config: AppConfig, port: number): ConcreteRequest {
  const handlers = allHandlers(config);
  let segments: readonly Segment[] = [];
  let routeMethod: RouteMethod = 'GET';
  let aimed: string | undefined;
  let path: string | undefined;
  const kind = spec.base.kind;
  const routers = config.mounts.filter((m) => m.kind === 'router' || m.kind === 'fn');
  const statics = config.mounts.filter((m) => m.kind === 'static');
  const rewrite = config.mounts.find((m) => m.kind === 'rewrite') ?? config.nestMiddleware.rewrite ?? config.rewriteUrl;
  if (kind === 'asterisk') {
    path = '*';
  } else if (kind === 'handler' && handlers.length > 0) {
    const { controller, handler } = handlers[spec.base.index % handlers.length];
    const lead: Segment[] = [];
    if (config.prefix && spec.prefix % 5 !== 0) lead.push({ kind: 'lit', text: config.prefix.path });
    if (config.versioning.type === 'uri') {
      const own = versionSegments(handler.version ?? controller.version ?? config.versioning.defaultVersion);
      const choices = [...own, ...own, 'v3', null];
      const seg = choices[spec.uriVersion % choices.length];
      if (seg) lead.push({ kind: 'lit', text: seg });
    }
    segments = [...lead, ...(controller.modulePath ?? []), ...controller.path, ...handler.path];
    routeMethod = handler.method;
    aimed = decoratedOrigin(handler.cors, handler.id) ?? decoratedOrigin(controller.cors, controller.id);
  } else if (kind === 'foreign' && routers.length > 0) {
    const m = routers[spec.base.index % routers.length];
    if (m.kind === 'router') {
      const r = m.routes[spec.base.index % m.routes.length];
      segments = [...(m.at ? m.at.split('/').filter(Boolean).map((text): Segment => ({ kind: 'lit', text })) : []), ...r.path];
      routeMethod = r.method;
    } else {
      const tails = ['', '/deep', '/7/billing/1', '/'];
      path = `${m.at}${tails[spec.base.index % tails.length]}`;
      routeMethod = 'ALL';
    }
  } else if (kind === 'static' && statics.length > 0) {
    const m = statics[spec.base.index % statics.length];
    const files = [...STATIC_FILES, 'nope.txt', '7/billing', '7', ''];
    path = `${m.kind === 'static' && m.prefix ? m.prefix : ''}/${files[spec.base.index % files.length]}`;
  } else if (kind === 'rewrite' && rewrite) {
    path = `/${rewrite.from}/${REWRITE_TAILS[spec.base.index % REWRITE_TAILS.length]}`;
    routeMethod = 'ALL';
  } else {
    segments = spec.base.words.map((w): Segment => ({ kind: 'lit', text: RANDOM_WORDS[w] }));
  }
  if (path === undefined) path = `/${fillSegments(segments, spec.fill)}`;
  let target = path;
  if (path !== '*') {
    for (const m of spec.mutations) path = mutate(path, m);
    target = `${ABSOLUTES[spec.absolute]}${path}${QUERIES[spec.query]}${FRAGMENTS[spec.fragment]}`;
  }

  const sameMethod: Verb = routeMethod === 'ALL' ? VERBS[spec.other % VERBS.length] : routeMethod;
  let method: Verb | 'HEAD' | 'OPTIONS' = spec.method === 'same' ? sameMethod : spec.method;
  if (spec.preflight && (method === 'HEAD' || method === 'OPTIONS')) method = sameMethod;
  if (kind === 'asterisk' && !spec.preflight) method = spec.other % 2 ? 'OPTIONS' : 'GET';

  const hostChoice = HOSTS[spec.host];
  const host = hostChoice === '@' ? `127.0.0.1:${port}` : hostChoice;
  const origins = policyOrigins(config);
  let origin: string | undefined;
  const originKind = spec.preflight && spec.origin === 'none' ? 'aimed' : spec.origin;
  if (originKind === 'aimed') origin = aimed ?? (origins.length ? origins[spec.other % origins.length] : SHARED_ORIGIN);
  else if (originKind === 'other') origin = origins.length ? origins[(spec.other >> 2) % origins.length] : FOREIGN_ORIGIN;
  else if (originKind === 'shared') origin = SHARED_ORIGIN;
  else if (originKind === 'evil') origin = FOREIGN_ORIGIN;

  const vs = variations(config);
  const variation = vs[spec.variation % vs.length];
  const versionHeader = config.versioning.type === 'header' ? VERSION_HEADER : config.versioning.type === 'custom' ? CUSTOM_VERSION_HEADER : undefined;
  const requestHeaders: string[] = [...ACRH[spec.acrh]];
  if (spec.preflight && versionHeader && spec.variation % 2 === 1) requestHeaders.push(versionHeader);
  const canBody = !spec.preflight && (method === 'POST' || method === 'PUT' || method === 'DELETE');
  return {
    method,
    preflight: spec.preflight,
    target,
    origin,
    host,
    variation,
    requestHeaders: spec.preflight ? requestHeaders : [],
    accept: spec.accept,
    deny: !spec.preflight && spec.deny && config.nestMiddleware.deny,
    body: canBody ? spec.body : 'none',
  };
}

/** The odd spellings in a target, for the coverage count. */
export function oddities(target: string): string[] {
  const out: string[] = [];
  if (target === '*') return ['the asterisk form'];
  if (/^https?:/i.test(target)) out.push('the absolute form');
  const path = target.replace(/^https?:\/\/[^/]*/i, '').split(/[?#]/)[0];
  if (target.includes('#')) out.push('a fragment');
  if (target.includes('?')) out.push('a query');
  if (/%2f/i.test(path)) out.push('an encoded slash');
  else if (/%[0-9a-f]{2}/i.test(path)) out.push('a percent-encoding');
  if (/%(?![0-9a-f]{2})/i.test(path)) out.push('a malformed escape');
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(path)) out.push('a dot segment');
  if (path.includes('//')) out.push('a duplicate slash');
  if (path.length > 1 && path.endsWith('/')) out.push('a trailing slash');
  if (path.includes(';')) out.push('a semicolon');
  if (/[A-Z]/.test(path)) out.push('upper case');
  return out;
}
