import {
  ARBITRARY_PROBES,
  CorsConfigError,
  isLoopbackHost,
  isPublicSuffix,
  PolicySet,
  publicSuffixesIn,
  SAFETY_OPT_INS,
  type CorsConfigIssue,
  type CorsOptions,
} from '../../lib/core/index.js';
import { ACCEPTED_CASES, REFUSED_CASES } from './cases/safety.cases.js';

function thrown(set: PolicySet): CorsConfigError {
  try {
    set.assertValid();
  } catch (e) {
    if (e instanceof CorsConfigError) return e;
    throw e;
  }
  throw new Error('assertValid() did not throw');
}

/** The places a policy can be written; each must be checked the same way (SPEC §3, §6). */
const PLACES: readonly { desc: string; where: string; build: (o: CorsOptions) => PolicySet }[] = [
  { desc: 'forRoot', where: 'forRoot', build: (o) => new PolicySet(o) },
  { desc: 'a resources entry', where: 'forRoot.resources["/api/*"]', build: (o) => new PolicySet({ resources: { '/api/*': o } }) },
  {
    desc: 'a handler @CrossOrigin', where: 'CatsController.list',
    build: (o) => {
      const set = new PolicySet({});
      set.routePolicy(undefined, o, 'CatsController', 'list');
      return set;
    },
  },
  // A problem of a named policy's own keys is reported where they were written (issue 15),
  // once, however many routes select the policy.
  {
    desc: 'a named policy on a controller', where: 'forRoot.policies.partners',
    build: (o) => {
      const set = new PolicySet({ policies: { partners: o } });
      set.routePolicy('partners', undefined, 'CatsController', 'list');
      return set;
    },
  },
];

describe('safety rules (SPEC §6): configurations that leak credentials are refused', () => {
  describe.each(PLACES)('written in $desc', ({ where, build }) => {
    it.each(REFUSED_CASES)('refuses $desc, naming the rule, the matcher and the opt-in', ({ options, rule, option, probed }) => {
      const set = build(options);
      const optIn = SAFETY_OPT_INS[rule];
      // Exactly one issue: the unsafe entry; nothing unexpected, nothing missing.
      expect(set.issues.issues).toEqual([
        expect.objectContaining<Partial<CorsConfigIssue>>({ where, option, reason: 'unsafe', rule, optIn }),
      ]);
      const [issue] = set.issues.issues;
      expect(issue.detail).toContain(`rule "${rule}"`);
      expect(issue.detail).toContain(`set ${optIn}: true`);
      if (probed) {
        expect(issue.probe).toMatch(/^https?:\/\/(\S+\.|\[)/);
        expect(issue.detail).toContain(`admits ${issue.probe}`);
      } else {
        expect(issue.probe).toBeUndefined();
      }
      const error = thrown(set);
      expect(error.issues).toEqual(set.issues.issues);
      expect(error.message).toContain(`${where}: ${option} = `);
      expect(error.message).toContain(`rule "${rule}"`);
      expect(error.message).toContain(optIn);
      expect(set.warnings).toEqual([]);
    });

    it.each(ACCEPTED_CASES)('accepts $desc', ({ options, warns }) => {
      const set = build(options);
      expect(set.issues.issues).toEqual([]);
      expect(() => set.assertValid()).not.toThrow();
      expect(set.warnings).toHaveLength(warns.length);
      warns.forEach((rule, i) => {
        expect(set.warnings[i]).toContain(`rule "${rule}"`);
        expect(set.warnings[i]).toContain(`${where}: origins`);
      });
    });
  });

  it('names the opt-in in use in its warning', () => {
    for (const c of REFUSED_CASES) {
      const optIn = SAFETY_OPT_INS[c.rule];
      const set = new PolicySet({ ...c.options, [optIn]: true });
      expect(set.warnings).toEqual([expect.stringContaining(`allowed by ${optIn}: true (rule "${c.rule}")`)]);
    }
  });

  it('lists every unsafe entry of a policy, and each rule an entry breaks, in one error', () => {
    const set = new PolicySet({
      supportsCredentials: true, allowPrivateNetwork: true,
      origins: ['https://app.example', 'http://*.com', /.*/, 'null', 'http://partner.example'],
    });
    expect(set.issues.issues.map((i) => `${i.option} ${i.rule}`)).toEqual([
      'origins[1] insecure-origin-with-credentials',
      'origins[1] public-suffix-with-credentials',
      'origins[1] insecure-origin-with-private-network',
      'origins[2] any-origin-with-credentials',
      'origins[2] private-network-from-any-origin',
      'origins[3] null-origin-with-credentials',
      'origins[4] insecure-origin-with-credentials',
      'origins[4] insecure-origin-with-private-network',
    ]);
    expect(thrown(set).message).toMatch(/^nest-cross-origin: invalid CORS configuration \(8 problems\):/);
  });

  it('dangerouslyAllowInsecureOrigins accepts an http: origin for credentials and the private network alike', () => {
    const set = new PolicySet({ supportsCredentials: true, allowPrivateNetwork: true, origins: ['http://intranet.example'], dangerouslyAllowInsecureOrigins: true });
    expect(set.issues.issues).toEqual([]);
    expect(set.warnings).toEqual([
      expect.stringContaining('allowed by dangerouslyAllowInsecureOrigins: true (rule "insecure-origin-with-credentials")'),
      expect.stringContaining('allowed by dangerouslyAllowInsecureOrigins: true (rule "insecure-origin-with-private-network")'),
    ]);
  });

  it('one opt-in accepts one rule only', () => {
    const set = new PolicySet({ supportsCredentials: true, origins: ['http://*.com'], dangerouslyAllowInsecureOrigins: true });
    expect(set.issues.issues.map((i) => i.rule)).toEqual(['public-suffix-with-credentials']);
    expect(set.warnings).toEqual([expect.stringContaining('dangerouslyAllowInsecureOrigins')]);
  });

  it("keeps refusing '*' with credentials: no opt-in covers it", () => {
    const set = new PolicySet({ supportsCredentials: true, origins: '*', ...Object.fromEntries(Object.values(SAFETY_OPT_INS).map((k) => [k, true])) });
    expect(set.issues.issues.map((i) => `${i.option} ${i.reason}`)).toEqual(['supportsCredentials incompatible']);
  });

  it('merges opt-ins key by key, like any option (SPEC §3)', () => {
    const set = new PolicySet({ supportsCredentials: true, origins: ['https://app.example'], dangerouslyAllowNullOrigin: true });
    set.routePolicy(undefined, { origins: ['null'] }, 'A', 'inherits'); // forRoot's opt-in applies
    set.routePolicy({ dangerouslyAllowNullOrigin: false }, { origins: ['null'] }, 'B', 'overridden'); // the class turns it off
    set.routePolicy(undefined, { origins: ['null'], supportsCredentials: false }, 'C', 'noCredentials'); // nothing to accept
    expect(set.issues.issues.map((i) => `${i.where} ${i.rule}`)).toEqual(['B.overridden null-origin-with-credentials']);
    expect(set.warnings).toEqual([expect.stringMatching(/^A\.inherits: origins\[0\] = "null" \(set in handler\) .*dangerouslyAllowNullOrigin/)]);
  });

  it('checks opt-ins as options: booleans only, at every level', () => {
    const set = new PolicySet({ dangerouslyAllowNullOrigin: 'yes' as never, policies: { p: { dangerouslyAllowInsecureOrigins: 1 as never } } });
    expect(set.issues.issues.map((i) => `${i.where} ${i.option} ${i.reason}`)).toEqual([
      'forRoot dangerouslyAllowNullOrigin invalid',
      'forRoot.policies.p dangerouslyAllowInsecureOrigins invalid',
    ]);
  });

  it('never calls a predicate at start-up: predicates are the user’s responsibility', () => {
    let calls = 0;
    const anyone = () => { calls++; return true; };
    const set = new PolicySet({ supportsCredentials: true, allowPrivateNetwork: true, origins: [anyone] });
    set.routePolicy(undefined, { origins: anyone }, 'A', 'b');
    expect(set.issues.issues).toEqual([]);
    expect(calls).toBe(0);
  });

  it('probes with origins no one would list, random per process, on both schemes', () => {
    expect(ARBITRARY_PROBES).toEqual(expect.arrayContaining(['https://nco-probe.invalid', 'http://nco-probe.example']));
    expect(ARBITRARY_PROBES.some((p) => /^https:\/\/nco-probe-[0-9a-f]{12}\.invalid$/.test(p))).toBe(true);
    expect(ARBITRARY_PROBES.some((p) => /^http:\/\/ncoprobe[a-z]{6}\.invalid$/.test(p))).toBe(true);
    // A letters-only label catches RegExps that admit only letters.
    expect(new PolicySet({ supportsCredentials: true, origins: /https:\/\/[a-z]+\.invalid/ }).issues.issues.map((i) => i.rule)).toEqual(['any-origin-with-credentials']);
  });
});

describe('isPublicSuffix (tldts, ICANN and private sections)', () => {
  it.each([
    ['com', true], ['co.uk', true], ['github.io', true], ['s3.amazonaws.com', true], ['myshopify.com', true],
    ['example.com', false], ['app.github.io', false], ['localhost', false], ['corp', false], ['invalid', false],
    ['com.', true], ['github.io.', true], ['example.com.', false],
  ] as const)('%s → %s', (host, want) => {
    expect(isPublicSuffix(host)).toBe(want);
  });
});

describe('publicSuffixesIn: the suffixes a RegExp names', () => {
  it.each([
    { desc: 'escaped dots', re: /^https:\/\/[a-z]+\.myshopify\.com$/, want: ['myshopify.com', 'com'] },
    { desc: 'a domain under a suffix', re: /https:\/\/(a|b)\.example\.co\.uk/, want: ['co.uk', 'uk'] },
    { desc: 'no literal domain', re: /.*/, want: [] },
  ])('$desc', ({ re, want }) => {
    expect(publicSuffixesIn(re).sort()).toEqual([...want].sort());
  });

  it('reads a bounded number of literals from a huge RegExp', () => {
    const huge = new RegExp(Array.from({ length: 5000 }, (_, i) => `https:\\/\\/a${i}\\.example\\.com`).join('|'));
    expect(publicSuffixesIn(huge)).toEqual(['com']);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', false, true], ['app.localhost', false, true], ['localhost', true, true],
    ['127.0.0.1', false, true], ['127.1.2.3', false, true], ['[::1]', false, true], ['[0:0:0:0:0:0:0:1]', false, true],
    ['128.0.0.1', false, false], ['10.0.0.1', false, false], ['app.example', false, false], ['[::2]', false, false],
    ['localhost.evil.example', false, false], ['127.0.0.1', true, false],
    ['localhost.', false, true], ['app.localhost.', false, true], ['localhost.', true, true], ['127.0.0.1.', false, true],
    ['localhost.evil.example.', false, false],
  ] as const)('%s (any subdomain: %s) → %s', (host, anySubdomain, want) => {
    expect(isLoopbackHost(host, anySubdomain)).toBe(want);
  });
});
