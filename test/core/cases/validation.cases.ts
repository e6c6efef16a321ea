import type { CorsConfigIssueReason, CorsModuleOptions } from '../../../lib/core/index.js';

/** One invalid configuration and the issues it must raise (option, reason), no more, no less. */
export interface InvalidCase {
  readonly desc: string;
  readonly options: unknown;
  readonly want: readonly { option: string; reason: CorsConfigIssueReason }[];
}

/** SPEC §6, a row per rule. Shared by the unit tests and the start-up e2e tests. */
export const INVALID_CASES: readonly InvalidCase[] = [
  { desc: 'credentials with origins "*" (explicit)', options: { origins: '*', supportsCredentials: true }, want: [{ option: 'supportsCredentials', reason: 'incompatible' }] },
  { desc: 'credentials with the default origins', options: { supportsCredentials: true }, want: [{ option: 'supportsCredentials', reason: 'incompatible' }] },
  { desc: 'credentials with "*" in a list', options: { origins: ['https://a.com', '*'], supportsCredentials: true }, want: [{ option: 'supportsCredentials', reason: 'incompatible' }] },
  { desc: 'credentials with exposeHeaders "*"', options: { origins: 'https://a.com', supportsCredentials: true, exposeHeaders: '*' }, want: [{ option: 'exposeHeaders', reason: 'incompatible' }] },
  { desc: 'origin with a path', options: { origins: 'https://a.com/app' }, want: [{ option: 'origins', reason: 'invalid' }] },
  { desc: 'origin with a trailing slash', options: { origins: ['https://a.com/'] }, want: [{ option: 'origins[0]', reason: 'invalid' }] },
  { desc: 'origin with a query', options: { origins: 'https://a.com?x=1' }, want: [{ option: 'origins', reason: 'invalid' }] },
  { desc: 'origin without scheme', options: { origins: ['https://ok.com', 'example.com'] }, want: [{ option: 'origins[1]', reason: 'invalid' }] },
  { desc: 'origin with userinfo', options: { origins: 'https://user@a.com' }, want: [{ option: 'origins', reason: 'invalid' }] },
  { desc: 'bad wildcard pattern', options: { origins: 'https://foo*.example.com' }, want: [{ option: 'origins', reason: 'invalid' }] },
  { desc: 'origin of the wrong type', options: { origins: [42] }, want: [{ option: 'origins[0]', reason: 'invalid' }] },
  { desc: 'empty origins list', options: { origins: [] }, want: [{ option: 'origins', reason: 'invalid' }] },
  { desc: 'comma-separated origins with a bad element', options: { origins: 'https://a.example, https://b.example/' }, want: [{ option: 'origins', reason: 'invalid' }] },
  { desc: 'comma-separated origins, two bad elements in an array entry', options: { origins: ['https://ok.example', 'b.example,https://c.example?x'] }, want: [{ option: 'origins[1]', reason: 'invalid' }, { option: 'origins[1]', reason: 'invalid' }] },
  { desc: 'comma-separated origins with no element', options: { origins: ' , ,' }, want: [{ option: 'origins', reason: 'invalid' }] },
  { desc: 'credentials with "*" inside a comma-separated list', options: { origins: 'https://a.example, *', supportsCredentials: true }, want: [{ option: 'supportsCredentials', reason: 'incompatible' }] },
  { desc: 'invalid method token', options: { methods: ['GET', 'BAD METHOD'] }, want: [{ option: 'methods[1]', reason: 'invalid' }] },
  { desc: 'empty method', options: { methods: '' }, want: [{ option: 'methods', reason: 'invalid' }] },
  { desc: 'forbidden CONNECT', options: { methods: ['CONNECT'] }, want: [{ option: 'methods[0]', reason: 'forbidden' }] },
  { desc: 'forbidden trace (any case)', options: { methods: 'GET, trace' }, want: [{ option: 'methods', reason: 'forbidden' }] },
  { desc: 'forbidden TRACK', options: { methods: ['TRACK'] }, want: [{ option: 'methods[0]', reason: 'forbidden' }] },
  { desc: 'invalid allowHeaders name', options: { allowHeaders: ['X-Ok', 'X Bad'] }, want: [{ option: 'allowHeaders[1]', reason: 'invalid' }] },
  { desc: 'invalid exposeHeaders name', options: { exposeHeaders: 'X-Total:' }, want: [{ option: 'exposeHeaders', reason: 'invalid' }] },
  { desc: 'RegExp in exposeHeaders', options: { exposeHeaders: [/x-.*/] }, want: [{ option: 'exposeHeaders[0]', reason: 'invalid' }] },
  { desc: 'negative maxAge', options: { maxAge: -1 }, want: [{ option: 'maxAge', reason: 'invalid' }] },
  { desc: 'fractional maxAge', options: { maxAge: 1.5 }, want: [{ option: 'maxAge', reason: 'invalid' }] },
  { desc: 'maxAge as a string', options: { maxAge: '600' }, want: [{ option: 'maxAge', reason: 'invalid' }] },
  { desc: 'boolean option of the wrong type', options: { supportsCredentials: 'yes' }, want: [{ option: 'supportsCredentials', reason: 'invalid' }] },
  { desc: 'unknown option', options: { origin: 'https://a.com' }, want: [{ option: 'origin', reason: 'unknown-option' }] },
  { desc: 'resource pattern not a path', options: { resources: { 'api/*': {} } }, want: [{ option: 'resources["api/*"]', reason: 'invalid' }] },
  { desc: 'resource pattern in regex syntax', options: { resources: ['/api/.*'] }, want: [{ option: 'resources["/api/.*"]', reason: 'invalid' }] },
  { desc: 'resources of the wrong type', options: { resources: 5 }, want: [{ option: 'resources', reason: 'invalid' }] },
  { desc: 'resource pattern with a route parameter', options: { resources: ['/users/:id'] }, want: [{ option: 'resources["/users/:id"]', reason: 'invalid' }] },
  { desc: 'unknown option inside a resource', options: { resources: { '/api/*': { credentials: true } } }, want: [{ option: 'credentials', reason: 'unknown-option' }] },
  { desc: 'unknown option inside a policy', options: { policies: { p: { allowedHeaders: ['x'] } } }, want: [{ option: 'allowedHeaders', reason: 'unknown-option' }] },
  { desc: 'module-only option inside a policy', options: { policies: { p: { resources: '/*' } } }, want: [{ option: 'resources', reason: 'invalid' }] },
  { desc: 'a policy that is not an object', options: { policies: { p: null } }, want: [{ option: 'options', reason: 'invalid' }] },
  { desc: 'policies that are not an object', options: { policies: ['p'] }, want: [{ option: 'policies', reason: 'invalid' }] },
  { desc: 'invalid option inside a resource', options: { resources: { '/api/*': { maxAge: -5 } } }, want: [{ option: 'maxAge', reason: 'invalid' }] },
  { desc: 'invalid option inside a policy', options: { policies: { p: { methods: ['TRACE'] } } }, want: [{ option: 'methods[0]', reason: 'forbidden' }] },
  { desc: 'debug not a boolean', options: { debug: 1 }, want: [{ option: 'debug', reason: 'invalid' }] },
  { desc: 'originTimeout 0', options: { originTimeout: 0 }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout negative', options: { originTimeout: -50 }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout fractional', options: { originTimeout: 12.5 }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout infinite', options: { originTimeout: Infinity }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout NaN', options: { originTimeout: NaN }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout past the longest timer delay', options: { originTimeout: 2 ** 31 }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout as a string', options: { originTimeout: '5000' }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout inside a policy (forRoot only)', options: { policies: { p: { originTimeout: 50 } } }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  { desc: 'originTimeout inside a resource (forRoot only)', options: { resources: { '/api/*': { originTimeout: 50 } } }, want: [{ option: 'originTimeout', reason: 'invalid' }] },
  {
    desc: 'multiple problems are all reported',
    options: { origins: ['https://a.com/'], methods: ['TRACE'], maxAge: -1, exposeHeaders: 'bad name', colour: 'red' },
    want: [
      { option: 'colour', reason: 'unknown-option' },
      { option: 'origins[0]', reason: 'invalid' },
      { option: 'methods[0]', reason: 'forbidden' },
      { option: 'exposeHeaders', reason: 'invalid' },
      { option: 'maxAge', reason: 'invalid' },
    ],
  },
];

/** Valid configurations that must not raise anything. */
export const VALID_CASES: readonly { desc: string; options: CorsModuleOptions }[] = [
  { desc: 'nothing', options: {} },
  { desc: 'credentials with a list', options: { origins: ['https://a.com', 'https://*.b.com'], supportsCredentials: true } },
  { desc: 'credentials with a RegExp', options: { origins: /https:\/\/.*\.a\.com/, supportsCredentials: true } },
  { desc: 'credentials with a predicate', options: { origins: () => true, supportsCredentials: true } },
  { desc: 'null listed', options: { origins: ['null'] } },
  { desc: 'maxAge 0', options: { maxAge: 0 } },
  { desc: 'comma-separated methods', options: { methods: 'GET, POST' } },
  { desc: 'sendWildcard with star', options: { origins: '*', sendWildcard: true } },
  { desc: 'resources and policies', options: { resources: { '/api/*': { origins: 'https://a.com' }, '/public': {} }, policies: { p: { maxAge: 5 } } } },
  { desc: 'any port pattern', options: { origins: 'http://localhost:*' } },
  { desc: 'IPv6 origin', options: { origins: 'http://[::1]:8000' } },
  { desc: 'comma-separated origins, as an environment variable gives them', options: { origins: 'https://a.example, https://*.b.example ,http://localhost:*' } },
  { desc: 'comma-separated origins with empty elements', options: { origins: 'https://a.example,,https://b.example,' } },
  { desc: 'comma-separated origins inside an array, with credentials', options: { origins: [/^https:\/\/x\.example$/, 'https://a.example,https://b.example'], supportsCredentials: true } },
  { desc: 'originTimeout 1 ms', options: { originTimeout: 1 } },
  { desc: 'originTimeout at the longest timer delay', options: { originTimeout: 2 ** 31 - 1 } },
];
