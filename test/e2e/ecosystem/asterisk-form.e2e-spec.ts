// Issue 14, class 8: the asterisk-form request target (RFC 9112 §3.2.4), `OPTIONS *` and, as
// Node's parser also lets through, `GET *`. Its path is `*`, which no `resources` key matches
// (every key is a path starting with `/`), so no policy covers it: the response carries no CORS
// header, and the request goes to the app untouched, as it does without the library (SPEC §3
// rule 2 and README, Preflights: "A preflight to a route … that no resources entry covers
// reaches the app untouched"). A decorated catch-all route must not lend it its policy either.
import { Controller, Get, Header, Module, Param } from '@nestjs/common';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS } from '../../utility/adapters.js';
import { SERVED_BY, expectActual, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const ROOT_ORIGIN = 'https://root.test';
const SLUG_ORIGIN = 'https://slug.test';
const ORIGINS = [ROOT_ORIGIN, SLUG_ORIGIN];

const ROOT_ENTRY: Declared = { name: "'/*'", origins: [ROOT_ORIGIN], maxAge: 71, expose: 'x-entry-root' };
const SLUG: Declared = { name: 'SlugController.get', origins: [SLUG_ORIGIN], maxAge: 72, expose: 'x-slug' };

@CrossOrigin(optionsOf(SLUG))
@Controller()
class SlugController {
  @Get(':slug') @Header(SERVED_BY, 'slug') get(@Param('slug') slug: string) { return `slug ${slug}`; }
}

@Module({ imports: [CorsModule.forRoot({ resources: { '/*': optionsOf(ROOT_ENTRY) } })], controllers: [SlugController] })
class AppModule {}

const ACCESS_CONTROL = /^access-control-/;

/** The body as JSON, or as text when it is not (an empty preflight answer), for the failure message. */
function jsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

describe.each(ADAPTERS.flatMap((adapter) => STARTERS.map((s) => ({ adapter, ...s }))))('the asterisk-form target on $adapter.name ($how)', ({ adapter, start }) => {
  const s = startedForSuite(() => start(AppModule, adapter));

  it('the control case: origin-form targets get their policies', async () => {
    const slug = await send(s.port, 'GET', '/x', { Origin: SLUG_ORIGIN });
    expect(servedBy(slug)).toBe('slug');
    expectActual(slug, SLUG, SLUG_ORIGIN);
    const unrouted = await send(s.port, 'GET', '/x/y', { Origin: ROOT_ORIGIN });
    expectActual(unrouted, ROOT_ENTRY, ROOT_ORIGIN);
  });

  it.each(ORIGINS)('GET * from %s: no CORS header, never a 5xx', async (origin) => {
    const res = await send(s.port, 'GET', '*', { Origin: origin });
    expect(res.status).toBeLessThan(500);
    expect(Object.keys(res.headers).filter((k) => ACCESS_CONTROL.test(k))).toEqual([]);
  });

  it.each(ORIGINS)('OPTIONS * shaped as a preflight from %s: no CORS header, never a 5xx', async (origin) => {
    const res = await sendPreflight(s.port, '*', origin);
    expect(res.status).toBeLessThan(500);
    expect(Object.keys(res.headers).filter((k) => ACCESS_CONTROL.test(k))).toEqual([]);
  });

  it('OPTIONS * without a requested method: no CORS header', async () => {
    const res = await send(s.port, 'OPTIONS', '*', { Origin: ROOT_ORIGIN });
    expect(res.status).toBeLessThan(500);
    expect(Object.keys(res.headers).filter((k) => ACCESS_CONTROL.test(k))).toEqual([]);
  });

  // Untouched: what the app answers without the library (Nest's 404: no route serves `*`), and
  // no Vary, since no policy makes the response depend on the Origin.
  it.each<{ desc: string; method: string; headers: Record<string, string> }>([
    { desc: 'GET *', method: 'GET', headers: { Origin: ROOT_ORIGIN } },
    { desc: 'OPTIONS * (preflight)', method: 'OPTIONS', headers: { Origin: ROOT_ORIGIN, 'Access-Control-Request-Method': 'GET' } },
  ])('$desc reaches the app untouched: its own 404, no Vary added', async ({ method, headers }) => {
    const res = await send(s.port, method, '*', headers);
    expect({ status: res.status, vary: res.headers.vary, body: jsonOr(res.body) }).toEqual({
      status: 404,
      vary: undefined,
      body: expect.objectContaining({ statusCode: 404, message: `Cannot ${method} *` }),
    });
  });
});
