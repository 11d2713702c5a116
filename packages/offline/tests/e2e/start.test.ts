// `npm start` as a user runs it: the real script, the real `sls package` and `sls invoke local`,
// against the offline stand-in.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { coreArgs } from '@cross-account-lambda/template-tests/support/core';
import {
  CREDENTIAL_PATTERNS,
  E2E_TIMEOUT_MS,
  memoisedSynthesis,
  printedResult,
  runStart,
  summaryLine,
} from './support';

function npmStart(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent', '--', ...coreArgs(), ...args], {
      cwd: PROJECT_ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test(
  'npm start lists the demo bucket of target account 222222222222 through the assumed role and exits 0',
  async () => {
    const { code, stdout, stderr } = await npmStart(['--data', '{"prefix":"reports/"}']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });

    expect(stdout).toMatch(/^Offline AWS stand-in at http:\/\/127\.0\.0\.1:\d+ /m);
    expect(stdout).toContain('target  222222222222  role cross-account-demo-target');
    expect(printedResult(stdout)).toEqual({
      results: [
        {
          account: '222222222222',
          region: 'us-east-1',
          ok: true,
          assumedRoleArn: expect.stringMatching(
            /^arn:aws:sts::222222222222:assumed-role\/cross-account-demo-target\/cross-account-lambda-local-/,
          ),
          bucket: 'cross-account-demo-222222222222-us-east-1',
          keys: ['reports/2026-01.csv', 'reports/2026-02.csv', 'reports/summary.json'],
          truncated: false,
        },
      ],
      summary: { succeeded: 1, failed: 0 },
    });
    expect(summaryLine(stdout)).toMatch(
      /^STS 1 call \(AssumeRole 1\) \| S3 1 call \(ListObjectsV2 1\) \| credentials issued 1 \| no AWS errors \| /,
    );
    for (const pattern of CREDENTIAL_PATTERNS) expect(`${stdout}\n${stderr}`).not.toMatch(pattern);
  },
  E2E_TIMEOUT_MS,
);

describe('options', () => {
  const synthesis = memoisedSynthesis();
  afterAll(() => synthesis.disposeAll(), E2E_TIMEOUT_MS);

  test('--help describes the options and exits 0 without building anything', async () => {
    const run = await runStart(['--help'], synthesis);
    expect(run.code).toBe(0);
    expect(run.out).toContain('--target-param <account:Key=Value>');
    expect(run.out).toContain('--faults <json>');
  });

  test.each([
    [['--data', '{not json'], '--data must be JSON'],
    [
      ['--target-param', '2222:ExecutionRoleName=x'],
      '--target-param takes <12-digit account>:<Key>=<Value>',
    ],
    [
      ['--faults', '[{"kind":"throttle","service":"EC2"}]'],
      "--faults[0].service must be a service's signing name",
    ],
    [['--no-such-option'], "Unknown option '--no-such-option'"],
    [['--upstream', 'localhost:4566'], '--upstream must be an http:// or https:// URL'],
    [['--fixtures', 'no-such.fixtures.json'], 'cannot read the fixture file no-such.fixtures.json'],
  ])('%j is refused with exit 2 and says what is wrong', async (argv, message) => {
    const run = await runStart(argv, synthesis);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
  });

  test('a fixture whose output does not fit its operation is refused at start, naming member and operation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xacct-start-fixture-'));
    try {
      const file = join(dir, 'bad.fixtures.json');
      writeFileSync(
        file,
        JSON.stringify({
          fixtures: [{ operation: 'dynamodb:Query', output: { Items: [], Count: 0, Scanned: 0 } }],
        }),
      );
      const run = await runStart(['--fixtures', file], synthesis);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(
        /bad\.fixtures\.json#fixtures\[0\]: output\.Scanned is not a member of QueryOutput \(its members: .*ScannedCount.*\): dynamodb:Query answers with QueryOutput/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
