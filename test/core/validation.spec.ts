import { CorsConfigError, markFromAsync, PolicySet } from '../../lib/core/index.js';
import { INVALID_CASES, VALID_CASES } from './cases/validation.cases.js';

describe('configuration checks (SPEC §6)', () => {
  it.each(INVALID_CASES)('$desc', ({ options, want }) => {
    const set = new PolicySet(options as never);
    const got = set.issues.issues.map((i) => ({ option: i.option, reason: i.reason }));
    // Both directions: every expected issue is there (no missing one), nothing else is (no unexpected one).
    expect(got).toEqual(expect.arrayContaining(want.map((w) => expect.objectContaining(w))));
    expect(got).toHaveLength(want.length);
    expect(() => set.assertValid()).toThrow(CorsConfigError);
  });

  it.each(VALID_CASES)('accepts $desc', ({ options }) => {
    const set = new PolicySet(options);
    expect(set.issues.issues).toEqual([]);
    expect(() => set.assertValid()).not.toThrow();
  });

  it('names the option, the value and where it was written in one message', () => {
    const set = new PolicySet({ origins: ['https://a.com/'], policies: { partners: { maxAge: -3 } } });
    let error: unknown;
    try {
      set.assertValid();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorsConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^nest-cross-origin: invalid CORS configuration \(2 problems\):/);
    expect(message).toContain('forRoot: origins[0] = "https://a.com/"');
    expect(message).toContain('forRoot.policies.partners: maxAge = -3');
    expect((error as CorsConfigError).issues).toHaveLength(2);
  });

  it('reports an unknown policy name and a bad decorator value with their route', () => {
    const set = new PolicySet({ policies: { partners: {} } });
    set.routePolicy(undefined, 'partnrs', 'CatsController', 'feed');
    set.routePolicy(true as never, undefined, 'DogsController', 'list');
    expect(set.issues.issues.map((i) => [i.where, i.reason])).toEqual([
      ['CatsController.feed', 'unknown-policy'],
      ['DogsController', 'invalid'],
    ]);
    expect(set.issues.issues[0].detail).toContain('"partners"');
  });

  it('checks the merged route policy: credentials from forRoot with "*" from a handler', () => {
    const set = new PolicySet({ origins: 'https://a.com', supportsCredentials: true });
    set.routePolicy(undefined, { origins: '*' }, 'CatsController', 'list');
    expect(set.issues.issues).toEqual([expect.objectContaining({ where: 'CatsController.list', option: 'supportsCredentials', reason: 'incompatible' })]);
  });

  it('never mutates the options it is given', () => {
    const options = Object.freeze({ origins: Object.freeze(['https://a.com']), resources: Object.freeze({ '/api/*': Object.freeze({ maxAge: 5 }) }) });
    expect(() => new PolicySet(options as never).assertValid()).not.toThrow();
  });

  it('names the bad element of a comma-separated origins string, not the whole string', () => {
    const set = new PolicySet({ origins: 'https://a.example, https://b.example/ ,example.com' });
    expect(set.issues.issues.map((i) => [i.option, i.value])).toEqual([
      ['origins', 'https://b.example/'],
      ['origins', 'example.com'],
    ]);
    const message = (() => { try { set.assertValid(); } catch (e) { return (e as Error).message; } return ''; })();
    expect(message).toContain('forRoot: origins = "https://b.example/": has a path, query, fragment or trailing slash');
    expect(message).toContain('forRoot: origins = "example.com": has no scheme');
    expect(message).toContain('(an element of a comma-separated list)');
    expect(message).not.toContain('https://a.example');
  });

  it.each([
    { desc: 'at WebKit\'s cap: nothing', maxAge: 600, want: [] },
    { desc: 'over WebKit\'s cap', maxAge: 3600, want: [/^forRoot: maxAge = 3600 is over 600 s: WebKit \(Safari\) keeps a preflight at most 600 s/] },
    { desc: 'at Chromium\'s cap', maxAge: 7200, want: [/^forRoot: maxAge = 7200 is over 600 s: WebKit/] },
    { desc: 'over Chromium\'s cap', maxAge: 7201, want: [/^forRoot: maxAge = 7201 is over 7200 s and 600 s: Chromium keeps a preflight at most 7200 s and WebKit \(Safari\) at most 600 s/] },
    { desc: 'at the 86400 limit', maxAge: 86_400, want: [/^forRoot: maxAge = 86400 is over 7200 s and 600 s/] },
  ])('warns at start-up for maxAge $desc (explain mode logs it)', ({ maxAge, want }) => {
    const set = new PolicySet({ maxAge });
    expect(set.issues.issues).toEqual([]);
    expect(set.warnings).toEqual(want.map((w) => expect.stringMatching(w)));
  });

  it('warns once where maxAge was written, however many routes inherit it', () => {
    const set = new PolicySet({ policies: { slow: { maxAge: 3600 } } });
    set.routePolicy('slow', undefined, 'A', 'one');
    set.routePolicy('slow', undefined, 'B', 'two');
    set.routePolicy(undefined, 'slow', 'C', 'three');
    expect(set.warnings).toEqual([expect.stringMatching(/^forRoot\.policies\.slow: maxAge = 3600 is over 600 s/)]);
  });

  it('gives the spelling browsers send for an origin entry they never send as written', () => {
    const set = new PolicySet({ origins: ['https://app.example:443', 'http://0x7f.1:3000'] });
    expect(set.issues.issues).toEqual([
      expect.objectContaining({ option: 'origins[0]', value: 'https://app.example:443', reason: 'invalid', canonical: 'https://app.example' }),
      expect.objectContaining({ option: 'origins[1]', value: 'http://0x7f.1:3000', reason: 'invalid', canonical: 'http://127.0.0.1:3000' }),
    ]);
    const message = (() => { try { set.assertValid(); } catch (e) { return (e as Error).message; } return ''; })();
    expect(message).toContain('forRoot: origins[0] = "https://app.example:443": no browser sends it: 443 is the default port of https:, which an Origin never spells out. Write "https://app.example"');
  });

  it('says why a forbidden header name is pointless, and what to do about cookies', () => {
    const set = new PolicySet({ allowHeaders: ['Cookie'], exposeHeaders: ['Access-Control-Allow-Origin'] });
    expect(set.issues.issues.map((i) => i.detail)).toEqual([
      expect.stringMatching(/^Cookie is a forbidden request-header name \(Fetch standard\): a page can never set it.*set supportsCredentials$/),
      expect.stringMatching(/^Access-Control-Allow-Origin is a CORS response header/),
    ]);
  });

  it('refuses origins present but undefined in a decorator, naming the likely unset variable', () => {
    const set = new PolicySet({ origins: 'https://a.example' });
    set.routePolicy({ origins: undefined }, undefined, 'CatsController', 'list');
    set.routePolicy(undefined, { origins: null as never }, 'DogsController', 'list');
    expect(set.issues.issues.map((i) => `${i.where} ${i.option} ${i.reason}`)).toEqual([
      'CatsController origins missing',
      'DogsController.list origins missing',
    ]);
    expect(set.issues.issues[0].detail).toMatch(/^is undefined, so the default "\*" would allow every origin: is it read from an environment variable that is not set \(config\.get\('CORS_ORIGINS'\)\)\? .*getOrThrow\(\).*origins: "\*"$/);
  });

  it('names forRootAsync in every message when the options came from it', () => {
    const set = new PolicySet(markFromAsync({
      origins: 'https://a.example/', originTimeout: 0,
      resources: { '/api/*': { maxAge: -1 }, 'bad': {} }, policies: { p: { methods: 'TRACE' } },
    }));
    set.routePolicy(undefined, 'nope', 'CatsController', 'list');
    expect(set.label).toBe('forRootAsync');
    expect(set.issues.issues.map((i) => `${i.where} ${i.option}`)).toEqual([
      'forRootAsync origins',
      'forRootAsync originTimeout',
      'forRootAsync.policies.p methods',
      'forRootAsync resources["bad"]',
      'CatsController.list @CrossOrigin',
    ]);
    expect(set.issues.issues[4].detail).toBe('names no policy; forRootAsync({ policies }) declares "p"');
  });

  it('takes the label from its settings, and marks only a copy of the options', () => {
    const given = { origins: 'https://a.example' };
    const marked = markFromAsync(given);
    expect(marked).not.toBe(given);
    expect(marked).toEqual(given);
    expect(Object.keys(marked)).toEqual(['origins']);
    expect(new PolicySet({}).label).toBe('forRoot');
    expect(new PolicySet({}, { label: 'forRootAsync' }).label).toBe('forRootAsync');
  });

  it.each([undefined, null])('refuses a forRootAsync factory that returned %p, which would mean every default', (returned) => {
    const set = new PolicySet(markFromAsync(returned));
    expect(set.issues.issues).toEqual([expect.objectContaining({ where: 'forRootAsync', option: 'options', value: returned, reason: 'missing' })]);
    expect(set.issues.issues[0].detail).toContain('allow every origin');
  });

  it('reports a forRoot mistake once, where it was written, not per controller and handler inheriting it', () => {
    const set = new PolicySet({ origins: '*', supportsCredentials: true });
    set.routePolicy({ maxAge: 60 }, undefined, 'CatsController', 'list');
    set.routePolicy({ maxAge: 60 }, { exposeHeaders: ['X-Total'] }, 'CatsController', 'create');
    set.routePolicy(undefined, { methods: ['GET'] }, 'DogsController', 'list');
    expect(set.issues.issues.map((i) => `${i.where} ${i.option} ${i.reason}`)).toEqual(['forRoot supportsCredentials incompatible']);
    expect(set.issues.issues[0].detail).toMatch(/^cannot be combined with origins "\*": /);
  });

  it('says "(default)" for a value the user never wrote', () => {
    const set = new PolicySet({ supportsCredentials: true });
    expect(set.issues.issues).toEqual([expect.objectContaining({ where: 'forRoot', option: 'supportsCredentials' })]);
    expect(set.issues.issues[0].detail).toMatch(/^cannot be combined with origins "\*" \(default\): /);
  });

  it('reports a combination at the deepest level that wrote one of its keys', () => {
    const set = new PolicySet({ supportsCredentials: true, origins: 'https://a.example', policies: { open: { origins: '*' } } });
    set.routePolicy('open', undefined, 'CatsController', 'list'); // '*' from the policy, credentials from forRoot
    set.routePolicy(undefined, 'open', 'DogsController', 'list');
    set.routePolicy({ supportsCredentials: false }, { supportsCredentials: true, origins: '*' }, 'BirdsController', 'list');
    expect(set.issues.issues.map((i) => `${i.where} ${i.option}`)).toEqual([
      'forRoot.policies.open supportsCredentials',
      'BirdsController.list supportsCredentials',
    ]);
  });

  it('keeps a comma-separated origins string as the list it stands for, for policyFor() and the table', () => {
    const set = new PolicySet({ origins: 'https://a.example, https://*.b.example', resources: { '/one': { origins: 'https://c.example' }, '/list/*': { origins: ['https://d.example', 'https://e.example,https://f.example'] } } });
    const byPattern = Object.fromEntries(set.resources.map((r) => [r.pattern, r.policy!.options.origins]));
    expect(byPattern['/one']).toBe('https://c.example');
    expect(byPattern['/list/*']).toEqual(['https://d.example', 'https://e.example', 'https://f.example']);
    const root = new PolicySet({ origins: 'https://a.example, https://*.b.example' }).everywhere!;
    expect(root.options.origins).toEqual(['https://a.example', 'https://*.b.example']);
    expect(Object.isFrozen(root.options.origins)).toBe(true);
  });

  it('takes originTimeout from forRoot, 5000 ms when not given', () => {
    expect(new PolicySet({}).originTimeout).toBe(5000);
    expect(new PolicySet({ originTimeout: 50 }).originTimeout).toBe(50);
    const set = new PolicySet({ originTimeout: 0 });
    expect(set.issues.issues[0]).toMatchObject({ where: 'forRoot', option: 'originTimeout', value: 0, detail: 'must be a whole number of milliseconds from 1 to 2147483647' });
  });

  it('refuses originTimeout in @CrossOrigin: it is a forRoot option', () => {
    const set = new PolicySet({});
    set.routePolicy(undefined, { originTimeout: 50 } as never, 'CatsController', 'list');
    expect(set.issues.issues).toEqual([expect.objectContaining({ where: 'CatsController.list', option: 'originTimeout', detail: 'is only accepted by CorsModule.forRoot()' })]);
  });
});
