// `npm start` in distributed mode: the synthesised state machine run by aws-local-stepfunctions over
// a modelled organization, each batch an invocation of the built bundle in a local container.
import { E2E_TIMEOUT_MS, memoisedSynthesis, runStart } from './support';

const synthesis = memoisedSynthesis();
afterAll(() => synthesis.disposeAll(), E2E_TIMEOUT_MS);

const ACCOUNTS_UNDER_UNITS = 3; // the small organization's own ACTIVE accounts under the units
const MORE = 57;
const ACCOUNTS = ACCOUNTS_UNDER_UNITS + MORE;
const DISTRIBUTED = [
  '--stage',
  'localorg',
  '--accounts',
  String(MORE),
  '--param',
  'distributed=true',
  '--param',
  'distributedBatchSize=10',
];

/** Each target account assumed exactly once: no batch ran twice, none was lost. */
function assumedOncePerAccount(byAccount: Record<string, number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const times of Object.values(byAccount)) counts[times] = (counts[times] ?? 0) + 1;
  return counts;
}

describe('npm start --param distributed=true', () => {
  test(
    'runs every account of the organization in batches and says so',
    async () => {
      const run = await runStart(DISTRIBUTED, synthesis);
      expect({ code: run.code, err: run.code === 0 ? '' : run.err }).toEqual({ code: 0, err: '' });
      expect(run.out).toContain('Running the state machine (distributed mode)');
      expect(run.out).toMatch(/State machine cross-account-lambda-localorg-distributed: SUCCEEDED/);
      expect(run.out).toContain(
        'EachBatch: batches of 10 account(s), 10 at once, tolerating 10% failed',
      );
      expect(run.out).toContain(`batches   ${Math.ceil(ACCOUNTS / 10)} succeeded, 0 failed`);
      expect(run.out).toContain(
        `targets   ${ACCOUNTS} succeeded, 0 failed, in ${ACCOUNTS} account(s)`,
      );
      // The listing, then one invocation per batch.
      expect(run.out).toMatch(
        new RegExp(
          `function  ${Math.ceil(ACCOUNTS / 10) + 1} invocation\\(s\\) in \\d+ container\\(s\\)`,
        ),
      );
      const readerAccount = '999999999999';
      const { [readerAccount]: readerAssumed, ...targets } = run.stats?.assumeRole.byAccount ?? {};
      expect(assumedOncePerAccount(targets)).toEqual({ 1: ACCOUNTS });
      expect(readerAssumed).toBeGreaterThanOrEqual(1);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    'retries the batches Lambda throttles, and does each target once',
    async () => {
      // Five batches at once against a function that runs two: Lambda refuses the rest with
      // TooManyRequestsException, which the state machine retries (the function did not run).
      const run = await runStart(
        [
          ...DISTRIBUTED,
          '--param',
          'distributedMaxConcurrency=5',
          '--param',
          'reservedConcurrency=2',
        ],
        synthesis,
      );
      expect({ code: run.code, err: run.code === 0 ? '' : run.err }).toEqual({ code: 0, err: '' });
      const throttled = Number(/(\d+) throttled and retried/.exec(run.out)?.[1]);
      expect(throttled).toBeGreaterThan(0);
      expect(run.out).toContain(
        `targets   ${ACCOUNTS} succeeded, 0 failed, in ${ACCOUNTS} account(s)`,
      );
      const { '999999999999': _reader, ...targets } = run.stats?.assumeRole.byAccount ?? {};
      expect(assumedOncePerAccount(targets)).toEqual({ 1: ACCOUNTS });
    },
    E2E_TIMEOUT_MS,
  );

  test('refuses --data: the state machine decides what each batch is sent', async () => {
    const run = await runStart([...DISTRIBUTED, '--data', '{}'], synthesis);
    expect(run.code).toBe(2);
    expect(run.err).toContain('--data does not apply in distributed mode');
  });

  test('refuses --accounts outside an Organizations stage', async () => {
    const run = await runStart(['--accounts', '10'], synthesis);
    expect(run.code).toBe(2);
    expect(run.err).toContain('use it with --stage localorg');
  });
});
