// The shipped job's own tests (job/listObjects.ts), run by the real core with mocked STS and S3:
// its parameter, its event, the listing it sends and how it explains S3's failures. They go away
// with the job when it is replaced (README, "Make it yours").

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { ConfigError } from '@cross-account-lambda/core';
import { createHandler, loadAllConfig } from '@cross-account-lambda/core';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/projectCopy';
import {
  assumedCredentials,
  captureOutput,
  lambdaContext,
  roleArn,
  SECRETS,
  TARGET_A,
  validEnv,
} from '@cross-account-lambda/offline/testing';
import { deployTime } from '@cross-account-lambda/serverless-plugin/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { yamlParse } from 'yaml-cfn';
import { listObjects } from './listObjects';

const sts = mockClient(STSClient);
const s3 = mockClient(S3Client);
afterEach(() => {
  sts.reset();
  s3.reset();
});
afterAll(() => {
  sts.restore();
  s3.restore();
});

const BUCKET = `cross-account-demo-${TARGET_A}-eu-west-1`;

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadAllConfig(listObjects, validEnv(env));
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('the configuration was accepted');
}

async function invoke(event: unknown, env: Record<string, string | undefined> = {}) {
  sts.on(AssumeRoleCommand).resolves(assumedCredentials(SECRETS));
  const { handler } = createHandler(listObjects, validEnv(env));
  return captureOutput(() => handler(event, lambdaContext('req-1')));
}

describe('targetBucket (TARGET_BUCKET)', () => {
  it('defaults to the demo bucket of each account and region, which the target stack creates', () => {
    const { targets, jobConfig, namesOf } = loadAllConfig(listObjects, validEnv());
    const [target] = targets;
    if (!target) throw new Error('no target');
    expect(namesOf(target)).toMatchObject({ Bucket: BUCKET });
    // Empty BucketName is how the target stack is told to create the demo bucket.
    expect(listObjects.targetStack(jobConfig, target, namesOf(target))).toEqual({
      BucketName: '',
    });
  });

  it('names an existing bucket, which the target stack then grants', () => {
    const { targets, jobConfig, namesOf } = loadAllConfig(
      listObjects,
      validEnv({ TARGET_BUCKET: 'reports-{accountId}' }),
    );
    const [target] = targets;
    if (!target) throw new Error('no target');
    expect(listObjects.targetStack(jobConfig, target, namesOf(target))).toEqual({
      BucketName: `reports-${TARGET_A}`,
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'a bucket ARN',
      { TARGET_BUCKET: 'arn:aws:s3:::demo-bucket' },
      /TARGET_BUCKET must be a bucket name \(not an ARN\)/,
    ],
    [
      'an unknown placeholder',
      { TARGET_BUCKET: 'demo-{stage}' },
      /TARGET_BUCKET must be a bucket name \(not an ARN\) whose only placeholders are \{accountId\} and \{region\}; got "demo-\{stage\}"/,
    ],
    [
      'upper-case letters in the bucket',
      { TARGET_BUCKET: 'Demo-{accountId}' },
      /TARGET_BUCKET must resolve to a valid S3 bucket name; .* contains characters other than/,
    ],
    [
      'a bucket name too long once resolved',
      { TARGET_BUCKET: `${'b'.repeat(42)}-{accountId}-{region}` },
      /is not 3 to 63 characters long/,
    ],
    [
      'adjacent dots in the bucket',
      { TARGET_BUCKET: 'demo..{accountId}' },
      /contains two adjacent dots/,
    ],
    [
      'a bucket formatted as an IP address',
      { TARGET_BUCKET: '192.168.1.1' },
      /is formatted as an IP address/,
    ],
    [
      'a bucket with a reserved prefix',
      { TARGET_BUCKET: 'xn--{accountId}' },
      /gives "xn--222222222222" .* starts with a reserved prefix/,
    ],
    [
      'a bucket with a reserved suffix',
      { TARGET_BUCKET: 'demo-{accountId}-s3alias' },
      /gives "demo-222222222222-s3alias" .* ends with a reserved suffix/,
    ],
    [
      'a bucket ending in a hyphen',
      { TARGET_BUCKET: 'demo-{accountId}-' },
      /does not begin and end with a letter or digit/,
    ],
  ])('refuses %s at cold start, naming the variable and the fix', (_case, env, message) => {
    const error = configError(env);
    expect(error.name).toBe('ConfigError');
    expect(error.variable).toBe('TARGET_BUCKET');
    expect(error.message).toMatch(message);
    expect(error.message).toContain('--param targetBucket=');
  });
});

describe('targetBucket at deploy time (@cross-account-lambda/serverless-plugin (params.js))', () => {
  it.each([
    ['Upper_{accountId}', /characters other than a-z/],
    ['x', /is not 3 to 63 characters long/],
    ['demo-{accountId}-{region}-{stage}', /only placeholders are \{accountId\} and \{region\}/],
  ])(
    'a targetBucket %s stops sls before anything is built, as the cold start would',
    async (bucket, problem) => {
      const { error } = await deployTime({ targetAccountIds: TARGET_A, targetBucket: bucket });
      expect(error?.message).toMatch(/^Parameter "targetBucket" must/);
      expect(error?.message).toMatch(problem);
      expect(error?.message).toMatch(/--param targetBucket=/);
    },
  );

  it('sets TARGET_BUCKET, its default when none is given', async () => {
    const { environment } = await deployTime({ targetAccountIds: TARGET_A });
    expect(environment?.TARGET_BUCKET).toBe('cross-account-demo-{accountId}-{region}');
  });
});

describe("the target template's grant (resources/cross-account-role.yml)", () => {
  it('lists one bucket, nothing else: exactly what this job declares, the same string', () => {
    const template = yamlParse(
      readFileSync(join(PROJECT_ROOT, 'resources/cross-account-role.yml'), 'utf8'),
    );
    const statements = template.Resources.CrossAccountRole.Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
    );
    const bucket = {
      Bucket: { 'Fn::If': ['CreateDemoBucket', { Ref: 'DemoBucket' }, { Ref: 'BucketName' }] },
    };
    const declared = listObjects.permissions.listBucket;
    expect(statements).toEqual([
      {
        Sid: 'ListTheBucket',
        Effect: 'Allow',
        Action: declared?.action,
        Resource: { 'Fn::Sub': [declared?.resource, bucket] },
      },
    ]);
  });
});

describe('the event', () => {
  it.each([
    [
      'a prefix that is not a string',
      { prefix: 7 },
      'prefix',
      /prefix must be a string; got the number 7/,
    ],
    [
      'a prefix over 1024 characters',
      { prefix: 'p'.repeat(1025) },
      'prefix',
      /at most 1024 characters; got 1025/,
    ],
    [
      'a lone surrogate in the prefix',
      { prefix: 'a\uDC00' },
      'prefix',
      /unpaired surrogate \(U\+DC00\)/,
    ],
    [
      'a maxKeys of 1001',
      { maxKeys: 1001 },
      'maxKeys',
      /integer from 1 to 1000; got the number 1001/,
    ],
  ])('refuses %s, naming the field', async (_case, event, field, message) => {
    const { error } = await invoke(event);
    expect(error).toMatchObject({ name: 'EventValidationError', field });
    expect((error as Error).message).toMatch(message);
    expect(sts.calls()).toHaveLength(0);
  });
});

describe('the listing', () => {
  it('passes prefix and maxKeys, and guards the bucket owner', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'logs/a' }], IsTruncated: true });
    const { result } = await invoke({ prefix: 'logs/', maxKeys: 10 });
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      MaxKeys: 10,
      Prefix: 'logs/',
      ExpectedBucketOwner: TARGET_A,
    });
    expect(result).toMatchObject({
      results: [{ account: TARGET_A, ok: true, bucket: BUCKET, keys: ['logs/a'], truncated: true }],
    });
  });

  it('asks for 50 keys when the event does not say', async () => {
    s3.on(ListObjectsV2Command).resolves({});
    await invoke({});
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input.MaxKeys).toBe(50);
  });
});

describe("S3's failures, explained", () => {
  const awsError = (name: string, httpStatusCode: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode, attempts: 1 } });

  async function failureOf(error: Error) {
    s3.on(ListObjectsV2Command).rejects(error);
    const { error: thrown } = await invoke({});
    return (thrown as { failures: { code: string; message: string; step: string }[] }).failures[0];
  }

  it("a denial names the bucket, the target stack's BucketName and --param targetBucket", async () => {
    const failure = await failureOf(awsError('AccessDenied', 403));
    expect(failure).toMatchObject({ code: 'TargetAccessDenied', step: 'listBucket' });
    expect(failure?.message).toContain(`${roleArn(TARGET_A)} may not list bucket ${BUCKET}`);
    expect(failure?.message).toContain("target stack's BucketName parameter");
    expect(failure?.message).toContain(
      '--param targetBucket=cross-account-demo-{accountId}-{region}',
    );
    expect(failure?.message).toContain('ExpectedBucketOwner');
  });

  it('a missing bucket says how to create the demo bucket or name another', async () => {
    const failure = await failureOf(awsError('NoSuchBucket', 404));
    expect(failure?.code).toBe('BucketNotFound');
    expect(failure?.message).toMatch(
      new RegExp(`^Bucket ${BUCKET} does not exist .*empty BucketName`),
    );
  });

  it('a bucket in another region points at targetRegions', async () => {
    const failure = await failureOf(awsError('PermanentRedirect', 301));
    expect(failure?.code).toBe('BucketRegionMismatch');
    expect(failure?.message).toMatch(/is not in eu-west-1 .*--param targetRegions/);
  });
});
