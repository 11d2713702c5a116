// node_modules for a copy of the project: every installed package linked from this checkout's
// install, the kit's own scope left empty for the caller to fill (with the copy's packages, or
// the packed tarballs), so the copy runs the kit it is meant to test.
import { mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const KIT_SCOPE = '@cross-account-lambda';

/** Creates `to`/node_modules; returns the empty folder of the kit's scope in it. */
export function linkInstalledModules(root: string, to: string): string {
  const modules = realpathSync(join(root, 'node_modules'));
  const kit = join(to, 'node_modules', KIT_SCOPE);
  mkdirSync(kit, { recursive: true });
  for (const name of readdirSync(modules)) {
    if (name !== KIT_SCOPE) symlinkSync(join(modules, name), join(to, 'node_modules', name));
  }
  return kit;
}
