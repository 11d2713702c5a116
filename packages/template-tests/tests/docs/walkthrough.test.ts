// README, "Make it yours", applied to a temporary copy of the project exactly as written: the
// commands, the lines and the YAML come from the README itself, so the walkthrough and this test
// cannot drift apart. Then the real `npm run check` (packages/offline/check.ts, a real `sls package`) must
// pass on the copy, and fail, naming the case, on a copy whose target stack leaves the grant out;
// and the whole `npm test` must pass there, with no test gone but the replaced job's own.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/projectCopy';
import { runTool } from '../../support/runTool';
import {
  applyWalkthrough,
  checkCommand,
  copy,
  copyCommand,
  installCommand,
  mismatchOutput,
  newLine,
  oldLine,
  parameterYaml,
  permissionsLine,
  policiesYaml,
  run,
  TARGET_TEMPLATE,
} from './walkthrough';

// The outer suite is running beside it on the same machine: the nested one gets its time twice.
const WHOLE_SUITE_MS = 60 * 60_000;

/** `npm run check -- <args>` as the README writes it, run as packages/offline/check.ts in `dir`. */
async function check(dir: string): Promise<{ code: number; output: string }> {
  const args = (checkCommand ?? '')
    .replace(/^npm run check( --)?/, '')
    .trim()
    .split(/\s+/);
  return runTool(
    'node_modules/.bin/tsx',
    ['node_modules/@cross-account-lambda/offline/check.ts', ...args],
    {
      cwd: dir,
      timeout: 120_000,
    },
  );
}

describe('README, "Make it yours": the DynamoDB example as the function\'s job', () => {
  it('has every step this test applies, and the version it installs is the one pinned', () => {
    expect(copyCommand).toBe(
      'cp examples/queryTable.ts examples/queryTable.test.ts examples/queryTable.fixtures.json job/\nrm job/listObjects*',
    );
    expect(oldLine).toBe("export { listObjects as job } from './listObjects';");
    expect(newLine).toBe("export { queryTable as job } from './queryTable';");
    expect(parameterYaml).toMatch(/^ {2}TableName:\n/);
    expect(policiesYaml).toMatch(/^ {6}Policies:\n/);
    expect(policiesYaml).toContain('Action: dynamodb:Query');
    expect(checkCommand).toBe('npm run check -- --param targetTable=orders');
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
    const pinned = pkg.devDependencies['@aws-sdk/client-dynamodb'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installCommand).toBe(`npm install --save-exact @aws-sdk/client-dynamodb@${pinned}`);
  });

  it('passes npm run check: dynamodb:Query declared and granted, nothing else', async () => {
    const dir = await copy('granted');
    await applyWalkthrough(dir, { grant: true });
    const { code, output } = await check(dir);
    expect(output).toContain(
      'dynamodb:Query on arn:aws:dynamodb:us-east-1:222222222222:table/orders (the job declares it)',
    );
    expect(output).toMatch(/All \d+ cases match/);
    expect(output).toContain(permissionsLine);
    expect(output).toContain('declares dynamodb:Query; the target stack grants nothing else.');
    expect(code).toBe(0);
  }, 180_000);

  it('fails npm run check, naming the dynamodb:Query case, when the grant is left out', async () => {
    const dir = await copy('no-grant');
    await applyWalkthrough(dir, { grant: false });
    expect(readFileSync(join(dir, TARGET_TEMPLATE), 'utf8')).not.toMatch(/ReadOneBucket|dynamodb/);
    const { code, output } = await check(dir);
    expect(output).toMatch(
      /dynamodb:Query on arn:aws:dynamodb:us-east-1:222222222222:table\/orders \(the job declares it\) +allowed +denied .*MISMATCH/,
    );
    // What the README shows for this case, line by line (its elisions aside).
    for (const line of (mismatchOutput ?? '').split('\n')) {
      for (const part of line.split('…')) {
        if (part.trim()) expect(output).toContain(part.trim());
      }
    }
    expect(code).toBe(1);
  }, 180_000);

  it(
    "passes the whole npm test (typecheck, lint, every test) with none gone but the replaced job's own",
    async () => {
      const dir = await copy('whole-suite');
      await applyWalkthrough(dir, { grant: true });
      const before = await testFiles(PROJECT_ROOT);
      const after = await testFiles(dir);
      const gone = before.filter((file) => !after.includes(file));
      expect(gone).toContain('job/listObjects.test.ts');
      expect(gone.filter((file) => !file.startsWith('job/listObjects.'))).toEqual([]);
      expect(after.filter((file) => !before.includes(file))).toEqual(['job/queryTable.test.ts']);
      // A clone is a git checkout: the suite lists tracked files, Biome reads .gitignore.
      await run('git', ['init', '-q'], { cwd: dir });
      await run('git', ['add', '-A'], { cwd: dir });
      const { code, output } = await npmTest(dir);
      // The last lines say which test failed, if one did.
      expect({ code, tail: code === 0 ? '' : output.split('\n').slice(-60).join('\n') }).toEqual({
        code: 0,
        tail: '',
      });
      expect(output).toMatch(/Tests: +\d+ passed, \d+ total/);
    },
    WHOLE_SUITE_MS,
  );
});

/** Every test file jest would run in `dir`, relative to it. */
async function testFiles(dir: string): Promise<string[]> {
  const { stdout } = await run('node_modules/.bin/jest', ['--listTests'], {
    cwd: dir,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((file) => relative(dir, file))
    .sort();
}

function npmTest(dir: string): Promise<{ code: number; output: string }> {
  return runTool('npm', ['test'], { cwd: dir, timeout: WHOLE_SUITE_MS });
}
