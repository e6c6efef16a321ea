import { CorsConfigError, PolicySet } from '../../lib/core/index.js';
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
