// What every benchmark child process shares: its input, the handler module, a Lambda-like
// context, a guard that keeps it on 127.0.0.1, and the channel (fd 3) its result goes back on.
// Node built-ins only: the cold-start child must not load anything the handler would not.
import { readFileSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** Environment variable carrying the child's input as JSON. */
export const INPUT_VARIABLE = 'BENCH_INPUT';
/** File descriptor the parent reads the result from (stdout belongs to the handler's logs). */
export const RESULT_FD = 3;

export function benchInput<T>(): T {
  const text = process.env[INPUT_VARIABLE];
  if (!text) throw new Error(`${INPUT_VARIABLE} is not set`);
  return JSON.parse(text) as T;
}

/** Set instead: the result goes to this file (under valgrind, a write to fd 3 fails with EINVAL). */
export const RESULT_FILE_VARIABLE = 'BENCH_RESULT_FILE';

export function report(result: unknown): void {
  const file = process.env[RESULT_FILE_VARIABLE];
  if (file) writeFileSync(file, `${JSON.stringify(result)}\n`);
  else writeSync(RESULT_FD, `${JSON.stringify(result)}\n`);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const blocked: string[] = [];

/** Hosts this process tried to reach beyond the loopback interface (each attempt was refused). */
export function offLoopbackAttempts(): readonly string[] {
  return blocked;
}

/**
 * Refuses every TCP connection that does not go to 127.0.0.1: a request meant for AWS (a missing
 * endpoint override, the instance metadata service) fails at once and is counted, rather than
 * leaving this machine. Installed before the handler is loaded.
 */
export function allowLoopbackOnly(): void {
  const connect = Socket.prototype.connect as (...args: unknown[]) => Socket;
  const guarded = function (this: Socket, ...args: unknown[]): Socket {
    const host = hostOf(args);
    if (host !== undefined && !LOOPBACK.has(host)) {
      blocked.push(host);
      // Asynchronously, as a failed connection would: the caller attaches its listeners first.
      process.nextTick(() => this.destroy(new Error(`bench: connection to ${host} refused`)));
      return this;
    }
    return connect.apply(this, args);
  };
  Socket.prototype.connect = guarded as typeof Socket.prototype.connect;
}

// connect(options[, cb]), connect(port[, host][, cb]), connect(path[, cb]) or Node's internal
// normalised [options, cb] array. Unix socket paths have no host and are allowed.
function hostOf(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'number') return typeof args[1] === 'string' ? args[1] : 'localhost';
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; path?: unknown };
    if (typeof options.path === 'string' && options.path !== '') return undefined;
    return typeof options.host === 'string' ? options.host : 'localhost';
  }
  return undefined;
}

export type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** require()s the handler module as the Lambda runtime does (CommonJS, by absolute path). */
export function loadHandler(path: string): Handler {
  const loaded = createRequire(__filename)(path) as { handler?: unknown };
  if (typeof loaded.handler !== 'function') throw new Error(`${path} exports no handler`);
  return loaded.handler as Handler;
}

export interface CompiledHandler {
  readonly handler: Handler;
  /** The compiled module, for Script#createCachedData() once the invocation has run. */
  readonly script: Script;
  /** Whether V8 refused the code cache it was given (another Node build or other flags). */
  readonly cacheRejected: boolean;
}

/**
 * Loads the handler module as require() does (the same CommonJS wrapper and arguments), but
 * compiled through vm.Script so that V8 can be handed a code cache: the functions it holds are
 * not compiled again. Only the bench's compile-free floor uses it; Lambda cannot (see coldStart.ts).
 */
export function loadHandlerWithCodeCache(
  path: string,
  cachedData: Buffer | undefined,
): CompiledHandler {
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readFileSync(path, 'utf8')}\n})`;
  const script = new Script(wrapped, { filename: path, ...(cachedData ? { cachedData } : {}) });
  const module = { exports: {} as { handler?: unknown } };
  const body = script.runInThisContext() as (...args: unknown[]) => void;
  body(module.exports, createRequire(path), module, path, dirname(path));
  if (typeof module.exports.handler !== 'function') throw new Error(`${path} exports no handler`);
  return {
    handler: module.exports.handler as Handler,
    script,
    cacheRejected: cachedData !== undefined && script.cachedDataRejected === true,
  };
}

// Lambda's timeout as serverless.yml sets it; the cost curve sets the most Lambda allows.
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 10_000);

/** The parts of Lambda's context object the handlers read. */
export function lambdaContext(requestId: string) {
  const deadline = Date.now() + TIMEOUT_MS;
  return {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'crossAccount',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * Runs `main` and reports its result or error (with the blocked hosts) on the result channel,
 * then exits: the SDK's keep-alive sockets would otherwise hold the process open for seconds.
 */
export function runChild(main: () => Promise<unknown>): void {
  main().then(
    (result) => {
      report({ ok: true, result, offLoopback: blocked });
      process.exit(0);
    },
    (error: unknown) => {
      const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
      report({ ok: false, error: { name, message, stack }, offLoopback: blocked });
      process.exit(1);
    },
  );
}
