// Express's static files read the decoded path through Node's path.normalize (serve-static's
// `send`): `dir/%2e` is the directory `dir`, `dir/%2e%2e` the mount's own directory. The
// `resources` entry is chosen on that path, the file or directory they answered for (with a
// redirect for a directory), on the actual request and its preflight alike: never on the
// request path's RFC 3986 reading (`dir/`), whose entry may be looser.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CorsModule } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Answer, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const MOUNT: Declared = { name: "'/files'", origins: ['https://mount.test'], maxAge: 10, expose: 'x-mount' };
const DIR: Declared = { name: "'/files/dir'", origins: ['https://dir.test'], maxAge: 20, expose: 'x-dir' };
const FILES: Declared = { name: "'/files/*'", origins: ['https://files.test'], maxAge: 30, expose: 'x-files' };
/** The looser entry every other reading of these paths would pick. */
const ROOT: Declared = { name: "'/*'", origins: ['https://mount.test', 'https://dir.test', 'https://files.test', 'https://root.test'], maxAge: 40, expose: 'x-root' };
const ORIGINS = ROOT.origins;

@Module({
  imports: [CorsModule.forRoot({ resources: { '/files': optionsOf(MOUNT), '/files/dir': optionsOf(DIR), '/files/dir/*': optionsOf(FILES), '/*': optionsOf(ROOT) } })],
})
class AppModule {}

const root = mkdtempSync(join(tmpdir(), 'nco-dots-'));
mkdirSync(join(root, 'dir'));
writeFileSync(join(root, 'dir', 'a.txt'), 'static a.txt');
// Each directory's index names it: following serve-static's redirect tells which one it answered for.
writeFileSync(join(root, 'dir', 'index.html'), 'static index of dir');
writeFileSync(join(root, 'index.html'), 'static index of the mount');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Who answers: the file (it names itself), or serve-static's redirect for a directory, named
 * by the index file the redirect leads to (serve-static, not the test, says which directory).
 */
async function who(port: number, res: Answer): Promise<string> {
  if (res.status !== 301 || typeof res.headers.location !== 'string') return servedBy(res);
  const index = await send(port, 'GET', res.headers.location);
  expect([index.status, servedBy(index)]).toEqual([200, 'static']);
  return `directory: ${index.body}`;
}

const CASES = [
  { target: '/files/dir/a.txt', served: 'static', entry: FILES },
  { target: '/files/dir/%2e', served: 'directory: static index of dir', entry: DIR },
  { target: '/files/dir/a.txt/%2e%2e', served: 'directory: static index of dir', entry: DIR },
  { target: '/files/dir/%2e%2e', served: 'directory: static index of the mount', entry: MOUNT },
];

const EXPRESS = ADAPTERS.filter((a) => a.name === 'Express');
const WHO = EXPRESS.flatMap((adapter) => STARTERS.map((s) => ({ adapter, ...s })));

describe.each(WHO)('static paths with dot segments on $adapter.name ($how)', ({ adapter, start }) => {
  const s = startedForSuite(() => start(AppModule, adapter, (app) => {
    (app as NestExpressApplication).useStaticAssets(root, {
      prefix: '/files',
      setHeaders: (res: ServerResponse) => res.setHeader(SERVED_BY, 'static'),
    });
  }));
  const cases = CASES.flatMap((c) => ORIGINS.map((origin) => ({ ...c, origin })));

  it('each target is answered by what the case says', async () => {
    for (const c of CASES) expect([c.target, await who(s.port, await send(s.port, 'GET', c.target))]).toEqual([c.target, c.served]);
  });

  it.each(cases)('GET $target from $origin gets $entry.name', async ({ target, origin, entry }) => {
    expectActual(await send(s.port, 'GET', target, { Origin: origin }), entry, origin);
  });

  it.each(cases)('the preflight of GET $target from $origin gets $entry.name', async ({ target, origin, entry }) => {
    expectPreflight(await sendPreflight(s.port, target, origin), [entry], origin);
  });
});
