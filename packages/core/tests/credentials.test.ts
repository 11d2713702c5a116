import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { MAX_ATTEMPTS } from '@cross-account-lambda/core/src/clientSettings';
import {
  createTargetSessions,
  roleSessionName,
  type SessionOptions,
} from '@cross-account-lambda/core/src/credentials';
import { createLogger } from '@cross-account-lambda/core/src/logger';
import {
  roleArn,
  SECRETS,
  TARGET_A,
  TARGET_B,
} from '@cross-account-lambda/offline/testing/fixtures';
import { mockClient } from 'aws-sdk-client-mock';

// The home STS client that calls AssumeRole (src/credentials.ts), in the function's region.
const sts = mockClient(STSClient);

let issued = 0;
/** Each AssumeRole hands out a new, numbered access key that expires after `lifetimeMs`. */
function stsIssues(lifetimeMs: number, delayMs = 0) {
  sts.on(AssumeRoleCommand).callsFake(async () => {
    issued += 1;
    const accessKeyId = `ASIAEXAMPLEKEY${String(issued).padStart(6, '0')}`;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return {
      Credentials: {
        ...{ AccessKeyId: accessKeyId, SecretAccessKey: SECRETS.secretAccessKey },
        SessionToken: SECRETS.sessionToken,
        Expiration: new Date(Date.now() + lifetimeMs),
      },
      AssumedRoleUser: {
        Arn: `arn:aws:sts::${TARGET_A}:assumed-role/cross-account-demo-target/${accessKeyId}`,
        AssumedRoleId: `AROAEXAMPLE:${accessKeyId}`,
      },
    };
  });
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

// The SDK decides expiry with Date.now(); moving it is how a credential ages in these tests.
let now = Date.now();
const advanceClock = (ms: number) => {
  now += ms;
};

const REGION_UNDER_TEST = 'eu-west-1';

function sessions(overrides: Partial<SessionOptions> = {}) {
  return createTargetSessions({
    homeRegion: 'us-east-1',
    externalId: undefined,
    sourceIdentity: 'cross-account-lambda-local-crossAccount',
    sessionDurationSeconds: 900,
    functionName: 'cross-account-lambda-local-crossAccount',
    logger: createLogger({ sink: () => {} }),
    ...overrides,
  });
}

const modeOf = (strategy: object) => (strategy as { mode?: string }).mode;

const assumeRoleCalls = () => sts.commandCalls(AssumeRoleCommand);

beforeEach(() => {
  sts.reset();
  issued = 0;
  now = Date.now();
  jest.spyOn(Date, 'now').mockImplementation(() => now);
});

afterEach(() => jest.restoreAllMocks());

afterAll(() => sts.restore());

describe('target sessions cache credentials per role for the life of the container', () => {
  it('assumes the role once for many invocations', async () => {
    stsIssues(HOUR);
    const cache = sessions();
    for (const requestId of ['req-1', 'req-2', 'req-3', 'req-4', 'req-5']) {
      await cache.get(roleArn(TARGET_A), requestId).ensureCredentials();
    }
    expect(assumeRoleCalls()).toHaveLength(1);
    expect(cache.size).toBe(1);
  });

  it('gives the STS and the S3 client the one cached credential', async () => {
    stsIssues(HOUR);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    const [viaSts, viaS3] = await Promise.all([
      session.clientsIn(REGION_UNDER_TEST).client(STSClient).config.credentials(),
      session.clientsIn(REGION_UNDER_TEST).client(S3Client).config.credentials(),
    ]);
    await session.ensureCredentials();
    expect(viaSts.accessKeyId).toBe('ASIAEXAMPLEKEY000001');
    expect(viaS3.accessKeyId).toBe('ASIAEXAMPLEKEY000001');
    expect(assumeRoleCalls()).toHaveLength(1);
  });

  it('keeps one session per role ARN', async () => {
    stsIssues(HOUR);
    const cache = sessions();
    await cache.get(roleArn(TARGET_A), 'req-1').ensureCredentials();
    await cache.get(roleArn(TARGET_B), 'req-1').ensureCredentials();
    await cache.get(roleArn(TARGET_A), 'req-2').ensureCredentials();
    expect(cache.size).toBe(2);
    expect(assumeRoleCalls().map((call) => call.args[0].input.RoleArn)).toEqual([
      roleArn(TARGET_A),
      roleArn(TARGET_B),
    ]);
  });

  it('assumes the role again once the credential is within five minutes of its expiry', async () => {
    stsIssues(HOUR);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    await session.ensureCredentials();
    advanceClock(54 * MINUTE);
    await session.ensureCredentials();
    expect(assumeRoleCalls()).toHaveLength(1);
    advanceClock(2 * MINUTE);
    await session.ensureCredentials();
    expect(assumeRoleCalls()).toHaveLength(2);
    expect(
      (await session.clientsIn(REGION_UNDER_TEST).client(S3Client).config.credentials())
        .accessKeyId,
    ).toBe('ASIAEXAMPLEKEY000002');
  });

  it('assumes the role again when the cached credential has already expired', async () => {
    stsIssues(15 * MINUTE);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    await session.ensureCredentials();
    advanceClock(HOUR);
    await session.ensureCredentials();
    expect(assumeRoleCalls()).toHaveLength(2);
  });

  it('refreshes an expiring credential with one AssumeRole for both clients', async () => {
    stsIssues(HOUR, 20);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    await session.ensureCredentials();
    advanceClock(HOUR - MINUTE);
    const [viaSts, viaS3] = await Promise.all([
      session.clientsIn(REGION_UNDER_TEST).client(STSClient).config.credentials(),
      session.clientsIn(REGION_UNDER_TEST).client(S3Client).config.credentials(),
    ]);
    expect(assumeRoleCalls()).toHaveLength(2);
    expect(viaSts.accessKeyId).toBe('ASIAEXAMPLEKEY000002');
    expect(viaS3.accessKeyId).toBe('ASIAEXAMPLEKEY000002');
  });

  it('lets concurrent invocations share one AssumeRole', async () => {
    stsIssues(HOUR, 30);
    const cache = sessions();
    await Promise.all(
      ['req-1', 'req-2', 'req-3', 'req-4'].map((requestId) =>
        cache.get(roleArn(TARGET_A), requestId).ensureCredentials(),
      ),
    );
    expect(assumeRoleCalls()).toHaveLength(1);
  });

  it('lets concurrent invocations share one refresh of an expiring credential', async () => {
    stsIssues(HOUR, 30);
    const cache = sessions();
    await cache.get(roleArn(TARGET_A), 'req-0').ensureCredentials();
    advanceClock(HOUR - MINUTE);
    await Promise.all(
      ['req-1', 'req-2', 'req-3'].map((requestId) =>
        cache.get(roleArn(TARGET_A), requestId).ensureCredentials(),
      ),
    );
    expect(assumeRoleCalls()).toHaveLength(2);
  });

  it('reassume() replaces the credential of both clients with one AssumeRole', async () => {
    stsIssues(HOUR, 10);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    await session.clientsIn(REGION_UNDER_TEST).client(STSClient).config.credentials();
    await session.clientsIn(REGION_UNDER_TEST).client(S3Client).config.credentials();
    await Promise.all([session.reassume(), session.reassume()]);
    expect(assumeRoleCalls()).toHaveLength(2);
    // Fails if a client kept a private cache of the first credential.
    expect(
      (await session.clientsIn(REGION_UNDER_TEST).client(STSClient).config.credentials())
        .accessKeyId,
    ).toBe('ASIAEXAMPLEKEY000002');
    expect(
      (await session.clientsIn(REGION_UNDER_TEST).client(S3Client).config.credentials())
        .accessKeyId,
    ).toBe('ASIAEXAMPLEKEY000002');
  });
});

describe("AssumeRole's own answer proves the switch of account", () => {
  it('names the assumed role and its account, with no GetCallerIdentity', async () => {
    stsIssues(HOUR);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    await expect(session.assumedRole()).resolves.toEqual({
      arn: `arn:aws:sts::${TARGET_A}:assumed-role/cross-account-demo-target/ASIAEXAMPLEKEY000001`,
      account: TARGET_A,
    });
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(0);
    expect(assumeRoleCalls()).toHaveLength(1);
  });

  it('follows the credential: after a refresh and after reassume() it is the new session', async () => {
    stsIssues(HOUR);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    await session.ensureCredentials();
    advanceClock(HOUR - MINUTE);
    expect((await session.assumedRole()).arn).toMatch(/ASIAEXAMPLEKEY000002$/);
    await session.reassume();
    expect((await session.assumedRole()).arn).toMatch(/ASIAEXAMPLEKEY000003$/);
  });

  it('has no account when the answer names no assumed role', async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLEKEY000009',
        SecretAccessKey: SECRETS.secretAccessKey,
        SessionToken: SECRETS.sessionToken,
        Expiration: new Date(Date.now() + HOUR),
      },
    });
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    await expect(session.assumedRole()).resolves.toEqual({ arn: '', account: undefined });
  });
});

describe('the AssumeRole request', () => {
  it('names the role, a traceable session, the source identity, the configured duration and external id', async () => {
    stsIssues(HOUR);
    const cache = sessions({ externalId: 'ext-123', sessionDurationSeconds: 1800 });
    await cache.get(roleArn(TARGET_A), 'c0ffee00-1111-2222-3333-444455556666').ensureCredentials();
    expect(assumeRoleCalls()[0]?.args[0].input).toEqual({
      RoleArn: roleArn(TARGET_A),
      RoleSessionName: 'cross-account-lambda-local-c0ffee00-1111-2222-3333-444455556666',
      DurationSeconds: 1800,
      SourceIdentity: 'cross-account-lambda-local-crossAccount',
      ExternalId: 'ext-123',
    });
  });

  it('sends no ExternalId when none is configured', async () => {
    stsIssues(HOUR);
    await sessions().get(roleArn(TARGET_A), 'req-1').ensureCredentials();
    expect(assumeRoleCalls()[0]?.args[0].input).not.toHaveProperty('ExternalId');
  });

  it('goes to the regional STS endpoint of the function region with bounded standard retries', async () => {
    let seen: Record<string, unknown> = {};
    sts.on(AssumeRoleCommand).callsFake(async (_input, getClient) => {
      const { config } = getClient();
      const region = await config.region();
      const endpoint = await config.endpointProvider({
        Region: region,
        UseFIPS: await config.useFipsEndpoint(),
        UseDualStack: await config.useDualstackEndpoint(),
        UseGlobalEndpoint:
          typeof config.useGlobalEndpoint === 'function'
            ? await config.useGlobalEndpoint()
            : config.useGlobalEndpoint,
      });
      seen = {
        region,
        endpoint: endpoint.url.href,
        maxAttempts: await config.maxAttempts(),
        retryMode: modeOf(await config.retryStrategy()),
      };
      return {
        Credentials: {
          AccessKeyId: 'ASIAEXAMPLEKEY000001',
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(Date.now() + HOUR),
        },
      };
    });
    await sessions({ homeRegion: 'eu-central-1' })
      .get(roleArn(TARGET_A), 'req-1')
      .ensureCredentials();
    expect(seen).toEqual({
      region: 'eu-central-1',
      endpoint: 'https://sts.eu-central-1.amazonaws.com/',
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
    });
  });
});

describe('the target clients', () => {
  it('use the target region and the bounded standard retry strategy', async () => {
    const session = sessions({ homeRegion: 'eu-central-1' }).get(roleArn(TARGET_A), 'req-1');
    const clients = session.clientsIn('us-west-2');
    for (const client of [clients.client(STSClient), clients.client(S3Client)]) {
      expect(await client.config.region()).toBe('us-west-2');
      expect(await client.config.maxAttempts()).toBe(MAX_ATTEMPTS);
      expect(modeOf(await client.config.retryStrategy())).toBe('standard');
    }
  });
});

describe('the clients of one account in several regions', () => {
  it('are one client per region and class, all signing with one AssumeRole', async () => {
    stsIssues(HOUR);
    const session = sessions().get(roleArn(TARGET_A), 'req-1');
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
    const clients = regions.map((region) => session.clientsIn(region).client(S3Client));
    expect(new Set(clients).size).toBe(3);
    expect(session.clientsIn('eu-west-1').client(S3Client)).toBe(clients[1]);
    expect(await Promise.all(clients.map((client) => client.config.region()))).toEqual(regions);
    const keys = await Promise.all(
      clients.map(async (client) => (await client.config.credentials()).accessKeyId),
    );
    expect(new Set(keys).size).toBe(1);
    expect(assumeRoleCalls()).toHaveLength(1);
  });
});

describe('roleSessionName', () => {
  it('joins function name and request id', () => {
    expect(roleSessionName('crossAccount', 'abc-123')).toBe('crossAccount-abc-123');
  });

  it('keeps within the 64 characters STS allows, shortening the function name first', () => {
    const requestId = '8f5d6a2e-3c4b-4a1f-9e8d-7c6b5a4f3e2d';
    const name = roleSessionName(`cross-account-lambda-${'x'.repeat(60)}-crossAccount`, requestId);
    expect(name).toHaveLength(64);
    expect(name.endsWith(`-${requestId}`)).toBe(true);
  });

  it('replaces characters STS does not allow', () => {
    expect(roleSessionName('my function!', 'id/with:colons')).toBe('my-function-id-with-colons');
    expect(roleSessionName('fn', 'ok')).toMatch(/^[\w+=,.@-]{2,64}$/);
  });

  it('never returns fewer than the two characters STS requires', () => {
    expect(roleSessionName('', '')).toHaveLength(2);
  });

  it('truncates an absurdly long request id to 64 characters', () => {
    expect(roleSessionName('fn', 'r'.repeat(100))).toBe('r'.repeat(64));
  });
});
