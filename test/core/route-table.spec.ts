import { RouteTable, type RouteRecord } from '../../lib/nest/route-table.js';

function table(flavor: 'express' | 'fastify', routes: [string, string, string?][], caseSensitive = flavor === 'fastify', ignoreTrailingSlash = flavor === 'express') {
  const records: RouteRecord<string>[] = routes.map(([method, path, host], i) => ({ method, path, hosts: host ? [host] : null, target: `${method} ${path}#${i}` }));
  return new RouteTable(records, flavor, { caseSensitive, ignoreTrailingSlash });
}

describe('RouteTable', () => {
  it.each(['express', 'fastify'] as const)('%s: static, parametric, method, HEAD and ALL', (flavor) => {
    const t = table(flavor, [['GET', '/cats'], ['POST', '/cats'], ['GET', '/cats/:id'], ['ALL', '/any'], ['GET', '/v1/api/dogs/:id/toys']]);
    expect(t.find('GET', '/cats', undefined)).toBe('GET /cats#0');
    expect(t.find('POST', '/cats', undefined)).toBe('POST /cats#1');
    expect(t.find('PUT', '/cats', undefined)).toBeUndefined();
    expect(t.find('GET', '/cats/42', undefined)).toBe('GET /cats/:id#2');
    expect(t.find('HEAD', '/cats/42', undefined)).toBe('GET /cats/:id#2');
    expect(t.find('DELETE', '/any', undefined)).toBe('ALL /any#3');
    expect(t.find('GET', '/v1/api/dogs/7/toys', undefined)).toBe('GET /v1/api/dogs/:id/toys#4');
    expect(t.find('GET', '/cats/42/extra', undefined)).toBeUndefined();
    expect(t.find('GET', '/nothing', undefined)).toBeUndefined();
  });

  it('express: the first registered route wins, as Express dispatches', () => {
    const t = table('express', [['GET', '/cats/:id'], ['GET', '/cats/new']]);
    expect(t.find('GET', '/cats/new', undefined)).toBe('GET /cats/:id#0');
  });

  it('fastify: static beats parametric whatever the order, as find-my-way', () => {
    const t = table('fastify', [['GET', '/cats/:id'], ['GET', '/cats/new']]);
    expect(t.find('GET', '/cats/new', undefined)).toBe('GET /cats/new#1');
    expect(t.find('GET', '/cats/1', undefined)).toBe('GET /cats/:id#0');
  });

  it('express: case-insensitive and trailing slash tolerant by default', () => {
    const t = table('express', [['GET', '/Cats'], ['GET', '/dogs/:id']]);
    expect(t.find('GET', '/cats/', undefined)).toBe('GET /Cats#0');
    expect(t.find('GET', '/DOGS/1', undefined)).toBe('GET /dogs/:id#1');
  });

  it('fastify: case-sensitive and strict by default', () => {
    const t = table('fastify', [['GET', '/Cats']]);
    expect(t.find('GET', '/cats', undefined)).toBeUndefined();
    expect(t.find('GET', '/Cats/', undefined)).toBeUndefined();
  });

  it('wildcards: express {*path}, fastify *', () => {
    expect(table('express', [['GET', '/files/{*path}']]).find('GET', '/files/a/b', undefined)).toBe('GET /files/{*path}#0');
    expect(table('express', [['GET', '/files/*path']]).find('GET', '/files/a/b', undefined)).toBe('GET /files/*path#0');
    expect(table('fastify', [['GET', '/files/*']]).find('GET', '/files/a/b', undefined)).toBe('GET /files/*#0');
    expect(table('fastify', [['GET', '/files/*'], ['GET', '/files/:name']]).find('GET', '/files/a', undefined)).toBe('GET /files/:name#1');
  });

  it('parameters at the root and fastify regex parameters', () => {
    expect(table('express', [['GET', '/:lang/home']]).find('GET', '/en/home', undefined)).toBe('GET /:lang/home#0');
    const t = table('fastify', [['GET', '/n/:id(^\\d+)']]);
    expect(t.find('GET', '/n/12', undefined)).toBe('GET /n/:id(^\\d+)#0');
    expect(t.find('GET', '/n/ab', undefined)).toBeUndefined();
  });

  it('host-bound routes match only their host (port ignored)', () => {
    const t = table('express', [['GET', '/h', 'admin.example.com'], ['GET', '/h', ':tenant.example.com'], ['GET', '/h']]);
    expect(t.find('GET', '/h', 'admin.example.com:3000')).toBe('GET /h#0');
    expect(t.find('GET', '/h', 'acme.example.com')).toBe('GET /h#1');
    expect(t.find('GET', '/h', 'other.test')).toBe('GET /h#2');
  });

  it('a route it cannot read is reported, not fatal', () => {
    const seen: string[] = [];
    const t = new RouteTable([{ method: 'GET', path: '/bad/:', hosts: null, target: 'x' }, { method: 'GET', path: '/ok', hosts: null, target: 'ok' }], 'express',
      { caseSensitive: false, ignoreTrailingSlash: true }, (r) => seen.push(r.path));
    expect(seen).toEqual(['/bad/:']);
    expect(t.find('GET', '/ok', undefined)).toBe('ok');
  });
});

describe('RouteTable under a shared prefix', () => {
  const routes: [string, string][] = [];
  for (let c = 0; c < 100; c++) for (const p of ['', '/:id', '/:id/children', '/stats/summary']) routes.push(['GET', `/api/res${c}${p}`]);

  it.each(['express', 'fastify'] as const)('%s: finds each route among many that share /api', (flavor) => {
    const t = table(flavor, routes);
    expect(t.find('GET', '/api/res77/5', undefined)).toBe(`GET /api/res77/:id#${77 * 4 + 1}`);
    expect(t.find('GET', '/api/res77/5/children', undefined)).toBe(`GET /api/res77/:id/children#${77 * 4 + 2}`);
    expect(t.find('GET', '/api/res99/stats/summary', undefined)).toBe(`GET /api/res99/stats/summary#${99 * 4 + 3}`);
    expect(t.find('GET', '/api/res100/1', undefined)).toBeUndefined();
  });

  it('express: a parametric route filed higher up still wins when registered first', () => {
    const t = table('express', [['GET', '/api/:anything/x'], ['GET', '/api/res1/:id']]);
    expect(t.find('GET', '/api/res1/x', undefined)).toBe('GET /api/:anything/x#0');
  });

  it('fastify: the longer static prefix wins, as find-my-way prefers static segments', () => {
    const t = table('fastify', [['GET', '/api/:anything/x'], ['GET', '/api/res1/:id']]);
    expect(t.find('GET', '/api/res1/x', undefined)).toBe('GET /api/res1/:id#1');
  });
});
