// `--job <module>`: the offline tools check and run any job module as it stands, without editing
// job/index.ts. The module is read here (the job's permissions and parameters for the IAM model),
// and the private copy the tools build from gets a job/index.ts that selects it, so the bundle,
// the serverless plugin's params.js and the model all see the same job.
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AnyJob } from '@cross-account-lambda/core/src/job';
import { type JobSelection, PROJECT_ROOT, SELECTED_JOB } from './projectCopy';

/** A job module of the project, the export that is the job, and the job. */
export interface JobModule extends JobSelection {
  readonly job: AnyJob;
  /** `<module>.fixtures.json` beside it, relative to the project root, when there is one. */
  readonly fixtures: string | undefined;
}

export class JobModuleError extends Error {
  override name = 'JobModuleError';
}

const isJob = (value: unknown): value is AnyJob =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as AnyJob).run === 'function' &&
  typeof (value as AnyJob).permissions === 'object';

/**
 * Reads `given` (a path relative to the working directory, optionally `#exportName`): the module
 * must be inside the project, so that its imports of the kit resolve in the tools' copy too.
 */
export async function loadJobModule(
  given: string = SELECTED_JOB,
  /** How the module is loaded: import() under tsx's CLI; require() where only its CommonJS hook is. */
  load: (path: string) => Promise<unknown> = (path) => import(path),
): Promise<JobModule> {
  const [file = '', wanted] = given.split('#');
  const absolute = isAbsolute(file) ? file : resolve(file);
  const path = relative(PROJECT_ROOT, absolute).split(sep).join('/');
  if (path.startsWith('../') || isAbsolute(path)) {
    throw new JobModuleError(
      `--job ${given}: the module must be inside the project (${PROJECT_ROOT}), beside its serverless.yml; move it under job/ or examples/`,
    );
  }
  if (!existsSync(absolute)) {
    throw new JobModuleError(`--job ${given}: no such file ${path}`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = (await load(absolute)) as Record<string, unknown>;
  } catch (error) {
    throw new JobModuleError(`--job ${given}: ${path} does not load: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const jobs = Object.keys(exports).filter((name) => name !== 'default' && isJob(exports[name]));
  const exportName = wanted ?? (jobs.length === 1 ? jobs[0] : undefined);
  const job = exportName === undefined ? undefined : exports[exportName];
  if (exportName === undefined || !isJob(job)) {
    throw new JobModuleError(
      jobs.length === 0
        ? `--job ${given}: ${path} exports no job; export the result of defineJob({ permissions, run })`
        : `--job ${given}: ${path} exports ${wanted ? `no job named ${wanted}; its jobs are` : 'several jobs'} ${jobs.join(', ')}; name one as --job ${path}#<name>`,
    );
  }
  const fixtures = path.replace(/\.ts$/, '.fixtures.json');
  return {
    path,
    exportName,
    job,
    fixtures: fixtures !== path && existsSync(join(PROJECT_ROOT, fixtures)) ? fixtures : undefined,
  };
}
