// The offline tools build the function from a private copy of the project, never in it: the
// user's own `.serverless/` and `.esbuild/` (from `npm run package` or `sls package`) stay as they
// were, and runs in two checkouts, or two at once in one, share no folder and wait on no lock.
import { cp, symlink } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

export const PROJECT_ROOT = resolve(__dirname, '..');

// Build output and caches: not sources, and the copy makes its own.
const NOT_COPIED = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'coverage']);

/**
 * Copies the project's files into `dir` (which must exist) and links its node_modules there, so
 * `sls` run in `dir` resolves the same plugins and packages. Returns `dir`. Asynchronous on
 * purpose: under tsx, a process busy in a long synchronous call cannot answer tsx's signal relay,
 * and tsx then ends it on Ctrl-C before its clean-up runs.
 */
export async function copyProject(dir: string, root = PROJECT_ROOT): Promise<string> {
  await cp(root, dir, {
    recursive: true,
    filter: (source) => {
      const path = relative(root, source);
      const top = path.split(sep)[0] ?? '';
      return !NOT_COPIED.has(top) && !basename(source).endsWith('.log');
    },
  });
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
