// Express only: a router mounted on a path answers an OPTIONS that none of its routes handles
// itself (200, with their methods in Allow). No handler ran and the method is unrouted, so the
// response gets the `resources` entry of the request's path, as Express's answer at the app's
// own end does (SPEC §3 rule 3); a GET the router's route serves gets its route's spelling
// after the mount's (rule 6). Express routes case-insensitively by default, so `/Teams/…`
// reaches the router mounted on `/teams` and the two readings choose different entries.
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Module } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CorsModule } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { SERVED_BY, expectActual, optionsOf, send, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const TEAMS = 'https://teams.test';
const ROOT = 'https://root.test';
const TEAMS_ENTRY: Declared = { name: "'/teams/*'", origins: [TEAMS], maxAge: 30, expose: 'x-teams' };
const ROOT_ENTRY: Declared = { name: "'/*'", origins: [ROOT], maxAge: 40, expose: 'x-root' };

@Module({ imports: [CorsModule.forRoot({ resources: { '/teams/*': optionsOf(TEAMS_ENTRY), '/*': optionsOf(ROOT_ENTRY) } })] })
class AppModule {}

interface ExpressRouter {
  get(path: string, handler: (req: unknown, res: ServerResponse) => void): void;
}
const require = createRequire(import.meta.url);

describe.each(STARTERS)('an Express router answering OPTIONS itself ($how)', ({ start }) => {
  const s = startedForSuite(() => start(AppModule, ADAPTERS[0], (app) => {
    const router = (require('express') as { Router(): ExpressRouter }).Router();
    router.get('/billing/:bid', (_req, res) => {
      res.setHeader(SERVED_BY, 'router');
      res.end('router billing');
    });
    (app as NestExpressApplication).use('/teams', router);
  }));

  it.each([TEAMS, ROOT])('OPTIONS /Teams/billing/7 from %s: the entry of the request path', async (origin) => {
    const res = await send(s.port, 'OPTIONS', '/Teams/billing/7', { Origin: origin });
    expect([res.status, res.headers.allow]).toEqual([200, 'GET, HEAD']);
    expectActual(res, ROOT_ENTRY, origin);
  });

  it.each([TEAMS, ROOT])('GET /Teams/billing/7 from %s: the router route, spelt after the mount', async (origin) => {
    const res = await send(s.port, 'GET', '/Teams/billing/7', { Origin: origin });
    expect(servedBy(res)).toBe('router');
    expectActual(res, TEAMS_ENTRY, origin);
  });
});
