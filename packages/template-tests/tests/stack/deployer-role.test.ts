// resources/deployer-role.yml: the home-account role the deploy workflow assumes through OIDC.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CelEngine, TemplateFile } from '@aws/cloudformation-validate';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';
import { yamlParse } from 'yaml-cfn';

const PATH = join(findServiceRoot(), 'resources', 'deployer-role.yml');
const template = yamlParse(readFileSync(PATH, 'utf8'));
const role = template.Resources.DeployerRole.Properties;
const REQUIRED = { GitHubOwner: 'octo-org', GitHubRepo: 'cross-account-lambda' };

describe('deployer role template validity', () => {
  const engine = new CelEngine();
  afterAll(() => engine.free());

  it.each([
    ['with only the required parameters', REQUIRED],
    [
      'with an existing provider and an environment',
      {
        ...REQUIRED,
        Stage: 'prod',
        GitHubBranch: 'release/1',
        GitHubEnvironment: 'production',
        OidcProviderArn:
          'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com',
      },
    ],
    ['for distributed mode', { ...REQUIRED, DistributedMode: 'true' }],
    ['for a pinned runtime version', { ...REQUIRED, PinnedRuntime: 'true' }],
  ])('passes AWS’s offline validator without errors or warnings %s', (_, parameterOverrides) => {
    const report = engine.validateStandard(new TemplateFile(PATH), { parameterOverrides });
    const problems = report.diagnostics.filter(
      (d) => d.severity !== 'INFO' && d.severity !== 'DEBUG',
    );
    expect(problems).toEqual([]);
  });

  it('reports a broken copy, so the validation can fail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deployer-role-'));
    try {
      const copy = join(dir, 'deployer-role.yml');
      const text = readFileSync(PATH, 'utf8');
      const broken = text.replace('MaxSessionDuration: 3600', 'MaxSessionDurations: 3600');
      expect(broken).not.toBe(text);
      writeFileSync(copy, broken);
      const report = engine.validateStandard(new TemplateFile(copy), {
        parameterOverrides: REQUIRED,
      });
      expect(report.diagnostics.map((d) => d.message).join('\n')).toContain(
        "'MaxSessionDurations' was unexpected",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hard-codes no account id', () => {
    const { Parameters, ...rest } = template;
    expect(JSON.stringify(rest)).not.toMatch(/\d{12}/);
  });
});

describe('trust', () => {
  const [statement, ...others] = role.AssumeRolePolicyDocument.Statement;

  it('trusts only GitHub OIDC tokens for sts.amazonaws.com from the deploy workflow on one branch', () => {
    expect(others).toEqual([]);
    expect(statement.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement.Principal.Federated['Fn::If'][0]).toBe('CreateOidcProvider');
    const equals = statement.Condition.StringEquals;
    expect(equals['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
    // The customised subject (repo, context, job_workflow_ref) names the workflow and the branch.
    const workflow =
      'job_workflow_ref:${GitHubOwner}/${GitHubRepo}/.github/workflows/${GitHubWorkflow}@refs/heads/${GitHubBranch}';
    expect(equals['token.actions.githubusercontent.com:sub']['Fn::If']).toEqual([
      'TrustEnvironment',
      {
        'Fn::Sub': `repo:\${GitHubOwner}/\${GitHubRepo}:environment:\${GitHubEnvironment}:${workflow}`,
      },
      {
        'Fn::Sub': `repo:\${GitHubOwner}/\${GitHubRepo}:ref:refs/heads/\${GitHubBranch}:${workflow}`,
      },
    ]);
    expect(Object.keys(statement.Condition)).toEqual(['StringEquals']);
  });
});

type InlinePolicy = { PolicyName: string; PolicyDocument: { Statement: unknown[] } };
// The policy of every stage, then distributed mode's, present with DistributedMode=true only.
const [always, conditional, ...more] = role.Policies as [
  InlinePolicy,
  { 'Fn::If': [string, InlinePolicy, unknown] },
];

describe('permissions', () => {
  const statements = always.PolicyDocument.Statement as Array<Record<string, unknown>>;
  it('are one policy for every stage and one for distributed mode, under its condition', () => {
    expect(more).toEqual([]);
    expect(conditional['Fn::If'][0]).toBe('DeployDistributedMode');
    expect(conditional['Fn::If'][2]).toEqual({ Ref: 'AWS::NoValue' });
  });
  const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));

  it('allows only, never denies, and every Resource is a partition-aware Sub', () => {
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const r of [s.Resource].flat()) {
        if (r === '*') continue;
        expect((r as { 'Fn::Sub': string })['Fn::Sub']).toMatch(/^arn:\$\{AWS::Partition\}:/);
      }
    }
  });

  it('limits CloudFormation to this stage’s stack', () => {
    expect(bySid.TheServiceStack?.Resource).toEqual({
      'Fn::Sub':
        'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/cross-account-lambda-${Stage}/*',
    });
  });

  it('passes only the execution role, and only to Lambda', () => {
    const passing = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(passing).toEqual([
      {
        Sid: 'PassTheExecutionRoleToLambdaOnly',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cross-account-lambda-${Stage}-${AWS::Region}-exec',
        },
        Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
      },
    ]);
  });

  it('touches IAM only on the execution role, and changes it only while it carries the boundary', () => {
    const iam = statements.filter((s) =>
      [s.Action].flat().some((a) => String(a).startsWith('iam:')),
    );
    for (const s of iam) {
      expect(s.Resource).toEqual({
        'Fn::Sub':
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cross-account-lambda-${Stage}-${AWS::Region}-exec',
      });
    }
    const changing = iam.filter((s) =>
      [s.Action].flat().some((a) => /^iam:(Create|Delete|Update|Put)/.test(String(a))),
    );
    expect(changing.map((s) => s.Sid)).toEqual(['ChangeTheExecutionRoleWithinItsBoundary']);
    expect(changing[0]?.Condition).toEqual({
      StringEquals: { 'iam:PermissionsBoundary': { Ref: 'ExecutionRoleBoundary' } },
    });
    const actions = iam.flatMap((s) => [s.Action].flat());
    for (const never of [
      'iam:UpdateAssumeRolePolicy',
      'iam:PutRolePermissionsBoundary',
      'iam:DeleteRolePermissionsBoundary',
      'iam:AttachRolePolicy',
    ]) {
      expect(actions).not.toContain(never);
    }
  });

  it('may not lift a bucket’s public access block nor use ACLs', () => {
    const actions = statements.flatMap((s) => [s.Action].flat()).map(String);
    expect(actions.filter((a) => /PublicAccessBlock|Acl|OwnershipControls/.test(a))).toEqual([
      's3:GetBucketPublicAccessBlock',
    ]);
  });

  it('uses no action wildcard', () => {
    expect(
      statements.flatMap((s) => [s.Action].flat()).filter((a) => String(a).includes('*')),
    ).toEqual([]);
  });
});

describe('permissions for distributed mode (DistributedMode=true)', () => {
  const statements = conditional['Fn::If'][1].PolicyDocument.Statement as Array<
    Record<string, unknown>
  >;
  const roleArn = (suffix: string) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/cross-account-lambda-\${Stage}-\${AWS::Region}-${suffix}`,
  });

  it("pass the state machine's role to Step Functions and the schedule's to EventBridge, nothing else", () => {
    const passing = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(passing.map((s) => [s.Resource, s.Condition])).toEqual([
      [roleArn('sfn'), { StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' } }],
      [roleArn('schedule'), { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } }],
    ]);
  });

  it('change those two roles only while they carry the distributed boundary', () => {
    const changing = statements.filter((s) =>
      [s.Action].flat().some((a) => /^iam:(Create|Delete|Update|Put)/.test(String(a))),
    );
    expect(changing.map((s) => [s.Resource, s.Condition])).toEqual([
      [
        [roleArn('sfn'), roleArn('schedule')],
        { StringEquals: { 'iam:PermissionsBoundary': { Ref: 'DistributedRoleBoundary' } } },
      ],
    ]);
    expect(template.Resources.DistributedRoleBoundary.Condition).toBe('DeployDistributedMode');
  });

  it('use no action wildcard and may not lift a public access block', () => {
    const actions = statements.flatMap((s) => [s.Action].flat()).map(String);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions.filter((a) => /PublicAccessBlock|Acl|OwnershipControls/.test(a))).toEqual([
      's3:GetBucketPublicAccessBlock',
    ]);
  });
});

describe('target deployer role (resources/target-deployer-role.yml)', () => {
  const TARGET_PATH = join(findServiceRoot(), 'resources', 'target-deployer-role.yml');
  const target = yamlParse(readFileSync(TARGET_PATH, 'utf8'));
  const props = target.Resources.TargetDeployerRole.Properties;
  const statements: Array<Record<string, unknown>> = props.Policies.flatMap(
    (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
  );
  const engine = new CelEngine();
  afterAll(() => engine.free());

  it.each([
    ['with only the required parameters', REQUIRED],
    [
      'with an environment and a role name',
      { ...REQUIRED, GitHubEnvironment: 'dev', TargetRoleName: 'x' },
    ],
  ])('passes AWS’s offline validator without errors or warnings %s', (_, parameterOverrides) => {
    const report = engine.validateStandard(new TemplateFile(TARGET_PATH), { parameterOverrides });
    expect(
      report.diagnostics.filter((d) => d.severity !== 'INFO' && d.severity !== 'DEBUG'),
    ).toEqual([]);
  });

  it('trusts the same repository claims as the home deployer role', () => {
    expect(props.AssumeRolePolicyDocument).toEqual(role.AssumeRolePolicyDocument);
  });

  it('may change only the target stack, the role it creates (with its boundary) and the demo bucket', () => {
    const role = {
      'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${TargetRoleName}',
    };
    expect(statements.map((s) => [s.Sid, s.Effect, s.Resource])).toEqual([
      [
        'TheTargetStack',
        'Allow',
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/cross-account-demo-target/*',
        },
      ],
      ['ReadAndTagTheTargetRole', 'Allow', role],
      ['ChangeTheTargetRoleWithinItsBoundary', 'Allow', role],
      [
        'TheDemoBucket',
        'Allow',
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:s3:::cross-account-demo-${AWS::AccountId}-${AWS::Region}',
        },
      ],
    ]);
    expect(statements[2]?.Condition).toEqual({
      StringEquals: { 'iam:PermissionsBoundary': { Ref: 'TargetRoleBoundary' } },
    });
    const actions = statements.flatMap((s) => [s.Action].flat()).map(String);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    for (const never of [
      'iam:PassRole',
      'iam:UpdateAssumeRolePolicy',
      'iam:DeleteRolePermissionsBoundary',
      'iam:PutRolePermissionsBoundary',
      's3:PutBucketPublicAccessBlock',
      's3:PutBucketOwnershipControls',
      's3:PutBucketAcl',
    ]) {
      expect(actions).not.toContain(never);
    }
  });
});
