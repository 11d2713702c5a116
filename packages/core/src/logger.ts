import { writeSync } from 'node:fs';
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
  if (level === 'WARN' || level === 'ERROR') writeLine(2, line);
  else writeLine(1, line);
};

/** Descriptors that refused a synchronous write; their stream takes every later line. */
const streamed = new Set<number>();

/**
 * Writes one record and its newline straight to the file descriptor: creating process.stdout on
 * first use is a measurable part of a cold start (docs/performance.md), and for the files and
 * pipes Lambda and `sls invoke local` give a function, Node's stream writes synchronously
 * anyway. A descriptor that cannot take it (EAGAIN from a non-blocking pipe, EPIPE, anything
 * else) hands the unwritten rest of the line to the stream, and every later line too, so lines
 * stay whole and in order and a failed write is handled as the stream handles it.
 */
function writeLine(fd: 1 | 2, line: string): void {
  const text = Buffer.from(`${line}\n`);
  let written = 0;
  if (!streamed.has(fd)) {
    try {
      // A pipe may take part of a long line; the loop writes the rest.
      while (written < text.length) written += writeSync(fd, text, written);
      return;
    } catch {
      streamed.add(fd);
    }
  }
  (fd === 2 ? process.stderr : process.stdout).write(text.subarray(written));
}

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
