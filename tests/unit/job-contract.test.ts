// The Job contract's one piece of logic: a declared permission's resource, filled in per account.
import { resolvePermission } from '../../src/job';

const target = {
  account: '222222222222',
  roleArn: 'arn:aws:iam::222222222222:role/r',
  region: 'eu-west-1',
  partition: 'aws',
};

describe('resolvePermission', () => {
  it('fills {partition}, {accountId}, {region} and the names the job returns', () => {
    expect(
      resolvePermission(
        {
          action: 'dynamodb:Query',
          resource: 'arn:{partition}:dynamodb:{region}:{accountId}:table/{table}',
        },
        target,
        { table: 'orders' },
      ),
    ).toEqual({
      action: 'dynamodb:Query',
      resource: 'arn:aws:dynamodb:eu-west-1:222222222222:table/orders',
    });
  });

  it('refuses a placeholder nobody fills, naming it and where values come from', () => {
    expect(() =>
      resolvePermission(
        { action: 's3:ListBucket', resource: 'arn:{partition}:s3:::{bucket}' },
        target,
        {},
      ),
    ).toThrow(/no value for \{bucket\}; return it from the job's resourceNames/);
  });

  it('leaves IAM wildcards alone', () => {
    expect(
      resolvePermission(
        { action: 's3:GetObject', resource: 'arn:{partition}:s3:::{b}/*' },
        target,
        {
          b: 'x',
        },
      ).resource,
    ).toBe('arn:aws:s3:::x/*');
  });
});
