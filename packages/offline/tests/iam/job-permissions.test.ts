// How the offline proof reads a job's declarations against the target stack's grants.
import { runCheck } from '@cross-account-lambda/offline/iam';
import {
  coversRequest,
  grantsOf,
  isDeclaredGrant,
  jobPermissions,
  sampleResource,
  siblingResource,
} from '@cross-account-lambda/offline/iam/jobPermissions';
import { coreJob, loadCoreCheckModel } from '@cross-account-lambda/template-tests/support/core';
import { editedTargetTemplate, homeTemplate, removeEditedTemplates } from './support';

describe("a declared resource's neighbour, which a grant no broader than declared denies", () => {
  it.each([
    ['arn:aws:s3:::bucket', 'arn:aws:s3:::bucket-not-declared'],
    ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket-not-declared/example'],
    [
      'arn:aws:dynamodb:eu-west-1:222222222222:table/orders',
      'arn:aws:dynamodb:eu-west-1:222222222222:table/orders-not-declared',
    ],
  ])('of %s is %s', (declared, sibling) => {
    expect(siblingResource(declared)).toBe(sibling);
    expect(coversRequest([{ action: 'x:Y', resource: declared }], 'x:Y', sibling)).toBe(false);
  });
});

describe('a request the job sends', () => {
  const declared = [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/*' }];

  it('is covered by a declaration of the same action whose resource matches, wildcards included', () => {
    expect(coversRequest(declared, 's3:getobject', 'arn:aws:s3:::b/a/key.txt')).toBe(true);
    expect(coversRequest(declared, 's3:GetObject', sampleResource('arn:aws:s3:::b/*'))).toBe(true);
  });

  it('is not covered by another action or another resource', () => {
    expect(coversRequest(declared, 's3:PutObject', 'arn:aws:s3:::b/k')).toBe(false);
    expect(coversRequest(declared, 's3:GetObject', 'arn:aws:s3:::bb/k')).toBe(false);
  });
});

describe("the target stack's grants", () => {
  const policies = [
    {
      name: 'P',
      document: {
        Statement: [
          { Sid: 'A', Effect: 'Allow', Action: ['s3:ListBucket', 's3:GetObject'], Resource: 'r1' },
          { Effect: 'Allow', NotAction: 'iam:*', Resource: ['r2'] },
          { Sid: 'D', Effect: 'Deny', Action: 's3:*', Resource: '*' },
        ],
      },
    },
  ];

  it('are every action x resource of every Allow statement, NotAction spelled out, Denies left out', () => {
    expect(grantsOf('222222222222', policies)).toEqual([
      {
        account: '222222222222',
        action: 's3:ListBucket',
        resource: 'r1',
        policy: 'P',
        statement: 'A',
      },
      {
        account: '222222222222',
        action: 's3:GetObject',
        resource: 'r1',
        policy: 'P',
        statement: 'A',
      },
      {
        account: '222222222222',
        action: 'everything but iam:*',
        resource: 'r2',
        policy: 'P',
        statement: '#2',
      },
    ]);
  });

  it('count as declared only when action and resource are exactly a declaration', () => {
    const declared = [{ action: 's3:ListBucket', resource: 'r1' }];
    expect(isDeclaredGrant({ action: 'S3:LISTBUCKET', resource: 'r1' }, declared)).toBe(true);
    expect(isDeclaredGrant({ action: 's3:ListBucket', resource: '*' }, declared)).toBe(false);
    expect(isDeclaredGrant({ action: 's3:*', resource: 'r1' }, declared)).toBe(false);
  });
});

describe('a target stack for a job that uses no bucket', () => {
  it('needs no BucketName output: the model has no bucket there, and the check still runs', async () => {
    try {
      const targetTemplate = editedTargetTemplate((text) =>
        text.replace(/\n {2}BucketName:\n {4}Description: Bucket the role may list[\s\S]*$/, '\n'),
      );
      const model = await loadCoreCheckModel({ template: await homeTemplate(), targetTemplate });
      expect(model.targets[0]?.bucket).toBeUndefined();
      expect((await runCheck(model)).ok).toBe(true);
    } finally {
      removeEditedTemplates();
    }
  }, 120_000);
});

describe('a job in several target regions', () => {
  it("declares its permissions in every region; a grant for the stack's own region only is a MISMATCH", () => {
    const environment = {
      TARGET_ROLE_NAME: 'cross-account-demo-target',
      TARGET_BUCKET: 'cross-account-demo-{accountId}-{region}',
      TARGET_REGIONS: 'us-east-1,eu-west-1',
    };
    const needs = jobPermissions({
      environment,
      region: 'us-east-1',
      accounts: ['222222222222'],
      job: { ...coreJob, targetStack: (_config, target) => ({ Region: target.region }) },
    });
    expect(needs.get('222222222222')?.declared).toEqual([
      {
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::cross-account-demo-222222222222-us-east-1',
      },
      {
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::cross-account-demo-222222222222-eu-west-1',
      },
    ]);
    // The target stack is deployed in the first region: its parameters are those of that region.
    expect(needs.get('222222222222')?.stackParameters).toEqual({ Region: 'us-east-1' });
  });
});
