// The probe's findings: what breaks CORS after deployment (a second ACAO from a proxy, a
// missing Vary, a redirected or failing preflight, a maxAge no browser honours, wildcards that
// credentials or Authorization defeat), whatever the call's own verdict.
import { escapeForLog } from '../core/escape.js';
import { CHROMIUM_MAX_AGE, WEBKIT_MAX_AGE } from '../core/options.js';
import { headerList, isOkStatus, isRedirectStatus } from '../fetch/cors-check.js';
import type { Answer, Call, Finding } from './probe.js';

function valuesOf(answer: Answer, lowerName: string): string[] {
  return answer.fields.filter(([n]) => n.toLowerCase() === lowerName).map(([, v]) => v);
}

/** Every origin an Access-Control-Allow-Origin field names (no origin holds a comma). */
function allowedOrigins(answer: Answer): string[] {
  return headerList(answer.get('access-control-allow-origin'));
}

const quote = (s: string) => `"${escapeForLog(s)}"`;

/** The findings of one probe: what breaks CORS for someone, whatever this call's verdict. */
export function findingsOf(call: Call, unsafe: readonly string[], preflight: Answer | undefined, actual: Answer | undefined): Finding[] {
  const findings: Finding[] = [];
  const responses = [
    ...(preflight ? [{ where: 'the preflight response', answer: preflight }] : []),
    ...(actual ? [{ where: 'the actual response', answer: actual }] : []),
  ];

  const duplicated = responses.flatMap(({ where, answer }) => {
    const values = valuesOf(answer, 'access-control-allow-origin');
    if (values.length > 1) return [`${where} has ${values.length} Access-Control-Allow-Origin headers (${values.map(quote).join(', ')})`];
    if (values.length === 1 && values[0].includes(',')) return [`${where} has one Access-Control-Allow-Origin header with several values (${quote(values[0])})`];
    return [];
  });
  if (duplicated.length) {
    findings.push({
      code: 'acao-duplicated',
      message: `${duplicated.join('; ')}: browsers accept exactly one value and refuse the response. Often a proxy, CDN or framework in front of the app adds its own CORS headers next to the app's: keep one CORS layer.`,
    });
  }

  // Only the actual response: shared caches do not store OPTIONS responses.
  if (actual && allowedOrigins(actual).includes(call.origin)) {
    const vary = valuesOf(actual, 'vary');
    const tokens = headerList(vary.join(',')).map((t) => t.toLowerCase());
    if (!tokens.includes('origin') && !tokens.includes('*')) {
      const now = vary.length ? `Vary is ${quote(vary.join(', '))}` : 'there is no Vary header';
      findings.push({
        code: 'vary-origin-missing',
        message: `the actual response's Access-Control-Allow-Origin echoes the origin ${call.origin}, but ${now}: a shared cache (CDN, proxy, browser cache) may serve this response to a page on another origin, which the browser then refuses, or another origin's response to this one. Add Vary: Origin.`,
      });
    }
  }

  if (preflight && isRedirectStatus(preflight.status)) {
    const location = preflight.get('location');
    findings.push({
      code: 'preflight-redirected',
      message: `the preflight was answered with a redirect (${preflight.status}${location === undefined ? '' : ` to ${quote(location)}`}): browsers never follow a redirect for a preflight and fail the request. Answer OPTIONS at this URL (check the gateway's HTTPS or trailing-slash redirects, and auth redirects).`,
    });
  } else if (preflight && !isOkStatus(preflight.status)) {
    findings.push({
      code: 'preflight-not-ok',
      message: `the preflight was answered with status ${preflight.status}: browsers need a 2xx status on a preflight, whatever its CORS headers. The OPTIONS request likely reached something that does not handle it (no route, an auth layer, a gateway).`,
    });
  }

  const maxAge = preflight?.get('access-control-max-age');
  if (maxAge !== undefined && /^[0-9]+$/.test(maxAge) && Number(maxAge) > WEBKIT_MAX_AGE) {
    const seconds = Number(maxAge);
    const message = seconds > CHROMIUM_MAX_AGE
      ? `Access-Control-Max-Age is ${seconds}, above Chromium's cap of ${CHROMIUM_MAX_AGE} seconds and WebKit's of ${WEBKIT_MAX_AGE}: Chrome and Edge keep the preflight 2 hours at most and Safari 10 minutes, then send it again (Firefox keeps it up to 86400 seconds).`
      : `Access-Control-Max-Age is ${seconds}, above WebKit's cap of ${WEBKIT_MAX_AGE} seconds: Safari keeps the preflight 10 minutes at most, then sends it again (Chromium keeps it up to ${CHROMIUM_MAX_AGE} seconds).`;
    findings.push({ code: 'max-age-over-browser-cap', message });
  }

  const wildcards = responses.flatMap(({ where, answer }) => {
    if (!allowedOrigins(answer).includes('*')) return [];
    if (answer.get('access-control-allow-credentials') === 'true') return [`${where} has Access-Control-Allow-Origin "*" with Access-Control-Allow-Credentials: true`];
    if (call.credentials) return [`${where} answers a credentialed request with Access-Control-Allow-Origin "*"`];
    return [];
  });
  if (wildcards.length) {
    findings.push({
      code: 'wildcard-with-credentials',
      message: `${wildcards.join('; ')}: "*" never admits a request with credentials (cookies, HTTP auth), so browsers refuse every credentialed call. Echo the origin from an allow-list instead.`,
    });
  }

  const allowHeaders = preflight ? headerList(preflight.get('access-control-allow-headers')).map((h) => h.toLowerCase()) : [];
  if (unsafe.includes('authorization') && allowHeaders.includes('*') && !allowHeaders.includes('authorization')) {
    findings.push({
      code: 'allow-headers-wildcard-with-authorization',
      message: 'Access-Control-Allow-Headers is "*", which does not cover Authorization (Fetch standard): browsers refuse the request. List authorization by name.',
    });
  }
  return findings;
}

