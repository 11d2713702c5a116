// The job contract: what a job must write (permissions and run), what the core fills in, and how a
// permission's placeholders are filled, once for the step and for npm run check alike.

import { ConfigError, defineJob, resolvePermission } from '@cross-account-lambda/core/src/job';
import {
  parameterTable,
  readFields,
  readParameters,
} from '@cross-account-lambda/core/src/parameters';
import { integer, optional } from '@cross-account-lambda/core/src/schemas';
import * as v from 'valibot';

const target = {
  account: '222222222222',
  roleArn: 'arn:aws:iam::222222222222:role/r',
  region: 'eu-west-1',
  partition: 'aws',
};

describe('a job of permissions and run only', () => {
  const job = defineJob({
    permissions: { whoAmI: { action: 'sts:GetCallerIdentity', resource: '*' } },
    run: async () => ({ done: true }),
  });

  it('has no parameters, no event fields, no deliberate grants and no target stack parameters', () => {
    expect(job.params).toEqual({});
    expect(job.event).toEqual({});
    expect(job.deliberateGrants).toEqual([]);
    expect(job.targetStack({}, target, {})).toEqual({});
    expect(job.names({}, target)).toEqual({});
  });
});

describe('parameters declared as schemas', () => {
  const job = defineJob({
    params: {
      secretName: v.pipe(v.string(), v.regex(/^[\w/+=.@-]+$/, 'must be a secret name')),
      retries: { schema: v.optional(v.pipe(v.string(), v.transform(Number)), '3'), hint: '<n>' },
      tableName: { schema: v.optional(v.string(), 'orders'), variable: 'MY_TABLE' },
    },
    permissions: {},
    run: async () => ({}),
  });

  it('derive the variable (CONSTANT_CASE of the name), the default and the fix', () => {
    expect(job.params.secretName).toMatchObject({
      variable: 'SECRET_NAME',
      default: undefined,
      hint: 'set --param secretName=<value>',
    });
    expect(job.params.retries).toMatchObject({
      variable: 'RETRIES',
      default: '3',
      hint: 'set --param retries=<n> (default 3)',
    });
    expect(job.params.tableName?.variable).toBe('MY_TABLE');
  });

  it('read the environment: given, defaulted, transformed', () => {
    expect(readParameters(job.params, { SECRET_NAME: ' prod/db ', RETRIES: '' })).toEqual({
      secretName: 'prod/db',
      retries: 3,
      tableName: 'orders',
    });
  });

  it('refuse a missing or malformed value, naming the variable and the fix', () => {
    expect(() => readParameters(job.params, {})).toThrow(
      new ConfigError('SECRET_NAME', 'SECRET_NAME is missing; set --param secretName=<value>'),
    );
    expect(() => readParameters(job.params, { SECRET_NAME: 'a b' })).toThrow(
      'SECRET_NAME must be a secret name; set --param secretName=<value>',
    );
  });

  it("quote a library's own message as the reason", () => {
    const table = parameterTable({ n: v.pipe(v.string(), v.minLength(3)) });
    expect(() => readParameters(table, { N: 'ab' })).toThrow(/^N is invalid: Invalid length/);
  });

  it('take any Standard Schema, not only valibot', () => {
    const table = parameterTable({
      word: {
        '~standard': {
          version: 1,
          vendor: 'hand-written',
          validate: (value: unknown) =>
            value === 'yes' ? { value: true } : { issues: [{ message: 'must be yes' }] },
        },
      },
    });
    expect(readParameters(table, { WORD: 'yes' })).toEqual({ word: true });
    expect(() => readParameters(table, { WORD: 'no' })).toThrow('WORD must be yes');
  });
});

describe('event fields declared as schemas', () => {
  const fields = { limit: optional(integer(1, 10), 5), key: v.string() };

  it('apply defaults and name the field that is wrong', () => {
    expect(readFields(fields, { key: 'a' })).toEqual({ key: 'a', limit: 5 });
    expect(() => readFields(fields, { key: 'a', limit: 11 })).toThrow(
      'limit must be an integer from 1 to 10; got the number 11',
    );
    expect(() => readFields(fields, {})).toThrow('key is required');
  });
});

describe('resolvePermission', () => {
  it("fills AWS's pseudo parameters and the names, written as the target template's !Sub", () => {
    expect(
      resolvePermission(
        {
          action: 'dynamodb:Query',
          resource:
            'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}',
        },
        target,
        { TableName: 'orders' },
      ),
    ).toEqual({
      action: 'dynamodb:Query',
      resource: 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders',
    });
  });

  it('refuses a placeholder nothing fills, naming it and where values come from', () => {
    expect(() =>
      resolvePermission(
        { action: 's3:ListBucket', resource: 'arn:${AWS::Partition}:s3:::${Bucket}' },
        target,
        {},
      ),
    ).toThrow(
      /nothing fills \$\{Bucket\}; give it in the step's values, return it from the job's names/,
    );
  });

  it('leaves IAM wildcards alone', () => {
    expect(
      resolvePermission(
        { action: 's3:GetObject', resource: 'arn:${AWS::Partition}:s3:::${B}/*' },
        target,
        { B: 'x' },
      ).resource,
    ).toBe('arn:aws:s3:::x/*');
  });
});

describe('names', () => {
  const job = defineJob({
    params: { bucket: v.optional(v.string(), 'demo-{region}') },
    permissions: {
      list: { action: 's3:ListBucket', resource: 'arn:${AWS::Partition}:s3:::${bucket}' },
    },
    names: (config, where) => ({ Bucket: config.bucket.replace('{region}', where.region) }),
    run: async () => ({}),
  });

  it("are the parameters' text values, overridden by the job's names", () => {
    expect(job.names({ bucket: 'b' }, target)).toEqual({ bucket: 'b', Bucket: 'b' });
  });

  it("fill the placeholders, which are the target stack's parameters unless the job says otherwise", () => {
    const names = job.names({ bucket: 'demo-{region}' }, target);
    expect(job.targetStack({ bucket: 'demo-{region}' }, target, names)).toEqual({
      bucket: 'demo-{region}',
    });
  });
});
