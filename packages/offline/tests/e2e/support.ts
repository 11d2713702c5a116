// Shared helpers for the end-to-end tests of `npm start`: a memoised synthesis (each distinct
// `sls package` costs seconds), captured output, and the JSON result read back from it.
import { readdirSync, readFileSync } from 'node:fs';
import type { StandInStats } from '@cross-account-lambda/offline/standin';
import { main } from '@cross-account-lambda/offline/start';
import { type SlsOptions, type Synthesis, synthesize } from '@cross-account-lambda/offline/synth';
import { coreArgs } from '@cross-account-lambda/template-tests/support/core';
import { recordOutput } from '../../testing/runRecord';

export const E2E_TIMEOUT_MS = 120_000;

/** Synthesises once per distinct options; main()'s dispose() is deferred to disposeAll(). */
export function memoisedSynthesis() {
  const cache = new Map<string, Promise<Synthesis>>();
  return {
    synthesize(options: SlsOptions): Promise<Synthesis> {
      const key = JSON.stringify(options);
      let synthesis = cache.get(key);
      if (!synthesis) {
        synthesis = synthesize(options);
        cache.set(key, synthesis);
      }
      return synthesis.then((real) => ({ ...real, dispose: async () => {} }));
    },
    async disposeAll(): Promise<void> {
      const all = await Promise.allSettled(cache.values());
      await Promise.all(
        all.map((entry) => (entry.status === 'fulfilled' ? entry.value.dispose() : undefined)),
      );
    },
  };
}

export interface StartRun {
  code: number;
  out: string;
  err: string;
  /** The stand-in's counters at the end of the invocation; undefined if it never ran. */
  stats: StandInStats | undefined;
}

/** Runs main() in this process; `output()` shows what it has printed so far. */
export function startRun(
  argv: string[],
  synthesis: ReturnType<typeof memoisedSynthesis>,
  signal?: AbortSignal,
): { result: Promise<StartRun>; output: () => string } {
  let out = '';
  let err = '';
  let stats: StandInStats | undefined;
  // The core's own job and target template unless the test names others (a later flag wins).
  const result = main(
    [...coreArgs(), ...argv],
    { out: (text) => (out += text), err: (text) => (err += text) },
    {
      synthesize: (options) => synthesis.synthesize(options),
      ...(signal ? { signal } : {}),
      onStats: (final) => {
        stats = final;
      },
    },
  ).then((code) => {
    // For the run's secret scan (packages/template-tests/support/reliabilityReporter.js): main() prints here, not
    // to the process's streams.
    recordOutput('npm start stdout', out);
    recordOutput('npm start stderr', err);
    return { code, out, err, stats };
  });
  return { result, output: () => out };
}

export function runStart(
  argv: string[],
  synthesis: ReturnType<typeof memoisedSynthesis>,
): Promise<StartRun> {
  return startRun(argv, synthesis).result;
}

/** The result JSON `npm start` prints between its header and its summary line. */
export function printedResult(out: string): unknown {
  const lines = out.split('\n');
  const start = lines.indexOf('{');
  const end = lines.indexOf('}', start);
  if (start === -1 || end === -1) throw new Error(`no result JSON in the output:\n${out}`);
  return JSON.parse(lines.slice(start, end + 1).join('\n'));
}

/** The summary line `npm start` ends with. */
export function summaryLine(out: string): string {
  return out.trimEnd().split('\n').at(-1) ?? '';
}

/**
 * Pids of live processes whose environment contains `text` (Linux /proc): a child that outlived
 * `npm start` would still carry the stand-in's URL in AWS_ENDPOINT_URL_STS.
 */
export function processesWithEnvironment(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(text))
        found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Access key ids, secrets shaped like AWS's, and session-token-sized blobs. */
export const CREDENTIAL_PATTERNS = [
  /(AKIA|ASIA)[A-Z0-9]{16}/,
  /OfflineHomeSecretKeyNotRealAnywhere00001/,
  /[A-Za-z0-9/+=]{120,}/,
];
