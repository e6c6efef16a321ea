// Origin entries browsers can and cannot send. Shared by test/core/canonical.spec.ts and the
// start-up tables (test/core/cases/validation.cases.ts).

/** An entry no browser's Origin can equal: the spelling browsers send, if any, and the reason. */
export interface UnreachableCase {
  readonly desc: string;
  readonly input: string;
  readonly canonical?: string;
  readonly detail: RegExp;
}

export const UNREACHABLE_ORIGINS: readonly UnreachableCase[] = [
  { desc: 'the default port of https:', input: 'https://a.example:443', canonical: 'https://a.example', detail: /443 is the default port of https:/ },
  { desc: 'the default port of http:', input: 'http://a.example:80', canonical: 'http://a.example', detail: /80 is the default port of http:/ },
  { desc: 'the default port of wss:', input: 'wss://a.example:443', canonical: 'wss://a.example', detail: /default port of wss:/ },
  { desc: 'a file: origin', input: 'file://host', detail: /browsers send "Origin: null" for file: pages/ },
  { desc: 'a hex and short IPv4', input: 'http://0x7f.1', canonical: 'http://127.0.0.1', detail: /IPv4 address as 127\.0\.0\.1/ },
  { desc: 'a short IPv4', input: 'http://127.1:8080', canonical: 'http://127.0.0.1:8080', detail: /IPv4 address as 127\.0\.0\.1/ },
  { desc: 'an IPv4 with a leading zero (octal)', input: 'http://010.0.0.1', canonical: 'http://8.0.0.1', detail: /IPv4 address as 8\.0\.0\.1/ },
  { desc: 'an IPv4 with an octal part', input: 'https://192.168.0.010', canonical: 'https://192.168.0.8', detail: /IPv4 address/ },
  { desc: 'an IPv4 with a final dot', input: 'http://127.0.0.1.', canonical: 'http://127.0.0.1', detail: /IPv4 address as 127\.0\.0\.1/ },
  { desc: 'an IPv4-mapped IPv6 address', input: 'http://[::ffff:127.0.0.1]', canonical: 'http://127.0.0.1', detail: /IPv4-mapped IPv6 address/ },
  { desc: 'an IPv4-mapped IPv6 address in hex, with a port', input: 'http://[::ffff:c0a8:1]:3000', canonical: 'http://192.168.0.1:3000', detail: /IPv4-mapped/ },
  { desc: 'an IPv6 address not in shortest form', input: 'http://[0:0::1]', canonical: 'http://[::1]', detail: /IPv6 address as \[::1\]/ },
  { desc: 'an IPv6 address in upper case', input: 'https://[2001:DB8::1]', canonical: 'https://[2001:db8::1]', detail: /lower case, shortest form/ },
  { desc: 'an IPv6 address with leading zeros and the default port', input: 'https://[2001:0db8::0001]:443', canonical: 'https://[2001:db8::1]', detail: /IPv6 address.*; 443 is the default port/ },
  { desc: 'Punycode that does not decode', input: 'https://xn--a.example', detail: /"xn--a" is not valid Punycode/ },
  { desc: 'Punycode that decodes to something that encodes otherwise', input: 'https://xn--ss-.example', detail: /"xn--ss-" is not valid Punycode/ },
  { desc: 'a label over 63 characters', input: `https://${'a'.repeat(64)}.example`, detail: /label of 64 characters, over the 63/ },
  { desc: 'a host over 253 characters', input: `https://${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}`, detail: /host of 304 characters, over the 253/ },
  { desc: 'a numeric last label', input: 'http://a.123', detail: /last label is numeric/ },
  { desc: 'a hex last label', input: 'https://a.0x1f', detail: /last label is numeric/ },
  { desc: 'a wildcard over an IPv4 address', input: 'https://*.127.0.0.1', detail: /puts "\*\." before an IP address/ },
  { desc: 'a wildcard over a numeric last label', input: 'https://*.a.123', detail: /last label is numeric/ },
  { desc: 'a wildcard with the default port', input: 'https://*.example.com:443', canonical: 'https://*.example.com', detail: /443 is the default port/ },
  { desc: 'a wildcard over invalid Punycode', input: 'https://*.xn--abc.example', detail: /not valid Punycode/ },
  { desc: 'any port on an IPv6 address not in shortest form', input: 'http://[0:0::1]:*', canonical: 'http://[::1]:*', detail: /IPv6 address as \[::1\]/ },
];

/** Entries browsers do send as written (or in another case only, which matching ignores). */
export const REACHABLE_ORIGINS: readonly { desc: string; input: string }[] = [
  { desc: 'a plain https: origin', input: 'https://app.example.com' },
  { desc: 'a non-default port', input: 'https://a.example:8443' },
  { desc: 'port 443 on http:', input: 'http://a.example:443' },
  { desc: 'an upper-case name (names compare case-insensitively)', input: 'HTTPS://App.Example.COM' },
  { desc: 'a canonical IPv4 address', input: 'http://192.168.0.1:3000' },
  { desc: 'a canonical IPv6 address', input: 'http://[::1]:3000' },
  { desc: 'valid Punycode', input: 'https://xn--bcher-kva.example' },
  { desc: 'a host ending in a dot', input: 'https://example.com.' },
  { desc: 'localhost ending in a dot', input: 'http://localhost.:3000' },
  { desc: 'a label of 63 characters', input: `https://${'a'.repeat(63)}.example` },
  { desc: 'a custom scheme, kept as written by browsers', input: 'chrome-extension://abcdefghijklmnop' },
  { desc: 'a wildcard pattern', input: 'https://*.example.com' },
  { desc: 'a wildcard over a dotted host', input: 'https://*.example.com.' },
  { desc: 'any port', input: 'http://localhost:*' },
  { desc: 'a label that only looks numeric', input: 'https://1e1.example' },
];
