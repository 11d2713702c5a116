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
    results.push({ label: step.label, ms, calls, ...response.summary });
  }
  return results;
});
