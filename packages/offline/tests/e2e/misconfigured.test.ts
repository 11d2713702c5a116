// `npm start` with misconfigured stacks fails as AWS would, with the handler's actionable message;
// several accounts are served at once; an interrupted run leaves nothing behind.
// These call the script's main() (which spawns the real `sls invoke local`) so that runs sharing
// a parameter set share one `sls package`.
import { loosenedTargetTemplate, removeEditedTemplates } from '../iam/support';
import {
  E2E_TIMEOUT_MS,
  memoisedSynthesis,
  printedResult,
  processesWithEnvironment,
  runStart,
  startRun,
  summaryLine,
} from './support';

const synthesis = memoisedSynthesis();
afterAll(() => synthesis.disposeAll(), E2E_TIMEOUT_MS);
afterAll(removeEditedTemplates);

describe('a target template whose AllowedPattern was loosened to admit wildcards', () => {
  let loosened: string;
  beforeAll(() => {
    loosened = loosenedTargetTemplate();
  });

  // The evaluator honours * and ? in ArnEquals as IAM does, so the function itself would succeed.
  it.each([
    ['a *', 'cross-account-*'],
    ['a ?', 'cross-account-lambda-local-us-east-1-exe?'],
  ])(
    'is refused by npm start with %s in ExecutionRoleName, before anything runs, exit 1',
    async (_, name) => {
      const run = await runStart(
        ['--target-template', loosened, '--target-param', `222222222222:ExecutionRoleName=${name}`],
        synthesis,
      );
      expect(run.code).toBe(1);
      expect(run.err).toContain(
        'npm start refuses a target stack whose trust policy has a wildcard (npm run check fails on it too):',
      );
      expect(run.err).toContain(
        `target stack in 222222222222: policy trust, statement TrustOnlyTheFunctionExecutionRole: Condition ArnEquals aws:PrincipalArn "arn:aws:iam::111111111111:role/${name}"`,
      );
      expect(run.out).not.toContain('Running sls invoke local');
    },
    E2E_TIMEOUT_MS,
  );
});

test(
  "a target stack that trusts another execution role fails AssumeRole with the handler's AccessDenied message and exit 1",
  async () => {
    const run = await runStart(
      ['--target-param', '222222222222:ExecutionRoleName=someone-else'],
      synthesis,
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain('The function failed (AllTargetsFailedError):');
    expect(run.out).toContain(
      '- 222222222222: AssumeRole was denied: arn:aws:sts::111111111111:assumed-role/cross-account-lambda-local-us-east-1-exec/crossAccount may not assume arn:aws:iam::222222222222:role/cross-account-demo-target.',
    );
    // Actionable: it names the target stack parameters to set.
    expect(run.out).toContain('ExecutionRoleName=cross-account-lambda-local-us-east-1-exec');
    expect(summaryLine(run.out)).toMatch(
      /^STS 1 call \(AssumeRole 1\) \| S3 0 calls \| credentials issued 0 \| AWS errors: AccessDenied 1/,
    );
  },
  E2E_TIMEOUT_MS,
);

test(
  "listing a bucket outside the target role's grant is denied on s3:ListBucket and named in the message",
  async () => {
    const run = await runStart(
      [
        // The bucket exists, but the target stack grants only the demo bucket.
        '--data',
        '{"bucket":"other-bucket-222222222222"}',
        '--bucket',
        '222222222222:other-bucket-222222222222',
      ],
      synthesis,
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      '- 222222222222: arn:aws:iam::222222222222:role/cross-account-demo-target may not s3:ListBucket on arn:aws:s3:::other-bucket-222222222222.',
    );
    expect(summaryLine(run.out)).toContain(
      'S3 1 call (ListObjectsV2 1) | credentials issued 1 | AWS errors: AccessDenied 1',
    );
  },
  E2E_TIMEOUT_MS,
);

test(
  'three accounts, one of them misconfigured: two results and one actionable error, exit 0',
  async () => {
    const run = await runStart(
      [
        '--param',
        'targetAccountIds=222222222222,333333333333,444444444444',
        '--target-param',
        '333333333333:ExecutionRoleName=someone-else',
      ],
      synthesis,
    );
    expect(run.code).toBe(0);
    const result = printedResult(run.out) as {
      results: { account: string; ok: boolean; error?: { code: string; message: string } }[];
      summary: unknown;
    };
    expect(result.summary).toEqual({ succeeded: 2, failed: 1 });
    expect(result.results.map(({ account, ok }) => [account, ok])).toEqual([
      ['222222222222', true],
      ['333333333333', false],
      ['444444444444', true],
    ]);
    const failure = result.results[1]?.error;
    expect(failure?.code).toBe('AssumeRoleDenied');
    expect(failure?.message).toContain(
      'may not assume arn:aws:iam::333333333333:role/cross-account-demo-target',
    );
    expect(failure?.message).toContain(
      'check parameters TrustedAccountId=111111111111 and ExecutionRoleName=',
    );
    expect(summaryLine(run.out)).toMatch(/^STS 3 calls \(AssumeRole 3\) \| S3 2 calls/);
  },
  E2E_TIMEOUT_MS,
);

test(
  'an interrupted run (Ctrl-C, SIGTERM) stops sls invoke local and the stand-in and exits 143',
  async () => {
    const controller = new AbortController();
    // A hung STS keeps the function busy until the interruption.
    const run = startRun(
      ['--faults', '[{"kind":"delay","service":"sts","delayMs":60000}]'],
      synthesis,
      controller.signal,
    );
    const url = await standInUrlOf(run);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(processesWithEnvironment(`AWS_ENDPOINT_URL_STS=${url}`).length).toBeGreaterThan(0);

    controller.abort('SIGTERM');
    expect((await run.result).code).toBe(143);
    expect(processesWithEnvironment(`AWS_ENDPOINT_URL_STS=${url}`)).toEqual([]);
    await expect(fetch(`${url}/`)).rejects.toThrow();
  },
  E2E_TIMEOUT_MS,
);

async function standInUrlOf(run: ReturnType<typeof startRun>): Promise<string> {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  run.result.then(settle, settle);
  for (;;) {
    const url = /stand-in at (http:\/\/127\.0\.0\.1:\d+)/.exec(run.output())?.[1];
    if (url) return url;
    if (settled) throw new Error(`npm start ended before the stand-in started:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
