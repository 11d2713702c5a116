// The function as Lambda runs it for distributed mode offline: the handler bundle from the
// artefact `sls package` built, in containers (child processes on Lambda's Node) that each run one
// invocation at a time and stay warm for the next. Beyond the function's concurrency an invocation
// is refused with Lambda's throttling error, which the state machine retries.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface FunctionPoolOptions {
  /** The unpacked artefact. */
  readonly codeDir: string;
  /** The function's Handler, e.g. handlers/crossAccount.handler. */
  readonly handler: string;
  /** The environment Lambda gives the function, pointed at the stand-in. */
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** The flags Lambda's bootstrap starts Node with (the plugin's code-cache.js lambdaNodeFlags). */
  readonly nodeFlags: readonly string[];
  /** The function's concurrency: its reserved concurrency, or undefined for the account's. */
  readonly concurrency: number | undefined;
  /** Each line the function writes (its logs), as it comes. */
  readonly onLogLine?: (line: string) => void;
}

/** A failed invocation, named as the Lambda integration of Step Functions names it. */
export class InvocationError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
  ) {
    // The integration's Cause is the error object as JSON.
    super(JSON.stringify({ errorType, errorMessage }));
    this.name = errorType;
  }
}

export interface PoolStats {
  invocations: number;
  coldStarts: number;
  throttled: number;
  timedOut: number;
  peakConcurrency: number;
}

interface Container {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
}

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { errorType: string; errorMessage: string } };

export interface FunctionPool {
  invoke(event: unknown): Promise<unknown>;
  readonly stats: Readonly<PoolStats>;
  close(): Promise<void>;
}

export function startFunctionPool(options: FunctionPoolOptions): FunctionPool {
  const dot = options.handler.lastIndexOf('.');
  const file = join(options.codeDir, `${options.handler.slice(0, dot)}.js`);
  const exportName = options.handler.slice(dot + 1);
  const idle: Container[] = [];
  const all = new Set<Container>();
  const pending = new Map<number, (reply: Reply) => void>();
  const stats: PoolStats = {
    invocations: 0,
    coldStarts: 0,
    throttled: 0,
    timedOut: 0,
    peakConcurrency: 0,
  };
  let nextId = 0;
  let running = 0;

  function start(): Container {
    stats.coldStarts += 1;
    const child = fork(join(__dirname, 'container.js'), [], {
      cwd: options.codeDir,
      env: {
        ...options.env,
        XACCT_CONTAINER_HANDLER_FILE: file,
        XACCT_CONTAINER_HANDLER_EXPORT: exportName,
        XACCT_CONTAINER_TIMEOUT_MS: String(options.timeoutMs),
      },
      // The bundle runs as Lambda runs it: under its bootstrap's flags, not tsx or this process's.
      execArgv: [...options.nodeFlags],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) => options.onLogLine?.(line));
    }
    const ready = new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the container exited with ${code}`)));
    });
    child.on('message', (message: Reply | { ready: true }) => {
      if ('id' in message) pending.get(message.id)?.(message);
    });
    const container: Container = { child, ready };
    all.add(container);
    child.once('exit', () => {
      all.delete(container);
      const at = idle.indexOf(container);
      if (at >= 0) idle.splice(at, 1);
    });
    return container;
  }

  async function invoke(event: unknown): Promise<unknown> {
    if (options.concurrency !== undefined && running >= options.concurrency) {
      stats.throttled += 1;
      throw new InvocationError('Lambda.TooManyRequestsException', 'Rate Exceeded.');
    }
    running += 1;
    stats.invocations += 1;
    stats.peakConcurrency = Math.max(stats.peakConcurrency, running);
    const container = idle.pop() ?? start();
    try {
      await container.ready.catch((error: Error) => {
        throw new InvocationError(
          'Runtime.ExitError',
          `the container did not start: ${error.message}`,
        );
      });
      const id = nextId++;
      const reply = await new Promise<Reply | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
        pending.set(id, (message) => {
          clearTimeout(timer);
          resolve(message);
        });
        container.child.once('exit', () => {
          clearTimeout(timer);
          resolve({
            id,
            ok: false,
            error: { errorType: 'Runtime.ExitError', errorMessage: 'the container exited' },
          });
        });
        container.child.send({ id, event });
      });
      pending.delete(id);
      if (reply === 'timeout') {
        // Lambda stops the container that ran over; the next invocation starts a new one.
        stats.timedOut += 1;
        container.child.kill('SIGKILL');
        throw new InvocationError(
          'Sandbox.Timedout',
          `Task timed out after ${(options.timeoutMs / 1000).toFixed(2)} seconds`,
        );
      }
      if (!reply.ok) throw new InvocationError(reply.error.errorType, reply.error.errorMessage);
      return reply.result;
    } finally {
      running -= 1;
      if (all.has(container)) idle.push(container);
    }
  }

  async function close(): Promise<void> {
    const exits = [...all].map(
      (container) =>
        new Promise<void>((resolve) => {
          container.child.once('exit', () => resolve());
          container.child.kill('SIGKILL');
        }),
    );
    await Promise.all(exits);
  }

  return { invoke, stats, close };
}
