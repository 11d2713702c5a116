// The function's configuration: the core's (src/config.ts) and a job's, read together at cold
// start as the handler reads them; the job here names a bucket per target, as a listing job does.

import { loadAllConfig } from '@cross-account-lambda/core/src/crossAccount';
import { ConfigError } from '@cross-account-lambda/core/src/errors';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { TARGET_A, TARGET_B, validEnv } from '@cross-account-lambda/offline/testing/fixtures';
import * as v from 'valibot';

const job = defineJob({
  params: { bucketPrefix: v.optional(v.string(), 'demo') },
  permissions: {
    list: { action: 's3:ListBucket', resource: 'arn:${AWS::Partition}:s3:::${Bucket}' },
  },
  names: ({ bucketPrefix }, target) => ({
    Bucket: `${bucketPrefix}-${target.account}-${target.region}`,
  }),
  run: async () => ({}),
});

function loadConfig(env: Record<string, string | undefined>) {
  return loadAllConfig(job, env).config;
}

function configError(overrides: Record<string, string | undefined>): ConfigError {
  try {
    loadAllConfig(job, validEnv(overrides));
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  it('turns a valid environment into a typed config with one target per account', () => {
    const config = loadConfig(
      validEnv({ TARGET_ACCOUNT_IDS: `${TARGET_A}, ${TARGET_B}`, TARGET_EXTERNAL_ID: 'ext-123' }),
    );
    expect(config).toMatchObject({
      homeRegion: 'us-east-1',
      partition: 'aws',
      targetRegions: ['eu-west-1'],
      accountIds: [TARGET_A, TARGET_B],
      roleName: 'cross-account-demo-target',
      externalId: 'ext-123',
      sessionDurationSeconds: 900,
      fanoutConcurrency: 8,
      organizationId: undefined,
      logLevel: 'INFO',
      functionName: 'cross-account-lambda-local-crossAccount',
      sourceIdentity: 'cross-account-lambda-local-crossAccount',
    });
    expect([...config.targets.values()]).toEqual([
      { account: TARGET_A, roleArn: `arn:aws:iam::${TARGET_A}:role/cross-account-demo-target` },
      { account: TARGET_B, roleArn: `arn:aws:iam::${TARGET_B}:role/cross-account-demo-target` },
    ]);
    const { targets, namesOf } = loadAllConfig(
      job,
      validEnv({ TARGET_ACCOUNT_IDS: `${TARGET_A}, ${TARGET_B}` }),
    );
    expect(targets.map((target) => namesOf(target).Bucket)).toEqual([
      `demo-${TARGET_A}-eu-west-1`,
      `demo-${TARGET_B}-eu-west-1`,
    ]);
  });

  it('reads several target regions, in order, each in the partition of the function', () => {
    const env = validEnv({
      TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}`,
      TARGET_REGIONS: 'eu-west-1, us-east-1,ap-southeast-2',
    });
    expect(loadConfig(env).targetRegions).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2']);
    const { targets, namesOf } = loadAllConfig(job, env);
    expect(targets.map((t) => `${t.account} ${t.region}`)).toEqual([
      `${TARGET_A} eu-west-1`,
      `${TARGET_A} us-east-1`,
      `${TARGET_A} ap-southeast-2`,
      `${TARGET_B} eu-west-1`,
      `${TARGET_B} us-east-1`,
      `${TARGET_B} ap-southeast-2`,
    ]);
    // One role per account, whatever the number of regions.
    expect(new Set(targets.map((t) => t.roleArn)).size).toBe(2);
    const last = targets.at(-1);
    expect(last && namesOf(last).Bucket).toBe(`demo-${TARGET_B}-ap-southeast-2`);
  });

  it('builds role ARNs in the partition of the function region', () => {
    const config = loadConfig(
      validEnv({ AWS_REGION: 'cn-north-1', TARGET_REGIONS: 'cn-northwest-1' }),
    );
    expect(config.targets.get(TARGET_A)?.roleArn).toBe(
      `arn:aws-cn:iam::${TARGET_A}:role/cross-account-demo-target`,
    );
  });

  it('applies the documented defaults when optional variables are unset or empty', () => {
    const config = loadConfig(
      validEnv({
        TARGET_REGIONS: undefined,
        SESSION_DURATION_SECONDS: '',
        FANOUT_CONCURRENCY: undefined,
        TARGET_EXTERNAL_ID: undefined,
        AWS_LAMBDA_FUNCTION_NAME: undefined,
      }),
    );
    expect(config).toMatchObject({
      targetRegions: ['us-east-1'],
      sessionDurationSeconds: 900,
      fanoutConcurrency: 8,
      externalId: undefined,
      functionName: 'crossAccount',
      sourceIdentity: 'crossAccount',
    });
  });

  it('carries the organization id in organization mode and changes nothing else', () => {
    const plain = loadConfig(validEnv());
    const org = loadConfig(validEnv({ TARGET_ORGANIZATION_ID: 'o-a1b2c3d4e5' }));
    expect(org.organizationId).toBe('o-a1b2c3d4e5');
    expect({ ...org, organizationId: undefined }).toEqual(plain);
  });

  it('maps Lambda log levels onto the logger levels', () => {
    expect(loadConfig(validEnv({ AWS_LAMBDA_LOG_LEVEL: 'trace' })).logLevel).toBe('DEBUG');
    expect(loadConfig(validEnv({ AWS_LAMBDA_LOG_LEVEL: 'FATAL' })).logLevel).toBe('ERROR');
    expect(loadConfig(validEnv({ AWS_LAMBDA_LOG_LEVEL: 'WARN' })).logLevel).toBe('WARN');
  });

  it('does not read process.env: the environment is a parameter', () => {
    const before = process.env.TARGET_ACCOUNT_IDS;
    process.env.TARGET_ACCOUNT_IDS = 'not-an-account';
    try {
      expect(loadConfig(validEnv()).accountIds).toEqual([TARGET_A]);
    } finally {
      process.env.TARGET_ACCOUNT_IDS = before;
    }
  });
});

// Each case breaks exactly one variable of an otherwise valid environment.
const malformed: [string, Record<string, string | undefined>, RegExp][] = [
  [
    'a missing target account list',
    { TARGET_ACCOUNT_IDS: undefined },
    /TARGET_ACCOUNT_IDS is missing: .*; set --param targetAccountIds=/,
  ],
  [
    'an 11-digit account id',
    { TARGET_ACCOUNT_IDS: '22222222222' },
    /TARGET_ACCOUNT_IDS must be a comma-separated list of 12-digit AWS account ids; item 1 is "22222222222" \(11 digits\); set --param targetAccountIds=/,
  ],
  ['a 5-digit account id', { TARGET_ACCOUNT_IDS: '12345' }, /item 1 is "12345" \(5 digits\)/],
  [
    'an account id with letters',
    { TARGET_ACCOUNT_IDS: `${TARGET_A},33333333333x` },
    /item 2 is "33333333333x"/,
  ],
  ['an empty item in the account list', { TARGET_ACCOUNT_IDS: `${TARGET_A},` }, /item 2 is ""/],
  [
    'a duplicated account',
    { TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_A}` },
    /TARGET_ACCOUNT_IDS lists account 222222222222 twice/,
  ],
  [
    'a role name of 65 characters',
    { TARGET_ROLE_NAME: 'r'.repeat(65) },
    /TARGET_ROLE_NAME must be an IAM role name of 1 to 64 characters .*; set --param targetRoleName=/,
  ],
  [
    'a role name with a path',
    { TARGET_ROLE_NAME: 'team/role' },
    /TARGET_ROLE_NAME must be an IAM role name of 1 to 64 characters .* \(no path\); got "team\/role"/,
  ],
  [
    'a role name of 65 characters',
    { TARGET_ROLE_NAME: 'r'.repeat(65) },
    /TARGET_ROLE_NAME must be an IAM role name of 1 to 64/,
  ],
  [
    'a role ARN instead of a name',
    { TARGET_ROLE_NAME: 'arn:aws:iam::222222222222:role/reader' },
    /TARGET_ROLE_NAME must be a role name, not an ARN; .*use its name "reader"/,
  ],
  [
    'a role ARN of the wrong partition',
    { TARGET_ROLE_NAME: 'arn:aws-cn:iam::222222222222:role/reader' },
    /not an ARN; .*its partition "aws-cn" is not aws/,
  ],
  [
    'an ARN of the wrong service',
    { TARGET_ROLE_NAME: 'arn:aws:s3:::my-bucket' },
    /not an ARN; .*it is not an iam role ARN \(service "s3"\)/,
  ],
  [
    'an assumed-role ARN',
    { TARGET_ROLE_NAME: 'arn:aws:sts::222222222222:assumed-role/reader/s' },
    /it is not an iam role ARN \(service "sts"\)/,
  ],
  ['a malformed ARN', { TARGET_ROLE_NAME: 'arn:aws:iam' }, /the malformed ARN "arn:aws:iam"/],
  [
    'a one-character external id',
    { TARGET_EXTERNAL_ID: 'x' },
    /TARGET_EXTERNAL_ID must be 2 to 1224 characters long; got 1; set --param externalId=/,
  ],
  [
    'an external id of 1225 characters',
    { TARGET_EXTERNAL_ID: 'x'.repeat(1225) },
    /TARGET_EXTERNAL_ID must be 2 to 1224 characters long; got 1225/,
  ],
  [
    'an external id with a space',
    { TARGET_EXTERNAL_ID: 'ab cd' },
    /TARGET_EXTERNAL_ID may only contain letters, digits and _\+=,\.@:\/-; character 3 is U\+0020/,
  ],
  [
    'an external id with a non-ASCII letter',
    { TARGET_EXTERNAL_ID: 'abcé' },
    /character 4 is U\+00E9/,
  ],
  [
    'a malformed target region',
    { TARGET_REGIONS: 'europe' },
    /TARGET_REGIONS must be a region id such as us-east-1, or a comma-separated list of them; got "europe" \(item 1\); set --param targetRegions=/,
  ],
  [
    'a target region in another partition',
    { TARGET_REGIONS: 'cn-north-1' },
    /TARGET_REGIONS includes "cn-north-1" \(item 1\) in partition aws-cn, but the function runs in us-east-1 \(partition aws\); a role cannot be assumed across partitions/,
  ],
  [
    'a target region listed twice',
    { TARGET_REGIONS: 'eu-west-1,us-east-1,eu-west-1' },
    /TARGET_REGIONS lists region eu-west-1 twice \(item 3\); list each region once/,
  ],
  [
    'a second target region that is malformed',
    { TARGET_REGIONS: 'eu-west-1,,us-east-1' },
    /TARGET_REGIONS must be a region id .*; got "" \(item 2\)/,
  ],
  [
    'a GovCloud target for a commercial function',
    { TARGET_REGIONS: 'us-gov-west-1' },
    /partition aws-us-gov/,
  ],
  ['a missing function region', { AWS_REGION: undefined }, /AWS_REGION is missing; Lambda sets it/],
  ['a malformed function region', { AWS_REGION: 'US_EAST_1' }, /AWS_REGION must be a region id/],
  [
    'a session duration below STS range',
    { SESSION_DURATION_SECONDS: '899' },
    /SESSION_DURATION_SECONDS must be an integer from 900 to 3600; got "899"; set --param sessionDurationSeconds=/,
  ],
  [
    'a session duration above the one hour STS allows a chained session (as at deploy time)',
    { SESSION_DURATION_SECONDS: '3601' },
    /SESSION_DURATION_SECONDS must be an integer from 900 to 3600; got "3601"/,
  ],
  [
    'a fractional session duration',
    { SESSION_DURATION_SECONDS: '900.5' },
    /SESSION_DURATION_SECONDS must be an integer/,
  ],
  [
    'a session duration in words',
    { SESSION_DURATION_SECONDS: 'one hour' },
    /SESSION_DURATION_SECONDS must be an integer/,
  ],
  [
    'a concurrency of zero',
    { FANOUT_CONCURRENCY: '0' },
    /FANOUT_CONCURRENCY must be an integer from 1 to 50; got "0"; set --param fanoutConcurrency=/,
  ],
  [
    'a concurrency of 51',
    { FANOUT_CONCURRENCY: '51' },
    /FANOUT_CONCURRENCY must be an integer from 1 to 50; got "51"/,
  ],
  ['a negative concurrency', { FANOUT_CONCURRENCY: '-3' }, /FANOUT_CONCURRENCY must be an integer/],
  [
    'an organization id without the o- prefix',
    { TARGET_ORGANIZATION_ID: 'a1b2c3d4e5' },
    /TARGET_ORGANIZATION_ID must look like o-a1b2c3d4e5; got "a1b2c3d4e5"; set --param organizationId=/,
  ],
  [
    'an organization id that is too short',
    { TARGET_ORGANIZATION_ID: 'o-abc' },
    /TARGET_ORGANIZATION_ID must look like/,
  ],
  [
    'an organization id with upper case',
    { TARGET_ORGANIZATION_ID: 'o-A1B2C3D4E5' },
    /TARGET_ORGANIZATION_ID must look like/,
  ],
  [
    'a function name STS would refuse as SourceIdentity',
    { AWS_LAMBDA_FUNCTION_NAME: 'my function' },
    /AWS_LAMBDA_FUNCTION_NAME must be 2 to 64 of letters, digits and _\+=,.@- to serve as the STS SourceIdentity; got "my function"; /,
  ],
  [
    'a one-character function name',
    { AWS_LAMBDA_FUNCTION_NAME: 'f' },
    /AWS_LAMBDA_FUNCTION_NAME must be 2 to 64/,
  ],
  [
    'an unknown log level',
    { AWS_LAMBDA_LOG_LEVEL: 'LOUD' },
    /AWS_LAMBDA_LOG_LEVEL must be a log level; got "LOUD"/,
  ],
];

describe('a parameter not given takes the default of its table row', () => {
  it("the core's and the job's", () => {
    const env = validEnv({ TARGET_ROLE_NAME: '', BUCKET_PREFIX: undefined });
    const { config, jobConfig } = loadAllConfig(job, env);
    expect(config.roleName).toBe('cross-account-demo-target');
    expect(jobConfig.bucketPrefix).toBe('demo');
  });
});

describe('loadConfig refuses a malformed environment, naming the variable and the fix', () => {
  it.each(malformed)('refuses %s', (_case, overrides, message) => {
    const error = configError(overrides);
    expect(error.message).toMatch(message);
    expect(error.variable).toBe(error.message.split(' ')[0]);
    expect(error.code).toBe('ConfigError');
  });

  it('does not echo the external id it refuses', () => {
    const error = configError({ TARGET_EXTERNAL_ID: 'shared-value with space' });
    expect(error.message).not.toContain('shared-value');
  });

  it('escapes and shortens the values it echoes', () => {
    const error = configError({ TARGET_REGIONS: `\u001b[31mred\n${'x'.repeat(200)}` });
    expect(error.message).toContain('\\u001b[31mred\\n');
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('... (209 chars)');
  });
});
