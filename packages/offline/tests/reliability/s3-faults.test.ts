// S3 misbehaving under the real handler: SlowDown and 503s are retried by the SDK's configured
// strategy (bounded, logged), a hung listing is cut off before Lambda would kill the function, a
// session S3 calls expired is assumed again exactly once, and clock skew beyond S3's 15 minutes
// is corrected from the server's answer.
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

const LIST = 's3:ListObjectsV2';
const BUCKET = 'cross-account-demo-222222222222-us-east-1';

const aws = useOfflineAws();
const { calls } = aws;
const listingRetries = Array.from({ length: FEWER_THAN_ATTEMPTS }, (_, index) => [
  'S3',
  'ListObjectsV2Command',
  index + 2,
]);

describe(`S3 failing fewer times than the SDK's ${MAX_ATTEMPTS} attempts`, () => {
  test(`ListObjectsV2 answered SlowDown ${FEWER_THAN_ATTEMPTS} times: ${FEWER_THAN_ATTEMPTS + 1} calls, each retry logged, the invocation succeeds`, async () => {
    aws().standIn.faults.add({ kind: 'throttle', service: 's3', count: FEWER_THAN_ATTEMPTS });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(LIST)).toBe(FEWER_THAN_ATTEMPTS + 1);
    expect(retriesLogged(run.records)).toEqual(listingRetries);
    expect(failedAttemptsLogged(run.records)).toEqual(
      Array(FEWER_THAN_ATTEMPTS).fill(['S3', 'SlowDown']),
    );
    recordFaultScenario(aws().standIn, 'S3 SlowDown', 'recovered');
  });

  test(`ListObjectsV2 answered with a bare HTTP 503 ${FEWER_THAN_ATTEMPTS} times: ${FEWER_THAN_ATTEMPTS + 1} calls, each retry logged, the invocation succeeds`, async () => {
    aws().standIn.faults.add({ kind: 'unavailable', service: 's3', count: FEWER_THAN_ATTEMPTS });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(LIST)).toBe(FEWER_THAN_ATTEMPTS + 1);
    expect(retriesLogged(run.records)).toEqual(listingRetries);
    recordFaultScenario(aws().standIn, 'S3 HTTP 503', 'recovered');
  });

  test('a ListObjectsV2 connection dropped once: retried, 2 calls, the invocation succeeds', async () => {
    aws().standIn.faults.add({ kind: 'drop', service: 's3' });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(LIST)).toBe(2);
    expect(retriesLogged(run.records)).toEqual([['S3', 'ListObjectsV2Command', 2]]);
    recordFaultScenario(aws().standIn, 'S3 connection dropped', 'recovered');
  });
});

describe(`S3 failing on every one of the SDK's ${MAX_ATTEMPTS} attempts`, () => {
  test(`ListObjectsV2 answered SlowDown ${MORE_THAN_ATTEMPTS} times: exactly ${MAX_ATTEMPTS} calls, then a Throttled message saying what to change`, async () => {
    aws().standIn.faults.add({ kind: 'throttle', service: 's3', count: MORE_THAN_ATTEMPTS });
    const run = await invoke(aws().coldStart());
    expect(run.error?.message).toMatch(
      `s3:ListBucket on arn:aws:s3:::${BUCKET} (S3 in us-east-1) was throttled (SlowDown) on all ${MAX_ATTEMPTS} attempts of the SDK's standard retry strategy. Lower --param fanoutConcurrency`,
    );
    expect(calls(LIST)).toBe(MAX_ATTEMPTS);
    expect(aws().standIn.faults.list()[0]?.remaining).toBe(MORE_THAN_ATTEMPTS - MAX_ATTEMPTS);
    recordFaultScenario(aws().standIn, 'S3 SlowDown throughout', 'failed clearly');
  });

  test(`ListObjectsV2 answered with HTTP 503 every time: exactly ${MAX_ATTEMPTS} calls, then a ServiceUnavailable message`, async () => {
    aws().standIn.faults.add({ kind: 'unavailable', service: 's3', always: true });
    const run = await invoke(aws().coldStart());
    expect(run.error?.message).toMatch(
      new RegExp(
        `s3:ListBucket on arn:aws:s3:::${BUCKET} \\(S3 in us-east-1\\) failed \\(.*HTTP 503\\) after ${MAX_ATTEMPTS} attempts: the S3 endpoint is unavailable`,
      ),
    );
    expect(calls(LIST)).toBe(MAX_ATTEMPTS);
    recordFaultScenario(aws().standIn, 'S3 HTTP 503 throughout', 'failed clearly');
  });
});

describe('a hung S3 endpoint', () => {
  const hang = REQUEST_TIMEOUT_MS * 4;

  test('ListObjectsV2 held past the request timeout once: the attempt is cut off, retried, and the invocation succeeds', async () => {
    aws().standIn.faults.add({ kind: 'delay', service: 's3', delayMs: hang });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(LIST)).toBe(2);
    expect(failedAttemptsLogged(run.records)).toEqual([['S3', 'TimeoutError']]);
    recordFaultScenario(aws().standIn, 'S3 ListObjectsV2 hung once', 'recovered');
  });

  test('ListObjectsV2 hung on every attempt: a clear timeout error while the invocation still has time left', async () => {
    aws().standIn.faults.add({ kind: 'delay', service: 's3', delayMs: hang, always: true });
    // Room for one whole attempt before the deadline, not for two: the first attempt is cut by
    // the request timeout however long the calls before it took, the second by the deadline.
    const budgetMs = 2 * REQUEST_TIMEOUT_MS + SAFETY_MARGIN_MS;
    const run = await invoke(aws().coldStart(), { budgetMs });
    expect(run.error?.message).toMatch(
      `s3:ListBucket on arn:aws:s3:::${BUCKET} (S3 in us-east-1) had not finished when the invocation's time budget`,
    );
    expect(budgetIn(run.error)).toBeLessThanOrEqual(budgetMs - SAFETY_MARGIN_MS);
    expect(run.msLeftAtAnswer).toBeGreaterThan(0);
    // The first attempt was cut off by the client's own request timeout, not only by the budget.
    expect(failedAttemptsLogged(run.records)[0]).toEqual(['S3', 'TimeoutError']);
    expect(calls(LIST)).toBeLessThanOrEqual(MAX_ATTEMPTS);
    recordFaultScenario(aws().standIn, 'S3 ListObjectsV2 hung throughout', 'failed clearly');
  });
});

describe('S3 rejecting the session as expired while it is still inside its lifetime', () => {
  test('once: the role is assumed again exactly once (AssumeRole count +1) and the invocation succeeds', async () => {
    aws().standIn.faults.add({ kind: 'expiredToken', service: 's3' });
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(aws().standIn.stats.assumeRole.calls).toBe(2);
    expect(calls(LIST)).toBe(2);
    recordFaultScenario(aws().standIn, 'S3 session revoked once', 'recovered');
  });

  test('every time: a clear ExpiredToken message after one re-assume, no loop (2 AssumeRole calls)', async () => {
    aws().standIn.faults.add({ kind: 'expiredToken', service: 's3', always: true });
    const run = await invoke(aws().coldStart());
    expect(run.error?.message).toMatch(
      /S3 rejected the session of \S+ as expired \(ExpiredToken\) even after the role was assumed again/,
    );
    expect(aws().standIn.stats.assumeRole.calls).toBe(2);
    expect(calls(LIST)).toBe(2);
    recordFaultScenario(aws().standIn, 'S3 session revoked throughout', 'failed clearly');
  });
});

describe('clock skew beyond the 15 minutes S3 tolerates', () => {
  // With the server time hidden STS, which tolerates only 5 minutes, fails first: that case is
  // in sts-faults.test.ts.
  test('20 minutes off, server time revealed: the STS and the S3 client each correct their clock from the answer and the invocation succeeds', async () => {
    aws().standIn.setClockSkew(-1200);
    const run = await invoke(aws().coldStart());
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(aws().standIn.stats.errors).toEqual({
      SignatureDoesNotMatch: 1,
      RequestTimeTooSkewed: 1,
    });
    expect(calls(LIST)).toBe(2);
    recordFaultScenario(aws().standIn, 'S3 clock skew, server time revealed', 'recovered');
  });
});
