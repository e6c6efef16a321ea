import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { CorsService } from '../../lib/index.js';

/** A call the page made, as the page describes it. */
interface CallDescription {
  method?: unknown;
  path?: unknown;
  /** The request headers the page set, for the preflight's Access-Control-Request-Headers. */
  headers?: unknown;
  preflight?: unknown;
  /**
   * The Origin the call was made from, when another page made it (the admin panel asks on
   * behalf of the other origin, which this endpoint's policy may refuse). Default: this
   * request's own Origin. It reveals nothing curl could not learn with that Origin header.
   */
  origin?: unknown;
}

const MAX_TEXT = 512;

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT ? value : fallback;
}

/**
 * The server's own reason for a call the browser blocked, in the words the library's explain
 * mode logs, so the page can show it beside the call. Built on CorsService.explain(): the
 * decision is taken for the Origin of the real call (the page's own, unless the body names
 * another), under the options in force now.
 */
@Controller('cors')
export class ExplainController {
  constructor(private readonly cors: CorsService) {}

  @Post('explain')
  @HttpCode(200)
  async explain(@Body() body: CallDescription, @Headers('origin') origin: string | undefined) {
    const method = text(body?.method, 'GET').toUpperCase();
    const path = text(body?.path, '/');
    const from = text(body?.origin, origin ?? '');
    const headers: Record<string, string> = { origin: from };
    if (body?.preflight === true) {
      headers['access-control-request-method'] = method;
      const names = Array.isArray(body.headers) ? body.headers.filter((h): h is string => typeof h === 'string').slice(0, 20) : [];
      if (names.length > 0) headers['access-control-request-headers'] = names.join(', ').toLowerCase();
    }
    const asked = body?.preflight === true ? 'OPTIONS' : method;
    const decision = await this.cors.explain(asked, path, headers);
    return {
      reason: decision.reason
        ?? (decision.allowed
          ? `the server admitted ${from}: ${Object.entries(decision.headers).map(([k, v]) => `${k}: ${v}`).join(', ')}; the browser refused on its own rules (e.g. credentials without access-control-allow-credentials)`
          : 'no CORS headers were sent'),
    };
  }
}
