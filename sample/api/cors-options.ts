import type { CorsModuleOptions } from '../../lib/index.js';
import { PAGE_ORIGIN } from '../config.js';

/**
 * The sample's CORS options: what `CorsModule.forRoot()` starts with (no extra origins), and
 * what the admin panel puts in force with `CorsService.reconfigure()` when it adds or removes
 * origins at run time (sample/api/cors-admin.controller.ts). One function, so both say the same.
 */
export function sampleCorsOptions(extraOrigins: readonly string[] = []): CorsModuleOptions {
  return {
    // The app-wide policy: routes without @CrossOrigin, unrouted paths (404s) and the chat
    // gateway (its @CrossOrigin has no origins of its own) admit the page, plus any origin the
    // admin panel added, and nobody else.
    origins: [PAGE_ORIGIN, ...extraOrigins],
    policies: {
      pageFeed: { origins: [PAGE_ORIGIN], exposeHeaders: ['X-Feed-Version'], maxAge: 600 },
    },
    // Logs one line per refused origin/method/header, so the terminal explains what the
    // page shows as "blocked by CORS", and each change the admin panel makes. CORS_DEBUG=0 silences it.
    debug: process.env.CORS_DEBUG !== '0',
  };
}
