// A scripted sequence of invocations in one fresh process (one container): each one timed, with
// the stand-in calls it caused. The fan-out section runs its single-account and 50-account
// scenarios with it.
import { type CallCounts, callsBetween, readStandInStats } from './standinStats';
import { allowLoopbackOnly, benchInput, lambdaContext, loadHandler, runChild } from './support';

export interface InvocationStep {
  readonly label: string;
  readonly event: unknown;
  /**
   * Moves Date.now() this far ahead before the step, as if the container had idled that long:
   * caches that age by Date.now() (the account list's) expire without the bench waiting. Signing
   * reads new Date(), so requests stay current for the stand-in.
   */
  readonly advanceClockMs?: number;
}

export interface InvocationsInput {
  readonly handlerPath: string;
  readonly requestId: string;
  readonly steps: readonly InvocationStep[];
}

export interface StepResult {
  readonly label: string;
  readonly ms: number;
  readonly calls: CallCounts;
  readonly succeeded: number;
  readonly failed: number;
  /** The process's peak resident set after the step. */
  readonly maxRssKiB: number;
  /** Sessions and SDK clients the container holds after the step (its last log line says). */
  readonly sessions: number | undefined;
  readonly clients: number | undefined;
}

/**
 * The handler's `invocation finished` lines, read as Lambda would ship them: the logger writes
 * each line with fs.writeSync on descriptor 1, which this wraps (the line is still written).
 */
function watchHeld(): () => { sessions?: number; clients?: number } {
  let last: { sessions?: number; clients?: number } = {};
  const fs = require('node:fs') as typeof import('node:fs');
  const writeSync = fs.writeSync;
  fs.writeSync = ((fd: number, buffer: unknown, ...rest: unknown[]) => {
    if (fd === 1 && (Buffer.isBuffer(buffer) || typeof buffer === 'string')) {
      const text = buffer.toString();
      if (text.includes('"invocation finished"')) {
        try {
          const record = JSON.parse(text) as { sessions?: number; clients?: number };
          last = { sessions: record.sessions, clients: record.clients };
        } catch {
          // part of a line: the figures stay those of the last whole one
        }
      }
    }
    return (writeSync as (...args: unknown[]) => number)(fd, buffer, ...rest);
  }) as typeof fs.writeSync;
  return () => last;
}

runChild(async (): Promise<StepResult[]> => {
  allowLoopbackOnly();
  const input = benchInput<InvocationsInput>();
  // Before the handler loads: its cold start captures Date.now.
  let offsetMs = 0;
  if (input.steps.some((step) => step.advanceClockMs)) {
    const realNow = Date.now;
    Date.now = () => realNow() + offsetMs;
  }
  const held = watchHeld();
  const handler = loadHandler(input.handlerPath);
  const results: StepResult[] = [];
  for (const step of input.steps) {
    offsetMs += step.advanceClockMs ?? 0;
    const before = await readStandInStats();
    const started = performance.now();
    const response = (await handler(step.event, lambdaContext(input.requestId))) as {
      summary: { succeeded: number; failed: number };
    };
    const ms = performance.now() - started;
    const calls = callsBetween(before, await readStandInStats());
    results.push({
      label: step.label,
      ms,
      calls,
      ...response.summary,
      maxRssKiB: process.resourceUsage().maxRSS,
      sessions: held().sessions,
      clients: held().clients,
    });
  }
  return results;
});
