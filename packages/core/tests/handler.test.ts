import type { STSClient } from '@aws-sdk/client-sts';
import {
  assumedCredentials,
  bucketOf,
  CALLER_ARN,
  captureOutput,
  lambdaContext,
  logRecords,
  roleArn,
  SECRETS,
  TARGET_A,
  TARGET_B,
  TARGET_C,
  validEnv,
} from '@cross-account-lambda/offline/testing/fixtures';
import { coldStart } from '@cross-account-lambda/template-tests/support/coldStart';

type Container = ReturnType<typeof coldStart>;

const awsError = (name: string, message: string, httpStatusCode = 403) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode, attempts: 1 } });

const assumedRoleArn = (account: string) =>
  `arn:aws:sts::${account}:assumed-role/cross-account-demo-target/session`;

/** Answers AssumeRole and ListObjectsV2 for whichever account the role or bucket names. */
function targetsAnswer(container: Container, keys: Record<string, string[]>) {
  const { mocks, sdk } = container;
  const accountOfRole = new Map<string, string>();
  mocks.assumeRole.on(sdk.AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
    const account = /iam::(\d{12}):/.exec(input.RoleArn)?.[1] ?? 'unknown';
    accountOfRole.set(account, input.RoleArn);
    return assumedCredentials(
      { ...SECRETS, accessKeyId: `ASIA${account}0000` },
      undefined,
      account,
    );
  });
  mocks.s3.on(sdk.ListObjectsV2Command).callsFake(async (input: { Bucket: string }) => {
    const account = /demo-(\d{12})-/.exec(input.Bucket)?.[1] ?? 'unknown';
    const listed = keys[account] ?? [];
    return { Contents: listed.map((Key) => ({ Key })), IsTruncated: listed.length > 1 };
  });
}

/** Empty listings that take a moment; reads how many were in flight at once, at most. */
function peakListingsInFlight(container: Container): () => number {
  let inFlight = 0;
  let peak = 0;
  container.mocks.s3.on(container.sdk.ListObjectsV2Command).callsFake(async () => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 10));
    inFlight -= 1;
    return { Contents: [] };
  });
  return () => peak;
}

let container: Container | undefined;
afterEach(() => {
  for (const mock of Object.values(container?.mocks ?? {})) mock.restore();
  container = undefined;
});

async function invoke(c: Container, event: unknown, requestId = 'req-1', remainingMs = 9000) {
  return c.module.handler(event, lambdaContext(requestId, remainingMs));
}

/** Runs the invocation with its log output captured (and kept out of the test report). */
async function invokeQuietly(
  c: Container,
  event: unknown,
  requestId = 'req-1',
  remainingMs = 9000,
) {
  return captureOutput(() => invoke(c, event, requestId, remainingMs));
}

describe('the handler, single target account', () => {
  it('proves the switch of account and lists the bucket', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, { [TARGET_A]: ['a.txt'] });
    const { result, error } = await invokeQuietly(container, {});
    expect(error).toBeUndefined();
    expect(result).toEqual({
      results: [
        {
          account: TARGET_A,
          region: 'eu-west-1',
          ok: true,
          assumedRoleArn: assumedRoleArn(TARGET_A),
          bucket: bucketOf(TARGET_A),
          keys: ['a.txt'],
          truncated: false,
        },
      ],
      summary: { succeeded: 1, failed: 0 },
    });
  });

  it("passes the job's event fields, validated, to its run", async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    await invokeQuietly(container, { maxKeys: 10 });
    expect(
      container.mocks.s3.commandCalls(container.sdk.ListObjectsV2Command)[0]?.args[0].input,
    ).toEqual({ Bucket: bucketOf(TARGET_A), MaxKeys: 10, ExpectedBucketOwner: TARGET_A });
  });

  it('asks for 50 keys when the event does not say', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    await invokeQuietly(container, {});
    const input = container.mocks.s3.commandCalls(container.sdk.ListObjectsV2Command)[0]?.args[0]
      .input;
    expect(input?.MaxKeys).toBe(50);
  });

  it('assumes the role once across warm invocations and again in a new container', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    for (const requestId of ['req-1', 'req-2', 'req-3'])
      await invokeQuietly(container, {}, requestId);
    expect(container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand)).toHaveLength(
      1,
    );
    expect(container.mocks.s3.commandCalls(container.sdk.ListObjectsV2Command)).toHaveLength(3);

    for (const mock of Object.values(container.mocks)) mock.restore();
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    await invokeQuietly(container, {}, 'req-4');
    expect(container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand)).toHaveLength(
      1,
    );
  });

  it('names the STS session after the function and the invocation that assumed the role', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    await invokeQuietly(container, {}, 'c0ffee00-aaaa-bbbb-cccc-ddddeeeeffff');
    const input = container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand)[0]
      ?.args[0].input;
    expect(input?.RoleSessionName).toBe(
      'cross-account-lambda-local-c0ffee00-aaaa-bbbb-cccc-ddddeeeeffff',
    );
    expect(input?.RoleArn).toBe(roleArn(TARGET_A));
  });

  it('fails the invocation with the actionable message when its only account fails', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    container.mocks.assumeRole
      .on(container.sdk.AssumeRoleCommand)
      .rejects(
        awsError(
          'AccessDenied',
          `User: ${CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${roleArn(TARGET_A)}`,
        ),
      );
    const { error } = await invokeQuietly(container, {});
    expect(error).toMatchObject({ name: 'AllTargetsFailedError', code: 'AllTargetsFailed' });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The target account failed:\\n- ${TARGET_A}: AssumeRole was denied: ${CALLER_ARN} may not assume`,
      ),
    );
  });

  it('reports an account whose credentials turn out to be for another account', async () => {
    container = coldStart(validEnv({ TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}` }));
    targetsAnswer(container, {});
    container.mocks.assumeRole
      .on(container.sdk.AssumeRoleCommand)
      .resolves(assumedCredentials(SECRETS, undefined, TARGET_C));
    const { error } = await invokeQuietly(container, {});
    expect((error as Error).message).toMatch(/AssumeRole answered for account 444444444444/);
    expect(container.mocks.s3.commandCalls(container.sdk.ListObjectsV2Command)).toHaveLength(0);
  });
});

describe('the handler, several target accounts', () => {
  const three = validEnv({ TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B},${TARGET_C}` });

  it("reports each account's result in order and fails only the broken ones", async () => {
    container = coldStart(three);
    targetsAnswer(container, { [TARGET_A]: ['a1', 'a2'], [TARGET_C]: ['c1'] });
    container.mocks.assumeRole
      .on(container.sdk.AssumeRoleCommand, { RoleArn: roleArn(TARGET_B) })
      .rejects(awsError('AccessDenied', 'Access denied'));
    container.mocks.s3
      .on(container.sdk.ListObjectsV2Command, { Bucket: bucketOf(TARGET_C) })
      .rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
    const { result } = await invokeQuietly(container, {});
    expect(result?.summary).toEqual({ succeeded: 1, failed: 2 });
    expect(result?.results.map((entry) => [entry.account, entry.ok])).toEqual([
      [TARGET_A, true],
      [TARGET_B, false],
      [TARGET_C, false],
    ]);
    expect(result?.results[0]).toMatchObject({ keys: ['a1', 'a2'], truncated: true });
    expect(result?.results[1]).toMatchObject({
      error: { code: 'AssumeRoleDenied', message: expect.stringContaining(roleArn(TARGET_B)) },
    });
    expect(result?.results[2]).toMatchObject({
      error: { code: 'BucketNotFound', message: expect.stringContaining(bucketOf(TARGET_C)) },
    });
  });

  it('visits only the accounts the event names', async () => {
    container = coldStart(three);
    targetsAnswer(container, {});
    const { result } = await invokeQuietly(container, { accounts: [TARGET_C, TARGET_A] });
    expect(result?.results.map((entry) => entry.account)).toEqual([TARGET_C, TARGET_A]);
    expect(container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand)).toHaveLength(
      2,
    );
  });

  it("throws with every account's message when all of them fail", async () => {
    container = coldStart(three);
    targetsAnswer(container, {});
    container.mocks.assumeRole
      .on(container.sdk.AssumeRoleCommand)
      .rejects(awsError('AccessDenied', 'Access denied'));
    const { error } = await invokeQuietly(container, {});
    const message = (error as Error).message;
    expect(message).toMatch(/^All 3 target accounts failed:/);
    for (const account of [TARGET_A, TARGET_B, TARGET_C]) {
      expect(message).toContain(`- ${account}: AssumeRole was denied`);
    }
  });

  it('keeps at most FANOUT_CONCURRENCY accounts in flight', async () => {
    const accounts = Array.from({ length: 7 }, (_, index) => String(555555555550 + index));
    container = coldStart(
      validEnv({ TARGET_ACCOUNT_IDS: accounts.join(','), FANOUT_CONCURRENCY: '2' }),
    );
    targetsAnswer(container, {});
    const peak = peakListingsInFlight(container);
    const { result } = await invokeQuietly(container, {});
    expect(result?.summary).toEqual({ succeeded: 7, failed: 0 });
    expect(peak()).toBe(2);
  });

  it('works the same in organization mode', async () => {
    container = coldStart({ ...three, TARGET_ORGANIZATION_ID: 'o-a1b2c3d4e5' });
    targetsAnswer(container, {});
    const { result } = await invokeQuietly(container, {});
    expect(result?.summary).toEqual({ succeeded: 3, failed: 0 });
  });
});

describe('the handler asked {"listAccounts": true}', () => {
  it('answers with the accounts and regions it would visit, and calls nothing', async () => {
    const listing = coldStart(
      validEnv({
        TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}`,
        TARGET_REGIONS: 'eu-west-1,us-east-1',
      }),
    );
    container = listing;
    targetsAnswer(listing, {});
    const { result } = await captureOutput(() =>
      listing.module.handler({ listAccounts: true }, lambdaContext('req-1', 9000)),
    );
    expect(result).toEqual({ accounts: [TARGET_A, TARGET_B], regions: ['eu-west-1', 'us-east-1'] });
    expect(listing.mocks.assumeRole.calls()).toHaveLength(0);
    expect(listing.mocks.s3.calls()).toHaveLength(0);
  });
});

describe('the handler, several accounts in several regions', () => {
  const regions = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
  const product = validEnv({
    TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}`,
    TARGET_REGIONS: regions.join(','),
  });

  it('visits every account in every region, with one AssumeRole per account', async () => {
    container = coldStart(product);
    targetsAnswer(container, { [TARGET_A]: ['a'], [TARGET_B]: ['b'] });
    const clientRegions: string[] = [];
    container.mocks.s3
      .on(container.sdk.ListObjectsV2Command)
      .callsFake(async (input, getClient) => {
        clientRegions.push(`${input.Bucket} ${await getClient().config.region()}`);
        return { Contents: [] };
      });
    const { result } = await invokeQuietly(container, {});
    expect(result?.summary).toEqual({ succeeded: 6, failed: 0 });
    expect(result?.results.map((entry) => `${entry.account} ${entry.region}`)).toEqual(
      [TARGET_A, TARGET_B].flatMap((account) => regions.map((region) => `${account} ${region}`)),
    );
    // Each region's client is in that region, listing that region's bucket.
    expect(clientRegions.sort()).toEqual(
      [TARGET_A, TARGET_B].flatMap((a) => regions.map((r) => `${bucketOf(a, r)} ${r}`)).sort(),
    );
    const assumed = container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand);
    expect(assumed.map((call) => call.args[0].input.RoleArn).sort()).toEqual([
      roleArn(TARGET_A),
      roleArn(TARGET_B),
    ]);
    // AssumeRole goes to the function's own regional STS endpoint, whatever the target regions.
    const stsClients = container.mocks.assumeRole.send.thisValues as STSClient[];
    const stsRegions = await Promise.all(stsClients.map((client) => client.config.region()));
    expect(new Set(stsRegions)).toEqual(new Set(['us-east-1']));
  });

  it('narrows to the accounts and regions the event names, in its order', async () => {
    container = coldStart(product);
    targetsAnswer(container, {});
    const { result } = await invokeQuietly(container, {
      accounts: [TARGET_B],
      regions: ['ap-southeast-2', 'eu-west-1'],
    });
    expect(result?.results.map((entry) => `${entry.account} ${entry.region}`)).toEqual([
      `${TARGET_B} ap-southeast-2`,
      `${TARGET_B} eu-west-1`,
    ]);
  });

  it('refuses an event region that is not configured, naming it', async () => {
    container = coldStart(product);
    targetsAnswer(container, {});
    const { error } = await invokeQuietly(container, { regions: ['eu-central-1'] });
    expect((error as Error).message).toMatch(
      /regions\[0\] is eu-central-1, which is not a configured target region \(eu-west-1, us-east-1, ap-southeast-2\); add it with --param targetRegions/,
    );
  });

  it('keeps one region failing apart from the others of the same account', async () => {
    container = coldStart(product);
    targetsAnswer(container, {});
    container.mocks.s3
      .on(container.sdk.ListObjectsV2Command, { Bucket: bucketOf(TARGET_A, 'us-east-1') })
      .rejects(awsError('NoSuchBucket', 'The specified bucket does not exist', 404));
    const { result } = await invokeQuietly(container, {});
    expect(result?.summary).toEqual({ succeeded: 5, failed: 1 });
    expect(result?.results[1]).toMatchObject({
      account: TARGET_A,
      region: 'us-east-1',
      ok: false,
      error: { code: 'BucketNotFound' },
    });
  });

  it('bounds the concurrency over the whole accounts x regions product', async () => {
    container = coldStart({ ...product, FANOUT_CONCURRENCY: '4' });
    targetsAnswer(container, {});
    const peak = peakListingsInFlight(container);
    const { result } = await invokeQuietly(container, {});
    expect(result?.summary).toEqual({ succeeded: 6, failed: 0 });
    expect(peak()).toBe(4);
  });

  it('names account and region of each failure when all of them fail', async () => {
    container = coldStart(product);
    targetsAnswer(container, {});
    container.mocks.assumeRole
      .on(container.sdk.AssumeRoleCommand)
      .rejects(awsError('AccessDenied', 'Access denied'));
    const { error } = await invokeQuietly(container, {});
    const message = (error as Error).message;
    expect(message).toMatch(/^All 6 target accounts failed:/);
    expect(message).toContain(`- ${TARGET_B} ap-southeast-2: AssumeRole was denied`);
  });
});

describe('the handler under faults', () => {
  it('answers with a timeout error before Lambda would kill it when a target hangs', async () => {
    container = coldStart(validEnv({ TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}` }));
    targetsAnswer(container, {});
    container.mocks.s3
      .on(container.sdk.ListObjectsV2Command, { Bucket: bucketOf(TARGET_B) })
      .callsFake(() => new Promise(() => {}));
    const started = Date.now();
    // 1300 ms left and a 1000 ms safety margin: a 300 ms budget.
    const { result } = await invokeQuietly(container, {}, 'req-1', 1300);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The point: an answer before Lambda's own deadline (1300 ms), not a hang.
    expect(elapsed).toBeLessThan(1300);
    expect(result?.results[0]?.ok).toBe(true);
    expect(result?.results[1]).toMatchObject({
      ok: false,
      error: {
        code: 'Timeout',
        message: expect.stringMatching(
          /^s3:ListBucket on arn:aws:s3:::.* had not finished when the invocation's time budget \(300 ms\) ran out/,
        ),
      },
    });
  });

  it('assumes the role again once when the target says the session expired, then succeeds', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, { [TARGET_A]: ['k'] });
    container.mocks.s3
      .on(container.sdk.ListObjectsV2Command)
      .rejectsOnce(awsError('ExpiredToken', 'The provided token has expired.', 400))
      .resolves({ Contents: [{ Key: 'k' }] });
    const { result, output } = await invokeQuietly(container, {});
    expect(result?.results[0]).toMatchObject({ ok: true, keys: ['k'] });
    expect(container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand)).toHaveLength(
      2,
    );
    expect(logRecords(output).map((record) => record.message)).toContain(
      'the target rejected the cached session as expired; assuming the role again',
    );
  });

  it('does not loop when the fresh session is rejected as expired too', async () => {
    container = coldStart(validEnv({ TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}` }));
    targetsAnswer(container, {});
    container.mocks.s3
      .on(container.sdk.ListObjectsV2Command, { Bucket: bucketOf(TARGET_A) })
      .rejects(awsError('ExpiredToken', 'The provided token has expired.', 400));
    const { result } = await invokeQuietly(container, {});
    const calls = container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand);
    expect(calls.filter((call) => call.args[0].input.RoleArn === roleArn(TARGET_A))).toHaveLength(
      2,
    );
    expect(result?.results[0]).toMatchObject({ ok: false, error: { code: 'ExpiredToken' } });
  });

  it('refuses a bad event, naming the field, before any AWS call', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    const { error, output } = await invokeQuietly(container, { maxKeys: 0 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'EventValidationError', field: 'maxKeys' });
    expect(container.mocks.assumeRole.calls()).toHaveLength(0);
    expect(logRecords(output)[0]).toMatchObject({ level: 'WARN', message: 'rejected the event' });
  });
});

describe('the handler at cold start', () => {
  it('fails to load with a ConfigError naming the variable and the fix', () => {
    let thrown: unknown;
    try {
      coldStart(validEnv({ TARGET_ACCOUNT_IDS: '12345' }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'ConfigError', variable: 'TARGET_ACCOUNT_IDS' });
    expect((thrown as Error).message).toMatch(
      /^TARGET_ACCOUNT_IDS must be .*12-digit.*"12345".*set --param targetAccountIds=/,
    );
  });

  it('reads the environment once: later changes do not affect a warm container', async () => {
    container = coldStart(validEnv());
    targetsAnswer(container, {});
    process.env.TARGET_ROLE_NAME = 'changed';
    try {
      await invokeQuietly(container, {});
    } finally {
      delete process.env.TARGET_ROLE_NAME;
    }
    const assumed = container.mocks.assumeRole.commandCalls(container.sdk.AssumeRoleCommand)[0]
      ?.args[0].input;
    expect(assumed?.RoleArn).toBe(roleArn(TARGET_A));
    expect(container.module.config.roleName).toBe('cross-account-demo-target');
  });
});
