import { appendVary, checkRequestHeaders, compileHeaderMatcher, MAX_ACRH_NAMES, MAX_EMPTY_ELEMENTS } from '../../lib/core/index.js';

const any = compileHeaderMatcher(['*']);
const listed = compileHeaderMatcher(['X-Example-Header-A', 'content-type', /x-company-.*/]);

describe('checkRequestHeaders', () => {
  it.each([
    { desc: 'absent', m: any, acrh: undefined, allowed: null, refused: null },
    { desc: 'empty', m: any, acrh: '', allowed: null, refused: null },
    { desc: 'star echoes every name as sent', m: any, acrh: 'x-b,X-A', allowed: 'x-b, X-A', refused: null },
    { desc: 'listed, client casing kept', m: listed, acrh: 'X-Example-header-a', allowed: 'X-Example-header-a', refused: null },
    { desc: 'RegExp, case-insensitive', m: listed, acrh: 'X-COMPANY-FOO', allowed: 'X-COMPANY-FOO', refused: null },
    { desc: 'RegExp anchored', m: listed, acrh: 'my-x-company-foo', allowed: null, refused: 'my-x-company-foo' },
    { desc: 'partial', m: listed, acrh: 'content-type, x-not-found', allowed: 'content-type', refused: 'x-not-found' },
    { desc: 'none', m: listed, acrh: 'x-not-found', allowed: null, refused: 'x-not-found' },
    { desc: 'whitespace and empty elements tolerated', m: any, acrh: ' ,,a ,\tb,, ', allowed: 'a, b', refused: null },
    { desc: 'non-token never echoed', m: any, acrh: 'a,b c,d', allowed: 'a, d', refused: 'b c' },
    { desc: 'non-ascii never echoed', m: any, acrh: 'x-é', allowed: null, refused: 'x-é' },
  ])('$desc', ({ m, acrh, allowed, refused }) => {
    const r = checkRequestHeaders(m, acrh);
    expect(r.allowed).toBe(allowed);
    expect(r.refused).toBe(refused);
    expect(r.overLimit).toBe(false);
  });

  it(`accepts ${MAX_ACRH_NAMES} names and refuses one more`, () => {
    const names = Array.from({ length: MAX_ACRH_NAMES + 1 }, (_, i) => `x-h${i}`);
    const ok = checkRequestHeaders(any, names.slice(0, MAX_ACRH_NAMES).join(','));
    expect(ok.overLimit).toBe(false);
    expect(ok.allowed!.split(', ')).toHaveLength(MAX_ACRH_NAMES);
    const over = checkRequestHeaders(any, names.join(','));
    expect(over).toEqual({ allowed: null, refused: null, overLimit: true });
  });

  it(`accepts ${MAX_EMPTY_ELEMENTS} empty elements and refuses one more (jub0bs/cors's bound)`, () => {
    expect(checkRequestHeaders(any, `${','.repeat(MAX_EMPTY_ELEMENTS - 1)}authorization`).allowed).toBe('authorization');
    expect(checkRequestHeaders(any, `authorization${','.repeat(MAX_EMPTY_ELEMENTS + 1)}`).overLimit).toBe(true);
  });
});

describe('appendVary', () => {
  it.each([
    { desc: 'absent', current: undefined, want: 'Origin' },
    { desc: 'empty', current: '', want: 'Origin' },
    { desc: 'appends', current: 'Accept-Encoding', want: 'Accept-Encoding, Origin' },
    { desc: 'never duplicates, any case', current: 'accept-encoding, origin', want: 'accept-encoding, origin' },
    { desc: 'star covers everything', current: '*', want: '*' },
    { desc: 'array form', current: ['A', 'B'], want: 'A, B, Origin' },
  ])('$desc', ({ current, want }) => {
    expect(appendVary(current as never, 'Origin')).toBe(want);
  });
});
