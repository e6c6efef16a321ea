import { compileResources, matchResource, matchesGlob, normalizeRequestPath } from '../../lib/core/index.js';

function winner(entries: [string, string][], path: string): string | undefined {
  return matchResource(compileResources(entries), path)?.policy;
}

describe('resources matching (SPEC §3 rules 2 and 4)', () => {
  it.each([
    { desc: '/api/* matches deeper paths', pattern: '/api/*', path: '/api/x/y', want: true },
    { desc: '/api/* matches /api/', pattern: '/api/*', path: '/api/', want: true },
    { desc: '/api/* does not match /api', pattern: '/api/*', path: '/api', want: false },
    { desc: '/api/* does not match /apiary', pattern: '/api/*', path: '/apiary', want: false },
    { desc: 'a literal matches only itself', pattern: '/public', path: '/public/x', want: false },
    { desc: 'case-sensitive (CVE-2024-6866)', pattern: '/Admin/*', path: '/admin/x', want: false },
    { desc: '"+" is literal', pattern: '/service+path', path: '/service+path', want: true },
    { desc: '"+" is not a regex quantifier', pattern: '/service+path', path: '/serviceepath', want: false },
    { desc: '"." is literal', pattern: '/a.json', path: '/abjson', want: false },
    { desc: '"*" alone is everything', pattern: '*', path: '/any/thing', want: true },
    { desc: '"*" crosses decoded line breaks', pattern: '/api/*', path: '/api/\r\nx', want: true },
  ])('$desc', ({ pattern, path, want }) => {
    expect(winner([[pattern, 'p']], path) === 'p').toBe(want);
  });

  const orders: [string, string][][] = [
    [['/*', 'permissive'], ['/api/v1/*', 'api'], ['/api/v1/secure', 'strict']],
    [['/api/v1/secure', 'strict'], ['/api/v1/*', 'api'], ['/*', 'permissive']],
    [['/api/v1/*', 'api'], ['/*', 'permissive'], ['/api/v1/secure', 'strict']],
  ];
  it.each(orders)('the most specific entry wins whatever the insertion order (CVE-2024-6839) %#', (...entries) => {
    expect(winner(entries, '/api/v1/secure')).toBe('strict');
    expect(winner(entries, '/api/v1/other')).toBe('api');
    expect(winner(entries, '/elsewhere')).toBe('permissive');
  });

  it('more segments beat fewer, then longer beats shorter', () => {
    expect(winner([['/a*', 'short'], ['/a/b/*', 'deep']], '/a/b/c')).toBe('deep');
    expect(winner([['/api/*', 'short'], ['/api/items*', 'long']], '/api/items/1')).toBe('long');
  });
});

describe('normalizeRequestPath', () => {
  it.each([
    { desc: 'plain', raw: '/api/cats', want: '/api/cats' },
    { desc: 'percent-decoded', raw: '/service%20path', want: '/service path' },
    { desc: '"+" kept (CVE-2024-6844)', raw: '/service+path', want: '/service+path' },
    { desc: 'dot-dot resolved (CVE-2020-25032)', raw: '/api/../secret', want: '/secret' },
    { desc: 'encoded dots resolved', raw: '/api/%2e%2e/secret', want: '/secret' },
    { desc: 'encoded slashes and dots resolved', raw: '/api%2F..%2Fsecret', want: '/secret' },
    { desc: 'single dots dropped', raw: '/a/./b/.', want: '/a/b/' },
    { desc: 'cannot climb above the root', raw: '/../../x', want: '/x' },
    { desc: 'malformed escape kept as sent', raw: '/a%zz/b', want: '/a%zz/b' },
    { desc: 'a malformed escape does not stop dot resolution', raw: '/api/%2e%2e/secret%zz', want: '/secret%zz' },
    { desc: 'nor slash decoding', raw: '/api%2F..%2Fsecret%E0', want: '/secret%E0' },
  ])('$desc', ({ raw, want }) => {
    expect(normalizeRequestPath(raw)).toBe(want);
  });
});

describe('matchesGlob', () => {
  function viaRegExp(pattern: string, path: string): boolean {
    const source = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    return new RegExp(`^${source}$`, 's').test(path);
  }

  it.each([
    ['/api/*', '/api/'], ['/api/*', '/api'], ['/*/docs/*.pdf', '/a/docs/b.pdf'], ['/*/docs/*.pdf', '/a/docs/b.pdfx'],
    ['/a*b*c', '/abc'], ['/a*b*c', '/aXbYc'], ['/a*b*c', '/acb'], ['/a*a', '/a'], ['/a*a', '/aa'], ['*', ''], ['/x**y', '/xy'],
    ['/*/*/*x', '/a/b/c/x'], ['/*/*/*x', '/a/b/x'], ['/ab*ba', '/aba'], ['/ab*ba', '/abba'],
  ])('%p on %p agrees with the RegExp reading', (pattern, path) => {
    expect(matchesGlob(pattern.split('*'), path)).toBe(viaRegExp(pattern, path));
  });

  it('answers at once on paths that made the backtracking RegExp take seconds', () => {
    // The old RegExp took ~2.5 s on the first and ~60 ms on the second; Jest's timeout fails a regression.
    expect(matchesGlob('/*/*/*x'.split('*'), '/' + '/'.repeat(4000))).toBe(false);
    expect(matchesGlob('/*/docs/*.pdf'.split('*'), '/a' + '/docs/'.repeat(2500))).toBe(false);
  });
});
