// The container's session cache is bounded by what the function targets: retain() forgets the
// sessions (and their SDK clients) of roles it no longer visits, and an invocation over many
// targets releases each account's clients once its targets are done.
import { S3Client } from '@aws-sdk/client-s3';
import { createTargetSessions } from '@cross-account-lambda/core/src/credentials';
import { CLIENT_CACHE_LIMIT } from '@cross-account-lambda/core/src/crossAccount';
import { createLogger } from '@cross-account-lambda/core/src/logger';
import {
  assumedCredentials,
  captureOutput,
  lambdaContext,
  logRecords,
  SECRETS,
  validEnv,
} from '@cross-account-lambda/offline/testing';
import { coldStart } from '@cross-account-lambda/template-tests/support/coldStart';

const ROLE_A = 'arn:aws:iam::222222222222:role/target';
const ROLE_B = 'arn:aws:iam::444444444444:role/target';

function sessions() {
  return createTargetSessions({
    homeRegion: 'us-east-1',
    externalId: undefined,
    sourceIdentity: 'fn',
    sessionDurationSeconds: 900,
    functionName: 'fn',
    logger: createLogger({ level: 'ERROR', base: {} }),
  });
}

describe('the session cache', () => {
  it('keeps one session per role and one client per class and region', () => {
    const cache = sessions();
    const a = cache.get(ROLE_A, 'req-1');
    expect(cache.get(ROLE_A, 'req-2')).toBe(a);
    const s3 = a.clientsIn('us-east-1').client(S3Client);
    expect(a.clientsIn('us-east-1').client(S3Client)).toBe(s3);
    a.clientsIn('eu-west-1').client(S3Client);
    expect({ size: cache.size, clients: cache.clientCount }).toEqual({ size: 1, clients: 2 });
  });

  it('forgets the sessions of roles it is not told to retain, with their clients', () => {
    const cache = sessions();
    cache.get(ROLE_A, 'req-1').clientsIn('us-east-1').client(S3Client);
    const b = cache.get(ROLE_B, 'req-1');
    const client = b.clientsIn('us-east-1').client(S3Client);
    // Not destroyed: its connections are the container's shared pool, still in use by others.
    const destroy = jest.spyOn(client, 'destroy');
    expect(cache.retain(new Set([ROLE_A]))).toBe(1);
    expect(destroy).not.toHaveBeenCalled();
    expect({ size: cache.size, clients: cache.clientCount }).toEqual({ size: 1, clients: 1 });
    // A role that comes back gets a new session.
    expect(cache.get(ROLE_B, 'req-2')).not.toBe(b);
  });
});

describe('the clients a container keeps', () => {
  const ACCOUNTS = Array.from({ length: 60 }, (_, index) => String(500_000_000_001 + index));
  const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];
  let container: ReturnType<typeof coldStart> | undefined;
  afterEach(() => {
    for (const mock of Object.values(container?.mocks ?? {})) mock.restore();
    container = undefined;
  });

  it(`stay at most about ${CLIENT_CACHE_LIMIT} when the targets need more, credentials kept`, async () => {
    container = coldStart(
      validEnv({ TARGET_ACCOUNT_IDS: ACCOUNTS.join(','), TARGET_REGIONS: REGIONS.join(',') }),
    );
    const { mocks, sdk, module } = container;
    mocks.assumeRole
      .on(sdk.AssumeRoleCommand)
      .callsFake(async (input: { RoleArn: string }) =>
        assumedCredentials(SECRETS, 3_600_000, /iam::(\d{12}):/.exec(input.RoleArn)?.[1]),
      );
    mocks.s3.on(sdk.ListObjectsV2Command).resolves({ Contents: [] });
    const run = await captureOutput(async () => {
      const first = await module.handler({}, lambdaContext('req-1', 60_000));
      const second = await module.handler({}, lambdaContext('req-2', 60_000));
      return { first, second };
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.first.summary).toEqual({ succeeded: 240, failed: 0 });
    expect(run.result?.second.summary).toEqual({ succeeded: 240, failed: 0 });
    const finished = logRecords(run.output).filter(
      (record) => record.message === 'invocation finished',
    );
    // 240 targets would be 240 clients; closed as accounts finish once over the limit.
    for (const record of finished) {
      expect(record.sessions).toBe(ACCOUNTS.length);
      expect(record.clients).toBeLessThanOrEqual(CLIENT_CACHE_LIMIT + 8 * REGIONS.length);
    }
    // The credentials stayed: the second invocation assumed no role again.
    expect(mocks.assumeRole.commandCalls(sdk.AssumeRoleCommand)).toHaveLength(ACCOUNTS.length);
  });
});
