// The offline tools build the function from a private copy of the project, never in it: the
// user's own `.serverless/` and `.esbuild/` (from `npm run package` or `sls package`) stay as they
// were, and runs in two checkouts, or two at once in one, share no folder and wait on no lock.
import { cpSync, symlinkSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';

export const PROJECT_ROOT = resolve(__dirname, '..');

// Build output and caches: not sources, and the copy makes its own.
const NOT_COPIED = new Set(['node_modules', '.git', '.serverless', '.esbuild', 'coverage']);

/**
 * Copies the project's files into `dir` (which must exist) and links its node_modules there, so
 * `sls` run in `dir` resolves the same plugins and packages. Returns `dir`.
 */
export function copyProject(dir: string, root = PROJECT_ROOT): string {
  cpSync(root, dir, {
    recursive: true,
    filter: (source) => {
      const path = relative(root, source);
      const top = path.split(sep)[0] ?? '';
      return !NOT_COPIED.has(top) && !basename(source).endsWith('.log');
    },
  });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
