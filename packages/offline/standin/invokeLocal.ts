// Runs the real `sls invoke local` against a running stand-in. The function runs in a child
// process exactly as a user would run it; only the environment points the SDK at 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { copyProject, type JobSelection, PROJECT_ROOT } from '../projectCopy';
import { isolatedBuildEnv, SLS_BIN, slsArgs } from '../synth';
import { StandInError } from './errors';
import type { HomeCredentials } from './homeCredentials';

const { LAMBDA_CODE_FLAGS } = require('@cross-account-lambda/serverless-plugin/code-cache') as {
  LAMBDA_CODE_FLAGS: readonly string[];
};

export interface InvokeLocalOptions {
  readonly standIn: { readonly url: string; readonly homeCredentials: HomeCredentials };
  /** Private temp folder (the project's copy it runs in, empty AWS config files). */
  readonly workDir: string;
  readonly functionName?: string;
  readonly stage?: string;
  readonly region?: string;
  readonly params?: Record<string, string>;
  /** The job to run (--job); default the one job/index.ts selects. */
  readonly job?: JobSelection;
  /** The event, as JSON text (sls --data). */
  readonly data?: string;
  /** Aborting kills sls and everything it started. */
  readonly signal?: AbortSignal;
  /** Kill sls after this long; default 120 s (it builds the bundle first). */
  readonly timeoutMs?: number;
}

export interface InvokeLocalResult {
  /** sls's exit code; null when it was killed. */
  readonly exitCode: number | null;
  readonly killedBy: 'timeout' | 'abort' | undefined;
  /** The function's result (or invoke local's error object), parsed from the end of stdout. */
  readonly output: unknown;
  /** Everything on stdout before the result: the function's own log lines. */
  readonly logLines: string[];
  readonly stderr: string;
  readonly args: string[];
  readonly durationMs: number;
}

/**
 * The child's environment: the caller's, minus every AWS_* variable (a developer's real profile
 * or keys must not reach the function), plus the stand-in's endpoints and the home credentials.
 * The AWS config files point at files that do not exist, so ~/.aws is never read, and IMDS is off.
 */
export function invokeLocalEnv(
  options: Pick<InvokeLocalOptions, 'standIn' | 'workDir' | 'region'>,
): NodeJS.ProcessEnv {
  const base = isolatedBuildEnv(options.workDir);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (!name.startsWith('AWS_')) env[name] = value;
  }
  const { url, homeCredentials } = options.standIn;
  const region = options.region ?? 'us-east-1';
  return {
    ...env,
    // Every service the job calls goes to the stand-in, not only STS and S3.
    AWS_ENDPOINT_URL: url,
    AWS_ENDPOINT_URL_STS: url,
    AWS_ENDPOINT_URL_S3: url,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: homeCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: homeCredentials.secretAccessKey,
    ...(homeCredentials.sessionToken ? { AWS_SESSION_TOKEN: homeCredentials.sessionToken } : {}),
    AWS_CONFIG_FILE: join(options.workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(options.workDir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Whatever sls or its plugins leave in the temp folder goes away with the work folder.
    TMPDIR: options.workDir,
    // The function runs in sls's process: under the flags of Lambda's bootstrap that change what
    // V8 compiles (a code cache is matched to them) and Node's header limit; not its heap limits,
    // which would bind sls itself.
    NODE_OPTIONS: [env.NODE_OPTIONS, ...LAMBDA_CODE_FLAGS, '--max-http-header-size=81920']
      .filter(Boolean)
      .join(' '),
  };
}

export function invokeLocalArgs(
  options: Pick<InvokeLocalOptions, 'functionName' | 'stage' | 'region' | 'params' | 'data'>,
): string[] {
  return [
    'invoke',
    'local',
    '--function',
    options.functionName ?? 'crossAccount',
    ...slsArgs({
      stage: options.stage ?? 'local',
      ...(options.region ? { region: options.region } : {}),
      params: options.params ?? {},
    }),
    ...(options.data === undefined ? [] : ['--data', options.data]),
  ];
}

const KILL_GRACE_MS = 3000;

export async function runInvokeLocal(options: InvokeLocalOptions): Promise<InvokeLocalResult> {
  const args = invokeLocalArgs(options);
  const started = Date.now();
  // In a copy of the project, so the user's own .esbuild/ and .serverless/ are never touched.
  const project = join(options.workDir, 'project');
  mkdirSync(project);
  await copyProject(project, PROJECT_ROOT, options.job);
  return new Promise((resolve, reject) => {
    // Its own process group, so that stopping it also stops what it started (esbuild's service).
    const child = spawn(SLS_BIN, args, {
      cwd: project,
      env: invokeLocalEnv(options),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let killedBy: InvokeLocalResult['killedBy'];
    const stop = (reason: 'timeout' | 'abort') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killedBy ??= reason;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs ?? 120_000);
    const onAbort = () => stop('abort');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new StandInError(`cannot start ${SLS_BIN}`, { cause: error }));
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever the function left running in the group goes with it.
      killGroup(child.pid, 'SIGKILL');
      const { output, logLines } = parseInvokeOutput(Buffer.concat(stdout).toString('utf8'));
      resolve({
        exitCode,
        killedBy,
        output,
        logLines,
        stderr: Buffer.concat(stderr).toString('utf8'),
        args,
        durationMs: Date.now() - started,
      });
    });
  });
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * invoke local prints the function's logs as they come, then the result (or its error object) as
 * JSON indented by 4, whose first line is a lone `{` (or `[`). Log lines are one-line JSON, so
 * they can never be mistaken for it.
 */
export function parseInvokeOutput(stdout: string): { output: unknown; logLines: string[] } {
  const lines = stdout.replace(/\s+$/, '').split('\n');
  for (let start = lines.length - 1; start >= 0; start -= 1) {
    if (!['{', '[', '{}', '[]'].includes(lines[start] ?? '')) continue;
    try {
      return { output: JSON.parse(lines.slice(start).join('\n')), logLines: lines.slice(0, start) };
    } catch {
      // A nested line of the result; its start is further up.
    }
  }
  return { output: undefined, logLines: lines.filter((line) => line.length > 0) };
}
