// `npm start -- --stage localorg`: the function takes its accounts from AWS Organizations. The
// real `sls invoke local` runs the bundle built with discovery against the stand-in, whose
// Organizations lists a small modelled organization (packages/offline/modelledOrganization.ts): three
// ACTIVE accounts under the configured OU (one in a child OU), one SUSPENDED there, one ACTIVE in
// a sibling OU. Every one of them has the target stack; the function must reach the three only.
import {
  CREDENTIAL_PATTERNS,
  E2E_TIMEOUT_MS,
  memoisedSynthesis,
  printedResult,
  runStart,
  type StartRun,
  summaryLine,
} from './support';

const WORKLOADS = 'ou-ab12-11111111';
const PROD = 'ou-ab12-33333333';
const READER_ACCOUNT = '999999999999';
const DISCOVERED = ['222222222222', '333333333333', '444444444444'];
const SUSPENDED = '555555555555';
const IN_SIBLING_OU = '666666666666';

const synthesis = memoisedSynthesis();
let run: StartRun;
beforeAll(async () => {
  run = await runStart(['--stage', 'localorg', '--logs'], synthesis);
}, E2E_TIMEOUT_MS);
afterAll(() => synthesis.disposeAll());

test('the run succeeds and the header shows the modelled organization', () => {
  expect({ code: run.code, err: run.code === 0 ? '' : run.err }).toEqual({ code: 0, err: '' });
  expect(run.out).toContain(
    `reader  ${READER_ACCOUNT}  role cross-account-organizations-reader lists organization o-a1b2c3d4e5`,
  );
  expect(run.out).toContain(`${WORKLOADS} Workloads  (targetOrganizationalUnits)`);
  expect(run.out).toMatch(new RegExp(`${SUSPENDED} SUSPENDED  role cross-account-demo-target`));
});

test('discovery finds the ACTIVE accounts under the OU and its child OU, and the fan-out reaches each', () => {
  expect(run.out).toContain(
    'Discovery: 3 ACTIVE account(s) in 2 unit(s), 4 Organizations call(s); left out: SUSPENDED 1',
  );
  const result = printedResult(run.out) as {
    results: { account: string; ok: boolean; bucket: string }[];
    summary: unknown;
  };
  expect(result.results.map((r) => [r.account, r.ok, r.bucket])).toEqual(
    DISCOVERED.map((account) => [account, true, `cross-account-demo-${account}-us-east-1`]),
  );
  expect(result.summary).toEqual({ succeeded: 3, failed: 0 });
});

test('the suspended account and the one in the sibling OU are never called', () => {
  const stats = run.stats;
  if (!stats) throw new Error('the stand-in reported no counters');
  // One AssumeRole per discovered account, one for the reader; none elsewhere.
  expect(stats.assumeRole.byAccount).toEqual({
    [READER_ACCOUNT]: 1,
    ...Object.fromEntries(DISCOVERED.map((account) => [account, 1])),
  });
  expect(stats.calls.byAction['s3:ListObjectsV2']).toBe(3);
  for (const account of [SUSPENDED, IN_SIBLING_OU]) {
    expect(stats.assumeRole.byAccount[account]).toBeUndefined();
    expect(run.err).not.toContain(account);
  }
});

test('Organizations is called once per unit per listing: the OU and its child, no other', () => {
  expect(run.stats?.organizations).toEqual({
    calls: 4,
    byParent: { [WORKLOADS]: 2, [PROD]: 2 },
  });
  expect(summaryLine(run.out)).toMatch(
    /^STS 4 calls \(AssumeRole 4\) \| S3 3 calls \(ListObjectsV2 3\) \| Organizations 4 calls \(ListAccountsForParent 2, ListOrganizationalUnitsForParent 2\) \| credentials issued 4 \| no AWS errors \| /,
  );
});

test('no credential reaches the output or the logs', () => {
  for (const pattern of CREDENTIAL_PATTERNS) expect(`${run.out}\n${run.err}`).not.toMatch(pattern);
});
