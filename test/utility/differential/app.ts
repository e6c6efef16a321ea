// Builds and starts the app a route set describes, the way users start theirs: controller
// classes made at run time with the decorators applied by hand, CorsModule.forRoot with the
// set's `resources`, handlers mounted beside Nest's on the framework instance, and
// `NestFactory.create` (or `@nestjs/testing`) + `listen(0)`.
import 'reflect-metadata';
import { All, Controller, Delete, Get, Header, Module, Post, Put, VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorsModule, CrossOrigin } from '../../../lib/index.js';
import { VERSION_HEADER, originOf, renderPath, type ControllerSpec, type CorsLevel, type RouteMethod, type RouteSet } from './route-sets.js';

/** The response header every handler names itself in (HEAD responses have no body). */
export const SERVED_BY = 'x-served-by';

const ROUTE_DECORATORS: Record<RouteMethod, (path: string) => MethodDecorator> = { GET: Get, POST: Post, PUT: Put, DELETE: Delete, ALL: All };

function applyCors(level: CorsLevel, id: string, apply: (d: ClassDecorator & MethodDecorator) => void): void {
  if (level === 'own') apply(CrossOrigin({ origins: originOf(id) }));
  else if (level === 'off') apply(CrossOrigin(false));
}

function controllerClass(spec: ControllerSpec, rs: RouteSet): Type<unknown> {
  const cls = { [spec.id]: class {} }[spec.id];
  for (const h of spec.handlers) {
    const key = `serve_${h.id}`;
    const id = h.id;
    Object.defineProperty(cls.prototype, key, { value: () => id, writable: true, configurable: true });
    const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key)!;
    ROUTE_DECORATORS[h.method](renderPath(h.segments, rs.adapter, spec.segments.length))(cls.prototype, key, descriptor);
    Header(SERVED_BY, id)(cls.prototype, key, descriptor);
    applyCors(h.cors, h.id, (d) => d(cls.prototype, key, descriptor));
  }
  const version = spec.version === null ? undefined : spec.version === 'both' ? ['1', '2'] : spec.version === 'neutral' ? VERSION_NEUTRAL : spec.version;
  Controller({ path: renderPath(spec.segments, rs.adapter), ...(spec.host ? { host: spec.host } : {}), ...(version ? { version } : {}) })(cls);
  applyCors(spec.cors, spec.id, (d) => d(cls));
  return cls;
}

function appModule(rs: RouteSet): Type<unknown> {
  const resources = Object.fromEntries(rs.resources.map(([pattern, origin]) => [pattern, { origins: origin }]));
  class DifferentialModule {}
  Module({ imports: [CorsModule.forRoot({ resources })], controllers: rs.controllers.map((c) => controllerClass(c, rs)) })(DifferentialModule);
  return DifferentialModule;
}

interface ExpressLike {
  use(path: string, fn: (req: IncomingMessage, res: ServerResponse) => void): void;
  [method: string]: unknown;
}
interface FastifyLike {
  route(options: { method: string | string[]; url: string; handler: (req: unknown, reply: { header(k: string, v: string): { send(b: string): void } }) => void }): void;
  supportedMethods: string[];
}

/** Handlers beside Nest's, registered before `listen()` so that Nest's 404 handler comes after them. */
function mountForeign(app: INestApplication, rs: RouteSet): void {
  const instance = app.getHttpAdapter().getInstance() as unknown;
  for (const f of rs.foreign) {
    const path = `/${renderPath(f.segments, rs.adapter)}`;
    const tag = `foreign:${f.name}`;
    if (rs.adapter === 'Express') {
      const express = instance as ExpressLike;
      const fn = (_req: IncomingMessage, res: ServerResponse) => {
        res.setHeader(SERVED_BY, tag);
        res.end(tag);
      };
      if (f.kind === 'mount') express.use(path, fn);
      else (express[f.method.toLowerCase()] as (p: string, h: typeof fn) => void).call(express, path, fn);
    } else {
      const fastify = instance as FastifyLike;
      fastify.route({
        method: f.method === 'ALL' ? fastify.supportedMethods : f.method,
        url: path,
        handler: (_req, reply) => reply.header(SERVED_BY, tag).send(tag),
      });
    }
  }
}

export interface RunningApp {
  readonly app: INestApplication;
  readonly port: number;
}

/** Creates, configures and starts the app on 127.0.0.1 with an ephemeral port. */
export async function startApp(rs: RouteSet): Promise<RunningApp> {
  const module = appModule(rs);
  const adapter = rs.adapter === 'Express' ? new ExpressAdapter() : new FastifyAdapter();
  let app: INestApplication;
  if (rs.startWith === 'factory') {
    app = await NestFactory.create(module, adapter as never, { logger: false, abortOnError: false });
  } else {
    const ref = await Test.createTestingModule({ imports: [module] }).compile();
    app = ref.createNestApplication(adapter as never, { logger: false });
  }
  if (rs.versioning === 'uri') app.enableVersioning({ type: VersioningType.URI });
  if (rs.versioning === 'header') app.enableVersioning({ type: VersioningType.HEADER, header: VERSION_HEADER });
  mountForeign(app, rs);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return { app, port };
}
