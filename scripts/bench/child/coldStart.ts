// One cold start: a fresh process loads the handler module and serves its first invocation.
// Times are read from the process's own clock, whose origin is the moment the process started,
// so they include Node's start-up as Lambda's init phase does.
import { allowLoopbackOnly, benchInput, lambdaContext, loadHandler, runChild } from './support';

export interface ColdStartInput {
  readonly handlerPath: string;
  readonly requestId: string;
}

export interface ColdStartResult {
  /** Process start to this script running (Node's own start-up, flags included). */
  readonly bootMs: number;
  /** require() of the handler module: the function's init phase. */
  readonly initMs: number;
  /** The first invocation, AssumeRole included. */
  readonly invokeMs: number;
  /** Process start to the first response. */
  readonly totalMs: number;
  /** Peak resident set size, KiB. */
  readonly maxRssKiB: number;
  readonly response: unknown;
}

runChild(async (): Promise<ColdStartResult> => {
  const bootMs = performance.now();
  allowLoopbackOnly();
  const input = benchInput<ColdStartInput>();
  const handler = loadHandler(input.handlerPath);
  const loadedAt = performance.now();
  const response = await handler({}, lambdaContext(input.requestId));
  const respondedAt = performance.now();
  return {
    bootMs,
    initMs: loadedAt - bootMs,
    invokeMs: respondedAt - loadedAt,
    totalMs: respondedAt,
    maxRssKiB: process.resourceUsage().maxRSS,
    response,
  };
});
