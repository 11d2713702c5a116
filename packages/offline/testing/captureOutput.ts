// Runs work with stdout, stderr and console captured instead of printed, and hands what was
// captured, returned and thrown to the run record, so the secret scan sees what tests silenced.
// The logger writes to file descriptors 1 and 2 directly (src/logger.ts), so those writes are
// captured as well as the streams'.
import fs from 'node:fs';
import { inspect } from 'node:util';
import { recordOutput } from './runRecord';

export interface Captured<T> {
  /** Every chunk written, joined by newlines. */
  readonly output: string;
  readonly result: T | undefined;
  readonly error: unknown;
}

export async function captureOutput<T>(work: () => Promise<T>): Promise<Captured<T>> {
  const chunks: string[] = [];
  const record = (...args: unknown[]) => {
    chunks.push(args.map((arg) => (typeof arg === 'string' ? arg : String(arg))).join(' '));
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      record(String(chunk));
      return true;
    }),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      record(String(chunk));
      return true;
    }),
    captureDescriptorWrites(record),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      jest.spyOn(console, method).mockImplementation(record),
    ),
  ];
  let result: T | undefined;
  let error: unknown;
  try {
    result = await work();
  } catch (thrown) {
    error = thrown;
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  const output = chunks.join('\n');
  recordOutput('captured output', output);
  recordOutput('response', JSON.stringify(result) ?? '');
  if (error !== undefined) {
    // In full, hidden properties and causes included: whatever a caller could dig out of it.
    recordOutput(
      'thrown error',
      inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    );
  }
  return { output, result, error };
}

/**
 * fs.writeSync to stdout or stderr is recorded and reported as fully written (nothing printed);
 * writes to any other descriptor go through.
 */
function captureDescriptorWrites(record: (text: string) => void): { mockRestore(): void } {
  return {
    mockRestore: interceptDescriptorWrites((_fd, bytes) => {
      record(bytes.toString());
      return bytes.length;
    }),
  };
}

/**
 * Hands every fs.writeSync to descriptor 1 or 2 to `write` (which returns the bytes it took, or
 * throws as a descriptor would) until the returned function is called; other descriptors are
 * written. Not jest.spyOn: Jest restores its spies again when the file ends, which would put back
 * whatever fs.writeSync was when the spy was made (the previous file's capture, by then).
 */
export function interceptDescriptorWrites(write: (fd: 1 | 2, bytes: Buffer) => number): () => void {
  const original = fs.writeSync;
  const intercepted = ((fd: number, ...rest: unknown[]) =>
    fd === 1 || fd === 2
      ? write(fd, descriptorWrite(rest))
      : (original as (...args: unknown[]) => number)(fd, ...rest)) as typeof fs.writeSync;
  fs.writeSync = intercepted;
  return () => {
    if (fs.writeSync === intercepted) fs.writeSync = original;
  };
}

/** The bytes a writeSync(fd, ...rest) call asks to write, in each of its call forms. */
export function descriptorWrite(rest: readonly unknown[]): Buffer {
  const [data, offsetOrOptions, length] = rest;
  if (typeof data === 'string') return Buffer.from(data);
  const bytes = Buffer.from(data as Uint8Array);
  const options =
    typeof offsetOrOptions === 'object' && offsetOrOptions !== null
      ? (offsetOrOptions as { offset?: number; length?: number })
      : { offset: offsetOrOptions as number | undefined, length: length as number | undefined };
  const start = options.offset ?? 0;
  return bytes.subarray(start, start + (options.length ?? bytes.length - start));
}

/** The JSON records the logger wrote (other lines are ignored). */
export function logRecords(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
