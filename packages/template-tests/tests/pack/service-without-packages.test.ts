// The split between the service and the kit is real: the kit's packages, packed as npm would
// publish them, installed into a copy of the service that has no packages/ (nor examples/, which
// the kit's suites use), are all the service needs for npm test, npm run check and npm start.
// Their dependencies come from this checkout's install (the lock's versions), linked.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';
import { KIT_SCOPE, linkInstalledModules } from '../../support/kitModules';
import { runTool } from '../../support/runTool';

const ROOT = findServiceRoot();
/** The published packages: the service depends on these and on nothing else of the kit. */
const PUBLISHED = ['core', 'serverless-plugin', 'offline'];
/** The kit's own (private): the service's scripts that use them go with them. */
const PRIVATE = ['bench', 'template-tests'];
const NOT_THE_SERVICE = /^(packages|examples)\//;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'service-without-packages-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The tarballs `npm pack` makes of the published packages, by package directory name. */
function pack(into: string): Map<string, string> {
  const args = ['pack', '--json', '--pack-destination', into];
  for (const name of PUBLISHED) args.push('--workspace', `packages/${name}`);
  const packed = JSON.parse(execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8' })) as {
    name: string;
    filename: string;
  }[];
  return new Map(packed.map((p) => [p.name.slice(KIT_SCOPE.length + 1), join(into, p.filename)]));
}

/** The service's tracked files, its package.json without the workspaces and the private packages. */
function copyService(to: string): void {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file && !NOT_THE_SERVICE.test(file) && existsSync(join(ROOT, file)));
  for (const file of tracked) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(to, file));
  }
  const manifest = JSON.parse(readFileSync(join(to, 'package.json'), 'utf8'));
  delete manifest.workspaces;
  for (const name of PRIVATE) delete manifest.devDependencies[`${KIT_SCOPE}/${name}`];
  delete manifest.scripts.bench;
  delete manifest.scripts['test:kit'];
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  execFileSync('git', ['init', '-q'], { cwd: to });
  execFileSync('git', ['add', '-A'], { cwd: to });
}

/** node_modules: the checkout's installed packages linked, the kit's unpacked from its tarballs. */
function install(to: string, tarballs: Map<string, string>): void {
  const kit = linkInstalledModules(ROOT, to);
  for (const [name, tarball] of tarballs) {
    mkdirSync(join(kit, name));
    execFileSync('tar', ['xzf', tarball, '-C', join(kit, name), '--strip-components=1']);
  }
}

describe('the service without packages/, with the packed kit installed', () => {
  let service: string;
  let tarballs: Map<string, string>;

  beforeAll(() => {
    tarballs = pack(dir);
    service = join(dir, 'service');
    copyService(service);
    install(service, tarballs);
  }, 120_000);

  test('the service depends on each published package, and they pack', () => {
    const manifest = JSON.parse(readFileSync(join(service, 'package.json'), 'utf8'));
    const kit = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter(
      (name) => name.startsWith(`${KIT_SCOPE}/`),
    );
    expect(kit.sort()).toEqual(PUBLISHED.map((name) => `${KIT_SCOPE}/${name}`).sort());
    expect([...tarballs.keys()].sort()).toEqual([...PUBLISHED].sort());
    expect(existsSync(join(service, 'packages'))).toBe(false);
  });

  test.each([
    ['npm test', ['test']],
    ['npm run check', ['run', 'check']],
    ['npm start', ['start']],
  ])(
    '%s passes',
    async (_name, args) => {
      const { code, output } = await runTool('npm', args, { cwd: service, timeout: 300_000 });
      if (code !== 0) throw new Error(`exit ${code}:\n${output.slice(-4000)}`);
      expect(code).toBe(0);
    },
    300_000,
  );
});
