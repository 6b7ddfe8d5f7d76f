// A real pino logger (same options as production: levels, redaction) writing into memory,
// so tests can look at what would have been logged.
import { createLogger, type Logger } from '../../src/observability/logger.ts';

export interface MemoryLog {
  logger: Logger;
  /** Every line, parsed. */
  records: Record<string, unknown>[];
  /** Every line's `msg`. */
  messages(): string[];
  /** Every raw line, joined: for "this secret never appears anywhere" checks. */
  raw(): string;
}

export function memoryLogger(level = 'debug'): MemoryLog {
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(line: string) {
        lines.push(line);
        records.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, records, messages: () => records.map((r) => String(r.msg ?? '')), raw: () => lines.join('') };
}
