// Shared test fixtures: environments, a Lambda context and a cold-start loader for the handler
// with mocked SDK clients. Tests that need the SDK's real wire path use the offline stand-in
// (packages/offline/tests/reliability/support.ts), the project's one AWS look-alike.

import type { Env } from '@cross-account-lambda/core/src/config';
import type { Context } from 'aws-lambda';
import { recordSecret } from './runRecord';

export { captureOutput, logRecords } from './captureOutput';

export const HOME = '111111111111';
export const TARGET_A = '222222222222';
export const TARGET_B = '333333333333';
export const TARGET_C = '444444444444';
export const EXEC_ROLE = 'cross-account-lambda-local-us-east-1-exec';
export const CALLER_ARN = `arn:aws:sts::${HOME}:assumed-role/${EXEC_ROLE}/crossAccount`;

export const roleArn = (account: string, name = 'cross-account-demo-target') =>
  `arn:aws:iam::${account}:role/${name}`;
export const bucketOf = (account: string, region = 'eu-west-1') =>
  `cross-account-demo-${account}-${region}`;

/** A valid environment as serverless.yml sets it; tests override one variable at a time. */
export function validEnv(overrides: Env = {}): Env {
  return {
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'cross-account-lambda-local-crossAccount',
    TARGET_ACCOUNT_IDS: TARGET_A,
    TARGET_ROLE_NAME: 'cross-account-demo-target',
    TARGET_EXTERNAL_ID: '',
    TARGET_REGIONS: 'eu-west-1',
    SESSION_DURATION_SECONDS: '900',
    FANOUT_CONCURRENCY: '8',
    TARGET_ORGANIZATION_ID: '',
    ...overrides,
  };
}

export function lambdaContext(requestId: string, remainingMs = 9000): Context {
  return {
    awsRequestId: requestId,
    functionName: 'cross-account-lambda-local-crossAccount',
    getRemainingTimeInMillis: () => remainingMs,
  } as Context;
}

/**
 * Temporary credentials as STS returns them, for a role of `account`; the values are
 * recognisable on purpose.
 */
export function assumedCredentials(secrets: Secrets, expiresInMs = 3_600_000, account = TARGET_A) {
  return {
    Credentials: {
      AccessKeyId: secrets.accessKeyId,
      SecretAccessKey: secrets.secretAccessKey,
      SessionToken: secrets.sessionToken,
      Expiration: new Date(Date.now() + expiresInMs),
    },
    AssumedRoleUser: {
      Arn: `arn:aws:sts::${account}:assumed-role/cross-account-demo-target/session`,
      AssumedRoleId: 'AROAEXAMPLE:session',
    },
  };
}

export interface Secrets {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export const SECRETS: Secrets = {
  accessKeyId: 'ASIAQ7CANARYSECRET01',
  secretAccessKey: 'CanarySecretAccessKey+0123456789/abcdefg',
  sessionToken: `IQoJb3JpZ2luX2VjCanarySessionToken${'Zm9vYmFy'.repeat(40)}`,
};
// The run's secret scan looks for these too (the access key id it finds by its shape).
recordSecret("the unit tests' canary secret access key", SECRETS.secretAccessKey);
recordSecret("the unit tests' canary session token", SECRETS.sessionToken);
