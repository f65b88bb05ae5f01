// The pino logger every part of Cadre logs through. JSON lines on stdout; secrets and
// authorization headers never reach the log.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface CreateLoggerOptions {
  level?: string;
  /** Where the lines go; standard output unless a test or the CLI says otherwise. */
  destination?: pino.DestinationStream;
}

/** A JSON logger with Cadre's redaction rules. */
export function createLogger({ level = 'info', destination }: CreateLoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'cadre' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.password'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
