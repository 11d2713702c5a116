// `npm run check` as a person runs it: exit status, output, and errors without stack traces.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { coreArgs } from '@cross-account-lambda/template-tests/support/core';
import { loosenedTargetTemplate, removeEditedTemplates, SYNTH_TIMEOUT_MS } from './support';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function check(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['node_modules/@cross-account-lambda/offline/check.ts', ...coreArgs(), ...args],
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** A stack trace through this project's own code. */
const OWN_STACK_FRAME = /^\s+at .*\/(scripts|offline|src)\/.*:\d+/m;

describe('npm run check (packages/offline/check.ts)', () => {
  it('documents its options with --help', async () => {
    const run = await check('--help');
    expect(run.code).toBe(0);
    for (const option of ['--stage', '--param', '--target-param <account:Key=Value>', '--json']) {
      expect(run.stdout).toContain(option);
    }
  });

  it('rejects a malformed --target-param with exit 2 before synthesising anything', async () => {
    const run = await check('--target-param', 'ExternalId=x');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--target-param takes <12-digit account>:<Key>=<Value>, got "ExternalId=x"',
    );
  });

  it(
    'prints a synthesis error as its message with exit 2, without a stack trace',
    async () => {
      const run = await check('--stage', 'dev');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Parameter "targetAccountIds" is missing');
      expect(run.stderr).not.toMatch(OWN_STACK_FRAME);
      expect(run.stdout).toBe('');
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'exits 0 and prints the table for the shipped configuration',
    async () => {
      const run = await check();
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^#\s+account\s+case\s+expected\s+got\s+decided by/m);
      expect(run.stdout).toMatch(
        /function assumes cross-account-demo-target,.*allowed\s+allowed\s+trust policy\s+ok/,
      );
      expect(run.stdout).toMatch(/All \d+ cases match/);
      // The function's credentials elsewhere, and the deploy roles' attacks, each named.
      expect(run.stdout).toMatch(
        /the execution role's credentials used outside Lambda \(no lambda:SourceFunctionArn\)\s+denied\s+denied\s+execution-role policy \(no allow\)\s+ok/,
      );
      for (const attack of [
        'inline \\*:\\* policy',
        'trust rewrite',
        'role without boundary',
        'boundary removed',
        'PassRole elsewhere',
        'public bucket',
      ]) {
        expect(run.stdout).toMatch(new RegExp(`\\[${attack}\\]\\s+denied\\s+denied\\s+.*ok`));
      }
      expect(run.stdout).toMatch(
        /OIDC: a pull request running the deploy workflow \[trust\]\s+denied\s+denied/,
      );
      expect(run.stdout).toMatch(
        /OIDC: the deploy workflow on another branch .*\s+denied\s+denied/,
      );
      expect(run.stdout).toMatch(/All \d+ deploy-role cases match/);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    "exits 1 when a second target region's bucket is not granted by the target role",
    async () => {
      const run = await check('--param', 'targetRegions=us-east-1,eu-west-1');
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /s3:ListBucket on arn:aws:s3:::cross-account-demo-222222222222-eu-west-1 \(the job declares it\)\s+allowed\s+denied\s+.*MISMATCH/,
      );
      expect(run.stdout).toMatch(
        /s3:ListBucket on arn:aws:s3:::cross-account-demo-222222222222-us-east-1 \(the job declares it\)\s+allowed\s+allowed\s+.*ok/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'exits 1 for a target stack deployed differently, with the diagnosis in --json',
    async () => {
      const run = await check(
        '--json',
        '--target-param',
        '222222222222:ExecutionRoleName=someone-else',
      );
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { ok: boolean; diagnoses: string[] };
      expect(report.ok).toBe(false);
      expect(report.diagnoses).toEqual([
        "target stack in 222222222222 trusts role someone-else but the function's role is cross-account-lambda-local-us-east-1-exec: deploy resources/cross-account-role.yml in 222222222222 with ExecutionRoleName=cross-account-lambda-local-us-east-1-exec",
      ]);
    },
    SYNTH_TIMEOUT_MS,
  );

  describe('fails on a wildcard in the trust policy, whatever AllowedPattern admits', () => {
    let loosened: string;
    beforeAll(() => {
      loosened = loosenedTargetTemplate();
    });
    afterAll(removeEditedTemplates);

    it.each([
      ['a *', 'cross-account-*'],
      ['a ? (every case still matches)', 'cross-account-lambda-local-us-east-1-exe?'],
    ])(
      'exits 1 naming %s in the trusted role ARN',
      async (_, name) => {
        const run = await check(
          '--target-template',
          loosened,
          '--target-param',
          `222222222222:ExecutionRoleName=${name}`,
        );
        expect(run.code).toBe(1);
        expect(run.stdout).toContain(
          `statement TrustOnlyTheFunctionExecutionRole: Condition ArnEquals aws:PrincipalArn "arn:aws:iam::111111111111:role/${name}": a wildcard in a trust policy`,
        );
      },
      SYNTH_TIMEOUT_MS,
    );
  });
});
