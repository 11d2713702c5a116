// Runs work with stdout, stderr and console captured instead of printed, and hands what was
// captured, returned and thrown to the run record, so the secret scan sees what tests silenced.
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

/** The JSON records the logger wrote (other lines are ignored). */
export function logRecords(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
