// The suite passes wherever the project is checked out. Under the old 40-character rule of
// src/redact.ts it failed from roots of exactly 12 and 18 characters (`<root>/handlers/crossAccount`
// became 40 characters of base64 alphabet and stack frames came out as [REDACTED]). This copies the
// tracked files to folders whose absolute paths have exactly those lengths and runs there the tests
// that print stack frames and assert on the output: the unit tests and the reliability test that
// checks that no log line, response or error holds [REDACTED] (the one that failed).
import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';
import { linkInstalledModules } from '../../support/kitModules';

const PROJECT_ROOT = findServiceRoot();
const ROOT_LENGTHS = [12, 18];
const SUBSET = [
  'packages/core/tests',
  'packages/offline/tests/reliability/quiet-about-secrets.test.ts',
];
const RUN_TIMEOUT_MS = 240_000;

const copies: string[] = [];
afterAll(() => {
  for (const copy of copies) rmSync(copy, { recursive: true, force: true });
});

/** A fresh folder whose absolute path is exactly `length` characters: /tmp/cXXXXXX, padded. */
function folderOfLength(length: number): string {
  const made = mkdtempSync('/tmp/c');
  if (made.length > length) throw new Error(`${made} is already longer than ${length}`);
  const exact = `${made}${'x'.repeat(length - made.length)}`;
  if (exact !== made) renameSync(made, exact);
  copies.push(exact);
  return exact;
}

/** The tracked files (as they are in the working tree), indexed, and node_modules linked, at `root`. */
function checkoutAt(root: string): void {
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of tracked) {
    const from = join(PROJECT_ROOT, file);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(root, file)), { recursive: true });
    copyFileSync(from, join(root, file));
  }
  // A repository of its own, so tests that list the tracked files (git ls-files) work there too.
  execFileSync('git', ['init', '-q'], { cwd: root });
  execFileSync('git', ['add', '-A'], { cwd: root });
  // The installed packages are linked, but the kit's own are the copy's: its stack frames must
  // carry the copy's paths.
  const kit = linkInstalledModules(PROJECT_ROOT, root);
  for (const name of readdirSync(join(PROJECT_ROOT, 'packages'), { withFileTypes: true })) {
    if (name.isDirectory()) symlinkSync(join(root, 'packages', name.name), join(kit, name.name));
  }
}

function jestAt(root: string): Promise<{ code: number; output: string }> {
  const env = { ...process.env };
  delete env.JEST_WORKER_ID;
  const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  return new Promise((done) => {
    execFile(
      process.execPath,
      [jest, '-c', 'packages/jest.config.js', ...SUBSET, '--ci', '--maxWorkers=1'],
      { cwd: root, env, timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

const canRun = existsSync('/tmp') && existsSync(join(PROJECT_ROOT, '.git'));

(canRun ? describe : describe.skip)('the suite from checkouts of every troublesome length', () => {
  test(
    `passes from roots of exactly ${ROOT_LENGTHS.join(' and ')} characters`,
    async () => {
      const roots = ROOT_LENGTHS.map(folderOfLength);
      expect(roots.map((root) => root.length)).toEqual(ROOT_LENGTHS);
      for (const root of roots) checkoutAt(root);
      const runs = await Promise.all(roots.map(jestAt));
      runs.forEach((run, index) => {
        const root = roots[index];
        if (run.code !== 0) {
          throw new Error(`jest at ${root} exited ${run.code}:\n${run.output.slice(-4000)}`);
        }
        expect(run.output).toMatch(/^Tests: +\d+ passed, \d+ total$/m);
      });
    },
    RUN_TIMEOUT_MS + 60_000,
  );
});
