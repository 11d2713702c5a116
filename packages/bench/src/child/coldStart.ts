// One cold start: a fresh process loads the handler module and serves its first invocation.
// Times are read from the process's own clock, whose origin is the moment the process started,
// so they include Node's start-up as Lambda's init phase does.
import fs, { readFileSync, writeFileSync } from 'node:fs';
import {
  allowLoopbackOnly,
  benchInput,
  type Handler,
  lambdaContext,
  loadHandler,
  loadHandlerWithCodeCache,
  runChild,
} from './support';

export interface ColdStartInput {
  readonly handlerPath: string;
  readonly requestId: string;
  /**
   * The compile-free floor: `write` runs as usual and then saves V8's code cache of the module
   * (every function compiled so far, the first invocation's included); `read` loads the module
   * with that cache, so almost nothing is compiled.
   */
  readonly codeCache?: { readonly path: string; readonly mode: 'write' | 'read' };
  /**
   * Keep what is written to stdout, through fs.writeSync or process.stdout (the handler's log lines
   * and the code cache loader's INFO line). Only in the unmeasured round: it creates the stream.
   */
  readonly captureStdout?: boolean;
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
  /** With captureStdout, the lines written to stdout. */
  readonly stdoutLines?: readonly string[];
}

runChild(async (): Promise<ColdStartResult> => {
  const bootMs = performance.now();
  allowLoopbackOnly();
  const input = benchInput<ColdStartInput>();
  const { codeCache } = input;
  const stdoutLines: string[] = [];
  if (input.captureStdout) {
    const keep = (chunk: unknown) => {
      stdoutLines.push(...String(chunk).split('\n').filter(Boolean));
    };
    process.stdout.write = ((chunk: string | Uint8Array) => {
      keep(chunk);
      return true;
    }) as typeof process.stdout.write;
    const writeSync = fs.writeSync;
    fs.writeSync = ((fd: number, data: string | Uint8Array, ...rest: unknown[]) => {
      if (fd !== 1) return (writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
      keep(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
      return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    }) as typeof fs.writeSync;
  }
  const compiled = codeCache
    ? loadHandlerWithCodeCache(
        input.handlerPath,
        codeCache.mode === 'read' ? readFileSync(codeCache.path) : undefined,
      )
    : undefined;
  if (compiled?.cacheRejected) throw new Error(`V8 rejected the code cache ${codeCache?.path}`);
  const handler: Handler = compiled?.handler ?? loadHandler(input.handlerPath);
  const loadedAt = performance.now();
  const response = await handler({}, lambdaContext(input.requestId));
  const respondedAt = performance.now();
  if (compiled && codeCache?.mode === 'write') {
    writeFileSync(codeCache.path, compiled.script.createCachedData());
  }
  return {
    bootMs,
    initMs: loadedAt - bootMs,
    invokeMs: respondedAt - loadedAt,
    totalMs: respondedAt,
    maxRssKiB: process.resourceUsage().maxRSS,
    response,
    ...(input.captureStdout ? { stdoutLines } : {}),
  };
});
