// Origin entries no browser's Origin header can ever equal. A browser serializes an origin
// with the URL standard's host parser: it drops a default port, rewrites IPv4 and IPv6
// addresses to one spelling, and refuses hosts it cannot parse. An entry spelled otherwise
// never matches a request, which looks like a CORS bug at the worst moment; start-up says so,
// with the spelling browsers send when there is one.
import { domainToASCII, domainToUnicode } from 'node:url';

/** Longest DNS label (RFC 1035 §2.3.4); browsers refuse longer ones when they resolve a host. */
export const MAX_LABEL_LENGTH = 63;
/** Longest DNS name, without a final dot (RFC 1035 §2.3.4). */
export const MAX_HOST_LENGTH = 253;

/**
 * The schemes whose origins browsers serialize through the URL standard's host parser, with
 * their default ports. Other schemes (`chrome-extension:`, `capacitor:`, `tauri:`) keep their
 * host as written, so there is nothing to compare with.
 */
const DEFAULT_PORTS: Readonly<Record<string, string>> = Object.freeze({ http: '80', https: '443', ws: '80', wss: '443' });

/** Why an origin entry can never match, and the spelling browsers send when there is one. */
export interface UnreachableOrigin {
  /** A sentence to follow `origins = "…": `, ending with what to write instead. */
  readonly detail: string;
  /** The entry as browsers write it, when such a spelling exists. */
  readonly canonical?: string;
}

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV4_MAPPED = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/;

/**
 * Whether the URL standard's "ends in a number" check sends `host` to its IPv4 parser: its
 * last label (a final dot aside) is all digits, or `0x` and hex digits. Such a host is an
 * address or nothing; never a name.
 */
function endsInNumber(host: string): boolean {
  const labels = host.split('.');
  if (labels.length > 1 && labels[labels.length - 1] === '') labels.pop();
  const last = labels[labels.length - 1];
  return /^\d+$/.test(last) || /^0x[0-9a-f]*$/i.test(last);
}

/** Labels in `xn--` form that do not decode, or that decode to text that encodes otherwise. */
function badPunycode(host: string): string | undefined {
  for (const label of host.toLowerCase().split('.')) {
    if (!label.startsWith('xn--')) continue;
    const unicode = domainToUnicode(label);
    if (unicode === '' || domainToASCII(unicode) !== label) return label;
  }
  return undefined;
}

/** Why the URL parser refused `host`, for a message. */
function whyRefused(host: string): string {
  if (endsInNumber(host)) {
    return 'its last label is numeric, so browsers read the host as an IPv4 address, and it is not one: no page can have this origin';
  }
  const label = badPunycode(host);
  if (label !== undefined) return `its label "${label}" is not valid Punycode, so browsers refuse the host: write the name as the IDNA encoding of its Unicode form`;
  return 'browsers refuse this host (URL standard), so no page can have this origin';
}

/**
 * Why no browser's Origin can equal the origin entry `spec`, an exact origin or a wildcard
 * pattern, or `null` when a browser can send it. Precondition: `spec` passed `parseOrigin`
 * (an origin) or `parseOriginPattern` (a pattern), so it is `scheme://[*.]host[:port]`.
 */
export function unreachableOrigin(spec: string): UnreachableOrigin | null {
  const sep = spec.indexOf('://');
  let rest = spec.slice(sep + 3);
  const anySubdomain = rest.startsWith('*.');
  if (anySubdomain) rest = rest.slice(2);
  const close = rest.startsWith('[') ? rest.indexOf(']') + 1 : 0;
  const colon = rest.indexOf(':', close);
  const host = colon === -1 ? rest : rest.slice(0, colon);
  const port = colon === -1 ? '' : rest.slice(colon + 1);
  return judge(spec.slice(0, sep), host, port, anySubdomain);
}

/** {@link unreachableOrigin} on the parts as written; `port` is `''` when absent, `'*'` for any. */
function judge(scheme: string, host: string, port: string, anySubdomain: boolean): UnreachableOrigin | null {
  const lower = scheme.toLowerCase();
  if (lower === 'file') {
    return { detail: 'is a file: origin: browsers send "Origin: null" for file: pages, never this value. Serve the page over https:, or list "null" (never with supportsCredentials)' };
  }
  const defaultPort = DEFAULT_PORTS[lower];
  if (defaultPort === undefined) return null;
  let parsed: string;
  try {
    parsed = new URL(`${lower}://${host}`).hostname;
  } catch {
    return { detail: whyRefused(host) };
  }
  const stars = anySubdomain ? '*.' : '';
  const portPart = port === '' || port === defaultPort ? '' : `:${port}`;
  if (anySubdomain && (IPV4.test(parsed) || parsed.startsWith('['))) {
    return { detail: 'puts "*." before an IP address (or a host that ends in a number, which browsers read as one): an address has no subdomains. List the address itself' };
  }
  const mapped = IPV4_MAPPED.exec(parsed);
  if (mapped) {
    const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
    const ipv4 = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    const canonical = `${lower}://${ipv4}${portPart}`;
    return { canonical, detail: `is an IPv4-mapped IPv6 address, a second spelling of an IPv4 address that pages are not served at. Write ${JSON.stringify(canonical)}` };
  }
  const punycode = badPunycode(host);
  if (punycode !== undefined) return { detail: whyRefused(host) };
  const name = parsed.endsWith('.') ? parsed.slice(0, -1) : parsed;
  const long = name.split('.').find((label) => label.length > MAX_LABEL_LENGTH);
  if (long !== undefined) {
    return { detail: `has a label of ${long.length} characters, over the ${MAX_LABEL_LENGTH} a DNS label may have: no page can have this origin` };
  }
  if (name.length > MAX_HOST_LENGTH) {
    return { detail: `has a host of ${name.length} characters, over the ${MAX_HOST_LENGTH} a DNS name may have: no page can have this origin` };
  }
  const reasons: string[] = [];
  // Names compare case-insensitively (README "Origins and Vary"); an IPv6 address is written
  // in the one form browsers produce, lower case included.
  const written = host.startsWith('[') ? host : host.toLowerCase();
  if (parsed !== written) {
    reasons.push(host.startsWith('[')
      ? `browsers write this IPv6 address as ${parsed} (lower case, shortest form)`
      : IPV4.test(parsed)
        ? `browsers write this IPv4 address as ${parsed} (four decimal parts, no leading zeros)`
        : `browsers write this host as ${parsed}`);
  }
  if (port === defaultPort) reasons.push(`${port} is the default port of ${lower}:, which an Origin never spells out`);
  if (reasons.length === 0) return null;
  const canonical = `${lower}://${stars}${parsed}${port === '*' ? ':*' : portPart}`;
  return { canonical, detail: `no browser sends it: ${reasons.join('; ')}. Write ${JSON.stringify(canonical)}` };
}
