// Path helpers of the differential oracle, written from RFC 3986 and SPEC §3 rule 4 rather
// than imported from lib/core: the oracle must not call the code it judges.

/**
 * The path of a request target as routers take it: the absolute form's scheme and authority
 * dropped, the query and the fragment cut off. The asterisk form stays `*`.
 */
export function targetPath(target: string): string {
  let path = target;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(path);
  if (absolute) {
    path = path.slice(absolute[0].length);
    if (!path.startsWith('/')) path = `/${path}`;
  }
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/**
 * Percent-decoded once, `+` kept (SPEC §3 rule 4). When an escape is malformed, the ASCII
 * escapes are still decoded, so a stray `%zz` cannot hide a `%2e%2e`.
 */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path.replace(/%([0-7][0-9a-fA-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/** RFC 3986 §5.2.4, step by step on an input buffer and an output buffer. */
export function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../') || input === '/..') {
      input = `/${input.slice(input === '/..' ? 3 : 4)}`;
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', 1);
      const end = next === -1 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

/**
 * A route pattern with the request's parameter values put in, as the router reported both:
 * Express (path-to-regexp 8: `:name`, `*name`, `{…}` groups) or Fastify (`:name`, `*`).
 * Returns null when a parameter of the pattern has no value (the report does not fit).
 */
export function fillPattern(pattern: string, params: Record<string, unknown>): string | null {
  let missing = false;
  const value = (name: string): string | undefined => {
    const v = params[name];
    if (Array.isArray(v)) return v.join('/');
    return typeof v === 'string' ? v : undefined;
  };
  // Optional groups: kept when every parameter inside has a value, dropped otherwise.
  let out = pattern.replace(/\{([^{}]*)\}/g, (_, inner: string) => {
    const names = [...inner.matchAll(/[:*]([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
    return names.every((n) => value(n) !== undefined) ? inner : '';
  });
  out = out.replace(/([:*])([A-Za-z_$][\w$]*)|\*/g, (token: string, _sigil: string | undefined, name: string | undefined) => {
    const v = value(name ?? '*');
    if (v === undefined) {
      missing = true;
      return token;
    }
    return v;
  });
  return missing ? null : out;
}

/** A `resources` key as a whole-path matcher: `*` matches any run of characters, `/` included. */
export function patternMatcher(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}
