// The stand-in answers the unmodified AWS SDK as STS and S3 would: same shapes, codes, messages
// and statuses, every signature checked, every call decided by the shared IAM evaluator.
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  GetCallerIdentityCommand,
} from '@aws-sdk/client-sts';
import type { PolicyModel } from '@cross-account-lambda/offline/iam';
import {
  HOME_CREDENTIALS,
  type StandIn,
  type StandInOptions,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import type { CfnTemplate } from '@cross-account-lambda/offline/synth';
import { coreJob } from '@cross-account-lambda/template-tests/support/core';
import type { Pluggable } from '@smithy/types';
import {
  DEMO_BUCKET,
  failureOf,
  HOME,
  HOME_SESSION_ARN,
  modelOf,
  pointSdkAt,
  ROLE_ARN,
  SYNTH_TIMEOUT_MS,
  s3Client,
  stsClient,
  synthesizedTemplate,
  TARGET,
} from './support';

let template: CfnTemplate;
let model: PolicyModel;
const logLines: string[] = [];
const secretsSeen: string[] = [HOME_CREDENTIALS.secretAccessKey];
const running: StandIn[] = [];

beforeAll(async () => {
  template = await synthesizedTemplate();
  model = await modelOf(template);
}, SYNTH_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(running.splice(0).map((standIn) => standIn.close()));
});

async function standInWith(options: Partial<StandInOptions> = {}): Promise<StandIn> {
  const standIn = await startStandIn({ model, log: (line) => logLines.push(line), ...options });
  running.push(standIn);
  pointSdkAt(standIn);
  return standIn;
}

// biome-ignore lint/suspicious/noExplicitAny: a plugin for clients of any service.
type AnyPluggable = Pluggable<any, any>;
type SignedRequest = { body?: unknown; path: string };
type FinalizeArgs = { request: unknown; input: unknown };
type FinalizeNext = (args: FinalizeArgs) => Promise<{ output: unknown; response: unknown }>;

/** A client plugin that alters the request once the SDK has signed it, as a tampering proxy would. */
function changeAfterSigning(change: (request: SignedRequest) => void): AnyPluggable {
  return {
    applyToStack(stack) {
      stack.addRelativeTo(
        (next: FinalizeNext) => async (args: FinalizeArgs) => {
          change(args.request as SignedRequest);
          return next(args);
        },
        { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamperAfterSigning' },
      );
    },
  };
}

async function assume(options: { sessionName?: string; durationSeconds?: number } = {}) {
  const output: AssumeRoleCommandOutput = await stsClient(HOME_CREDENTIALS).send(
    new AssumeRoleCommand({
      RoleArn: ROLE_ARN,
      RoleSessionName: options.sessionName ?? 'spec-session',
      DurationSeconds: options.durationSeconds ?? 900,
      SourceIdentity: model.sourceIdentity,
    }),
  );
  const issued = output.Credentials;
  if (
    !issued?.AccessKeyId ||
    !issued.SecretAccessKey ||
    !issued.SessionToken ||
    !issued.Expiration
  ) {
    throw new Error('AssumeRole returned no credentials');
  }
  secretsSeen.push(issued.SecretAccessKey, issued.SessionToken, issued.AccessKeyId);
  return {
    output,
    credentials: {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
    },
    expiration: issued.Expiration,
  };
}

describe('STS', () => {
  test('GetCallerIdentity with the home credentials names the execution role session of the function', async () => {
    await standInWith();
    const identity = await stsClient(HOME_CREDENTIALS).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(HOME_SESSION_ARN);
    expect(identity.Account).toBe(HOME);
    expect(identity.UserId).toMatch(/^AROA[A-Z0-9]{17}:crossAccount$/);
  });

  test('AssumeRole issues ASIA credentials for the assumed-role session that expire after DurationSeconds', async () => {
    const standIn = await standInWith();
    const before = Date.now();
    const { output, credentials, expiration } = await assume({ sessionName: 'spec-session' });

    expect(output.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${TARGET}:assumed-role/cross-account-demo-target/spec-session`,
    );
    expect(output.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]{17}:spec-session$/);
    expect(output.SourceIdentity).toBe('cross-account-lambda-local-crossAccount');
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(expiration.getTime() - before).toBeGreaterThan(899_000);
    expect(expiration.getTime() - before).toBeLessThanOrEqual(901_000);

    const identity = await stsClient(credentials).send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe(TARGET);
    expect(identity.Arn).toBe(output.AssumedRoleUser?.Arn);
    expect(standIn.stats.credentialsIssued).toBe(1);
    expect(standIn.stats.assumeRole.byAccount).toEqual({ [TARGET]: 1 });
  });

  test('AssumeRole of a role the execution role may not assume is AccessDenied in AWS words, naming both sides', async () => {
    await standInWith();
    const outsider = 'arn:aws:iam::333333333333:role/cross-account-demo-target';
    const error = await failureOf(
      stsClient(HOME_CREDENTIALS).send(
        new AssumeRoleCommand({ RoleArn: outsider, RoleSessionName: 'spec' }),
      ),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      `User: ${HOME_SESSION_ARN} is not authorized to perform: sts:AssumeRole on resource: ${outsider} ` +
        'because no identity-based policy allows the sts:AssumeRole action',
    );
  });

  test('a target stack that trusts another execution role denies AssumeRole without revealing its trust policy', async () => {
    model = await modelOf(template, {
      targetParameters: () => ({ ExecutionRoleName: 'someone-else' }),
    });
    try {
      await standInWith();
      const error = await failureOf(assume());
      expect(error.name).toBe('AccessDenied');
      expect(error.message).toBe(
        `User: ${HOME_SESSION_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`,
      );
    } finally {
      model = await modelOf(template);
    }
  });

  test('an external id required by the target stack is checked: without it AccessDenied, with it credentials', async () => {
    model = await modelOf(template, { targetParameters: () => ({ ExternalId: 'shared-id-42' }) });
    try {
      await standInWith();
      const sts = stsClient(HOME_CREDENTIALS);
      const SourceIdentity = model.sourceIdentity;
      const without = await failureOf(
        sts.send(
          new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'spec', SourceIdentity }),
        ),
      );
      expect(without.name).toBe('AccessDenied');
      const withId = await sts.send(
        new AssumeRoleCommand({
          RoleArn: ROLE_ARN,
          RoleSessionName: 'spec',
          ExternalId: 'shared-id-42',
          SourceIdentity,
        }),
      );
      expect(withId.AssumedRoleUser?.Arn).toContain(`:${TARGET}:assumed-role/`);
    } finally {
      model = await modelOf(template);
    }
  });

  test('the source identity the target stack requires is checked: missing or another is AccessDenied', async () => {
    await standInWith();
    const sts = stsClient(HOME_CREDENTIALS);
    const request = { RoleArn: ROLE_ARN, RoleSessionName: 'spec' };
    // The trust's RequireTheSourceIdentity Deny: the target account does not say why.
    const deniedByTheTrust = `User: ${HOME_SESSION_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`;
    const missing = await failureOf(sts.send(new AssumeRoleCommand(request)));
    expect(missing.name).toBe('AccessDenied');
    expect(missing.message).toBe(deniedByTheTrust);
    const another = await failureOf(
      sts.send(new AssumeRoleCommand({ ...request, SourceIdentity: 'someone-else' })),
    );
    expect(another.message).toBe(deniedByTheTrust);
    const malformed = await failureOf(
      sts.send(new AssumeRoleCommand({ ...request, SourceIdentity: 'has space' })),
    );
    expect(malformed.name).toBe('ValidationError');
    expect(malformed.message).toContain("at 'sourceIdentity' failed to satisfy constraint");
  });

  test('without a required source identity, the execution role may still set only its own name', async () => {
    model = await modelOf(template, { targetParameters: () => ({ SourceIdentity: '' }) });
    try {
      await standInWith();
      const sts = stsClient(HOME_CREDENTIALS);
      const request = { RoleArn: ROLE_ARN, RoleSessionName: 'spec' };
      await expect(sts.send(new AssumeRoleCommand(request))).resolves.toBeDefined();
      const another = await failureOf(
        sts.send(new AssumeRoleCommand({ ...request, SourceIdentity: 'someone-else' })),
      );
      expect(another.message).toBe(
        `User: ${HOME_SESSION_ARN} is not authorized to perform: sts:SetSourceIdentity on resource: ${ROLE_ARN} ` +
          'because no identity-based policy allows the sts:SetSourceIdentity action',
      );
    } finally {
      model = await modelOf(template);
    }
  });

  test("DurationSeconds over one hour is a ValidationError: the function's AssumeRole is role chaining", async () => {
    await standInWith();
    const error = await failureOf(assume({ durationSeconds: 7200 }));
    expect(error.name).toBe('ValidationError');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toBe(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  });

  test('DurationSeconds under 900 fails STS input validation', async () => {
    await standInWith();
    const error = await failureOf(assume({ durationSeconds: 60 }));
    expect(error.name).toBe('ValidationError');
    expect(error.message).toContain("Value '60' at 'durationSeconds'");
  });
});

describe('S3', () => {
  test('ListObjectsV2 lists the seeded demo bucket of the target account, path-style', async () => {
    await standInWith();
    const { credentials } = await assume();
    const listing = await s3Client(credentials).send(
      new ListObjectsV2Command({ Bucket: DEMO_BUCKET }),
    );
    expect(listing.Name).toBe(DEMO_BUCKET);
    expect(listing.KeyCount).toBe(5);
    expect(listing.IsTruncated).toBe(false);
    expect(listing.Contents?.map((object) => object.Key)).toEqual([
      'README.txt',
      'archive/2025/12.csv',
      'reports/2026-01.csv',
      'reports/2026-02.csv',
      'reports/summary.json',
    ]);
    expect(listing.Contents?.[0]?.Size).toBeGreaterThan(0);
  });

  test('ListObjectsV2 honours Prefix, MaxKeys and the continuation token, and rolls keys up by Delimiter', async () => {
    await standInWith();
    const s3 = s3Client((await assume()).credentials);
    const first = await s3.send(
      new ListObjectsV2Command({ Bucket: DEMO_BUCKET, Prefix: 'reports/', MaxKeys: 2 }),
    );
    expect(first.Contents?.map((object) => object.Key)).toEqual([
      'reports/2026-01.csv',
      'reports/2026-02.csv',
    ]);
    expect(first).toMatchObject({ KeyCount: 2, MaxKeys: 2, Prefix: 'reports/', IsTruncated: true });
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket: DEMO_BUCKET,
        Prefix: 'reports/',
        MaxKeys: 2,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.Contents?.map((object) => object.Key)).toEqual(['reports/summary.json']);
    expect(second.IsTruncated).toBe(false);
    expect(second.NextContinuationToken).toBeUndefined();

    const rolledUp = await s3.send(
      new ListObjectsV2Command({ Bucket: DEMO_BUCKET, Delimiter: '/' }),
    );
    expect(rolledUp.Contents?.map((object) => object.Key)).toEqual(['README.txt']);
    expect(rolledUp.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual([
      'archive/',
      'reports/',
    ]);
  });

  test('a seed replaces the demo objects of a bucket', async () => {
    await standInWith({ seed: { [DEMO_BUCKET]: { 'only/one.txt': 'hello' } } });
    const s3 = s3Client((await assume()).credentials);
    const listing = await s3.send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET }));
    expect(listing.Contents?.map((object) => object.Key)).toEqual(['only/one.txt']);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: 'only/one.txt' }),
    );
    expect(await object.Body?.transformToString()).toBe('hello');
  });

  test('GetObject returns a seeded object; a missing key is NoSuchKey because the role may list the bucket', async () => {
    await standInWith();
    const s3 = s3Client((await assume()).credentials);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: 'reports/summary.json' }),
    );
    expect(JSON.parse((await object.Body?.transformToString()) ?? '')).toEqual({
      months: 2,
      requests: 2550,
    });
    expect(object.ContentType).toBe('application/json');

    const missing = await failureOf(
      s3.send(new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: 'nope.txt' })),
    );
    expect(missing.name).toBe('NoSuchKey');
    expect(missing.$metadata?.httpStatusCode).toBe(404);
  });

  test('reads outside the grant are AccessDenied, writes the job does not declare UndeclaredPermission', async () => {
    await standInWith({
      extraBuckets: [{ name: 'private-ledger-222222222222', accountId: TARGET }],
    });
    const s3 = s3Client((await assume({ sessionName: 'spec-session' })).credentials);
    const session = `arn:aws:sts::${TARGET}:assumed-role/cross-account-demo-target/spec-session`;

    const list = await failureOf(
      s3.send(new ListObjectsV2Command({ Bucket: 'private-ledger-222222222222' })),
    );
    expect(list.name).toBe('AccessDenied');
    expect(list.$metadata?.httpStatusCode).toBe(403);
    expect(list.message).toBe(
      `User: ${session} is not authorized to perform: s3:ListBucket on resource: "arn:aws:s3:::private-ledger-222222222222" ` +
        'because no identity-based policy allows the s3:ListBucket action',
    );
    const put = await failureOf(
      s3.send(new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: 'x.txt', Body: 'x' })),
    );
    // PutObject is not even declared by the job: the stand-in says so before IAM is asked.
    expect(put.name).toBe('UndeclaredPermission');
    expect(put.message).toContain('The job called s3:PutObject, which it does not declare');
  });

  test('an undeclared call fails naming the action to declare, and is counted', async () => {
    const standIn = await startStandIn({ model: await modelOf(template, { job: coreJob }) });
    running.push(standIn);
    pointSdkAt(standIn);
    const s3 = s3Client((await assume()).credentials);
    const read = await failureOf(
      s3.send(new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: 'README.txt' })),
    );
    expect(read.name).toBe('UndeclaredPermission');
    expect(read.message).toMatch(
      /The job called s3:GetObject, which it does not declare: add <name>: \{ action: 's3:GetObject', resource: '<ARN>' \} to the permissions of packages\/template-tests\/support\/coreJob.ts, call it as step\('<name>', \.\.\.\).* It declares s3:ListBucket\./,
    );
    expect(standIn.stats.undeclared).toEqual({ 's3:GetObject': 1 });
    await s3.send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET }));
    expect(standIn.stats.undeclared).toEqual({ 's3:GetObject': 1 });
  });

  test('the home credentials themselves may not read the target bucket', async () => {
    await standInWith();
    const error = await failureOf(
      s3Client(HOME_CREDENTIALS).send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET })),
    );
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toContain(
      `User: ${HOME_SESSION_ARN} is not authorized to perform: s3:ListBucket`,
    );
  });

  test('a bucket that no account owns is NoSuchBucket', async () => {
    await standInWith();
    const s3 = s3Client((await assume()).credentials);
    const error = await failureOf(
      s3.send(new ListObjectsV2Command({ Bucket: 'nobody-owns-this-bucket' })),
    );
    expect(error.name).toBe('NoSuchBucket');
    expect(error.$metadata?.httpStatusCode).toBe(404);
  });

  test('ExpectedBucketOwner naming another account is AccessDenied', async () => {
    await standInWith();
    const s3 = s3Client((await assume()).credentials);
    const error = await failureOf(
      s3.send(
        new ListObjectsV2Command({ Bucket: DEMO_BUCKET, ExpectedBucketOwner: '999999999999' }),
      ),
    );
    expect(error.name).toBe('AccessDenied');
  });

  test("a request signed for another region than the bucket's is AuthorizationHeaderMalformed", async () => {
    await standInWith();
    const s3 = s3Client((await assume()).credentials, { region: 'eu-west-1' });
    const error = await failureOf(s3.send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET })));
    expect(error.name).toBe('AuthorizationHeaderMalformed');
    expect(error.message).toContain("the region 'eu-west-1' is wrong; expecting 'us-east-1'");
  });
});

describe('signatures and credentials', () => {
  test('a wrong secret is SignatureDoesNotMatch on STS and on S3', async () => {
    await standInWith();
    const wrong = {
      ...HOME_CREDENTIALS,
      secretAccessKey: 'WrongSecretWrongSecretWrongSecretWrong00',
    };
    const sts = await failureOf(stsClient(wrong).send(new GetCallerIdentityCommand({})));
    expect([sts.name, sts.$metadata?.httpStatusCode]).toEqual(['SignatureDoesNotMatch', 403]);
    const { credentials } = await assume();
    const s3 = await failureOf(
      s3Client({ ...credentials, secretAccessKey: wrong.secretAccessKey }).send(
        new ListObjectsV2Command({ Bucket: DEMO_BUCKET }),
      ),
    );
    expect([s3.name, s3.$metadata?.httpStatusCode]).toEqual(['SignatureDoesNotMatch', 403]);
  });

  test('an unknown access key is InvalidClientTokenId on STS and InvalidAccessKeyId on S3', async () => {
    await standInWith();
    const unknown = {
      accessKeyId: 'AKIAUNKNOWNKEY000000',
      secretAccessKey: HOME_CREDENTIALS.secretAccessKey,
    };
    expect((await failureOf(stsClient(unknown).send(new GetCallerIdentityCommand({})))).name).toBe(
      'InvalidClientTokenId',
    );
    expect(
      (await failureOf(s3Client(unknown).send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET }))))
        .name,
    ).toBe('InvalidAccessKeyId');
  });

  test('issued credentials with a wrong or missing session token are InvalidClientTokenId / InvalidToken', async () => {
    await standInWith();
    const { credentials } = await assume();
    const wrongToken = {
      ...credentials,
      sessionToken: `${credentials.sessionToken.slice(0, -4)}AAAA`,
    };
    expect(
      (await failureOf(stsClient(wrongToken).send(new GetCallerIdentityCommand({})))).name,
    ).toBe('InvalidClientTokenId');
    const noToken = {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
    };
    expect(
      (await failureOf(s3Client(noToken).send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET }))))
        .name,
    ).toBe('InvalidToken');
  });

  test('a request changed after signing (STS body, S3 path) is SignatureDoesNotMatch', async () => {
    await standInWith();
    const sts = stsClient(HOME_CREDENTIALS);
    sts.middlewareStack.use(
      changeAfterSigning((request) => {
        request.body = String(request.body).replace('RoleSessionName=spec', 'RoleSessionName=evil');
      }),
    );
    const body = await failureOf(
      sts.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: 'spec' })),
    );
    expect(body.name).toBe('SignatureDoesNotMatch');

    const s3 = s3Client((await assume()).credentials);
    s3.middlewareStack.use(
      changeAfterSigning((request) => {
        request.path = request.path.replace(
          DEMO_BUCKET,
          'cross-account-demo-333333333333-us-east-1',
        );
      }),
    );
    const path = await failureOf(
      s3.send(new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: 'README.txt' })),
    );
    expect(path.name).toBe('SignatureDoesNotMatch');
  });

  test('an unsigned request is MissingAuthenticationToken on STS and AccessDenied on S3', async () => {
    const standIn = await standInWith();
    const sts = await fetch(`${standIn.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(sts.status).toBe(403);
    expect(await sts.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    const s3 = await fetch(`${standIn.url}/${DEMO_BUCKET}/?list-type=2`);
    expect(s3.status).toBe(403);
    expect(await s3.text()).toContain('<Code>AccessDenied</Code>');
  });

  test('issued credentials used after their expiry are ExpiredToken and counted as such', async () => {
    const standIn = await standInWith({ credentialLifetimeSeconds: 1 });
    const { credentials, expiration } = await assume();
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, expiration.getTime() - Date.now()) + 50),
    );
    const error = await failureOf(
      s3Client(credentials).send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET })),
    );
    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['ExpiredToken', 400]);
    expect(error.message).toBe('The provided token has expired.');
    expect(standIn.stats.expiredCredentialRequests).toBe(1);
  });

  test('the stand-in counts calls per action, credentials issued and refreshes', async () => {
    const standIn = await standInWith();
    const first = await assume();
    await assume();
    await s3Client(first.credentials).send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET }));
    expect(standIn.stats).toMatchObject({
      calls: { total: 3, sts: 2, s3: 1, byAction: { 'sts:AssumeRole': 2, 's3:ListObjectsV2': 1 } },
      assumeRole: { calls: 2, succeeded: 2 },
      credentialsIssued: 2,
      refreshes: 1,
      expiredCredentialRequests: 0,
    });
    expect(standIn.stats.busy.totalMs).toBeGreaterThan(0);
    expect(standIn.stats.busy.maxMs).toBeLessThanOrEqual(standIn.stats.busy.totalMs);
  });

  test('a request the evaluator cannot decide is a 500 naming the reason, never a deny', async () => {
    const broken: PolicyModel = {
      ...model,
      targets: model.targets.map((target) => ({
        ...target,
        permissions: [
          {
            name: 'Broken',
            document: { Version: '2012-10-17', Statement: [{ Effect: 'Perhaps' }] },
          },
        ],
      })),
    };
    await standInWith({ model: broken });
    const { credentials } = await assume();
    const error = await failureOf(
      s3Client(credentials).send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET })),
    );
    expect([error.name, error.$metadata?.httpStatusCode]).toEqual(['InternalError', 500]);
    expect(error.message).toMatch(
      /^The offline stand-in could not decide this request: a policy does not validate \(policy Broken Statement\[0\]\.Effect: Effect must be present/,
    );
  });

  test('its log names calls and masked key ids, never a secret, a session token or a whole key id', () => {
    expect(logLines.length).toBeGreaterThan(20);
    expect(logLines.some((line) => line.startsWith('sts AssumeRole AKIA…0001 -> 200'))).toBe(true);
    for (const secret of secretsSeen) {
      for (const line of logLines) expect(line).not.toContain(secret);
    }
    for (const line of logLines) expect(line).not.toMatch(/(AKIA|ASIA)[A-Z0-9]{16}/);
  });
});
