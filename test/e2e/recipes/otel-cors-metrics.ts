import { metrics, type Attributes, type Counter } from '@opentelemetry/api';
import type { CorsDecisionEvent } from '../../../lib/index.js';

export interface CorsMetricsOptions {
  /**
   * Opt-in: name these origins in a `cors.origin` attribute, and every other origin `other`,
   * so the attribute has at most `knownOrigins.length + 1` values. Compare with origins as
   * browsers send them: `https://app.example.com`, no path, no trailing slash.
   */
  readonly knownOrigins?: readonly string[];
}

/**
 * An `onDecision` listener that counts CORS decisions in `cors.decisions`, by route, kind,
 * verdict and reason. Never by the raw origin: any client sends any Origin it likes, and
 * every distinct attribute value is one more time series to keep.
 */
export function corsDecisionMetrics(options: CorsMetricsOptions = {}): (event: CorsDecisionEvent) => void {
  const known = options.knownOrigins ? new Set(options.knownOrigins) : null;
  let decisions: Counter | undefined;
  return (event) => {
    // Made on the first decision, not when this module loads: a meter got before the
    // OpenTelemetry SDK registers its MeterProvider stays a no-op for good.
    decisions ??= metrics.getMeter('nest-cross-origin').createCounter('cors.decisions', {
      description: 'CORS decisions, by route, kind, verdict and reason',
      unit: '{decision}',
    });
    const attributes: Attributes = {
      'cors.route': event.route,
      'cors.kind': event.kind,
      'cors.verdict': event.verdict,
      'cors.reason': event.reason,
    };
    if (known !== null) attributes['cors.origin'] = known.has(event.origin) ? event.origin : 'other';
    decisions.add(1, attributes);
  };
}
