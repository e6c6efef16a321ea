import { DEFAULT_OPTIONS, PolicySet, mergeOptions } from '../../lib/core/index.js';

describe('mergeOptions (SPEC §3 rule 1)', () => {
  it('starts from the Flask-CORS defaults', () => {
    const { options, sources } = mergeOptions([]);
    expect(options).toEqual(DEFAULT_OPTIONS);
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']));
  });

  it('merges key by key, later levels winning, arrays replaced not unioned', () => {
    const { options, sources } = mergeOptions([
      { options: { origins: ['https://a.com', 'https://b.com'], maxAge: 10, exposeHeaders: ['X-A'] }, source: 'forRoot' },
      { options: { origins: ['https://c.com'] }, source: 'controller' },
      { options: { maxAge: 0, exposeHeaders: undefined }, source: 'handler' },
    ]);
    expect(options.origins).toEqual(['https://c.com']);
    expect(options.maxAge).toBe(0);
    expect(options.exposeHeaders).toEqual(['X-A']);
    expect(sources).toMatchObject({ origins: 'controller', maxAge: 'handler', exposeHeaders: 'forRoot', methods: 'default' });
  });
});

describe('PolicySet.routePolicy', () => {
  const set = new PolicySet({ origins: 'https://root.com', exposeHeaders: 'X-Total', policies: { partners: { origins: 'https://p.com', maxAge: 99 } } });

  it('uses resources when no decorator is anywhere', () => {
    expect(set.routePolicy(undefined, undefined, 'C', 'm').kind).toBe('resources');
  });

  it('controller < handler over forRoot', () => {
    const r = set.routePolicy({ origins: 'https://c.com', maxAge: 1 }, { maxAge: 2 }, 'C', 'm');
    expect(r.kind).toBe('policy');
    if (r.kind !== 'policy') return;
    expect(r.policy.options).toMatchObject({ origins: 'https://c.com', maxAge: 2, exposeHeaders: 'X-Total' });
    expect(r.policy.sources).toMatchObject({ origins: 'controller', maxAge: 'handler', exposeHeaders: 'forRoot' });
  });

  it('a named policy stands in for the options at its level', () => {
    const r = set.routePolicy('partners', { maxAge: 5 }, 'C', 'm');
    if (r.kind !== 'policy') throw new Error(r.kind);
    expect(r.policy.options).toMatchObject({ origins: 'https://p.com', maxAge: 5 });
    expect(r.policy.sources).toMatchObject({ origins: 'policy:partners', maxAge: 'handler' });
  });

  it.each([
    { desc: 'false on the handler', c: { maxAge: 1 }, h: false, want: 'disabled' },
    { desc: 'false on the controller', c: false, h: undefined, want: 'disabled' },
    { desc: 'handler options over a controller false', c: false, h: { maxAge: 3 }, want: 'policy' },
    { desc: 'handler policy over a controller false', c: false, h: 'partners', want: 'policy' },
    { desc: 'bare @CrossOrigin()', c: undefined, h: {}, want: 'policy' },
  ])('$desc', ({ c, h, want }) => {
    expect(set.routePolicy(c as never, h as never, 'C', 'm').kind).toBe(want);
  });

  it('a handler override over a controller false does not inherit the controller', () => {
    const r = set.routePolicy(false, { maxAge: 3 }, 'C', 'm');
    if (r.kind !== 'policy') throw new Error(r.kind);
    expect(r.policy.options.origins).toBe('https://root.com');
  });

  it('compiles each distinct pair of decorator values once', () => {
    const c = { origins: 'https://x.com' };
    const a = set.routePolicy(c, undefined, 'C', 'a');
    const b = set.routePolicy(c, undefined, 'C', 'b');
    expect(a.kind === 'policy' && b.kind === 'policy' && a.policy === b.policy).toBe(true);
  });
});

describe('route names', () => {
  it('each route keeps its own name when routes share a compiled policy', () => {
    const set = new PolicySet({});
    const c = { maxAge: 1 };
    const a = set.routePolicy(c, undefined, 'ItemsController', 'list');
    const b = set.routePolicy(c, undefined, 'ItemsController', 'update');
    const u = set.routePolicy(undefined, undefined, 'OtherController', 'get');
    expect([a.label, b.label, u.label]).toEqual(['ItemsController.list', 'ItemsController.update', 'OtherController.get']);
  });
});
