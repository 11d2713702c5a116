// STS misbehaving under the real handler: the SDK's configured retry strategy absorbs transient
// faults (bounded, logged), a hung endpoint is cut off before Lambda would kill the function, a
// revoked session is assumed again exactly once, and clock skew is corrected or explained.
import {
  MAX_ATTEMPTS,
  REQUEST_TIMEOUT_MS,
  SAFETY_MARGIN_MS,
} from '@cross-account-lambda/core/src/clientSettings';
import {
  budgetIn,
  FEWER_THAN_ATTEMPTS,
  failedAttemptsLogged,
  invoke,
  MORE_THAN_ATTEMPTS,
  recordFaultScenario,
  retriesLogged,
  useOfflineAws,
} from './support';

const ASSUME = 'sts:AssumeRole';
// No longer called: AssumeRole's own answer names the assumed role. Counted to prove it.
const WHO_AM_I = 'sts:GetCallerIdentity';
const LIST = 's3:ListObjectsV2';

const aws = useOfflineAws();
const { calls } = aws;
const retriesOf = (client: string, operation: string) =>
  Array.from({ length: FEWER_THAN_ATTEMPTS }, (_, index) => [client, operation, index + 2]);

describe(`STS failing fewer times than the SDK's ${MAX_ATTEMPTS} attempts`, () => {
  test(`AssumeRole throttled ${FEWER_THAN_ATTEMPTS} times: ${FEWER_THAN_ATTEMPTS + 1} calls, each retry logged, the invocation succeeds`, async () => {
    aws().standIn.faults.add({
      kind: 'throttle',
      service: 'sts',
      action: 'AssumeRole',
      count: FEWER_THAN_ATTEMPTS,
    });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(ASSUME)).toBe(FEWER_THAN_ATTEMPTS + 1);
    expect(retriesLogged(run.records)).toEqual(retriesOf('STS (AssumeRole)', 'AssumeRoleCommand'));
    expect(failedAttemptsLogged(run.records)).toEqual(
      Array(FEWER_THAN_ATTEMPTS).fill(['STS (AssumeRole)', 'Throttling']),
    );
    recordFaultScenario(aws().standIn, 'STS AssumeRole throttled', 'recovered');
  });

  test(`AssumeRole answered with a bare HTTP 503 ${FEWER_THAN_ATTEMPTS} times: ${FEWER_THAN_ATTEMPTS + 1} calls, each retry logged, the invocation succeeds`, async () => {
    aws().standIn.faults.add({
      kind: 'unavailable',
      service: 'sts',
      action: 'AssumeRole',
      count: FEWER_THAN_ATTEMPTS,
    });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(ASSUME)).toBe(FEWER_THAN_ATTEMPTS + 1);
    expect(retriesLogged(run.records)).toEqual(retriesOf('STS (AssumeRole)', 'AssumeRoleCommand'));
    recordFaultScenario(aws().standIn, 'STS AssumeRole HTTP 503', 'recovered');
  });

  test('an AssumeRole connection dropped once: retried, 2 calls, the invocation succeeds', async () => {
    aws().standIn.faults.add({ kind: 'drop', service: 'sts', action: 'AssumeRole' });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(ASSUME)).toBe(2);
    expect(retriesLogged(run.records)).toEqual([['STS (AssumeRole)', 'AssumeRoleCommand', 2]]);
    recordFaultScenario(aws().standIn, 'STS AssumeRole connection dropped', 'recovered');
  });
});

describe(`STS failing on every one of the SDK's ${MAX_ATTEMPTS} attempts`, () => {
  test(`AssumeRole throttled ${MORE_THAN_ATTEMPTS} times: exactly ${MAX_ATTEMPTS} calls, then a Throttled message saying what to change`, async () => {
    aws().standIn.faults.add({
      kind: 'throttle',
      service: 'sts',
      action: 'AssumeRole',
      count: MORE_THAN_ATTEMPTS,
    });
    const run = await invoke(aws().coldStart());
    expect(run.error?.message).toMatch(
      new RegExp(
        `sts:AssumeRole on \\S+ \\(STS in us-east-1\\) was throttled \\(Throttling\\) on all ${MAX_ATTEMPTS} attempts .*Lower --param fanoutConcurrency`,
      ),
    );
    expect(calls(ASSUME)).toBe(MAX_ATTEMPTS);
    expect(calls(WHO_AM_I)).toBe(0);
    expect(aws().standIn.faults.list()[0]?.remaining).toBe(MORE_THAN_ATTEMPTS - MAX_ATTEMPTS);
    recordFaultScenario(aws().standIn, 'STS AssumeRole throttled throughout', 'failed clearly');
  });

  test(`AssumeRole answered with HTTP 503 every time: exactly ${MAX_ATTEMPTS} calls, then a ServiceUnavailable message`, async () => {
    aws().standIn.faults.add({
      kind: 'unavailable',
      service: 'sts',
      action: 'AssumeRole',
      always: true,
    });
    const run = await invoke(aws().coldStart());
    expect(run.error?.message).toMatch(
      new RegExp(
        `sts:AssumeRole .* failed \\(.*HTTP 503\\) after ${MAX_ATTEMPTS} attempts: the STS endpoint is unavailable`,
      ),
    );
    expect(calls(ASSUME)).toBe(MAX_ATTEMPTS);
    recordFaultScenario(aws().standIn, 'STS AssumeRole HTTP 503 throughout', 'failed clearly');
  });

  test(`AssumeRole connections dropped every time: exactly ${MAX_ATTEMPTS} calls, then a failure naming the step and the hang-up`, async () => {
    aws().standIn.faults.add({ kind: 'drop', service: 'sts', action: 'AssumeRole', always: true });
    const run = await invoke(aws().coldStart());
    // The SDK names a hang-up TimeoutError (code ECONNRESET), which Lambda reports as a timeout.
    // Under Jest the final error comes from another realm and the SDK wraps it in a plain Error,
    // so only the step and the SDK's words are certain here.
    expect(run.error?.message).toMatch(
      /sts:AssumeRole on \S+ \(STS in us-east-1\) (timed out|failed with .*TimeoutError: socket hang up)/,
    );
    expect(calls(ASSUME)).toBe(MAX_ATTEMPTS);
    recordFaultScenario(
      aws().standIn,
      'STS AssumeRole connections dropped throughout',
      'failed clearly',
    );
  });
});

describe('a hung STS endpoint', () => {
  const hang = REQUEST_TIMEOUT_MS * 4;

  test('AssumeRole held past the request timeout once: the attempt is cut off, retried, and the invocation succeeds', async () => {
    aws().standIn.faults.add({
      kind: 'delay',
      service: 'sts',
      action: 'AssumeRole',
      delayMs: hang,
    });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(ASSUME)).toBe(2);
    expect(failedAttemptsLogged(run.records)).toEqual([['STS (AssumeRole)', 'TimeoutError']]);
    recordFaultScenario(aws().standIn, 'STS AssumeRole hung once', 'recovered');
  });

  test('AssumeRole hung on every attempt: a clear timeout error while the invocation still has time left, and no more than the bounded attempts', async () => {
    aws().standIn.faults.add({
      kind: 'delay',
      service: 'sts',
      action: 'AssumeRole',
      delayMs: hang,
      always: true,
    });
    // Room for one whole attempt before the deadline, not for two: the first attempt is cut by
    // the request timeout however long the calls before it took, the second by the deadline.
    const budgetMs = 2 * REQUEST_TIMEOUT_MS + SAFETY_MARGIN_MS;
    const run = await invoke(aws().coldStart(), { budgetMs });
    expect(run.error?.message).toMatch(
      `sts:AssumeRole on arn:aws:iam::222222222222:role/cross-account-demo-target (STS in us-east-1) had not finished when the invocation's time budget`,
    );
    expect(budgetIn(run.error)).toBeLessThanOrEqual(budgetMs - SAFETY_MARGIN_MS);
    expect(run.msLeftAtAnswer).toBeGreaterThan(0);
    // The first attempt was cut off by the client's own request timeout, not only by the budget.
    expect(failedAttemptsLogged(run.records)[0]).toEqual(['STS (AssumeRole)', 'TimeoutError']);
    // The abandoned refresh goes on with its remaining attempts (in Lambda the frozen container
    // would resume it); it stops at the SDK's bound. Waited for, so no attempt leaks into the
    // next test's counts.
    for (let waited = 0; calls(ASSUME) < MAX_ATTEMPTS && waited < 4 * hang; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS + 500));
    expect(calls(ASSUME)).toBe(MAX_ATTEMPTS);
    recordFaultScenario(aws().standIn, 'STS AssumeRole hung throughout', 'failed clearly');
  });

  test("AssumeRole held past the invocation's budget (a credential refresh takes no abort signal): a clear timeout error while time is left, and the next warm invocation reuses what the abandoned refresh obtained", async () => {
    aws().standIn.faults.add({
      kind: 'delay',
      service: 'sts',
      action: 'AssumeRole',
      delayMs: hang,
    });
    // Less budget than one request timeout: only the invocation's own deadline can answer in time.
    const budgetMs = REQUEST_TIMEOUT_MS + SAFETY_MARGIN_MS - 500;
    const container = aws().coldStart();
    const run = await invoke(container, { budgetMs });
    expect(run.error?.message).toMatch(
      `sts:AssumeRole on arn:aws:iam::222222222222:role/cross-account-demo-target (STS in us-east-1) had not finished when the invocation's time budget`,
    );
    expect(budgetIn(run.error)).toBeLessThanOrEqual(budgetMs - SAFETY_MARGIN_MS);
    expect(run.msLeftAtAnswer).toBeGreaterThan(0);
    // The refresh went on (in Lambda the frozen container would resume it): its first attempt is
    // cut off by the request timeout, the retry succeeds, and the next invocation shares it.
    const next = await invoke(container, { requestId: 'req-2' });
    expect(next.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(ASSUME)).toBe(2);
    recordFaultScenario(aws().standIn, 'STS AssumeRole hung past the budget', 'failed clearly');
  });
});

describe('a revoked session (ExpiredToken while the credential is still inside its lifetime)', () => {
  test('is assumed again exactly once and the invocation succeeds', async () => {
    aws().standIn.faults.add({ kind: 'expiredToken', service: 's3', action: 'ListObjectsV2' });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(aws().standIn.stats.assumeRole.calls).toBe(2);
    expect(run.records.map((record) => record.message)).toContain(
      'the target rejected the cached session as expired; assuming the role again',
    );
    recordFaultScenario(aws().standIn, 'STS session revoked once', 'recovered');
  });

  test('revoked between two warm invocations: the second assumes again once (AssumeRole count +1) and succeeds', async () => {
    const container = aws().coldStart();
    expect((await invoke(container, { requestId: 'req-warm-1' })).result?.summary).toEqual({
      succeeded: 1,
      failed: 0,
    });
    expect(aws().standIn.stats.assumeRole.calls).toBe(1);
    aws().standIn.revokeSessions();
    const second = await invoke(container, { requestId: 'req-warm-2' });
    expect(second.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(aws().standIn.stats).toMatchObject({
      assumeRole: { calls: 2 },
      revokedCredentialRequests: 1,
    });
    recordFaultScenario(
      aws().standIn,
      'STS sessions revoked between warm invocations',
      'recovered',
    );
  });

  test('still rejected after the one re-assume: a clear ExpiredToken message and no loop (2 AssumeRole calls)', async () => {
    aws().standIn.faults.add({
      kind: 'expiredToken',
      service: 's3',
      action: 'ListObjectsV2',
      always: true,
    });
    const run = await invoke(aws().coldStart());
    expect(run.error?.message).toMatch(
      /S3 rejected the session of \S+ as expired \(ExpiredToken\) even after the role was assumed again\. Check that this machine's clock is right and whether the role's sessions are being revoked/,
    );
    expect(aws().standIn.stats.assumeRole.calls).toBe(2);
    expect(calls(LIST)).toBe(2);
    recordFaultScenario(aws().standIn, 'STS session revoked throughout', 'failed clearly');
  });
});

describe('clock skew against STS (5 minutes tolerated)', () => {
  test('10 minutes off, server time revealed: the SDK corrects its clock from the answer and the invocation succeeds', async () => {
    aws().standIn.setClockSkew(600);
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    // Only AssumeRole goes to STS (S3 tolerates 15 minutes): its client corrects its offset once.
    expect(aws().standIn.stats.errors).toEqual({ SignatureDoesNotMatch: 1 });
    expect([calls(ASSUME), calls(WHO_AM_I)]).toEqual([2, 0]);
    recordFaultScenario(aws().standIn, 'STS clock skew, server time revealed', 'recovered');
  });

  test('10 minutes off, server time hidden: an actionable ClockSkew message after a bounded number of calls', async () => {
    aws().standIn.setClockSkew(600, { revealServerTime: false });
    const run = await invoke(aws().coldStart());
    expect(run.error?.message).toMatch(
      /sts:AssumeRole .* was rejected with SignatureDoesNotMatch: .*the clock of this machine is off by more than 5 minutes \(sync it with NTP\)/,
    );
    expect(calls(ASSUME)).toBeGreaterThanOrEqual(1);
    expect(calls(ASSUME)).toBeLessThanOrEqual(MAX_ATTEMPTS);
    recordFaultScenario(aws().standIn, 'STS clock skew, server time hidden', 'failed clearly');
  });
});
