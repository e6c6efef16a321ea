// Route paths as each router reads them, parsed into the parts that choose a `resources`
// entry: text as registered, parameters, wildcards, optional groups.
import { parse } from 'path-to-regexp';
import type { RouteToken } from '../../core/index.js';

type PathToRegexpToken =
  | { type: 'text'; value: string }
  | { type: 'param' | 'wildcard'; name: string }
  | { type: 'group'; tokens: PathToRegexpToken[] };

function fromPathToRegexp(tokens: readonly PathToRegexpToken[]): RouteToken[] {
  return tokens.map((t): RouteToken => (t.type === 'group' ? { type: 'group', tokens: fromPathToRegexp(t.tokens) } : t));
}

/**
 * An Express route path (path-to-regexp 8, the syntax Express 5's router reads), or `null`
 * when it cannot be read (the route then gets the `resources` entry of the request's path).
 */
export function expressRouteTokens(path: string): readonly RouteToken[] | null {
  try {
    return Object.freeze(fromPathToRegexp(parse(path).tokens as PathToRegexpToken[]));
  } catch {
    return null;
  }
}

/**
 * A Fastify route path (find-my-way's syntax): `:name` ends at `-`, `.`, `/` or a `(` that
 * opens its regular expression; `::` is a literal colon; `*` is the rest of the path.
 */
export function fastifyRouteTokens(path: string): readonly RouteToken[] {
  const tokens: RouteToken[] = [];
  let text = '';
  const flush = () => {
    if (text) tokens.push({ type: 'text', value: text });
    text = '';
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c === ':' && path[i + 1] === ':') {
      text += ':';
      i++;
    } else if (c === ':') {
      let j = i + 1;
      while (j < path.length && !'(-./'.includes(path[j])) j++;
      flush();
      tokens.push({ type: 'param', name: path.slice(i + 1, j) });
      if (path[j] === '(') {
        // Skip the parameter's regular expression, parentheses balanced, escapes kept.
        let depth = 0;
        for (; j < path.length; j++) {
          if (path[j] === '\\') j++;
          else if (path[j] === '(') depth++;
          else if (path[j] === ')' && --depth === 0) break;
        }
        j++;
      }
      i = j - 1;
    } else if (c === '*') {
      flush();
      tokens.push({ type: 'wildcard', name: '*' });
    } else text += c;
  }
  flush();
  return Object.freeze(tokens);
}
