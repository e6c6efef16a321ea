// The command line: arguments → probe → report, and the exit code (0 allowed, 1 refused,
// 2 usage or network error). main.ts only wires this to the process, so tests run it in-process.
import { parseArgs } from 'node:util';
import { escapeForLog } from '../core/escape.js';
import { DEFAULT_TIMEOUT_MS, probe, ProbeNetworkError, ProbeUsageError, type ProbeHeader, type ProbeOptions } from './probe.js';
import { formatJson, formatReport } from './report.js';

export const EXIT_ALLOWED = 0;
export const EXIT_REFUSED = 1;
export const EXIT_ERROR = 2;

export const USAGE = `Usage: nest-cross-origin probe <url> --origin <origin> [options]

Does what a browser does when a page on <origin> calls fetch(<url>): the preflight when the
Fetch standard requires one, then the request; applies the standard's CORS checks; prints the
verdict, the reason and findings about the responses. Works against any server.

Options:
  --origin <origin>            the page's origin, e.g. https://app.example (required)
  -X, --method <method>        the request method (default GET)
  -H, --header <name[: value]> a header the page sets (repeatable); without a value, a
                               safelisted name gets a safelisted value, any other is sent
                               empty; 'name;' sends it empty
  --credentials                credentials: 'include' (cookies, HTTP auth)
  --json                       print { verdict, reason, preflight, actual, findings } as JSON
  --timeout <ms>               bound on each request (default ${DEFAULT_TIMEOUT_MS})
  -h, --help                   this text

Exit codes: 0 allowed, 1 refused, 2 usage or network error.
`;

/** Where the command writes; the process's streams in main.ts, buffers in tests. */
export interface CliOutput {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

interface Parsed {
  readonly help: boolean;
  readonly json: boolean;
  readonly options?: ProbeOptions;
}

function single(values: string[] | undefined, flag: string): string | undefined {
  if (values && values.length > 1) throw new ProbeUsageError(`${flag} is given ${values.length} times; give it once`);
  return values?.[0];
}

/** `name: value`, a bare `name` (a default value), or `name;` (empty, as curl's `-H` writes it). */
function parseHeader(text: string): ProbeHeader {
  const colon = text.indexOf(':');
  if (colon >= 0) return { name: text.slice(0, colon).trim(), value: text.slice(colon + 1) };
  const name = text.trim();
  return name.endsWith(';') ? { name: name.slice(0, -1).trim(), value: '' } : { name };
}

function parse(argv: readonly string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        origin: { type: 'string', multiple: true },
        method: { type: 'string', short: 'X', multiple: true },
        header: { type: 'string', short: 'H', multiple: true },
        credentials: { type: 'boolean' },
        json: { type: 'boolean' },
        timeout: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ProbeUsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const json = values.json === true;
  if (values.help) return { help: true, json };
  const [command, url, ...extra] = positionals;
  if (command === undefined) throw new ProbeUsageError('no command given');
  if (command !== 'probe') throw new ProbeUsageError(`unknown command ${JSON.stringify(escapeForLog(command))} (the one command is probe)`);
  if (url === undefined) throw new ProbeUsageError('probe needs the URL to call');
  if (extra.length) throw new ProbeUsageError(`unexpected argument ${JSON.stringify(escapeForLog(extra[0]))} (one URL per probe)`);
  const origin = single(values.origin, '--origin');
  if (origin === undefined) throw new ProbeUsageError('--origin is required: the origin of the page that makes the call');
  const rawTimeout = single(values.timeout, '--timeout');
  let timeout: number | undefined;
  if (rawTimeout !== undefined) {
    if (!/^[0-9]+$/.test(rawTimeout.trim())) throw new ProbeUsageError(`--timeout ${JSON.stringify(escapeForLog(rawTimeout))} is not a whole number of milliseconds`);
    timeout = Number(rawTimeout.trim());
  }
  return {
    help: false,
    json,
    options: {
      url,
      origin,
      method: single(values.method, '--method'),
      headers: (values.header ?? []).map(parseHeader),
      credentials: values.credentials === true,
      timeout,
    },
  };
}

/** Runs the command line; resolves with the exit code. */
export async function runCli(argv: readonly string[], out: CliOutput): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    out.stderr.write(`nest-cross-origin: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  if (parsed.help) {
    out.stdout.write(USAGE);
    return EXIT_ALLOWED;
  }
  const options = parsed.options!;
  try {
    const result = await probe(options);
    out.stdout.write(parsed.json ? formatJson(result) : formatReport(result, options.credentials === true));
    return result.verdict === 'allowed' ? EXIT_ALLOWED : EXIT_REFUSED;
  } catch (error) {
    if (error instanceof ProbeUsageError) {
      out.stderr.write(`nest-cross-origin: ${error.message}\n\n${USAGE}`);
    } else if (error instanceof ProbeNetworkError) {
      out.stderr.write(`nest-cross-origin: ${error.message}\n`);
    } else {
      out.stderr.write(`nest-cross-origin: unexpected error: ${escapeForLog(String((error as Error)?.stack ?? error))}\n`);
    }
    return EXIT_ERROR;
  }
}
