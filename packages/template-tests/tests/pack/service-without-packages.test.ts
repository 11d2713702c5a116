// The split between the service and the kit is real: the kit's packages, packed as npm would
// publish them, installed into a copy of the service that has no packages/ (nor examples/, which
// the kit's suites use), are all the service needs for npm test, npm run check and npm start.
// Their dependencies come from this checkout's install (the lock's versions), linked.
import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';

const ROOT = findServiceRoot();
const SCOPE = '@cross-account-lambda';
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

function run(command: string, args: string[], cwd: string) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  delete env.JEST_WORKER_ID;
  return new Promise<{ code: number; output: string }>((done) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** The tarballs `npm pack` makes of the published packages, by package directory name. */
function pack(into: string): Map<string, string> {
  const args = ['pack', '--json', '--pack-destination', into];
  for (const name of PUBLISHED) args.push('--workspace', `packages/${name}`);
  const packed = JSON.parse(execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8' })) as {
    name: string;
    filename: string;
  }[];
  return new Map(packed.map((p) => [p.name.slice(SCOPE.length + 1), join(into, p.filename)]));
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
  for (const name of PRIVATE) delete manifest.devDependencies[`${SCOPE}/${name}`];
  delete manifest.scripts.bench;
  delete manifest.scripts['test:kit'];
  writeFileSync(join(to, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  execFileSync('git', ['init', '-q'], { cwd: to });
  execFileSync('git', ['add', '-A'], { cwd: to });
}

/** node_modules: the checkout's installed packages linked, the kit's unpacked from its tarballs. */
function install(to: string, tarballs: Map<string, string>): void {
  const modules = realpathSync(join(ROOT, 'node_modules'));
  const kit = join(to, 'node_modules', SCOPE);
  mkdirSync(kit, { recursive: true });
  for (const name of readdirSync(modules)) {
    if (name !== SCOPE) symlinkSync(join(modules, name), join(to, 'node_modules', name));
  }
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
      (name) => name.startsWith(`${SCOPE}/`),
    );
    expect(kit.sort()).toEqual(PUBLISHED.map((name) => `${SCOPE}/${name}`).sort());
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
      const { code, output } = await run('npm', args, service);
      if (code !== 0) throw new Error(`exit ${code}:\n${output.slice(-4000)}`);
      expect(code).toBe(0);
    },
    300_000,
  );
});
