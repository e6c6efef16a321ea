// The resources entry of a routed request is chosen on the path as the router matched it: the
// route's own spelling and the request's parameter values (README "How the policy is chosen").
import fc from 'fast-check';
import {
  canonicalPath, compileResources, hasPlainValues, matchResource, resourceOfRoute, routePath,
  type RouteParams, type RouteToken,
} from '../../lib/core/index.js';

const text = (value: string): RouteToken => ({ type: 'text', value });
const param = (name: string): RouteToken => ({ type: 'param', name });
const wildcard = (name: string): RouteToken => ({ type: 'wildcard', name });
const group = (...tokens: RouteToken[]): RouteToken => ({ type: 'group', tokens });

/** `/teams/:id/billing/:bid` */
const BILLING = [text('/teams/'), param('id'), text('/billing/'), param('bid')];
const TABLE = compileResources([['/teams/*/billing/*', 'strict'], ['/*', 'permissive'], ['/teams/admin/billing/1', 'literal'], ['/api/*', 'api']] as const);

describe('canonicalPath', () => {
  it.each([
    { desc: 'the route\'s spelling with the values', tokens: BILLING, params: { id: '7', bid: '1' }, want: '/teams/7/billing/1' },
    { desc: 'an optional group with its value', tokens: [text('/files'), group(text('/'), param('name'))], params: { name: 'a' }, want: '/files/a' },
    { desc: 'an optional group without it', tokens: [text('/files'), group(text('/'), param('name'))], params: {}, want: '/files' },
    { desc: 'a path-to-regexp wildcard (segments)', tokens: [text('/'), group(wildcard('splat'))], params: { splat: ['a', 'b'] }, want: '/a/b' },
    { desc: 'a find-my-way wildcard (a string)', tokens: [text('/static/'), wildcard('*')], params: { '*': 'css/x.css' }, want: '/static/css/x.css' },
    { desc: 'a value is not decoded again', tokens: [text('/a/'), param('x')], params: { x: '%2e%2e' }, want: '/a/%2e%2e' },
    { desc: 'dot segments a value brings are resolved (CVE-2020-25032)', tokens: [text('/api/'), param('x')], params: { x: '../secret' }, want: '/secret' },
    { desc: 'a missing leading slash is added', tokens: [text('x/'), param('y')], params: { y: '1' }, want: '/x/1' },
  ])('$desc', ({ tokens, params, want }) => {
    expect(canonicalPath(tokens, params as RouteParams)).toBe(want);
  });
});

describe('routePath', () => {
  it('is the canonical path before dot segments are resolved, so a mount before it can take part', () => {
    const tokens = [text('/ext/'), param('eid')];
    expect(routePath(tokens, { eid: '..' })).toBe('/ext/..');
    expect(canonicalPath(tokens, { eid: '..' })).toBe('/');
    expect(routePath([text('x/'), param('y')], { y: '1' })).toBe('/x/1');
  });
});

describe('hasPlainValues', () => {
  it.each([
    { desc: 'ordinary values', params: { id: '7', bid: 'x.y' }, want: true },
    { desc: 'a "/" inside a parameter', params: { id: 'a/b', bid: '1' }, want: false },
    { desc: 'a ".." parameter', params: { id: '..', bid: '1' }, want: false },
    { desc: 'a "." parameter', params: { id: '.', bid: '1' }, want: false },
  ])('$desc', ({ params, want }) => {
    expect(hasPlainValues(BILLING, params)).toBe(want);
  });

  it('a wildcard may span segments, but not bring dot segments', () => {
    const tokens = [text('/static/'), wildcard('*')];
    expect(hasPlainValues(tokens, { '*': 'a/b/c' })).toBe(true);
    expect(hasPlainValues(tokens, { '*': 'a/../../x' })).toBe(false);
    expect(hasPlainValues([text('/'), wildcard('s')], { s: ['a', '..'] })).toBe(false);
  });
});

describe('resourceOfRoute: the entry a pattern alone decides', () => {
  it.each([
    { desc: 'a glob every path of the route matches', tokens: [text('/api/items/'), param('id')], want: 'api' },
    { desc: 'the strict entry for the route written under it', tokens: BILLING, want: undefined /* a literal entry names some values */ },
    { desc: 'a route no entry but "/*" can match', tokens: [text('/users/'), param('id')], want: 'permissive' },
    { desc: 'a static route', tokens: [text('/teams/admin/billing/1')], want: 'literal' },
  ])('$desc', ({ tokens, want }) => {
    expect(resourceOfRoute(TABLE, tokens)?.policy).toBe(want);
  });

  it('undefined where the values decide: a literal entry could equal some paths, an entry could start inside a value', () => {
    expect(resourceOfRoute(compileResources([['/teams/x', 'lit'], ['/*', 'all']] as const), [text('/teams/'), param('id')])).toBeUndefined();
    expect(resourceOfRoute(compileResources([['/teams/a*', 'a'], ['/*', 'all']] as const), [text('/teams/'), param('id')])).toBeUndefined();
  });

  it('null when no entry can match', () => {
    expect(resourceOfRoute(compileResources([['/api/*', 'api']] as const), [text('/web/'), param('id')])).toBeNull();
  });

  it('an optional group decides only when both of its shapes agree', () => {
    const table = compileResources([['/ns0/*', 'ns'], ['/*', 'all']] as const);
    expect(resourceOfRoute(table, [text('/'), group(wildcard('splat'))])).toBeUndefined();
    expect(resourceOfRoute(table, [text('/ns0/x'), group(text('/'), param('id'))])?.policy).toBe('ns');
  });

  // Against the per-request answer: whenever the pattern decides, every plain set of values
  // gets that same entry on the canonical path.
  const segment = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  const value = fc.stringMatching(/^[a-zA-Z0-9._~-]{1,8}$/);
  const patternArb = fc.array(fc.oneof(segment.map((s) => text(`/${s}`)), segment.map((s) => [text('/'), param(`p${s}`)] as RouteToken[])), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.flat());
  const entryArb = fc.array(fc.oneof(segment, fc.constant('*')), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
  it('agrees with matching the canonical path, for every plain value (property)', () => {
    fc.assert(fc.property(patternArb, fc.uniqueArray(entryArb, { minLength: 1, maxLength: 5 }), fc.array(value, { minLength: 4, maxLength: 4 }), (tokens, patterns, values) => {
      const table = compileResources(patterns.map((p, i) => [p, `e${i}`] as const));
      const decided = resourceOfRoute(table, tokens);
      if (decided === undefined) return;
      const params: Record<string, string> = {};
      tokens.forEach((t, i) => { if (t.type === 'param') params[t.name] = values[i % values.length]; });
      if (!hasPlainValues(tokens, params)) return;
      expect(matchResource(table, canonicalPath(tokens, params))?.policy ?? null).toBe(decided?.policy ?? null);
    }), { numRuns: 2000, seed: 4242 });
  });
});
