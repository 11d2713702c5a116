import type { S3Client } from '@aws-sdk/client-s3';
import type { TargetSession } from '@cross-account-lambda/core/src/credentials';
import { loadAllConfig } from '@cross-account-lambda/core/src/crossAccount';
import { startDeadline } from '@cross-account-lambda/core/src/deadline';
import type { TargetError } from '@cross-account-lambda/core/src/errors';
import { createLogger } from '@cross-account-lambda/core/src/logger';
import { runTarget } from '@cross-account-lambda/core/src/runTarget';
import {
  bucketOf,
  roleArn,
  TARGET_A,
  validEnv,
} from '@cross-account-lambda/offline/testing/fixtures';
import { coreJob as job } from '@cross-account-lambda/template-tests/support/coreJob';

const { config, jobConfig } = loadAllConfig(job, validEnv());
const target = {
  account: TARGET_A,
  roleArn: roleArn(TARGET_A),
  region: config.targetRegions[0] ?? '',
  partition: config.partition,
};
const identity = { account: TARGET_A, arn: `arn:aws:sts::${TARGET_A}:assumed-role/r/s` };

const awsError = (name: string, httpStatusCode = 403) =>
  Object.assign(new Error(`${name} from AWS`), { name, $metadata: { httpStatusCode } });

interface Script {
  assume?: () => Promise<void>;
  /** Who AssumeRole said the credential is. */
  identity?: () => Promise<{ account: string | undefined; arn: string }>;
  s3?: (command: unknown) => Promise<unknown>;
}

/** A TargetSession whose AWS side is a script, to test what runTarget does with each answer. */
function fakeSession(script: Script) {
  const calls = { assume: 0, reassume: 0, s3: [] as unknown[] };
  const s3 = {
    send: async (command: unknown) => {
      calls.s3.push(command);
      return script.s3 ? script.s3(command) : { Contents: [{ Key: 'k1' }, {}], IsTruncated: true };
    },
  } as unknown as S3Client;
  const session: TargetSession = {
    roleArn: target.roleArn,
    sessionName: 'fn-req',
    async ensureCredentials() {
      calls.assume += 1;
      await script.assume?.();
    },
    async reassume() {
      calls.reassume += 1;
    },
    assumedRole: () => (script.identity ? script.identity() : Promise.resolve(identity)),
    clientsIn: () => ({
      client: <C>() => s3 as C,
    }),
    clientCount: 1,
    releaseClients() {},
  };
  return { session, calls, s3 };
}

function inspect(session: TargetSession, remainingMs = 9000) {
  return runTarget(target, {
    job,
    jobConfig,
    session,
    request: { prefix: undefined, maxKeys: 5 },
    names: { Bucket: bucketOf(TARGET_A) },
    deadline: startDeadline(remainingMs, 1000),
    logger: createLogger({ sink: () => {} }),
    config,
  });
}

async function failure(promise: Promise<unknown>): Promise<TargetError> {
  try {
    await promise;
  } catch (error) {
    return error as TargetError;
  }
  throw new Error('runTarget succeeded');
}

describe('inspectTarget', () => {
  it('returns the assumed role ARN, the keys and the truncation flag', async () => {
    const { session } = fakeSession({});
    expect(await inspect(session)).toEqual({
      account: TARGET_A,
      region: 'eu-west-1',
      ok: true,
      assumedRoleArn: identity.arn,
      bucket: bucketOf(TARGET_A),
      keys: ['k1'],
      truncated: true,
    });
  });

  it('attributes a denial while getting credentials to AssumeRole', async () => {
    const { session, calls } = fakeSession({
      assume: () => Promise.reject(awsError('AccessDenied')),
    });
    const error = await failure(inspect(session));
    expect(error).toMatchObject({ code: 'AssumeRoleDenied', step: 'assume-role' });
    expect(calls.s3).toHaveLength(0);
  });

  it('attributes a denial by S3 to the target role permissions', async () => {
    const { session } = fakeSession({ s3: () => Promise.reject(awsError('AccessDenied')) });
    expect(await failure(inspect(session))).toMatchObject({
      code: 'TargetAccessDenied',
      step: 'listBucket',
    });
  });

  it('refuses credentials that belong to another account before listing anything', async () => {
    const { session, calls } = fakeSession({
      identity: async () => ({
        account: '999999999999',
        arn: 'arn:aws:sts::999999999999:assumed-role/r/s',
      }),
    });
    const error = await failure(inspect(session));
    expect(error).toMatchObject({ code: 'AccountMismatch', step: 'assume-role' });
    expect(error.message).toContain('AssumeRole answered for account 999999999999');
    expect(calls.s3).toHaveLength(0);
  });

  it('assumes the role again exactly once when the session is rejected as expired', async () => {
    let rejections = 1;
    const { session, calls } = fakeSession({
      s3: async () => {
        if (rejections-- > 0) throw awsError('ExpiredToken', 400);
        return { Contents: [], IsTruncated: false };
      },
    });
    expect((await inspect(session)).ok).toBe(true);
    expect(calls.reassume).toBe(1);
    expect(calls.s3).toHaveLength(2);
  });

  it('gives up after one re-assume instead of looping', async () => {
    const { session, calls } = fakeSession({
      s3: () => Promise.reject(awsError('ExpiredToken', 400)),
    });
    expect(await failure(inspect(session))).toMatchObject({
      code: 'ExpiredToken',
      step: 'listBucket',
    });
    expect(calls.reassume).toBe(1);
    expect(calls.s3).toHaveLength(2);
  });

  it('does not re-assume for errors a new session cannot fix', async () => {
    const { session, calls } = fakeSession({
      s3: () => Promise.reject(awsError('NoSuchBucket', 404)),
    });
    await failure(inspect(session));
    expect(calls.reassume).toBe(0);
  });

  it('stops waiting for a credential when the deadline passes, even though AssumeRole takes no signal', async () => {
    const { session } = fakeSession({ assume: () => new Promise(() => {}) });
    const error = await failure(inspect(session, 1050));
    expect(error).toMatchObject({ code: 'Timeout', step: 'assume-role' });
    expect(error.message).toContain('time budget (50 ms) ran out');
  });

  it('passes the deadline to every SDK call as its abort signal', async () => {
    const signals: unknown[] = [];
    const { session } = fakeSession({});
    const send = (client: { send: unknown }) => {
      const original = client.send as (command: unknown) => Promise<unknown>;
      client.send = (command: unknown, options?: { abortSignal?: unknown }) => {
        signals.push(options?.abortSignal);
        return original(command);
      };
    };
    send(session.clientsIn(target.region).client(Object) as unknown as { send: unknown });
    await inspect(session);
    expect(signals).toHaveLength(1);
    for (const signal of signals) expect(signal).toBeInstanceOf(AbortSignal);
  });
});
