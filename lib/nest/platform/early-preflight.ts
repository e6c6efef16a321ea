import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ACRM } from '../../core/index.js';
import type { CorsEngine, CorsOutcome } from '../cors-engine.js';
import { endPreflight } from './node-response.js';
import { whenDecided } from './when-decided.js';

const kDecided = Symbol('nest-cross-origin.decided');

type DecidedRequest = IncomingMessage & { [kDecided]?: CorsOutcome };

/** The decision taken for a preflight before the framework saw it, if any (read by the hooks). */
export function takeEarlyDecision(req: IncomingMessage): CorsOutcome | undefined {
  const decided = (req as DecidedRequest)[kDecided];
  if (decided !== undefined) (req as DecidedRequest)[kDecided] = undefined;
  return decided;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Answers automatic preflights as the request arrives, before Express or Fastify parse,
 * route and run middleware for it: that framework work is most of a preflight's cost (about
 * 4x on Express in bench/FINDINGS.md). Everything else, and any preflight whose decision needs
 * an async origin predicate or goes on to the app, reaches the framework as before, with the
 * decision kept on the request so predicates never run twice. The platform hook stays in place
 * for requests that arrive some other way.
 */
export function answerPreflightsFirst(server: Server, engine: CorsEngine, onError: (error: unknown) => void): boolean {
  const listeners = server.listeners('request') as RequestListener[];
  if (listeners.length === 0) return false;
  for (const l of listeners) server.removeListener('request', l);
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    for (const l of listeners) l.call(server, req, res);
  };
  /** Ends an automatic preflight, or keeps the decision for the platform hook: true when ended. */
  const write = (req: IncomingMessage, res: ServerResponse, outcome: CorsOutcome): boolean => {
    if (outcome.preflight) {
      endPreflight(res, outcome);
      return true;
    }
    (req as DecidedRequest)[kDecided] = outcome;
    return false;
  };
  server.on('request', function nestCrossOriginPreflight(req: IncomingMessage, res: ServerResponse) {
    const headers = req.headers;
    if (req.method !== 'OPTIONS' || !headers.origin || !headers[ACRM]) return forward(req, res);
    let outcome: CorsOutcome | Promise<CorsOutcome>;
    try {
      outcome = engine.handle('OPTIONS', req.url ?? '/', headers, req);
    } catch (error) {
      onError(error);
      return forward(req, res);
    }
    if (outcome instanceof Promise) whenDecided(outcome, (o) => write(req, res, o), () => forward(req, res), onError);
    else if (!write(req, res, outcome)) forward(req, res);
  });
  return true;
}
