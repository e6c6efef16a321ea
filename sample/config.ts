// Read once at import time: the controllers' @CrossOrigin() decorators run when their classes
// are defined, so the page origin must be known before any controller module is loaded.
// Nothing here throws: a bad value is recorded in CONFIG_PROBLEMS, and main.ts reports it
// as one readable line instead of a stack trace from a module import.

/** Problems found in the environment; main.ts refuses to start while this is not empty. */
export const CONFIG_PROBLEMS: string[] = [];

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    CONFIG_PROBLEMS.push(`${name} must be a port number between 1 and 65535, got ${JSON.stringify(raw)}`);
    return fallback;
  }
  return port;
}

export const API_PORT = portFromEnv('API_PORT', 3000);
export const PAGE_PORT = portFromEnv('PAGE_PORT', 3001);
/** A second page origin that no policy lists: it shows a refused socket. */
export const OTHER_PAGE_PORT = portFromEnv('OTHER_PAGE_PORT', 3002);

if (new Set([API_PORT, PAGE_PORT, OTHER_PAGE_PORT]).size < 3) {
  // One port would make two of them the same origin, and CORS would never be used.
  CONFIG_PROBLEMS.push(`API_PORT, PAGE_PORT and OTHER_PAGE_PORT must differ (got ${API_PORT}, ${PAGE_PORT}, ${OTHER_PAGE_PORT})`);
}

// "localhost" on both sides: different ports make the two cross-origin, the shared host keeps
// them same-site, which is what lets the session cookie travel with credentials: 'include'.
export const API_ORIGIN = `http://localhost:${API_PORT}`;
export const PAGE_ORIGIN = `http://localhost:${PAGE_PORT}`;
/** Same site as the API too, so the session cookie goes with its socket attempts as well. */
export const OTHER_PAGE_ORIGIN = `http://localhost:${OTHER_PAGE_PORT}`;

/** The origins the sample's partner routes trust instead of the page. */
export const PARTNER_ORIGINS = 'https://*.partner.example';

/** The bearer token the guarded route wants. A sample value, not a secret. */
export const SAMPLE_TOKEN = 'sample-token';

export type AdapterName = 'express' | 'fastify';

function adapterFrom(argv: readonly string[]): AdapterName {
  if (argv.includes('--fastify')) return 'fastify';
  if (argv.includes('--express')) return 'express';
  const env = (process.env.ADAPTER ?? '').trim().toLowerCase();
  if (env === 'fastify') return 'fastify';
  if (env !== 'express' && env !== '') {
    CONFIG_PROBLEMS.push(`ADAPTER must be "express" or "fastify", got ${JSON.stringify(process.env.ADAPTER)}`);
  }
  return 'express';
}

/** Express unless ADAPTER=fastify or --fastify is given (--express wins over ADAPTER). */
export const ADAPTER: AdapterName = adapterFrom(process.argv.slice(2));
