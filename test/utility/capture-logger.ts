import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps every line, for asserting on what the library logs. */
export class CaptureLogger implements LoggerService {
  readonly lines: { level: string; message: string; context?: string }[] = [];
  private push(level: string, message: unknown, context?: unknown) {
    this.lines.push({ level, message: String(message), context: typeof context === 'string' ? context : undefined });
  }
  log(message: unknown, context?: unknown) { this.push('log', message, context); }
  warn(message: unknown, context?: unknown) { this.push('warn', message, context); }
  error(message: unknown, _trace?: unknown, context?: unknown) { this.push('error', message, context); }
  debug(message: unknown, context?: unknown) { this.push('debug', message, context); }
  verbose(message: unknown, context?: unknown) { this.push('verbose', message, context); }
  fatal(message: unknown, context?: unknown) { this.push('fatal', message, context); }
  from(context: string): string[] {
    return this.lines.filter((l) => l.context === context).map((l) => l.message);
  }
}
