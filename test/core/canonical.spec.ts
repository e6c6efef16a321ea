// Origin entries no browser's Origin can equal (README "Validation at start-up"): what the URL
// standard's host parser makes of them, with the spelling browsers send when one exists.
import { unreachableOrigin } from '../../lib/core/index.js';
import { REACHABLE_ORIGINS, UNREACHABLE_ORIGINS } from './cases/canonical.cases.js';

describe('unreachableOrigin', () => {
  it.each(UNREACHABLE_ORIGINS)('refuses $desc', ({ input, canonical, detail }) => {
    const problem = unreachableOrigin(input);
    expect(problem).not.toBeNull();
    expect(problem!.canonical).toBe(canonical);
    expect(problem!.detail).toMatch(detail);
    if (canonical !== undefined) expect(problem!.detail).toContain(`Write ${JSON.stringify(canonical)}`);
  });

  it.each(REACHABLE_ORIGINS)('accepts $desc', ({ input }) => {
    expect(unreachableOrigin(input)).toBeNull();
  });

  it('names the canonical form the URL parser gives, for every refusal that has one', () => {
    for (const { input, canonical } of UNREACHABLE_ORIGINS) {
      if (canonical === undefined || input.includes('*')) continue;
      expect(new URL(canonical).origin).toBe(canonical);
    }
  });
});
