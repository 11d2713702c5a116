// The test run's record: what tests printed, which secrets were in play, and the figures the
// reliability tests counted, appended as JSON lines to per-process files in the folder the
// reliability reporter created (packages/template-tests/support/reliabilityReporter.js reads them at the end).
// Without that reporter (RELIABILITY_RUN_DIR unset) every function here does nothing.
import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findServiceRoot } from '../serviceRoot';
// Shared with the reporter (plain JavaScript, which Jest loads untransformed).
import { FRAGMENT_LENGTH, fragmentHashes, RUN_DIR_VARIABLE } from './secretScanner';

export type Figure =
  | {
      readonly figure: 'fault';
      readonly scenario: string;
      /** Stand-in counters: faults injected, by kind, during the scenario. */
      readonly injected: Readonly<Record<string, number>>;
      readonly outcome: 'recovered' | 'failed clearly';
    }
  | { readonly figure: 'events'; readonly generated: number; readonly valid: number }
  | { readonly figure: 'badConfig'; readonly variable: string; readonly tried: number };

const PROJECT_ROOT = findServiceRoot();

export function runDir(): string | undefined {
  return process.env[RUN_DIR_VARIABLE] || undefined;
}

let fileFinished = false;

/**
 * Called once the test file's tests are over: output that arrives later (a child process closing)
 * must not touch that file's `expect`, which Jest has torn down by then.
 */
export function markFileFinished(): void {
  fileFinished = true;
}

/** The test file and test that are running, for a finding's location. */
function where(): { file: string; test: string } {
  let state: { testPath?: string; currentTestName?: string } = {};
  if (fileFinished) return { file: 'unknown', test: '(after its test file finished)' };
  try {
    state = expect.getState();
  } catch {
    // Outside a test file (no expect): location unknown.
  }
  return {
    file: state.testPath ? relative(PROJECT_ROOT, state.testPath) : 'unknown',
    test: state.currentTestName ?? '(outside any test: hooks or module load)',
  };
}

function append(kind: 'output' | 'secrets' | 'figures' | 'files', record: object): void {
  const dir = runDir();
  if (!dir) return;
  const worker = process.env.JEST_WORKER_ID ?? '0';
  appendFileSync(
    join(dir, `${kind}-${worker}-${process.pid}.jsonl`),
    `${JSON.stringify(record)}\n`,
  );
}

/** Marks the running test file as captured: the reporter fails a file that ran without it. */
export function recordCaptureInstalled(): void {
  append('files', { file: where().file });
}

/** Something a test run made visible: a log line, a child process's output, a response. */
export function recordOutput(source: string, text: string): void {
  if (text.length > 0) append('output', { ...where(), source, text });
}

/**
 * A secret in play during the run. Only hashes of its fragments are written, so the record itself
 * never holds a credential; the reporter hashes the same fragments of what was printed.
 */
export function recordSecret(label: string, value: string | undefined): void {
  if (!value || !runDir()) return;
  append('secrets', {
    label,
    length: Math.min(value.length, FRAGMENT_LENGTH),
    hashes: fragmentHashes(value),
  });
}

export function recordFigure(figure: Figure): void {
  append('figures', { ...figure, ...where() });
}
