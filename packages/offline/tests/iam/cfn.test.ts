// The CloudFormation resolution the proof stands on: the policies handed to the simulator must be
// the ones CloudFormation would create, and anything the resolver cannot do must stop the proof.
import {
  EvaluatorError,
  ResolvedTemplate,
  readTemplate,
  type TemplateDocument,
} from '@cross-account-lambda/offline/iam';
import { coreTargetTemplate } from '@cross-account-lambda/template-tests/support/coreTarget';

const STACK = { partition: 'aws', accountId: '222222222222', region: 'eu-west-1' };
const REQUIRED = { TrustedAccountId: '111111111111', ExecutionRoleName: 'exec-role' };

function target(parameters: Record<string, string> = {}): ResolvedTemplate {
  return new ResolvedTemplate('target', readTemplate(coreTargetTemplate()), {
    ...STACK,
    parameters: { ...REQUIRED, ...parameters },
  });
}

function tiny(
  resources: TemplateDocument['Resources'],
  extra: Partial<TemplateDocument> = {},
): ResolvedTemplate {
  return new ResolvedTemplate(
    'tiny',
    { Parameters: { Name: { Type: 'String', Default: 'n' } }, Resources: resources, ...extra },
    STACK,
  );
}

describe('resolving resources/cross-account-role.yml', () => {
  it('substitutes pseudo parameters in both forms of Fn::Sub, and Ref to the demo bucket gives its name', () => {
    const [policy] = target().property('CrossAccountRole', 'Policies') as Array<{
      PolicyDocument: { Statement: Array<{ Resource: string }> };
    }>;
    // The list form, with a variable map whose value is a Ref to the demo bucket.
    expect(policy?.PolicyDocument.Statement.map((s) => s.Resource)).toEqual([
      'arn:aws:s3:::cross-account-demo-222222222222-eu-west-1',
    ]);
    // The string form, with a parameter and a pseudo parameter.
    const trust = target().property('CrossAccountRole', 'AssumeRolePolicyDocument') as {
      Statement: Array<{ Principal: { AWS: string } }>;
    };
    expect(trust.Statement[0]?.Principal.AWS).toBe('arn:aws:iam::111111111111:root');
  });

  it('drops statements switched off by Fn::If ... AWS::NoValue and keeps IAM Condition blocks as data', () => {
    const trust = (parameters: Record<string, string>) =>
      (
        target(parameters).property('CrossAccountRole', 'AssumeRolePolicyDocument') as {
          Statement: unknown[];
        }
      ).Statement;
    expect(trust({})).toHaveLength(1);
    expect(trust({ ExternalId: 'ext-id-1', OrganizationId: 'o-abc123def45' })).toEqual([
      expect.objectContaining({
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/exec-role' },
        },
      }),
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { StringNotEquals: { 'sts:ExternalId': 'ext-id-1' } },
      }),
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123def45' } },
      }),
    ]);
  });

  it('resolves a resource attribute inside Fn::Sub and Fn::GetAtt of the role, and leaves out an unset property', () => {
    const stack = target();
    expect(JSON.stringify(stack.property('DemoBucketPolicy', 'PolicyDocument'))).toContain(
      '"arn:aws:s3:::cross-account-demo-222222222222-eu-west-1/*"',
    );
    expect(stack.output('RoleArn')).toBe(
      'arn:aws:iam::222222222222:role/cross-account-demo-target',
    );
    expect(stack.property('CrossAccountRole', 'PermissionsBoundary')).toBeUndefined();
  });

  it('does not create the demo bucket when BucketName names an existing one', () => {
    const stack = target({ BucketName: 'existing-bucket' });
    expect(stack.existingResources()).toEqual(['CrossAccountRole']);
    expect(stack.output('BucketName')).toBe('existing-bucket');
  });

  it('rejects what CloudFormation would reject: a bad value, a missing value, an undeclared parameter', () => {
    expect(() => target({ ExternalId: 'x' })).toThrow(
      /ExternalId="x" does not match AllowedPattern/,
    );
    expect(() => target({ MaxSessionDuration: '60' })).toThrow(
      /MaxSessionDuration="60" is below 3600/,
    );
    expect(
      () =>
        new ResolvedTemplate('target', readTemplate(coreTargetTemplate()), {
          ...STACK,
          parameters: {},
        }),
    ).toThrow(/parameter TrustedAccountId has no value and no default/);
    expect(() => target({ Unknown: 'x' })).toThrow(/parameter Unknown is not declared/);
  });
});

describe('what the resolver cannot resolve stops the proof with an EvaluatorError naming it', () => {
  it('an intrinsic function it does not model', () => {
    const stack = tiny({
      R: { Type: 'AWS::IAM::Role', Properties: { RoleName: { 'Fn::Base64': 'x' } } },
    });
    expect(() => stack.property('R', 'RoleName')).toThrow(EvaluatorError);
    expect(() => stack.property('R', 'RoleName')).toThrow(
      'tiny: cannot resolve Resources.R.Properties.RoleName.Fn::Base64: Fn::Base64 is not supported by the offline resolver',
    );
  });

  it('a Ref to nothing, and an unknown pseudo parameter', () => {
    const stack = tiny({
      R: {
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: { Ref: 'Nope' }, Path: { Ref: 'AWS::NotificationARNs' } },
      },
    });
    expect(() => stack.property('R', 'RoleName')).toThrow(
      /Ref Nope: no parameter, pseudo parameter or resource/,
    );
    expect(() => stack.property('R', 'Path')).toThrow(
      /pseudo parameter AWS::NotificationARNs is not modelled/,
    );
  });

  it('a name CloudFormation would generate, and a resource whose condition is false', () => {
    const stack = tiny(
      {
        Unnamed: { Type: 'AWS::S3::Bucket' },
        Skipped: { Type: 'AWS::S3::Bucket', Condition: 'Never', Properties: { BucketName: 'b' } },
        R: {
          Type: 'AWS::IAM::Role',
          Properties: { RoleName: { 'Fn::Sub': `\${Unnamed}` }, Path: { Ref: 'Skipped' } },
        },
      },
      { Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } } },
    );
    expect(() => stack.property('R', 'RoleName')).toThrow(
      /Unnamed has no BucketName: CloudFormation would generate one/,
    );
    expect(() => stack.property('R', 'Path')).toThrow(
      /Skipped is not created \(its condition Never is false\)/,
    );
  });

  it('an attribute it does not model', () => {
    const stack = tiny({
      B: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'b' } },
      R: {
        Type: 'AWS::IAM::Role',
        Properties: { RoleName: { 'Fn::GetAtt': ['B', 'DomainName'] } },
      },
    });
    expect(() => stack.property('R', 'RoleName')).toThrow(
      /Fn::GetAtt B\.DomainName \(AWS::S3::Bucket\) is not modelled/,
    );
  });
});

describe('the resolver, on the constructs it supports', () => {
  it('keeps an escaped placeholder literal, as Fn::Sub does', () => {
    const stack = tiny({
      R: { Type: 'AWS::IAM::Role', Properties: { RoleName: { 'Fn::Sub': `\${!Name}-\${Name}` } } },
    });
    expect(stack.property('R', 'RoleName')).toBe(`\${Name}-n`);
  });

  it('does not mistake a single-key object holding a list for an intrinsic function', () => {
    const principal = { AWS: ['arn:aws:iam::111111111111:root', 'arn:aws:iam::333333333333:root'] };
    const stack = tiny({
      R: {
        Type: 'AWS::IAM::Role',
        Properties: { AssumeRolePolicyDocument: { Principal: principal } },
      },
    });
    expect(stack.property('R', 'AssumeRolePolicyDocument')).toEqual({ Principal: principal });
  });

  it('evaluates Fn::And, Fn::Or, Fn::Not and Condition references', () => {
    const stack = tiny(
      {
        R: {
          Type: 'AWS::IAM::Role',
          Properties: { RoleName: { 'Fn::If': ['Both', 'yes', 'no'] } },
        },
      },
      {
        Conditions: {
          IsN: { 'Fn::Equals': [{ Ref: 'Name' }, 'n'] },
          IsEu: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
          Both: {
            'Fn::And': [
              { Condition: 'IsN' },
              { 'Fn::Or': [{ 'Fn::Not': [{ Condition: 'IsEu' }] }, { Condition: 'IsEu' }] },
            ],
          },
        },
      },
    );
    expect(stack.property('R', 'RoleName')).toBe('yes');
  });
});
