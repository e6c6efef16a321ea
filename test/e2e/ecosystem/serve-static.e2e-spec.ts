// SPEC §3 rule 6 through @nestjs/serve-static: files are served by express.static or
// @fastify/static, not by a Nest controller, so they get the `resources` policy of '/static*',
// never the policy of a Nest route whose pattern also matches the path. Where a Nest route does
// serve the path (Express dispatches in registration order), that route's policy applies.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import request from 'supertest';
import { CorsModule, CrossOrigin, type CorsModuleOptions } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { startApp, type Started } from './start.js';

const GLOBAL = 'http://app.test';
const STATIC = 'http://cdn.test';
const PAGES = 'http://pages.test';
const UPLOAD = 'http://upload.test';

const FILES: Record<string, string> = {
  'index.html': '<!doctype html><title>index from disk</title>',
  'hello.txt': 'hello from disk',
  'sub/deep.txt': 'deep from disk',
};

/** Two segments, like /static/hello.txt: matches every two-segment GET. */
@CrossOrigin({ origins: PAGES })
@Controller()
class PagesController {
  @Get(':a/:b') two(@Param('a') a: string, @Param('b') b: string) { return `pages ${a}/${b}`; }
}

/** POST only: its path pattern matches /static/<file>, but it never serves a GET. */
@CrossOrigin({ origins: UPLOAD })
@Controller('static')
class UploadController {
  @Post(':file') upload(@Param('file') file: string) { return `uploaded ${file}`; }
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nco-static-'));
  mkdirSync(join(root, 'sub'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(root, name), text);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function appModule(resources: CorsModuleOptions['resources']) {
  @Module({
    imports: [CorsModule.forRoot({ origins: [GLOBAL], resources }), ServeStaticModule.forRoot({ rootPath: root, serveRoot: '/static' })],
    controllers: [PagesController, UploadController],
  })
  class AppModule {}
  return AppModule;
}

/** What each framework answers for the directory URL /static. */
const DIRECTORY_STATUS = { Express: 301, Fastify: 404 } as const;

type Server = 'static' | 'pages' | 'upload';
const ADMITTED: Record<Server, string> = { static: STATIC, pages: PAGES, upload: UPLOAD };

/** Which handler answered, from the body: a file from disk, or one of the controllers. */
function servedBy(res: { text: string }): Server {
  if (Object.values(FILES).includes(res.text)) return 'static';
  if (res.text.startsWith('pages ')) return 'pages';
  if (res.text.startsWith('uploaded ')) return 'upload';
  throw new Error(`answered by no known handler: ${res.text}`);
}

describe.each(ADAPTERS)('@nestjs/serve-static on $name', (adapter) => {
  let s: Started;
  beforeAll(async () => {
    s = await startApp(appModule({ '/static*': { origins: STATIC }, '/*': {} }), adapter);
  });
  afterAll(() => s?.app.close());

  const get = (path: string, origin: string) => request(s.url).get(path).set('Origin', origin);
  const preflight = (path: string, origin: string, method = 'GET') =>
    request(s.url).options(path).set('Origin', origin).set('Access-Control-Request-Method', method);

  it('a file no Nest GET route matches is served from disk with the /static* policy', async () => {
    const res = await get('/static/sub/deep.txt', STATIC);
    expect([res.status, res.text]).toEqual([200, FILES['sub/deep.txt']]);
    expect(res.headers['access-control-allow-origin']).toBe(STATIC);
  });

  it.each([PAGES, UPLOAD, GLOBAL])('that file never gets another policy: %s is refused', async (origin) => {
    const res = await get('/static/sub/deep.txt', origin);
    expect([res.status, res.text]).toEqual([200, FILES['sub/deep.txt']]);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('its preflight is answered with the /static* policy, not the POST route of the same pattern', async () => {
    const allowed = await preflight('/static/sub/deep.txt', STATIC);
    expect([allowed.status, allowed.headers['access-control-allow-origin']]).toEqual([204, STATIC]);
    const refused = await preflight('/static/sub/deep.txt', UPLOAD);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  // /static/hello.txt is a file AND matches @Get(':a/:b'). Fastify's router prefers the static
  // file route over the parametric one; Express runs Nest's route, registered first. The body
  // says who served, and that handler's policy must be on the response.
  it(`/static/hello.txt is served by ${adapter.name === 'Fastify' ? 'the file' : 'the :a/:b route'} on ${adapter.name}`, async () => {
    expect(servedBy(await get('/static/hello.txt', STATIC))).toBe(adapter.name === 'Fastify' ? 'static' : 'pages');
  });

  it.each([STATIC, PAGES, UPLOAD])('GET /static/hello.txt from %s gets the policy of whichever handler serves it', async (origin) => {
    const res = await get('/static/hello.txt', origin);
    const server = servedBy(res);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ADMITTED[server] === origin ? origin : undefined);
    const pre = await preflight('/static/hello.txt', origin);
    expect(pre.headers['access-control-allow-origin']).toBe(ADMITTED[server] === origin ? origin : undefined);
  });

  it('POST /static/hello.txt is served by the upload route, with its policy', async () => {
    const res = await request(s.url).post('/static/hello.txt').set('Origin', UPLOAD);
    expect([res.status, servedBy(res)]).toEqual([201, 'upload']);
    expect(res.headers['access-control-allow-origin']).toBe(UPLOAD);
    const pre = await preflight('/static/hello.txt', UPLOAD, 'POST');
    expect([pre.status, pre.headers['access-control-allow-origin']]).toEqual([204, UPLOAD]);
    const preStatic = await preflight('/static/hello.txt', STATIC, 'POST');
    expect(preStatic.headers['access-control-allow-origin']).toBeUndefined();
  });

  // express.static redirects the directory URL to /static/; @fastify/static (wildcard: false)
  // routes only /static/, so /static is a 404 there. Both are CORS responses of '/static*'.
  it(`/static itself (${DIRECTORY_STATUS[adapter.name]} on ${adapter.name}) and /static/ get the /static* policy`, async () => {
    const bare = await get('/static', STATIC);
    expect([bare.status, bare.headers['access-control-allow-origin']]).toEqual([DIRECTORY_STATUS[adapter.name], STATIC]);
    const index = await get('/static/', STATIC);
    expect([index.status, index.text, index.headers['access-control-allow-origin']]).toEqual([200, FILES['index.html'], STATIC]);
  });
});

// The pitfall RECIPES.md explains: in a resources key, '/static/*' needs the literal '/static/',
// so the directory URL '/static' (which both frameworks answer) falls to the next entry.
describe.each(ADAPTERS)("resources '/static/*' on $name", (adapter) => {
  let s: Started;
  beforeAll(async () => {
    s = await startApp(appModule({ '/static/*': { origins: STATIC }, '/*': {} }), adapter);
  });
  afterAll(() => s?.app.close());

  it("misses /static, which gets the '/*' entry instead", async () => {
    const res = await request(s.url).get('/static').set('Origin', STATIC);
    expect([res.status, res.headers['access-control-allow-origin']]).toEqual([DIRECTORY_STATUS[adapter.name], undefined]);
    const global = await request(s.url).get('/static').set('Origin', GLOBAL);
    expect(global.headers['access-control-allow-origin']).toBe(GLOBAL);
  });

  it('still covers the files under it', async () => {
    const res = await request(s.url).get('/static/sub/deep.txt').set('Origin', STATIC);
    expect([res.text, res.headers['access-control-allow-origin']]).toEqual([FILES['sub/deep.txt'], STATIC]);
  });
});
