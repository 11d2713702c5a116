// The fault switches make STS and S3 misbehave the way real endpoints do; each switch shows up
// to the unmodified SDK as AWS's own answer (or lack of one) and in the stand-in's counters.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { PolicyModel } from '@cross-account-lambda/offline/iam';
import {
  CONTROL_TOKEN_HEADER,
  HOME_CREDENTIALS,
  type StandIn,
  type StandInOptions,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import {
  DEMO_BUCKET,
  failureOf,
  modelOf,
  pointSdkAt,
  ROLE_ARN,
  SYNTH_TIMEOUT_MS,
  s3Client,
  stsClient,
  synthesizedTemplate,
} from './support';

const OTHER = '333333333333';
let model: PolicyModel;
const running: StandIn[] = [];

beforeAll(async () => {
  // A second account with the target stack, which the function is not configured for.
  model = await modelOf(await synthesizedTemplate(), { otherTargetAccounts: [OTHER] });
}, SYNTH_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(running.splice(0).map((standIn) => standIn.close()));
});

async function standInWith(options: Partial<StandInOptions> = {}): Promise<StandIn> {
  const standIn = await startStandIn({ model, ...options });
  running.push(standIn);
  pointSdkAt(standIn);
  return standIn;
}

async function issuedCredentials() {
  const output = await stsClient(HOME_CREDENTIALS).send(
    new AssumeRoleCommand({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'faults-spec',
      DurationSeconds: 900,
      SourceIdentity: model.sourceIdentity,
    }),
  );
  const { AccessKeyId, SecretAccessKey, SessionToken } = output.Credentials ?? {};
  if (!AccessKeyId || !SecretAccessKey || !SessionToken) throw new Error('no credentials');
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken };
}

const listDemoBucket = new ListObjectsV2Command({ Bucket: DEMO_BUCKET });
const whoAmI = new GetCallerIdentityCommand({});

describe('error answers for the next N calls', () => {
  test('STS Throttling (400) for two calls is retried by the SDK and the third attempt succeeds', async () => {
    const standIn = await standInWith({ faults: [{ kind: 'throttle', service: 'sts', count: 2 }] });
    const identity = await stsClient(HOME_CREDENTIALS, { maxAttempts: 3 }).send(whoAmI);
    expect(identity.$metadata.attempts).toBe(3);
    expect(standIn.stats.errors).toEqual({ Throttling: 2 });
    expect(standIn.stats.faultsInjected).toMatchObject({ total: 2, throttle: 2 });
    expect(standIn.faults.list()).toEqual([]);
  });

  test('an exhausted retry budget surfaces the Throttling error', async () => {
    await standInWith({ faults: [{ kind: 'throttle', service: 'sts', count: 5 }] });
    const error = await failureOf(stsClient(HOME_CREDENTIALS, { maxAttempts: 2 }).send(whoAmI));
    expect([error.name, error.$metadata?.httpStatusCode, error.$metadata?.attempts]).toEqual([
      'Throttling',
      400,
      2,
    ]);
  });

  test('S3 SlowDown (503) is retried by the SDK', async () => {
    await standInWith();
    const s3 = s3Client(await issuedCredentials(), { maxAttempts: 2 });
    const standIn = running[0] as StandIn;
    standIn.faults.add({ kind: 'throttle', service: 's3', action: 'ListObjectsV2' });
    const listing = await s3.send(listDemoBucket);
    expect(listing.$metadata.attempts).toBe(2);
    expect(standIn.stats.errors).toEqual({ SlowDown: 1 });
  });

  test('a bare HTTP 503 is a transient error the SDK retries', async () => {
    const standIn = await standInWith({ faults: [{ kind: 'unavailable', service: 'sts' }] });
    const first = await failureOf(stsClient(HOME_CREDENTIALS).send(whoAmI));
    expect(first.$metadata?.httpStatusCode).toBe(503);
    standIn.faults.add({ kind: 'unavailable', service: 'sts' });
    const identity = await stsClient(HOME_CREDENTIALS, { maxAttempts: 2 }).send(whoAmI);
    expect(identity.$metadata.attempts).toBe(2);
    expect(standIn.stats.faultsInjected.unavailable).toBe(2);
  });

  test('a rule limited to one action leaves the other actions alone', async () => {
    await standInWith({
      faults: [{ kind: 'throttle', service: 'sts', action: 'AssumeRole', always: true }],
    });
    await expect(stsClient(HOME_CREDENTIALS).send(whoAmI)).resolves.toMatchObject({
      Account: '111111111111',
    });
    expect((await failureOf(issuedCredentials())).name).toBe('Throttling');
    expect((await failureOf(issuedCredentials())).name).toBe('Throttling');
  });

  test('a rule limited to one account hits only the calls about that account', async () => {
    await standInWith({
      faults: [{ kind: 'throttle', service: 'sts', account: OTHER, always: true }],
    });
    await expect(issuedCredentials()).resolves.toBeDefined();
    const other = await failureOf(
      stsClient(HOME_CREDENTIALS).send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${OTHER}:role/cross-account-demo-target`,
          RoleSessionName: 'x1',
        }),
      ),
    );
    expect(other.name).toBe('Throttling');
  });
});

describe('hung and broken connections', () => {
  test("a delay longer than the client timeout ends in the SDK's TimeoutError, and close() does not wait for it", async () => {
    const standIn = await standInWith({
      faults: [{ kind: 'delay', service: 'sts', delayMs: 5000 }],
    });
    const sts = stsClient(HOME_CREDENTIALS, {
      requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true },
    });
    const started = Date.now();
    const error = await failureOf(sts.send(whoAmI));
    expect(error.name).toBe('TimeoutError');
    // Before the stand-in's 5 s delay would have answered, however loaded the machine.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(standIn.stats.faultsInjected.delay).toBe(1);

    standIn.faults.add({ kind: 'delay', service: 'sts', delayMs: 60_000 });
    const hanging = stsClient(HOME_CREDENTIALS)
      .send(whoAmI)
      .catch(() => 'gave up');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = Date.now();
    await standIn.close();
    // Long before the 60 s delay: close() ends the hung connection instead of waiting.
    expect(Date.now() - closing).toBeLessThan(5000);
    expect(await hanging).toBe('gave up');
  });

  test('a short delay only slows the answer down', async () => {
    await standInWith({ faults: [{ kind: 'delay', service: 'sts', delayMs: 300 }] });
    const started = Date.now();
    await stsClient(HOME_CREDENTIALS).send(whoAmI);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('a dropped connection is a network error the SDK retries', async () => {
    const standIn = await standInWith({ faults: [{ kind: 'drop', service: 'sts' }] });
    const error = await failureOf(stsClient(HOME_CREDENTIALS).send(whoAmI));
    // Node's "socket hang up" (ECONNRESET); under jest the SDK wraps it, keeping the message.
    expect(error.message).toMatch(/socket hang up|ECONNRESET/);
    standIn.faults.add({ kind: 'drop', service: 'sts' });
    const identity = await stsClient(HOME_CREDENTIALS, { maxAttempts: 2 }).send(whoAmI);
    expect(identity.$metadata.attempts).toBe(2);
    expect(standIn.stats.faultsInjected.drop).toBe(2);
  });
});

describe('sessions that stop working early', () => {
  test('expiredToken answers ExpiredToken to issued credentials still inside their lifetime, once', async () => {
    const standIn = await standInWith({ faults: [{ kind: 'expiredToken', service: 's3' }] });
    const s3 = s3Client(await issuedCredentials());
    const error = await failureOf(s3.send(listDemoBucket));
    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['ExpiredToken', 400]);
    await expect(s3.send(listDemoBucket)).resolves.toMatchObject({ KeyCount: 5 });
    expect(standIn.stats.faultsInjected.expiredToken).toBe(1);
  });

  test('expiredToken never hits the home credentials, which are not a session the stand-in issued', async () => {
    const standIn = await standInWith({ faults: [{ kind: 'expiredToken', service: 'sts' }] });
    await stsClient(HOME_CREDENTIALS).send(whoAmI);
    expect(standIn.faults.list()).toHaveLength(1);
    const error = await failureOf(stsClient(await issuedCredentials()).send(whoAmI));
    expect(error.name).toBe('ExpiredToken');
    expect(standIn.faults.list()).toHaveLength(0);
  });

  test('revoking sessions rejects every credential issued so far; a new AssumeRole works again', async () => {
    const standIn = await standInWith();
    const old = await issuedCredentials();
    standIn.revokeSessions();
    expect((await failureOf(s3Client(old).send(listDemoBucket))).name).toBe('ExpiredToken');
    await expect(s3Client(await issuedCredentials()).send(listDemoBucket)).resolves.toMatchObject({
      KeyCount: 5,
    });
    expect(standIn.stats.revokedCredentialRequests).toBe(1);
  });
});

describe('clock skew', () => {
  test('STS rejects a signature 10 minutes off its clock; the SDK reads the Date header, corrects and retries', async () => {
    const standIn = await standInWith({ clockSkew: { seconds: 600 } });
    const identity = await stsClient(HOME_CREDENTIALS, { maxAttempts: 2 }).send(whoAmI);
    expect(identity.$metadata.attempts).toBe(2);
    expect(standIn.stats.errors).toEqual({ SignatureDoesNotMatch: 1 });
    expect(standIn.stats.faultsInjected.clockSkew).toBe(1);
  });

  test('with the server time hidden the SDK cannot correct, and STS answers SignatureDoesNotMatch "Signature expired"', async () => {
    await standInWith({ clockSkew: { seconds: 600, revealServerTime: false } });
    const error = await failureOf(stsClient(HOME_CREDENTIALS, { maxAttempts: 3 }).send(whoAmI));
    expect([error.name, error.$metadata?.httpStatusCode, error.$metadata?.attempts]).toEqual([
      'SignatureDoesNotMatch',
      403,
      1,
    ]);
    expect(error.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z/,
    );
  });

  test('S3 tolerates 15 minutes of skew, beyond that it answers RequestTimeTooSkewed', async () => {
    const standIn = await standInWith();
    const credentials = await issuedCredentials();
    standIn.setClockSkew(-600, { revealServerTime: false });
    await expect(s3Client(credentials).send(listDemoBucket)).resolves.toBeDefined();
    standIn.setClockSkew(-1200, { revealServerTime: false });
    const error = await failureOf(s3Client(credentials).send(listDemoBucket));
    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['RequestTimeTooSkewed', 403]);
  });
});

describe('the control endpoint on the same port', () => {
  const control = (
    standIn: StandIn,
    method: string,
    path: string,
    body?: unknown,
    token = standIn.controlToken,
  ) =>
    fetch(`${standIn.url}/__standin/${path}`, {
      method,
      headers: { [CONTROL_TOKEN_HEADER]: token, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test('refuses requests without the token it was started with', async () => {
    const standIn = await standInWith();
    expect((await fetch(`${standIn.url}/__standin/stats`)).status).toBe(401);
    expect((await control(standIn, 'GET', 'stats', undefined, 'not-the-token')).status).toBe(401);
    expect(standIn.controlToken.length).toBeGreaterThanOrEqual(32);
  });

  test('switches faults on, reports them in the stats, and clears them', async () => {
    const standIn = await standInWith();
    const added = await control(standIn, 'POST', 'faults', {
      faults: [{ kind: 'throttle', service: 'sts', action: 'GetCallerIdentity', count: 1 }],
    });
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ faults: [{ kind: 'throttle', remaining: 1 }] });
    expect((await failureOf(stsClient(HOME_CREDENTIALS).send(whoAmI))).name).toBe('Throttling');

    const stats = await (await control(standIn, 'GET', 'stats')).json();
    expect(stats).toMatchObject({
      calls: { sts: 1 },
      faultsInjected: { throttle: 1 },
      errors: { Throttling: 1 },
    });

    await control(standIn, 'POST', 'faults', {
      clockSkew: { seconds: 3600, revealServerTime: false },
    });
    expect((await failureOf(stsClient(HOME_CREDENTIALS).send(whoAmI))).name).toBe(
      'SignatureDoesNotMatch',
    );
    const cleared = await (await control(standIn, 'DELETE', 'faults')).json();
    expect(cleared).toEqual({ faults: [], clockSkew: { seconds: 0, revealServerTime: true } });
    await expect(stsClient(HOME_CREDENTIALS).send(whoAmI)).resolves.toBeDefined();

    const reset = await (await control(standIn, 'POST', 'stats/reset')).json();
    expect(reset).toMatchObject({ calls: { total: 0 }, faultsInjected: { total: 0 } });
  });

  test('revokes sessions on request', async () => {
    const standIn = await standInWith();
    const credentials = await issuedCredentials();
    expect((await control(standIn, 'POST', 'faults', { revokeSessions: true })).status).toBe(200);
    expect((await failureOf(s3Client(credentials).send(listDemoBucket))).name).toBe('ExpiredToken');
  });

  test('answers a malformed rule with 400 and a message naming the field; nothing is added', async () => {
    const standIn = await standInWith();
    const response = await control(standIn, 'POST', 'faults', {
      faults: [
        { kind: 'throttle', service: 'sts' },
        { kind: 'slow', service: 'sts' },
      ],
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /^faults\[1\]\.kind must be one of throttle, unavailable/,
    );
    expect(standIn.faults.list()).toEqual([]);
    expect((await control(standIn, 'GET', 'nowhere')).status).toBe(404);
  });
});
