// Runs the real `sls package` into a temporary folder and reads what it produced: the
// CloudFormation template that `sls deploy` would submit and the deployment artefact.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Entry, openPromise as openZip } from 'yauzl';
import { copyProject, type JobSelection, PROJECT_ROOT } from './projectCopy';
import { makeTempDir, removeTempDir } from './tempDirs';

const run = promisify(execFile);

export { PROJECT_ROOT };
export const SLS_BIN = join(PROJECT_ROOT, 'node_modules', '.bin', 'sls');

export interface SlsOptions {
  stage?: string;
  region?: string;
  params?: Record<string, string>;
  /** The job to build (--job); default the one job/index.ts selects. */
  job?: JobSelection;
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

const runningChildren = new Set<ChildProcess>();
let killOnExitInstalled = false;

/**
 * An `sls package` still running when this process exits (Ctrl-C, SIGTERM, a closed pipe) is
 * killed with it, so it cannot write into the temp folder that the exit handler removes.
 */
async function stoppedAtExit<T>(child: ChildProcess, done: Promise<T>): Promise<T> {
  if (!killOnExitInstalled) {
    // First among the 'exit' listeners: killed before tempDirs.ts removes the folder.
    process.prependOnceListener('exit', () => {
      for (const running of runningChildren) {
        try {
          if (running.pid !== undefined) process.kill(-running.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    });
    killOnExitInstalled = true;
  }
  runningChildren.add(child);
  try {
    return await done;
  } finally {
    runningChildren.delete(child);
  }
}

/** The environment `sls` runs in: whatever it or its plugins leave in the temp dir stays in ours. */
export function isolatedBuildEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, TMPDIR: dir };
}

/**
 * Runs the real `sls package` in a private copy of the project (see projectCopy.ts), so it never
 * touches the user's build output and needs no lock against concurrent runs.
 */
export async function synthesize(options: SlsOptions = {}): Promise<Synthesis> {
  const dir = await makeTempDir('xacct-synth-');
  const dispose = () => removeTempDir(dir);
  const project = join(dir, 'project');
  const out = join(dir, 'package');
  try {
    mkdirSync(project);
    await copyProject(project, PROJECT_ROOT, options.job);
    const running = run(SLS_BIN, ['package', ...slsArgs(options), '--package', out], {
      cwd: project,
      env: isolatedBuildEnv(dir),
      maxBuffer: 16 * 1024 * 1024,
      // Its own process group, so that stopping it stops what it started (esbuild's service);
      // execFile hands the option to spawn, though its type does not list it.
      ...({ detached: true } as object),
    });
    await stoppedAtExit(running.child, running);
  } catch (error) {
    await dispose();
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    // sls prints a build error with esbuild's stack under it: the frames say nothing to the user.
    const detail = `${stdout}\n${stderr}`
      .trim()
      .split('\n')
      .filter((line) => !/^\s+at /.test(line))
      .slice(-12)
      .join('\n');
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

/** Distributed mode's state machine in the synthesised home stack: [logical id, resource]. */
export function stateMachineEntry(template: CfnTemplate) {
  return Object.entries(template.Resources).find(
    ([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine',
  );
}

/** Whether the home stack has distributed mode's state machine. */
export function hasStateMachine(template: CfnTemplate): boolean {
  return stateMachineEntry(template) !== undefined;
}

/** Whether a function of the home stack pins its runtime version (--param runtimeVersionArn). */
export function pinsRuntime(template: CfnTemplate): boolean {
  return Object.values(template.Resources).some(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' &&
      resource.Properties?.RuntimeManagementConfig !== undefined,
  );
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
