// Runs the real `sls package` into a temporary folder and reads what it produced: the
// CloudFormation template that `sls deploy` would submit and the deployment artefact.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type Entry, openPromise as openZip } from 'yauzl';

const run = promisify(execFile);

export const PROJECT_ROOT = resolve(__dirname, '..');
export const SLS_BIN = join(PROJECT_ROOT, 'node_modules', '.bin', 'sls');

export interface SlsOptions {
  stage?: string;
  region?: string;
  params?: Record<string, string>;
}

export interface CfnTemplate {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown> } & Record<string, unknown>
  >;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
  [key: string]: unknown;
}

export interface Synthesis {
  template: CfnTemplate;
  /** The zip `sls deploy` would upload. */
  artefactPath: string;
  /** Folder holding both; remove it with `dispose()`. */
  dir: string;
  dispose(): Promise<void>;
}

export class SynthesisError extends Error {
  override name = 'SynthesisError';
}

/** The command-line flags `sls` takes for these options, in a stable order. */
export function slsArgs({ stage = 'local', region, params = {} }: SlsOptions): string[] {
  const args = ['--stage', stage];
  if (region) args.push('--region', region);
  for (const [key, value] of Object.entries(params).sort(([a], [b]) => a.localeCompare(b))) {
    args.push('--param', `${key}=${value}`);
  }
  return args;
}

/**
 * A private esbuild work folder per run, so that concurrent runs (jest workers, `npm start`
 * while tests run) never share one.
 */
export function isolatedBuildEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ESBUILD_WORK_FOLDER: relative(PROJECT_ROOT, join(dir, 'esbuild')),
    // serverless-esbuild's zip step leaves a folder in the temp dir; keep it inside ours.
    TMPDIR: dir,
  };
}

const LOCK = join(tmpdir(), 'cross-account-lambda-sls-package.lock');
const STALE_LOCK_MS = 120_000;

/**
 * Runs `fn` while no other process of this project runs `sls package`: even with `--package`,
 * serverless-esbuild passes the zip through <project>/.serverless, so two runs at once fail with
 * ENOENT there. mkdir is atomic; a lock left by a killed process expires.
 */
export async function oneSlsPackageAtATime<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS)
          rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // Released between the two calls: try again.
      }
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export function synthesize(options: SlsOptions = {}): Promise<Synthesis> {
  return oneSlsPackageAtATime(() => packageInto(options));
}

async function packageInto(options: SlsOptions): Promise<Synthesis> {
  const dir = await mkdtemp(join(tmpdir(), 'xacct-synth-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const out = join(dir, 'package');
  try {
    await run(SLS_BIN, ['package', ...slsArgs(options), '--package', out], {
      cwd: PROJECT_ROOT,
      env: isolatedBuildEnv(dir),
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    await dispose();
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const detail = `${stdout}\n${stderr}`.trim().split('\n').slice(-12).join('\n');
    throw new SynthesisError(`sls package ${slsArgs(options).join(' ')} failed:\n${detail}`, {
      cause: error,
    });
  }
  const template = JSON.parse(
    await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as CfnTemplate;
  return { template, artefactPath: join(out, 'cross-account-lambda.zip'), dir, dispose };
}

/** The Lambda function's environment as the template sets it: what the handler will read. */
export function functionEnvironment(
  template: CfnTemplate,
  logicalId = 'CrossAccountLambdaFunction',
): Record<string, string> {
  const fn = template.Resources[logicalId];
  const variables = (fn?.Properties?.Environment as { Variables?: Record<string, string> })
    ?.Variables;
  if (!variables) throw new SynthesisError(`the template has no environment for ${logicalId}`);
  return variables;
}

/** The files inside a deployment artefact, by path, as Lambda will unpack them. */
export async function readArtefact(zipPath: string): Promise<Map<string, Buffer>> {
  const zip = await openZip(zipPath, { lazyEntries: true });
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', async (entry: Entry) => {
      try {
        if (!entry.fileName.endsWith('/')) {
          const chunks: Buffer[] = [];
          for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk);
          files.set(entry.fileName, Buffer.concat(chunks));
        }
        zip.readEntry();
      } catch (error) {
        reject(error);
      }
    });
    zip.readEntry();
  });
  return files;
}
