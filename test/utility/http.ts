import type { INestApplication } from '@nestjs/common';
import request from 'supertest';

/** A browser-shaped preflight: OPTIONS + Origin + Access-Control-Request-Method (+ -Headers). */
export function preflight(app: INestApplication, path: string, origin: string, method: string, headers?: string) {
  const r = request(app.getHttpServer()).options(path).set('Origin', origin).set('Access-Control-Request-Method', method);
  return headers === undefined ? r : r.set('Access-Control-Request-Headers', headers);
}

/** An actual request with an Origin (or none when `origin` is undefined). */
export function actual(app: INestApplication, method: 'get' | 'post' | 'put' | 'delete' | 'patch' | 'head' | 'options', path: string, origin?: string) {
  const r = request(app.getHttpServer())[method](path);
  return origin === undefined ? r : r.set('Origin', origin);
}

/** The CORS response headers only, for whole-set comparisons that catch extra headers too. */
export function corsHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('access-control-')));
}

/** The Vary header as a list of lower-cased tokens. */
export function varyOf(headers: Record<string, unknown>): string[] {
  const v = headers.vary;
  if (v === undefined) return [];
  return String(v).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}
