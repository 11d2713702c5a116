import { redactValue } from './redact';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string, level: LogLevel) => void;

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly base?: LogFields;
  readonly sink?: LogSink;
}

// Lambda forwards both streams to CloudWatch; stderr for WARN/ERROR keeps local runs readable.
export const processSink: LogSink = (line, level) => {
  const stream = level === 'WARN' || level === 'ERROR' ? process.stderr : process.stdout;
  stream.write(`${line}\n`);
};

/** One JSON object per line; every record goes through redaction before it is serialised. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'INFO');
  const sink = options.sink ?? processSink;
  const base = options.base ?? {};

  const emit = (level: LogLevel, message: string, fields: LogFields | undefined) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    const record = redactValue({
      ...base,
      ...fields,
      level,
      message,
      timestamp: new Date().toISOString(),
    });
    sink(JSON.stringify(record), level);
  };

  return {
    debug: (message, fields) => emit('DEBUG', message, fields),
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}
