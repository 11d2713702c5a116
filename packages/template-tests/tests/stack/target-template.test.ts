// resources/cross-account-role.yml: the role the function assumes, in the target account.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CelEngine, TemplateFile } from '@aws/cloudformation-validate';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';
import { yamlParse } from 'yaml-cfn';

const PATH = join(findServiceRoot(), 'resources', 'cross-account-role.yml');
const template = yamlParse(readFileSync(PATH, 'utf8'));
const role = template.Resources.CrossAccountRole.Properties;
const [allow, pinStatement, sourceIdentityStatement, externalIdStatement, organizationStatement] =
  role.AssumeRolePolicyDocument.Statement;

const REQUIRED = { TrustedAccountId: '111111111111', ExecutionRoleName: 'exec-role' };

describe('target template validity', () => {
  const engine = new CelEngine();
  afterAll(() => engine.free());

  it.each([
    ['with only the required parameters', REQUIRED],
    [
      'with every option set',
      {
        ...REQUIRED,
        ExecutionRoleId: 'AROAEXAMPLEID1234567',
        SourceIdentity: 'cross-account-lambda-dev-crossAccount',
        ExternalId: 'shared-id-123',
        OrganizationId: 'o-abc123def4',
        BucketName: 'existing-bucket',
        PermissionsBoundaryPolicyName: 'boundaries/workload',
        MaxSessionDuration: '7200',
      },
    ],
  ])('passes AWS’s offline validator without errors or warnings %s', (_, parameterOverrides) => {
    const report = engine.validateStandard(new TemplateFile(PATH), { parameterOverrides });
    const problems = report.diagnostics.filter(
      (d) => d.severity !== 'INFO' && d.severity !== 'DEBUG',
    );
    expect(problems).toEqual([]);
  });

  it('hard-codes no account id, so it deploys as a StackSet', () => {
    const { Parameters, ...rest } = template;
    expect(JSON.stringify(rest)).not.toMatch(/\d{12}/);
    expect(Parameters.TrustedAccountId.AllowedPattern).toBe('^\\d{12}$');
  });
});

describe('trust policy', () => {
  it('names the trusted account as principal and the exact execution role as a condition, which may also set a source identity', () => {
    expect(allow).toEqual({
      Sid: 'TrustOnlyTheFunctionExecutionRole',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${TrustedAccountId}:root' } },
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Condition: {
        ArnEquals: {
          'aws:PrincipalArn': {
            'Fn::Sub': 'arn:${AWS::Partition}:iam::${TrustedAccountId}:role/${ExecutionRoleName}',
          },
        },
      },
    });
  });

  it('pins the trust to the execution role unique id, when one is set, by a Deny on aws:userid', () => {
    const [condition, statement, otherwise] = pinStatement['Fn::If'];
    expect(condition).toBe('PinExecutionRole');
    expect(template.Conditions.PinExecutionRole).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ExecutionRoleId' }, ''] }],
    });
    expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
    expect(statement).toMatchObject({
      Sid: 'PinTheExecutionRole',
      Effect: 'Deny',
      Action: 'sts:AssumeRole',
      Condition: { StringNotLike: { 'aws:userid': { 'Fn::Sub': '${ExecutionRoleId}:*' } } },
    });
    const pattern = new RegExp(template.Parameters.ExecutionRoleId.AllowedPattern);
    expect(template.Parameters.ExecutionRoleId.Default).toBe('');
    for (const ok of ['', 'AROAEXAMPLEID1234567', 'AROA0123456789ABCDEF01']) {
      expect(pattern.test(ok)).toBe(true);
    }
    for (const bad of ['AROA*', 'AIDAEXAMPLEID1234567', 'AROAEXAMPLE', 'aroaexampleid1234567']) {
      expect(pattern.test(bad)).toBe(false);
    }
  });

  it('requires the source identity, when one is set, by a Deny that also catches a session without one', () => {
    const [condition, statement, otherwise] = sourceIdentityStatement['Fn::If'];
    expect(condition).toBe('RequireSourceIdentity');
    expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
    expect(statement).toMatchObject({
      Sid: 'RequireTheSourceIdentity',
      Effect: 'Deny',
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      // Not ...IfExists: a missing key makes StringNotEquals true, so no identity is denied too.
      Condition: { StringNotEquals: { 'sts:SourceIdentity': { Ref: 'SourceIdentity' } } },
    });
    const pattern = new RegExp(template.Parameters.SourceIdentity.AllowedPattern);
    for (const ok of ['', 'cross-account-lambda-dev-crossAccount', 'a.b@c=d,e+f_g']) {
      expect(pattern.test(ok)).toBe(true);
    }
    for (const bad of ['x', 'has space', 'star*', 'q?', 'x'.repeat(65)]) {
      expect(pattern.test(bad)).toBe(false);
    }
  });

  it('requires the external id, when one is set, by a whole statement chosen with Fn::If', () => {
    const [condition, statement, otherwise] = externalIdStatement['Fn::If'];
    expect(condition).toBe('HasExternalId');
    expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
    expect(statement).toMatchObject({
      Effect: 'Deny',
      Action: 'sts:AssumeRole',
      Condition: { StringNotEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
    });
  });

  it('requires the organization, when one is set, by a whole statement chosen with Fn::If', () => {
    const [condition, statement, otherwise] = organizationStatement['Fn::If'];
    expect(condition).toBe('HasOrganization');
    expect(otherwise).toEqual({ Ref: 'AWS::NoValue' });
    expect(statement).toMatchObject({
      Effect: 'Deny',
      Condition: { StringNotEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } },
    });
  });

  it('never puts a CloudFormation function inside an IAM Condition block', () => {
    const conditions = JSON.stringify(
      role.AssumeRolePolicyDocument.Statement.flatMap((s: Record<string, unknown>) =>
        s['Fn::If'] ? (s['Fn::If'] as unknown[]).slice(1) : [s],
      ).map((s: { Condition?: unknown }) => s.Condition ?? {}),
    );
    expect(conditions).not.toContain('Fn::If');
  });
});

describe('permissions', () => {
  const _statements = role.Policies.flatMap(
    (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
  );
  const _bucket = {
    Bucket: { 'Fn::If': ['CreateDemoBucket', { Ref: 'DemoBucket' }, { Ref: 'BucketName' }] },
  };

  it('creates an encrypted, private, TLS-only demo bucket only when no bucket is given', () => {
    const { DemoBucket, DemoBucketPolicy } = template.Resources;
    expect(DemoBucket.Condition).toBe('CreateDemoBucket');
    // Private by S3's defaults for new buckets (all four public access settings, ACLs off): set
    // here, the deployer would need the calls that also lift them.
    expect(DemoBucket.Properties.PublicAccessBlockConfiguration).toBeUndefined();
    expect(DemoBucket.Properties.OwnershipControls).toBeUndefined();
    expect(DemoBucket.Properties.BucketEncryption).toBeDefined();
    expect(DemoBucketPolicy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('outputs the role ARN and the bucket name', () => {
    expect(Object.keys(template.Outputs)).toEqual(['RoleArn', 'BucketName']);
  });
});
