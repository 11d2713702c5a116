// A warm container refreshes the target role's credentials before they expire and never signs a
// request with expired ones. This needs one process living across invocations, which `sls invoke
// local` (a new process each time) cannot give, so the real handler module runs here, in-process,
// with the environment the synthesised stack gives it, against the stand-in.

import {
  HOME_CREDENTIALS,
  type StandIn,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import { loadCoreModel, synthesizeCore } from '@cross-account-lambda/template-tests/support/core';
import type { Context } from 'aws-lambda';

// Issued credentials claim 304 s. The SDK refreshes once fewer than 300 s are left (after 3-4 s);
// the stand-in rejects them 299 s before their expiry (after 4-5 s), so a client that kept using
// them past its refresh point would be caught and counted.
const LIFETIME_SECONDS = 304;
const REJECT_WITHIN_SECONDS = 299;
const PAST_STAND_IN_EXPIRY_MS = (LIFETIME_SECONDS - REJECT_WITHIN_SECONDS) * 1000 + 300;

let standIn: StandIn;
let handler: (event: unknown, context: Context) => Promise<{ summary: { succeeded: number } }>;
const savedEnv = { ...process.env };

beforeAll(async () => {
  const synthesis = await synthesizeCore({ stage: 'local' });
  try {
    const model = await loadCoreModel({ template: synthesis.template });
    standIn = await startStandIn({
      model,
      credentialLifetimeSeconds: LIFETIME_SECONDS,
      rejectWithinSecondsOfExpiry: REJECT_WITHIN_SECONDS,
    });
    for (const name of Object.keys(process.env))
      if (name.startsWith('AWS_')) delete process.env[name];
    Object.assign(process.env, model.environment, {
      AWS_REGION: model.region,
      AWS_LAMBDA_FUNCTION_NAME: model.deployedFunctionName,
      AWS_ACCESS_KEY_ID: HOME_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: HOME_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_STS: standIn.url,
      AWS_ENDPOINT_URL_S3: standIn.url,
      AWS_LAMBDA_LOG_LEVEL: 'ERROR',
    });
    // The module reads its configuration at load, as at a cold start.
    ({ handler } = await import('@cross-account-lambda/template-tests/support/coreHandler'));
  } finally {
    await synthesis.dispose();
  }
}, 90_000);

afterAll(async () => {
  await standIn?.close();
  process.env = savedEnv;
});

function context(requestId: string): Context {
  return {
    awsRequestId: requestId,
    functionName: 'cross-account-lambda-local-crossAccount',
    getRemainingTimeInMillis: () => 10_000,
  } as Context;
}

test('one AssumeRole per credential lifetime: warm invocations reuse it, the next one after the refresh point assumes again', async () => {
  await expect(handler({}, context('request-1'))).resolves.toMatchObject({
    summary: { succeeded: 1 },
  });
  const issuedAt = Date.now();
  await expect(handler({}, context('request-2'))).resolves.toMatchObject({
    summary: { succeeded: 1 },
  });
  expect(standIn.stats.assumeRole.calls).toBe(1);

  await new Promise((resolve) =>
    setTimeout(resolve, issuedAt + PAST_STAND_IN_EXPIRY_MS - Date.now()),
  );
  await expect(handler({}, context('request-3'))).resolves.toMatchObject({
    summary: { succeeded: 1 },
  });
  await expect(handler({}, context('request-4'))).resolves.toMatchObject({
    summary: { succeeded: 1 },
  });

  expect(standIn.stats).toMatchObject({
    assumeRole: { calls: 2, succeeded: 2 },
    credentialsIssued: 2,
    refreshes: 1,
    expiredCredentialRequests: 0,
    // No GetCallerIdentity: AssumeRole's own answer names the assumed role.
    calls: { byAction: { 'sts:AssumeRole': 2, 's3:ListObjectsV2': 4 } },
    errors: {},
  });
}, 30_000);
