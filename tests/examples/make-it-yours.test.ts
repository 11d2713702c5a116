// README, "Make it yours", applied to a temporary copy of the project exactly as written: the
// commands, the lines and the YAML come from the README itself, so the walkthrough and this test
// cannot drift apart. Then the real `npm run check` (scripts/check.ts, a real `sls package`) must
// pass on the copy, and fail, naming the case, on a copy whose target stack leaves the grant out.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../offline/synth';
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

/** `npm run check -- <args>` as the README writes it, run as scripts/check.ts in `dir`. */
async function check(dir: string): Promise<{ code: number; output: string }> {
  const args = (checkCommand ?? '')
    .replace(/^npm run check( --)?/, '')
    .trim()
    .split(/\s+/);
  try {
    const { stdout, stderr } = await run('node_modules/.bin/tsx', ['scripts/check.ts', ...args], {
      cwd: dir,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}\n${stderr}` };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      output: `${failure.stdout ?? ''}\n${failure.stderr ?? ''}`,
    };
  }
}

describe('README, "Make it yours": the DynamoDB example as the function\'s job', () => {
  it('has every step this test applies, and the version it installs is the one pinned', () => {
    expect(copyCommand).toBe('cp examples/queryTable.ts examples/queryTable.fixtures.json job/');
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

  it('typechecks: the function (handlers/, src/, job/, config/, offline/, scripts/) on the new job', async () => {
    const dir = await copy('typecheck');
    await applyWalkthrough(dir, { grant: true });
    // The shipped job's own tests (tests/) test listObjects; the README says to replace them.
    writeFileSync(
      join(dir, 'tsconfig.walkthrough.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        include: ['handlers', 'src', 'job', 'config', 'offline', 'scripts'],
      }),
    );
    await expect(
      run('node_modules/.bin/tsc', ['--noEmit', '-p', 'tsconfig.walkthrough.json'], {
        cwd: dir,
        timeout: 120_000,
      }),
    ).resolves.toBeDefined();
  }, 180_000);
});
