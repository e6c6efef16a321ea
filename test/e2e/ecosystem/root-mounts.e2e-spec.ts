// Issue 14, class 2 (SPEC §3 rule 6): handlers mounted at the root are seen. Static files
// without a prefix (`app.useStaticAssets(dir)`), static files under a prefix, and an
// express.Router (Express) or instance routes (Fastify) serving `/legacy`, next to a looser
// `@Get(':slug')`. A response gets the policy of the handler that served it: the `resources`
// entry of its path for a file or the router's route, the slug's own for the slug. On Express a
// root static directory may serve any path, so a preflight there gets only what the static
// entry and the Nest route both allow; Fastify routes a preflight's path itself, to one handler.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Header, Module, Param, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../../utility/adapters.js';
import { SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const BOTH = 'https://both.test'; // the root entry and the slug
const FILES = 'https://files.test'; // the root entry only
const SLUG_ONLY = 'https://slug.test'; // the slug only
const LEGACY = 'https://legacy.test'; // the /legacy entry, and the slug
const ASSETS = 'https://assets.test'; // the /assets/* entry, and the slug
const ORIGINS = [BOTH, FILES, SLUG_ONLY, LEGACY, ASSETS];

const ROOT_ENTRY: Declared = { name: "'/*'", origins: [BOTH, FILES], maxAge: 40, expose: 'x-entry-root' };
const LEGACY_ENTRY: Declared = { name: "'/legacy'", origins: [LEGACY], maxAge: 30, expose: 'x-entry-legacy' };
const ASSETS_ENTRY: Declared = { name: "'/assets/*'", origins: [ASSETS], maxAge: 20, expose: 'x-entry-assets' };
/** Looser than every entry: it admits the legacy and assets origins too. */
const SLUG: Declared = { name: 'SlugController.get', origins: [BOTH, SLUG_ONLY, LEGACY, ASSETS], maxAge: 50, expose: 'x-slug' };

@CrossOrigin(optionsOf(SLUG))
@Controller()
class SlugController {
  @Get(':slug') @Header(SERVED_BY, 'slug') get(@Param('slug') slug: string) { return `slug ${slug}`; }
}

@Module({
  imports: [CorsModule.forRoot({ resources: { '/legacy': optionsOf(LEGACY_ENTRY), '/assets/*': optionsOf(ASSETS_ENTRY), '/*': optionsOf(ROOT_ENTRY) } })],
  controllers: [SlugController],
})
class AppModule {}

// Each file's text starts with the name its directory's handler gives in x-served-by.
const ROOT_FILES = { 'logo.txt': 'static logo.txt', 'sub/deep.txt': 'static sub/deep.txt' };
const ASSET_FILES = { 'asset.txt': 'assets asset.txt' };
const dirs = { root: mkdtempSync(join(tmpdir(), 'nco-root-')), assets: mkdtempSync(join(tmpdir(), 'nco-assets-')) };
mkdirSync(join(dirs.root, 'sub'));
for (const [name, text] of Object.entries(ROOT_FILES)) writeFileSync(join(dirs.root, name), text);
for (const [name, text] of Object.entries(ASSET_FILES)) writeFileSync(join(dirs.assets, name), text);
afterAll(() => {
  rmSync(dirs.root, { recursive: true, force: true });
  rmSync(dirs.assets, { recursive: true, force: true });
});

/**
 * A static handler's `setHeaders`, naming it. express.static passes the Node response;
 * @fastify/static 10 passes the reply (`header()`), where older releases passed an object with
 * `setHeader()`.
 */
function naming(name: string) {
  return (res: { setHeader?(key: string, value: string): unknown; header?(key: string, value: string): unknown }): void => {
    if (res.header) res.header(SERVED_BY, name);
    else res.setHeader?.(SERVED_BY, name);
  };
}

const require = createRequire(import.meta.url);
interface ExpressRouter {
  get(path: string, handler: (req: { method: string }, res: ServerResponse) => void): void;
}

/** Everything mounted before listen(), so before Nest registers its routes, as an app's main.ts does. */
function mount(app: INestApplication, adapter: AdapterCase): void {
  if (adapter.name === 'Express') {
    const express = app as NestExpressApplication;
    express.useStaticAssets(dirs.root, { setHeaders: naming('static') });
    express.useStaticAssets(dirs.assets, { prefix: '/assets', setHeaders: naming('assets') });
    const router = (require('express') as { Router(): ExpressRouter }).Router();
    router.get('/legacy', (req, res) => {
      res.setHeader(SERVED_BY, 'legacy');
      res.end(`legacy ${req.method}`);
    });
    express.use(router);
  } else {
    const fastify = app as NestFastifyApplication;
    fastify.useStaticAssets({ root: dirs.root, setHeaders: naming('static') });
    fastify.useStaticAssets({ root: dirs.assets, prefix: '/assets/', decorateReply: false, setHeaders: naming('assets') });
    fastify.getHttpAdapter().getInstance().get('/legacy', (_req, reply) => {
      reply.header(SERVED_BY, 'legacy').type('text/plain').send('legacy GET');
    });
  }
}

type Candidate = 'entry' | 'slug';

interface Case {
  readonly target: string;
  /** The `resources` entry of the path: the policy of a file or a foreign route served there. */
  readonly entry: Declared;
  /** Who may serve a GET there, as far as a preflight can know: per adapter. */
  readonly preflight: Record<AdapterCase['name'], readonly Candidate[]>;
}

const CASES: readonly Case[] = [
  // One segment: a root file matches ':slug' too. Express tries the static directory first and
  // falls through to ':slug' when no such file exists; Fastify prefers ':slug' to static's '/*'.
  { target: '/logo.txt', entry: ROOT_ENTRY, preflight: { Express: ['entry', 'slug'], Fastify: ['slug'] } },
  { target: '/cats', entry: ROOT_ENTRY, preflight: { Express: ['entry', 'slug'], Fastify: ['slug'] } },
  // Two segments: only the static directory serves it.
  { target: '/sub/deep.txt', entry: ROOT_ENTRY, preflight: { Express: ['entry'], Fastify: ['entry'] } },
  // The router's (instance's) route: it always answers, so ':slug' never serves /legacy.
  { target: '/legacy', entry: LEGACY_ENTRY, preflight: { Express: ['entry'], Fastify: ['entry'] } },
  // Under the prefix: only the static handlers, whose path is under '/assets/*'.
  { target: '/assets/asset.txt', entry: ASSETS_ENTRY, preflight: { Express: ['entry'], Fastify: ['entry'] } },
];

const WHO = ADAPTERS.flatMap((adapter) => STARTERS.map((s) => ({ adapter, ...s })));

describe.each(WHO)('handlers mounted at the root, beside @Get(":slug"), on $adapter.name ($how)', ({ adapter, start }) => {
  const s = startedForSuite(() => start(AppModule, adapter, (app) => mount(app, adapter)));

  const policyOf = (server: string, c: Case): Declared => (server === 'slug' ? SLUG : c.entry);

  it('each handler is reachable, and says who it is', async () => {
    const served = await Promise.all(CASES.map(async (c) => [c.target, servedBy(await send(s.port, 'GET', c.target))]));
    expect(Object.fromEntries(served)).toEqual({
      '/logo.txt': adapter.name === 'Express' ? 'static' : 'slug',
      '/cats': 'slug',
      '/sub/deep.txt': 'static',
      '/legacy': 'legacy',
      '/assets/asset.txt': 'assets',
    });
  });

  it.each(CASES.flatMap((c) => ORIGINS.map((origin) => ({ ...c, origin }))))(
    'GET $target from $origin gets the policy of the handler that served it',
    async (c) => {
      const res = await send(s.port, 'GET', c.target, { Origin: c.origin });
      expectActual(res, policyOf(servedBy(res), c), c.origin);
    },
  );

  it.each(CASES.flatMap((c) => ORIGINS.map((origin) => ({ ...c, origin }))))(
    'the preflight of GET $target from $origin gets only what every handler that may serve it allows',
    async (c) => {
      const candidates = c.preflight[adapter.name].map((k) => (k === 'slug' ? SLUG : c.entry));
      // The handler that serves the GET is always one of them: the preflight never admits what it refuses.
      const server = servedBy(await send(s.port, 'GET', c.target));
      expect(candidates).toContain(policyOf(server, c));
      expectPreflight(await sendPreflight(s.port, c.target, c.origin), candidates, c.origin);
    },
  );
});
