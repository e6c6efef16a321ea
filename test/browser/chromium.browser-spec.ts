// Which browser the suite drives, and the error when there is none: a missing browser must fail
// the suite with instructions, never skip it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { resolveChromium } from './chromium.js';

let dir: string;
let fakeChromium: string;
let notExecutable: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chromium-resolve-'));
  fakeChromium = join(dir, 'chromium');
  writeFileSync(fakeChromium, '#!/bin/sh\n');
  chmodSync(fakeChromium, 0o755);
  notExecutable = join(dir, 'readme.txt');
  writeFileSync(notExecutable, 'not a browser\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveChromium', () => {
  it('takes CHROMIUM_PATH when it names an executable file', () => {
    expect(resolveChromium({ env: { CHROMIUM_PATH: fakeChromium }, locations: [] })).toBe(fakeChromium);
  });

  it.each([
    { desc: 'a path that does not exist', value: () => join(dir, 'no-such-browser') },
    { desc: 'a file that is not executable', value: () => notExecutable },
    { desc: 'a directory', value: () => dir },
  ])('refuses a CHROMIUM_PATH that is $desc, naming it, even when a browser is elsewhere', ({ value }) => {
    const bogus = value();
    const search = () => resolveChromium({ env: { CHROMIUM_PATH: bogus, PATH: dir }, locations: [fakeChromium] });
    expect(search).toThrow(`CHROMIUM_PATH is ${JSON.stringify(bogus)}, which is not an executable file`);
  });

  it('without CHROMIUM_PATH, takes the first usual location that exists', () => {
    expect(resolveChromium({ env: {}, locations: [join(dir, 'absent'), fakeChromium] })).toBe(fakeChromium);
  });

  it('then looks on PATH', () => {
    expect(resolveChromium({ env: { PATH: ['/nonexistent', dir].join(delimiter) }, locations: [] })).toBe(fakeChromium);
  });

  it('fails with instructions when no browser is anywhere', () => {
    const search = () => resolveChromium({ env: { PATH: '/nonexistent' }, locations: [join(dir, 'absent')] });
    expect(search).toThrow(/^No Chromium or Chrome found for the browser suite\. Install one \(Debian: apt-get install -y chromium\) or set CHROMIUM_PATH/);
    expect(search).toThrow(join(dir, 'absent'));
  });

  it('an empty CHROMIUM_PATH counts as unset', () => {
    expect(resolveChromium({ env: { CHROMIUM_PATH: '  ', PATH: dir }, locations: [] })).toBe(fakeChromium);
  });
});
