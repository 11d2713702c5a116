// The offline tools build the function from a private copy of the project, never in it: the
// user's own `.serverless/` and `.esbuild/` (from `npm run package` or `sls package`) stay as they
// were, and runs in two checkouts, or two at once in one, share no folder and wait on no lock.
import { cp, symlink, writeFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { findServiceRoot } from './serviceRoot';

/** The service's folder (the nearest serverless.yml), not the kit's. */
export const PROJECT_ROOT = findServiceRoot();

// Build output and caches: not sources, and the copy makes its own.
const NOT_COPIED = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'coverage']);

/**
 * Copies the project's files into `dir` (which must exist) and links its node_modules there, so
 * `sls` run in `dir` resolves the same plugins and packages. Returns `dir`. Asynchronous on
 * purpose: under tsx, a process busy in a long synchronous call cannot answer tsx's signal relay,
 * and tsx then ends it on Ctrl-C before its clean-up runs.
 */
/** A job module of the project (`--job`) and the export that is the job. */
export interface JobSelection {
  /** Relative to the project root, with forward slashes, e.g. `examples/queryTable.ts`. */
  readonly path: string;
  readonly exportName: string;
}

/** The module every tool runs when no --job is given. */
export const SELECTED_JOB = 'job/index.ts';

export async function copyProject(
  dir: string,
  root = PROJECT_ROOT,
  job?: JobSelection,
): Promise<string> {
  await cp(root, dir, {
    recursive: true,
    filter: (source) => {
      const path = relative(root, source);
      const top = path.split(sep)[0] ?? '';
      return !NOT_COPIED.has(top) && !basename(source).endsWith('.log');
    },
  });
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  // The copy's job/index.ts selects the --job module: the bundle, the serverless plugin's params.js and
  // sls invoke local then all run that job.
  if (job && job.path !== SELECTED_JOB) {
    await writeFile(
      join(dir, SELECTED_JOB),
      `// Written by the offline tools (--job ${job.path}) in their private copy.\nexport { ${job.exportName} as job } from '../${job.path.replace(/\.ts$/, '')}';\n`,
    );
  }
  return dir;
}
