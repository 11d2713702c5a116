// The core's handler (running its own job, coreJob.ts) loaded as a new Lambda container would,
// with its SDK clients mocked: the kit's unit and reliability suites start it this way.
import type { Env } from '@cross-account-lambda/core/src/config';
import { mockClient } from 'aws-sdk-client-mock';

type HandlerModule = typeof import('./coreHandler');

/**
 * Loads the handler (the core running its own job, coreJob.ts) in a fresh module
 * registry, as a new Lambda container would, with `env` as the
 * process environment. The SDK classes come from the same registry, so mocks of them apply. (Not
 * jest.isolateModules: the SDK may require modules lazily, after such a callback has returned,
 * and would get them from the outer registry.) Classes the test file imported itself come
 * from the previous registry, so compare errors by name, not with instanceof.
 */
export function coldStart(env: Env) {
  const saved = process.env;
  process.env = { ...env };
  try {
    jest.resetModules();
    return loadWithMocks();
  } finally {
    process.env = saved;
  }
}

function loadWithMocks() {
  const sts = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
  const s3 = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  const organizations =
    require('@aws-sdk/client-organizations') as typeof import('@aws-sdk/client-organizations');
  // The handler module is loaded last: a config error must surface here, after the mocks exist.
  const mocks = {
    // The home STS client of src/credentials.ts: the only STS the function calls.
    assumeRole: mockClient(sts.STSClient),
    s3: mockClient(s3.S3Client),
    // The reader role's client of src/discovery.ts (Organizations mode only).
    organizations: mockClient(organizations.OrganizationsClient),
  };
  const sdk = {
    AssumeRoleCommand: sts.AssumeRoleCommand,
    GetCallerIdentityCommand: sts.GetCallerIdentityCommand,
    ListObjectsV2Command: s3.ListObjectsV2Command,
    ListAccountsForParentCommand: organizations.ListAccountsForParentCommand,
    ListOrganizationalUnitsForParentCommand: organizations.ListOrganizationalUnitsForParentCommand,
  };
  try {
    const module = require('./coreHandler') as HandlerModule;
    return { module, mocks, sdk };
  } catch (error) {
    for (const mock of Object.values(mocks)) mock.restore();
    throw error;
  }
}
