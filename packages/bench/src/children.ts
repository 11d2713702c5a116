// Builds the child scripts (src/child/*.ts) into plain JavaScript once, so that a child
// starts with `node script.js` and no TypeScript loader skews its timings, and runs them.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { build, type Plugin } from 'esbuild';
import { INPUT_VARIABLE, RESULT_FD } from './child/support';

export type ChildName = 'coldStart' | 'warmPath' | 'refresh' | 'invocations';

export type ChildScripts = Readonly<Record<ChildName, string>>;

/**
 * `sdkPlugins` are the handler's own esbuild plugins: children that call AWS directly (the warm
 * path's baseline) then run the same SDK code as the handler does.
 */
export async function buildChildScripts(
  outdir: string,
  sdkPlugins: Plugin[],
): Promise<ChildScripts> {
  const names: ChildName[] = ['coldStart', 'warmPath', 'refresh', 'invocations'];
  await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: names.map((name) => join(__dirname, 'child', `${name}.ts`)),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    mainFields: ['module', 'main'],
    plugins: sdkPlugins,
    logLevel: 'error',
  });
  return Object.fromEntries(names.map((name) => [name, join(outdir, `${name}.js`)])) as Record<
    ChildName,
    string
  >;
}

export interface ChildRun {
  readonly script: string;
  readonly input: unknown;
  readonly env: Readonly<Record<string, string>>;
  readonly nodeArgs?: readonly string[];
  readonly timeoutMs?: number;
}

export class ChildError extends Error {
  override name = 'ChildError';
}

interface ChildReport<T> {
  ok: boolean;
  result?: T;
  error?: { name: string; message: string; stack?: string };
  offLoopback: string[];
}

export interface ChildOutcome<T> {
  readonly result: T;
  /** Hosts beyond 127.0.0.1 the child tried to reach (and was refused). */
  readonly offLoopback: readonly string[];
}

/** Runs one child to completion; its stdout (the handler's logs) is discarded. */
export function runChildScript<T>(run: ChildRun): Promise<ChildOutcome<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(run.nodeArgs ?? []), run.script], {
      env: { ...run.env, [INPUT_VARIABLE]: JSON.stringify(run.input) },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    const results: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdio[RESULT_FD]?.on('data', (chunk: Buffer) => results.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => errors.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), run.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ChildError(`cannot start ${run.script}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(errors).toString('utf8').trim().split('\n').slice(-8).join('\n');
      const text = Buffer.concat(results).toString('utf8').trim();
      if (!text) {
        reject(
          new ChildError(`${run.script} ended (${signal ?? code}) without a result:\n${stderr}`),
        );
        return;
      }
      const parsed = JSON.parse(text) as ChildReport<T>;
      if (!parsed.ok || parsed.result === undefined) {
        const error = parsed.error;
        reject(
          new ChildError(`${run.script} failed: ${error?.stack ?? error?.message}\n${stderr}`),
        );
        return;
      }
      resolve({ result: parsed.result, offLoopback: parsed.offLoopback });
    });
  });
}
