// Neighbours of issue 14: routes whose full path Nest builds from more than the controller.
// `RouterModule` with a parameter in its path (`orgs/:org`), and host-bound controllers
// (`@Controller({ host: ':tenant.localhost' })`). Each response gets the policy of the handler
// that served it (SPEC §3 rules 2 and 6): the decorator's, or the `resources` entry of the path
// as the router matched it, parameter values included; each preflight the same (rule 5).
import { Controller, Get, Header, HostParam, Module, Param, type Type } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { ADAPTERS, type AdapterCase } from '../../utility/adapters.js';
import { NOT_FOUND, SERVED_BY, expectActual, expectPreflight, optionsOf, send, sendPreflight, servedBy, type Declared } from './served.js';
import { STARTERS, startedForSuite } from './start.js';

const MEMBERS = 'https://members.test';
const PROJECTS = 'https://projects.test';
const ROOT = 'https://root.test';
const TENANT = 'https://tenant.test';
const DASH = 'https://dash.test';
const ORIGINS = [MEMBERS, PROJECTS, ROOT, TENANT, DASH];

const MEMBERS_ENTRY: Declared = { name: "'/orgs/*/members/*'", origins: [MEMBERS], maxAge: 51, expose: 'x-entry-members' };
const DASH_ENTRY: Declared = { name: "'/dash/*'", origins: [DASH], maxAge: 52, expose: 'x-entry-dash' };
const ROOT_ENTRY: Declared = { name: "'/*'", origins: [ROOT], maxAge: 53, expose: 'x-entry-root' };
const PROJECTS_POLICY: Declared = { name: 'ProjectsController.get', origins: [PROJECTS], maxAge: 54, expose: 'x-projects' };
const TENANT_POLICY: Declared = { name: 'TenantDashController.get', origins: [TENANT], maxAge: 55, expose: 'x-tenant' };

const CORS = CorsModule.forRoot({
  resources: { '/orgs/*/members/*': optionsOf(MEMBERS_ENTRY), '/dash/*': optionsOf(DASH_ENTRY), '/*': optionsOf(ROOT_ENTRY) },
});

interface Case {
  readonly target: string;
  readonly host?: string;
  /** Who serves it, per adapter: the check that the shape is routed as the case says. */
  readonly served: Record<AdapterCase['name'], string>;
  /** The entry of the path as the router matched it: the policy of an undecorated handler there. */
  readonly entry: Declared;
  /** Where one adapter does not route it: the entry of the path as received (rule 3). */
  readonly unrouted?: Declared;
}

// RouterModule: the module's controllers live under /orgs/:org.
@Controller('members')
class MembersController {
  @Get(':id') @Header(SERVED_BY, 'member')
  get(@Param('org') org: string, @Param('id') id: string) { return `member ${org} ${id}`; }
}

@CrossOrigin(optionsOf(PROJECTS_POLICY))
@Controller('projects')
class ProjectsController {
  @Get(':pid') @Header(SERVED_BY, 'project')
  get(@Param('org') org: string, @Param('pid') pid: string) { return `project ${org} ${pid}`; }
}

@Module({ controllers: [MembersController, ProjectsController] })
class OrgModule {}

@Module({ imports: [CORS, OrgModule, RouterModule.register([{ path: 'orgs/:org', module: OrgModule }])] })
class RouterApp {}

const ROUTER_CASES: readonly Case[] = [
  { target: '/orgs/acme/members/1', served: { Express: 'member', Fastify: 'member' }, entry: MEMBERS_ENTRY },
  { target: '/orgs/Acme/members/Bob', served: { Express: 'member', Fastify: 'member' }, entry: MEMBERS_ENTRY },
  { target: '/orgs/acme/projects/9', served: { Express: 'project', Fastify: 'project' }, entry: ROOT_ENTRY },
  // Express matches case-insensitively by default: the entry is still the one of the route's spelling.
  { target: '/ORGS/acme/MEMBERS/1', served: { Express: 'member', Fastify: NOT_FOUND }, entry: MEMBERS_ENTRY, unrouted: ROOT_ENTRY },
  { target: '/orgs/acme/nothing', served: { Express: NOT_FOUND, Fastify: NOT_FOUND }, entry: ROOT_ENTRY },
];

// Host-bound: the tenant's dashboard on <tenant>.localhost. Express also has an unbound route on
// the same path, reached by every other host; Fastify refuses two routes that only Nest's host
// filter tells apart, so there another host gets Nest's 404.
@CrossOrigin(optionsOf(TENANT_POLICY))
@Controller({ host: ':tenant.localhost', path: 'dash' })
class TenantDashController {
  @Get(':panel') @Header(SERVED_BY, 'tenant')
  get(@HostParam('tenant') tenant: string, @Param('panel') panel: string) { return `tenant ${tenant} ${panel}`; }
}

@Controller('dash')
class PlainDashController {
  @Get(':panel') @Header(SERVED_BY, 'plain') get(@Param('panel') panel: string) { return `plain ${panel}`; }
}

function hostApp(adapter: AdapterCase): Type<unknown> {
  @Module({ imports: [CORS], controllers: adapter.name === 'Express' ? [TenantDashController, PlainDashController] : [TenantDashController] })
  class HostApp {}
  return HostApp;
}

const HOST_CASES: readonly Case[] = [
  { target: '/dash/main', host: 'acme.localhost', served: { Express: 'tenant', Fastify: 'tenant' }, entry: DASH_ENTRY },
  { target: '/dash/main', host: 'globex.localhost', served: { Express: 'tenant', Fastify: 'tenant' }, entry: DASH_ENTRY },
  { target: '/dash/main', host: 'example.test', served: { Express: 'plain', Fastify: NOT_FOUND }, entry: DASH_ENTRY },
];

const POLICIES: Record<string, Declared> = { project: PROJECTS_POLICY, tenant: TENANT_POLICY };

const SHAPES = [
  { desc: "RouterModule { path: 'orgs/:org' }", app: (_: AdapterCase) => RouterApp, cases: ROUTER_CASES },
  { desc: "@Controller({ host: ':tenant.localhost' })", app: hostApp, cases: HOST_CASES },
];

const WHO = SHAPES.flatMap((shape) => ADAPTERS.flatMap((adapter) => STARTERS.map((s) => ({ shape, adapter, ...s }))));

describe.each(WHO)('$shape.desc on $adapter.name ($how)', ({ shape, adapter, start }) => {
  const s = startedForSuite(() => start(shape.app(adapter), adapter));

  const headers = (c: Case, more: Record<string, string> = {}) => ({ ...(c.host ? { Host: c.host } : {}), ...more });
  const policyOf = (server: string, c: Case): Declared => POLICIES[server] ?? (server === NOT_FOUND ? (c.unrouted ?? c.entry) : c.entry);
  const label = (c: Case) => `${c.host ? `${c.host} ` : ''}${c.target}`;
  const cases = shape.cases.map((c) => ({ ...c, label: label(c), expected: c.served[adapter.name] }));
  const withOrigins = cases.flatMap((c) => ORIGINS.map((origin) => ({ ...c, origin })));

  it.each(cases)('$label is served by $expected', async (c) => {
    const res = await send(s.port, 'GET', c.target, headers(c));
    expect(servedBy(res)).toBe(c.expected);
    if (c.expected === 'tenant') expect(res.body).toBe(`tenant ${c.host?.split('.')[0]} main`);
  });

  it.each(withOrigins)('GET $label from $origin gets the policy of the handler that served it', async (c) => {
    const res = await send(s.port, 'GET', c.target, headers(c, { Origin: c.origin }));
    expectActual(res, policyOf(servedBy(res), c), c.origin);
  });

  it.each(withOrigins)('the preflight of GET $label from $origin gets the same policy', async (c) => {
    const server = servedBy(await send(s.port, 'GET', c.target, headers(c)));
    expectPreflight(await sendPreflight(s.port, c.target, c.origin, 'GET', headers(c)), [policyOf(server, c)], c.origin);
  });
});
