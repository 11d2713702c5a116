// The deploy roles, attacked: what the GitHub Actions roles of resources/deployer-role.yml (home)
// and resources/target-deployer-role.yml (each target), and the StackSet's roles of
// resources/stackset-*.yml, may do, decided by the IAM simulator for every case. A deployer must
// be able to deploy its stack, and must not be able to raise its own rights or another's: no role
// without the administrator's boundary, no trust rewritten, no boundary removed, no role passed
// elsewhere, no bucket opened. Its trust must admit the deploy workflow on one branch and nothing
// else (a pull request, another branch, another workflow); the StackSet's administration role only
// CloudFormation for this StackSet, its execution role only that administration role.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type RunSimulationResults,
  runSimulation,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import { ResolvedTemplate } from './cfn';
import { EvaluatorError } from './errors';
import { type Caller, functionArnOf, functionSession, requestContext } from './evaluate';
import type { PolicyModel } from './model';
import type { NamedPolicy, PolicyDocument } from './policy';
import { readTemplate, relativeToCwd } from './templates';

export interface DeployerCase {
  id: string;
  /** Which role: its template, e.g. `resources/deployer-role.yml`. */
  role: string;
  title: string;
  expected: 'allowed' | 'denied';
  /** The escalation or trust concern the case is about; absent for what a deploy needs. */
  attack?: string;
  simulation: Simulation;
  /** Decided without the simulator's context-key filter (see oidcSimulation). */
  unfiltered?: boolean;
}

export interface DeployerResult {
  case: DeployerCase;
  allowed: boolean;
  /** The policy kind (and statement) that decided. */
  decidedBy: string;
  ok: boolean;
}

/** GitHub repository and environment the deployer roles are modelled for (placeholders). */
export const MODELLED_REPOSITORY = { owner: 'octo-org', repo: 'cross-account-lambda' };
const BRANCH = 'main';
const WORKFLOW = 'deploy.yml';
const ISSUER = 'token.actions.githubusercontent.com';

interface ResolvedRole {
  source: string;
  roleArn: string;
  trust: PolicyDocument;
  policies: NamedPolicy[];
  /** The managed policy the template creates as the boundary of the role it lets the deployer make. */
  boundaryArn: string;
  boundary?: NamedPolicy;
  oidcProviderArn: string;
}

function document(value: unknown, where: string): PolicyDocument {
  const statement = (value as { Statement?: unknown } | undefined)?.Statement;
  if (statement === undefined) throw new EvaluatorError(`${where} is not an IAM policy document`);
  return {
    ...(value as PolicyDocument),
    Statement: [statement].flat() as PolicyDocument['Statement'],
  };
}

/** A deployer template resolved as its README command deploys it, for one account. */
function resolveDeployer(
  path: string,
  roleId: string,
  boundaryId: string | undefined,
  inputs: { partition: string; accountId: string; region: string },
  parameters: Record<string, string>,
): ResolvedRole {
  const oidcProviderArn = `arn:${inputs.partition}:iam::${inputs.accountId}:oidc-provider/${ISSUER}`;
  const template = readTemplate(path);
  const github: Record<string, string> = {
    GitHubOwner: MODELLED_REPOSITORY.owner,
    GitHubRepo: MODELLED_REPOSITORY.repo,
    GitHubBranch: BRANCH,
    OidcProviderArn: oidcProviderArn,
  };
  const declared = template.Parameters ?? {};
  const stack = new ResolvedTemplate(relativeToCwd(path), template, {
    ...inputs,
    parameters: {
      ...Object.fromEntries(Object.entries(github).filter(([name]) => name in declared)),
      ...parameters,
    },
  });
  for (const id of [roleId, boundaryId ?? roleId]) {
    if (!stack.template.Resources[id]) {
      throw new EvaluatorError(`${stack.source}: no resource ${id}; the deployer check needs it`);
    }
  }
  const policies = (stack.property(roleId, 'Policies') ?? []) as Array<{
    PolicyName?: unknown;
    PolicyDocument?: unknown;
  }>;
  return {
    source: stack.source,
    roleArn: String(stack.resolve({ 'Fn::GetAtt': [roleId, 'Arn'] }, `${roleId}.Arn`)),
    trust: document(
      stack.property(roleId, 'AssumeRolePolicyDocument'),
      `${stack.source}: ${roleId}.AssumeRolePolicyDocument`,
    ),
    policies: policies.map((p, i) => ({
      name: String(p.PolicyName ?? `inline-${i + 1}`),
      document: document(p.PolicyDocument, `${stack.source}: ${roleId}.Policies[${i}]`),
    })),
    ...(boundaryId
      ? {
          boundaryArn: String(stack.resolve({ Ref: boundaryId }, `Ref ${boundaryId}`)),
          boundary: {
            name: boundaryId,
            document: document(
              stack.property(boundaryId, 'PolicyDocument'),
              `${stack.source}: ${boundaryId}.PolicyDocument`,
            ),
          },
        }
      : { boundaryArn: '' }),
    oidcProviderArn,
  };
}

export interface DeployerCheckOptions {
  /** resources/deployer-role.yml */
  deployerTemplate: string;
  /** resources/target-deployer-role.yml */
  targetDeployerTemplate: string;
  /** docs/organizations/stackset-administration-role.yml and docs/organizations/stackset-execution-role.yml */
  stackSetTemplates?: { administration: string; execution: string };
  stage: string;
  /** The home stack has distributed mode: the deployer is deployed with DistributedMode=true. */
  distributed?: boolean;
  /** The home stack pins the runtime version: the deployer is deployed with PinnedRuntime=true. */
  pinnedRuntime?: boolean;
}

/** The GitHub environment the deploy jobs run in: the one named like the stage. */
function environmentOf(stage: string): string {
  return stage;
}

export function buildDeployerCases(
  model: PolicyModel,
  options: DeployerCheckOptions,
): DeployerCase[] {
  const { partition, homeAccountId: home, region } = model;
  const environment = environmentOf(options.stage);
  const homeParameters = {
    Stage: options.stage,
    GitHubEnvironment: environment,
    TargetRoleName: model.targetRoleName,
    DistributedMode: String(options.distributed ?? false),
    PinnedRuntime: String(options.pinnedRuntime ?? false),
    ...(model.organizationsReader
      ? { OrganizationsReaderRoleName: model.organizationsReader.roleName }
      : {}),
  };
  const homeRole = resolveDeployer(
    options.deployerTemplate,
    'DeployerRole',
    'ExecutionRoleBoundary',
    { partition, accountId: home, region },
    homeParameters,
  );
  // Distributed mode's roles carry a boundary of their own.
  const distributedBoundary = options.distributed
    ? resolveDeployer(
        options.deployerTemplate,
        'DeployerRole',
        'DistributedRoleBoundary',
        { partition, accountId: home, region },
        homeParameters,
      )
    : undefined;
  const [targetAccount = ''] = model.configuredTargets;
  const targetRole = targetDeployer(model, options);
  const targetStack = `arn:${partition}:cloudformation:${model.targetRegion}:${targetAccount}:stack/cross-account-demo-target/abc`;
  return [
    ...trustCases(homeRole, environment),
    ...homeDeployerCases(model, homeRole, options.stage),
    ...distributedModeCases(model, homeRole, options.stage, distributedBoundary),
    ...pinnedRuntimeCases(model, homeRole, options.stage, options.pinnedRuntime ?? false),
    ...trustCases(targetRole, environment),
    ...targetDeployerCases(model, targetRole, targetAccount, targetStack),
    ...(options.stackSetTemplates ? stackSetCases(model, options, targetAccount) : []),
  ];
}

/** The StackSet's administrator account (modelled): neither the home nor a target account. */
const STACKSET_ADMIN_ACCOUNT = '333333333333';

/**
 * Self-managed StackSet: the workflow's role in the administrator account (OIDC trust, may change
 * only this StackSet and pass only the administration role to CloudFormation), the administration
 * role (CloudFormation for this StackSet only; may assume only the execution role), and the
 * execution role in each target (trusts only the administration role; the target deployer's
 * rights, attacked the same way).
 */
function stackSetCases(
  model: PolicyModel,
  options: DeployerCheckOptions,
  targetAccount: string,
): DeployerCase[] {
  const templates = options.stackSetTemplates;
  if (!templates) return [];
  const p = model.partition;
  const r = model.targetRegion;
  const admin = STACKSET_ADMIN_ACCOUNT;
  const name = `cross-account-target-${options.stage}`;
  const deployer = resolveDeployer(
    templates.administration,
    'StackSetDeployerRole',
    undefined,
    { partition: p, accountId: admin, region: r },
    { Stage: options.stage, GitHubEnvironment: environmentOf(options.stage) },
  );
  const adminRole = resolveDeployer(
    templates.administration,
    'StackSetAdministrationRole',
    undefined,
    { partition: p, accountId: admin, region: r },
    { Stage: options.stage, GitHubEnvironment: environmentOf(options.stage) },
  );
  const execution = stackSetExecutionRole(model, templates.execution, options.stage);
  const adminArn = `arn:${p}:iam::${admin}:role/${name}-stackset-admin`;
  const stackSetArn = `arn:${p}:cloudformation:${r}:${admin}:stackset/${name}:1a2b3c4d`;
  const asDeployer = casesOf(model, deployer, deployerSession(deployer));
  // CloudFormation assuming the administration role for a StackSet (aws:SourceArn names it).
  const cloudFormation = (
    id: string,
    title: string,
    expected: 'allowed' | 'denied',
    set: string,
  ): DeployerCase => ({
    id: `${adminRole.source}/${id}`,
    role: adminRole.source,
    title,
    expected,
    ...(expected === 'denied' ? { attack: 'trust' } : {}),
    simulation: {
      request: {
        principal: 'cloudformation.amazonaws.com',
        action: 'sts:AssumeRole',
        resource: { resource: adminArn, accountId: admin },
        contextVariables: {
          'aws:SourceAccount': admin,
          'aws:SourceArn': `arn:${p}:cloudformation:${r}:${admin}:stackset/${set}:1a2b3c4d`,
          'aws:PrincipalIsAWSService': 'true',
          'aws:SecureTransport': 'true',
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: adminRole.trust,
    },
  });
  // A role of the administrator account assuming the execution role in the target account.
  const assumeExecution = (
    id: string,
    title: string,
    expected: 'allowed' | 'denied',
    roleName: string,
    policies: NamedPolicy[],
  ): DeployerCase => {
    const caller: Caller = {
      arn: `arn:aws:sts::${admin}:assumed-role/${roleName}/stackset`,
      accountId: admin,
      roleArn: `arn:${p}:iam::${admin}:role/${roleName}`,
    };
    return {
      id: `${execution.source}/${id}`,
      role: execution.source,
      title,
      expected,
      ...(expected === 'denied' ? { attack: 'trust' } : {}),
      simulation: {
        ...call(model, caller, policies, 'sts:AssumeRole', execution.roleArn),
        resourcePolicy: execution.trust,
      },
    };
  };
  const anyRole: NamedPolicy = {
    name: 'AssumeAnyRole',
    document: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
    },
  };
  return [
    ...trustCases(deployer, environmentOf(options.stage)).filter((c) =>
      /oidc:(deploy-workflow|pull-request|other-branch)$/.test(c.id),
    ),
    asDeployer(
      'deploy:create-stack-set',
      'creates the StackSet with the administration role',
      'allowed',
      'cloudformation:CreateStackSet',
      '*',
      { 'cloudformation:RoleArn': adminArn },
    ),
    asDeployer(
      'deploy:update-stack-set',
      'updates the StackSet',
      'allowed',
      'cloudformation:UpdateStackSet',
      stackSetArn,
    ),
    asDeployer(
      'deploy:pass-role',
      'passes the administration role to CloudFormation',
      'allowed',
      'iam:PassRole',
      adminArn,
      { 'iam:PassedToService': 'cloudformation.amazonaws.com' },
    ),
    asDeployer(
      'escalate:create-stack-set-other-role',
      'creates a StackSet run by another role',
      'denied',
      'cloudformation:CreateStackSet',
      '*',
      { 'cloudformation:RoleArn': `arn:${p}:iam::${admin}:role/admin` },
      'PassRole elsewhere',
    ),
    asDeployer(
      'escalate:pass-role-elsewhere',
      'passes the administration role to Lambda',
      'denied',
      'iam:PassRole',
      adminArn,
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      'PassRole elsewhere',
    ),
    asDeployer(
      'escalate:other-stack-set',
      'updates another StackSet',
      'denied',
      'cloudformation:UpdateStackSet',
      `arn:${p}:cloudformation:${r}:${admin}:stackset/other:1a2b3c4d`,
      {},
      'PassRole elsewhere',
    ),
    cloudFormation(
      'trust:cloudformation',
      `CloudFormation assumes the administration role for ${name}`,
      'allowed',
      name,
    ),
    cloudFormation(
      'trust:other-stack-set',
      'CloudFormation assumes it for another StackSet',
      'denied',
      'other',
    ),
    assumeExecution(
      'trust:administration-role',
      'the administration role assumes the execution role',
      'allowed',
      `${name}-stackset-admin`,
      adminRole.policies,
    ),
    assumeExecution(
      'trust:other-role',
      'another role of the administrator account (may assume any role)',
      'denied',
      'admin',
      [anyRole],
    ),
    ...targetDeployerCases(
      model,
      execution,
      targetAccount,
      `arn:${p}:cloudformation:${r}:${targetAccount}:stack/StackSet-${name}-1a2b3c4d/abc`,
    ),
  ];
}

/**
 * AssumeRoleWithWebIdentity with GitHub's token. Decided by the simulator's core evaluator
 * without its context-key filter: that filter keeps only the keys AWS's Service Authorization
 * Reference lists for the action, which names GitHub's extra claims but not the `aud` and `sub`
 * keys IAM evaluates for every OIDC provider, so the filtered evaluator would drop the very keys
 * this trust is about and deny everything. (The package's own unfiltered entry point,
 * runUnsafeSimulation, loads the resource policy without a name and fails on it.)
 */
function oidcSimulation(role: ResolvedRole, sub: string, aud = 'sts.amazonaws.com'): Simulation {
  return {
    request: {
      principal: role.oidcProviderArn,
      action: 'sts:AssumeRoleWithWebIdentity',
      resource: { resource: role.roleArn, accountId: role.roleArn.split(':')[4] ?? '' },
      contextVariables: {
        [`${ISSUER}:aud`]: aud,
        [`${ISSUER}:sub`]: sub,
        'aws:SecureTransport': 'true',
      },
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: role.trust,
  };
}

function trustCases(role: ResolvedRole, environment: string): DeployerCase[] {
  const repo = `${MODELLED_REPOSITORY.owner}/${MODELLED_REPOSITORY.repo}`;
  const workflow = (file: string, ref: string) =>
    `job_workflow_ref:${repo}/.github/workflows/${file}@${ref}`;
  const main = `refs/heads/${BRANCH}`;
  const cases: Array<[string, string, 'allowed' | 'denied', string, string?]> = [
    [
      'oidc:deploy-workflow',
      `the deploy workflow on ${BRANCH}, environment ${environment}`,
      'allowed',
      `repo:${repo}:environment:${environment}:${workflow(WORKFLOW, main)}`,
    ],
    [
      'oidc:pull-request',
      'a pull request running the deploy workflow',
      'denied',
      `repo:${repo}:pull_request:${workflow(WORKFLOW, 'refs/pull/7/merge')}`,
    ],
    [
      'oidc:other-branch',
      `the deploy workflow on another branch (feature), environment ${environment}`,
      'denied',
      `repo:${repo}:environment:${environment}:${workflow(WORKFLOW, 'refs/heads/feature')}`,
    ],
    [
      'oidc:other-workflow',
      `another workflow (ci.yml) on ${BRANCH}, environment ${environment}`,
      'denied',
      `repo:${repo}:environment:${environment}:${workflow('ci.yml', main)}`,
    ],
    [
      'oidc:default-subject',
      "GitHub's default subject (no branch in it: the repository's subject template not customised)",
      'denied',
      `repo:${repo}:environment:${environment}`,
    ],
    [
      'oidc:other-repository',
      'the same workflow in another repository',
      'denied',
      `repo:${MODELLED_REPOSITORY.owner}/other:environment:${environment}:${workflow(WORKFLOW, main).replace(repo, `${MODELLED_REPOSITORY.owner}/other`)}`,
    ],
    [
      'oidc:other-audience',
      'the deploy workflow with a token for another audience',
      'denied',
      `repo:${repo}:environment:${environment}:${workflow(WORKFLOW, main)}`,
      'https://github.com/octo-org',
    ],
  ];
  return cases.map(([id, title, expected, sub, aud]) => ({
    id: `${role.source}/${id}`,
    role: role.source,
    title: `OIDC: ${title}`,
    expected,
    ...(expected === 'denied' ? { attack: 'trust' } : {}),
    simulation: oidcSimulation(role, sub, aud),
    unfiltered: true,
  }));
}

/** The deployer's own session, as configure-aws-credentials opens it. */
function deployerSession(role: ResolvedRole): Caller {
  const [, , , , accountId = '', resource = ''] = role.roleArn.split(':');
  const name = resource.split('/').pop() ?? '';
  return {
    arn: `arn:aws:sts::${accountId}:assumed-role/${name}/deploy-1`,
    accountId,
    roleArn: role.roleArn,
  };
}

function call(
  model: PolicyModel,
  caller: Caller,
  policies: NamedPolicy[],
  action: string,
  resource: string,
  context: Record<string, string> = {},
  boundary?: NamedPolicy,
): Simulation {
  const account = resource.split(':')[4] || caller.accountId;
  return {
    request: {
      principal: caller.arn,
      action,
      resource: { resource, accountId: account },
      contextVariables: { ...requestContext(model, caller, account), ...context },
    },
    identityPolicies: policies.map(({ name, document }) => ({ name, policy: document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(boundary
      ? { permissionBoundaryPolicies: [{ name: boundary.name, policy: boundary.document }] }
      : {}),
  };
}

/** A case of `role`'s own session (`me`) calling `action` on `resource`. */
function casesOf(model: PolicyModel, role: ResolvedRole, me: Caller) {
  return (
    id: string,
    title: string,
    expected: 'allowed' | 'denied',
    action: string,
    resource: string,
    context: Record<string, string> = {},
    attack?: string,
  ): DeployerCase => ({
    id: `${role.source}/${id}`,
    role: role.source,
    title,
    expected,
    ...(attack ? { attack } : {}),
    simulation: call(model, me, role.policies, action, resource, context),
  });
}

const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';
const EVERYTHING: NamedPolicy = {
  name: 'written-by-the-deployer',
  document: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
};

/**
 * Cases of a role the deployer creates, after a deploy wrote an inline *:* policy into it: the
 * boundary it must carry still denies `action` (its `session` calling, capped by `boundary`).
 */
function cappedCases(
  model: PolicyModel,
  role: ResolvedRole,
  session: Caller,
  boundary: NamedPolicy | undefined,
) {
  return (
    id: string,
    title: string,
    action: string,
    resource: string,
    context = {},
  ): DeployerCase => ({
    id: `${role.source}/${id}`,
    role: role.source,
    title,
    expected: 'denied',
    attack: 'inline *:* policy',
    simulation: call(model, session, [EVERYTHING], action, resource, context, boundary),
  });
}

function homeDeployerCases(model: PolicyModel, role: ResolvedRole, stage: string): DeployerCase[] {
  const { partition: p, homeAccountId: a, region: r } = model;
  const me = deployerSession(role);
  const execRole = model.executionRoleArn;
  const fn = functionArnOf(model);
  const bucket = `arn:${p}:s3:::cross-account-lambda-${stage}-serverlessdeploymentbucket-abc123def456`;
  const withBoundary = { 'iam:PermissionsBoundary': role.boundaryArn };
  const as = casesOf(model, role, me);
  // The execution role after a deploy wrote an inline *:* policy into it: the boundary still caps it.
  const fnSession = functionSession(model);
  const asExecutionRole = cappedCases(model, role, fnSession, role.boundary);
  return [
    as(
      'deploy:change-set',
      'deploys its stack (cloudformation:CreateChangeSet)',
      'allowed',
      'cloudformation:CreateChangeSet',
      `arn:${p}:cloudformation:${r}:${a}:stack/cross-account-lambda-${stage}/abc`,
    ),
    as(
      'deploy:create-role',
      'creates the execution role with the boundary',
      'allowed',
      'iam:CreateRole',
      execRole,
      withBoundary,
    ),
    as(
      'deploy:put-role-policy',
      "writes the execution role's inline policy (boundary on it)",
      'allowed',
      'iam:PutRolePolicy',
      execRole,
      withBoundary,
    ),
    as(
      'deploy:pass-role',
      'passes the execution role to Lambda',
      'allowed',
      'iam:PassRole',
      execRole,
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
    ),
    as('deploy:function', 'creates the function', 'allowed', 'lambda:CreateFunction', fn),
    as(
      'deploy:alarm',
      'creates the failed-targets alarm',
      'allowed',
      'cloudwatch:PutMetricAlarm',
      `arn:${p}:cloudwatch:${r}:${a}:alarm:cross-account-lambda-${stage}-failed-targets`,
    ),
    as(
      'deploy:versioning',
      'turns on versioning of its deployment bucket',
      'allowed',
      's3:PutBucketVersioning',
      bucket,
    ),
    as(
      'escalate:role-without-boundary',
      'creates the execution role without a boundary',
      'denied',
      'iam:CreateRole',
      execRole,
      {},
      'role without boundary',
    ),
    as(
      'escalate:role-other-boundary',
      `creates the execution role with another boundary (${ADMIN_POLICY})`,
      'denied',
      'iam:CreateRole',
      execRole,
      { 'iam:PermissionsBoundary': ADMIN_POLICY },
      'role without boundary',
    ),
    as(
      'escalate:inline-without-boundary',
      'writes an inline policy into the execution role while it has no boundary',
      'denied',
      'iam:PutRolePolicy',
      execRole,
      {},
      'inline *:* policy',
    ),
    asExecutionRole(
      'escalate:inline-everything-iam',
      'the execution role with an inline *:* policy: iam:CreateUser',
      'iam:CreateUser',
      `arn:${p}:iam::${a}:user/intruder`,
    ),
    asExecutionRole(
      'escalate:inline-everything-assume',
      'the execution role with an inline *:* policy: assume an admin role',
      'sts:AssumeRole',
      `arn:${p}:iam::${a}:role/admin`,
    ),
    as(
      'escalate:trust-rewrite',
      "rewrites the execution role's trust (iam:UpdateAssumeRolePolicy)",
      'denied',
      'iam:UpdateAssumeRolePolicy',
      execRole,
      withBoundary,
      'trust rewrite',
    ),
    as(
      'escalate:boundary-removed',
      "removes the execution role's boundary",
      'denied',
      'iam:DeleteRolePermissionsBoundary',
      execRole,
      withBoundary,
      'boundary removed',
    ),
    as(
      'escalate:boundary-replaced',
      "replaces the execution role's boundary",
      'denied',
      'iam:PutRolePermissionsBoundary',
      execRole,
      { 'iam:PermissionsBoundary': ADMIN_POLICY },
      'boundary removed',
    ),
    as(
      'escalate:attach-admin',
      'attaches AdministratorAccess to the execution role',
      'denied',
      'iam:AttachRolePolicy',
      execRole,
      { ...withBoundary, 'iam:PolicyARN': ADMIN_POLICY },
      'inline *:* policy',
    ),
    as(
      'escalate:other-role',
      'creates another role (with the boundary)',
      'denied',
      'iam:CreateRole',
      `arn:${p}:iam::${a}:role/intruder`,
      withBoundary,
      'role without boundary',
    ),
    as(
      'escalate:own-role',
      'writes an inline policy into its own role',
      'denied',
      'iam:PutRolePolicy',
      role.roleArn,
      withBoundary,
      'inline *:* policy',
    ),
    as(
      'escalate:pass-role-ec2',
      'passes the execution role to EC2',
      'denied',
      'iam:PassRole',
      execRole,
      { 'iam:PassedToService': 'ec2.amazonaws.com' },
      'PassRole elsewhere',
    ),
    as(
      'escalate:pass-other-role',
      'passes another role to Lambda',
      'denied',
      'iam:PassRole',
      `arn:${p}:iam::${a}:role/admin`,
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      'PassRole elsewhere',
    ),
    as(
      'escalate:other-function',
      'creates another function (to run as the execution role)',
      'denied',
      'lambda:CreateFunction',
      `${fn}-other`,
      {},
      'PassRole elsewhere',
    ),
    as(
      'escalate:bucket-public-access-block',
      'lifts the public access block of its deployment bucket',
      'denied',
      's3:PutBucketPublicAccessBlock',
      bucket,
      {},
      'public bucket',
    ),
    as(
      'escalate:bucket-acl',
      'grants a public ACL on its deployment bucket',
      'denied',
      's3:PutBucketAcl',
      bucket,
      { 's3:x-amz-acl': 'public-read' },
      'public bucket',
    ),
  ];
}

/**
 * The runtime version of the function: with PinnedRuntime=true the deployer may pin this
 * function's (sls deploy --param runtimeVersionArn=...), no other's; without it, not even that.
 */
function pinnedRuntimeCases(
  model: PolicyModel,
  role: ResolvedRole,
  stage: string,
  pinned: boolean,
): DeployerCase[] {
  const { partition: p, homeAccountId: a, region: r } = model;
  const as = casesOf(model, role, deployerSession(role));
  const fn = (name: string) => `arn:${p}:lambda:${r}:${a}:function:${name}`;
  const own = fn(`cross-account-lambda-${stage}-crossAccount`);
  if (!pinned) {
    return [
      as(
        'escalate:runtime-unpinned',
        "pins the function's runtime version while PinnedRuntime is false",
        'denied',
        'lambda:PutRuntimeManagementConfig',
        own,
      ),
    ];
  }
  return [
    as(
      'deploy:pinned-runtime',
      "pins the function's runtime version (runtimeVersionArn)",
      'allowed',
      'lambda:PutRuntimeManagementConfig',
      own,
    ),
    as(
      'escalate:pinned-runtime-elsewhere',
      "pins another function's runtime version",
      'denied',
      'lambda:PutRuntimeManagementConfig',
      fn('someone-elses-function'),
      {},
      'another function',
    ),
  ];
}

/**
 * Distributed mode's part of the home deployer: with DistributedMode=true it may create the state
 * machine, its role and the schedule's role only within their boundary, and pass each to its own
 * service only; without it, none of that.
 */
function distributedModeCases(
  model: PolicyModel,
  role: ResolvedRole,
  stage: string,
  boundary: ResolvedRole | undefined,
): DeployerCase[] {
  const { partition: p, homeAccountId: a, region: r } = model;
  const as = casesOf(model, role, deployerSession(role));
  const stateMachine = `arn:${p}:states:${r}:${a}:stateMachine:cross-account-lambda-${stage}-distributed`;
  if (!boundary) {
    return [
      as(
        'escalate:distributed-off',
        'creates a state machine while DistributedMode is false',
        'denied',
        'states:CreateStateMachine',
        stateMachine,
        {},
        'PassRole elsewhere',
      ),
    ];
  }
  const sfnRole = `arn:${p}:iam::${a}:role/cross-account-lambda-${stage}-${r}-sfn`;
  const scheduleRole = `arn:${p}:iam::${a}:role/cross-account-lambda-${stage}-${r}-schedule`;
  const results = `arn:${p}:s3:::cross-account-lambda-${stage}-resultsbucket-abc123def456`;
  const withBoundary = { 'iam:PermissionsBoundary': boundary.boundaryArn };
  // The state machine's role after a deploy wrote an inline *:* policy into it.
  const sfnSession: Caller = {
    arn: `arn:aws:sts::${a}:assumed-role/cross-account-lambda-${stage}-${r}-sfn/execution`,
    accountId: a,
    roleArn: sfnRole,
  };
  const asStateMachineRole = cappedCases(model, role, sfnSession, boundary.boundary);
  return [
    as(
      'deploy:distributed:create-role',
      "creates the state machine's role with the distributed boundary",
      'allowed',
      'iam:CreateRole',
      sfnRole,
      withBoundary,
    ),
    as(
      'deploy:distributed:pass-role',
      "passes the state machine's role to Step Functions",
      'allowed',
      'iam:PassRole',
      sfnRole,
      { 'iam:PassedToService': 'states.amazonaws.com' },
    ),
    as(
      'deploy:distributed:state-machine',
      'creates the state machine',
      'allowed',
      'states:CreateStateMachine',
      stateMachine,
    ),
    as(
      'deploy:distributed:results-lifecycle',
      "sets the results bucket's expiry (s3:PutLifecycleConfiguration)",
      'allowed',
      's3:PutLifecycleConfiguration',
      results,
    ),
    as(
      'deploy:distributed:pass-schedule-role',
      "passes the schedule's role to EventBridge",
      'allowed',
      'iam:PassRole',
      scheduleRole,
      { 'iam:PassedToService': 'events.amazonaws.com' },
    ),
    as(
      'escalate:distributed:role-without-boundary',
      "creates the state machine's role without a boundary",
      'denied',
      'iam:CreateRole',
      sfnRole,
      {},
      'role without boundary',
    ),
    as(
      'escalate:distributed:role-exec-boundary',
      "creates the state machine's role with the execution role's boundary",
      'denied',
      'iam:CreateRole',
      sfnRole,
      { 'iam:PermissionsBoundary': role.boundaryArn },
      'role without boundary',
    ),
    as(
      'escalate:distributed:attach-admin',
      "attaches AdministratorAccess to the state machine's role",
      'denied',
      'iam:AttachRolePolicy',
      sfnRole,
      { ...withBoundary, 'iam:PolicyARN': ADMIN_POLICY },
      'inline *:* policy',
    ),
    as(
      'escalate:distributed:pass-role-lambda',
      "passes the state machine's role to Lambda",
      'denied',
      'iam:PassRole',
      sfnRole,
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      'PassRole elsewhere',
    ),
    as(
      'escalate:distributed:other-state-machine',
      'creates another state machine (to run as its role)',
      'denied',
      'states:CreateStateMachine',
      `${stateMachine}-other`,
      {},
      'PassRole elsewhere',
    ),
    as(
      'escalate:distributed:results-public',
      'lifts the public access block of the results bucket',
      'denied',
      's3:PutBucketPublicAccessBlock',
      results,
      {},
      'public bucket',
    ),
    asStateMachineRole(
      'escalate:distributed:inline-everything-invoke',
      "the state machine's role with an inline *:* policy: invoke another function",
      'lambda:InvokeFunction',
      `arn:${p}:lambda:${r}:${a}:function:some-other-function`,
    ),
    asStateMachineRole(
      'escalate:distributed:inline-everything-iam',
      "the state machine's role with an inline *:* policy: iam:CreateUser",
      'iam:CreateUser',
      `arn:${p}:iam::${a}:user/intruder`,
    ),
  ];
}

function targetDeployerCases(
  model: PolicyModel,
  role: ResolvedRole,
  account: string,
  stackArn: string,
): DeployerCase[] {
  const p = model.partition;
  const r = model.targetRegion;
  const me = deployerSession(role);
  const targetRoleArn = `arn:${p}:iam::${account}:role/${model.targetRoleName}`;
  const bucket = `arn:${p}:s3:::cross-account-demo-${account}-${r}`;
  const withBoundary = { 'iam:PermissionsBoundary': role.boundaryArn };
  const as = casesOf(model, role, me);
  const asTargetRole: Caller = {
    arn: `arn:aws:sts::${account}:assumed-role/${model.targetRoleName}/session`,
    accountId: account,
    roleArn: targetRoleArn,
  };
  const capped = cappedCases(model, role, asTargetRole, role.boundary);
  return [
    as(
      'deploy:change-set',
      'deploys the target stack (cloudformation:CreateChangeSet)',
      'allowed',
      'cloudformation:CreateChangeSet',
      stackArn,
    ),
    as(
      'deploy:create-role',
      'creates the target role with the boundary',
      'allowed',
      'iam:CreateRole',
      targetRoleArn,
      withBoundary,
    ),
    as(
      'deploy:bucket-policy',
      "writes the demo bucket's (TLS-only) policy",
      'allowed',
      's3:PutBucketPolicy',
      bucket,
    ),
    as(
      'escalate:role-without-boundary',
      'creates the target role without a boundary',
      'denied',
      'iam:CreateRole',
      targetRoleArn,
      {},
      'role without boundary',
    ),
    as(
      'escalate:inline-without-boundary',
      'writes an inline policy into the target role while it has no boundary',
      'denied',
      'iam:PutRolePolicy',
      targetRoleArn,
      {},
      'inline *:* policy',
    ),
    capped(
      'escalate:inline-everything',
      'the target role with an inline *:* policy: s3:GetObject in a bucket of the account',
      's3:GetObject',
      `arn:${p}:s3:::payroll-${account}/2026-01.csv`,
    ),
    capped(
      'escalate:inline-everything-iam',
      'the target role with an inline *:* policy: iam:CreateUser',
      'iam:CreateUser',
      `arn:${p}:iam::${account}:user/intruder`,
    ),
    as(
      'escalate:trust-rewrite',
      "rewrites the target role's trust (iam:UpdateAssumeRolePolicy)",
      'denied',
      'iam:UpdateAssumeRolePolicy',
      targetRoleArn,
      withBoundary,
      'trust rewrite',
    ),
    as(
      'escalate:boundary-removed',
      "removes the target role's boundary",
      'denied',
      'iam:DeleteRolePermissionsBoundary',
      targetRoleArn,
      withBoundary,
      'boundary removed',
    ),
    as(
      'escalate:boundary-replaced',
      "replaces the target role's boundary",
      'denied',
      'iam:PutRolePermissionsBoundary',
      targetRoleArn,
      { 'iam:PermissionsBoundary': ADMIN_POLICY },
      'boundary removed',
    ),
    as(
      'escalate:pass-role',
      'passes the target role to any service',
      'denied',
      'iam:PassRole',
      targetRoleArn,
      { 'iam:PassedToService': 'ec2.amazonaws.com' },
      'PassRole elsewhere',
    ),
    as(
      'escalate:bucket-public-access-block',
      'lifts the public access block of the demo bucket',
      'denied',
      's3:PutBucketPublicAccessBlock',
      bucket,
      {},
      'public bucket',
    ),
    as(
      'escalate:bucket-ownership',
      'turns ACLs back on for the demo bucket',
      'denied',
      's3:PutBucketOwnershipControls',
      bucket,
      {},
      'public bucket',
    ),
    as(
      'escalate:bucket-acl',
      'grants a public ACL on the demo bucket',
      'denied',
      's3:PutBucketAcl',
      bucket,
      { 's3:x-amz-acl': 'public-read' },
      'public bucket',
    ),
  ];
}

type SimulationResult = Exclude<RunSimulationResults, { resultType: 'error' }>;

function decidedBy(
  result: SimulationResult,
  resourceLabel: string | undefined,
  hasIdentityPolicies: boolean,
): string {
  const analysis =
    result.resultType === 'single' ? result.result.analysis : result.results[0]?.analysis;
  const named = (
    s: {
      policyId?: string | undefined;
      statement: { sid(): string | undefined; index(): number };
    },
    fallback = 'policy',
  ) =>
    `${s.policyId && s.policyId !== 'ResourcePolicy' ? s.policyId : fallback}/${s.statement.sid() ?? `#${s.statement.index()}`}`;
  const identity = analysis?.identityAnalysis;
  const boundary = analysis?.permissionBoundaryAnalysis;
  const resource = analysis?.resourceAnalysis;
  if (result.overallResult === 'Allowed') {
    const grants = [
      ...(identity?.allowStatements ?? []).map((a) => named(a)),
      ...(resource?.allowStatements ?? []).map((a) => named(a, resourceLabel ?? 'resource policy')),
    ];
    return grants.length ? grants.join(' + ') : 'allowed';
  }
  if (result.overallResult === 'ExplicitlyDenied') {
    const deny = [identity, boundary, resource].flatMap((a) => a?.denyStatements ?? [])[0];
    return `explicit deny${deny ? ` (${named(deny)})` : ''}`;
  }
  if (identity?.result === 'Allowed' && boundary && boundary.result !== 'Allowed') {
    return 'permissions boundary (no allow)';
  }
  // The trust (or bucket policy) decided when the caller's own policies allowed, or it has none
  // (a service principal).
  if (resourceLabel && (identity?.result === 'Allowed' || !hasIdentityPolicies)) {
    return `${resourceLabel} (no allow)`;
  }
  return "the role's policy (no allow)";
}

// The simulator's core evaluator, reached past its package entry point (see oidcSimulation):
// the same `authorize` the entry points call, with the trust loaded under a name. The version is
// pinned exactly in package.json; if these files move, the check stops with an EvaluatorError.
interface CoreEngine {
  authorize: (input: Record<string, unknown>) => { result: string };
  AwsRequestImpl: new (
    principal: unknown,
    resource: { resource: string; accountId: string },
    action: string,
    context: unknown,
  ) => unknown;
  RequestContextImpl: new (values: Record<string, string | string[]>) => unknown;
  DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown;
  loadPolicy: (document: unknown, metadata?: { name: string }) => unknown;
}

let core: CoreEngine | undefined;
function coreEngine(): CoreEngine {
  if (core) return core;
  try {
    const entry = require.resolve('@cloud-copilot/iam-simulate');
    const from = createRequire(entry);
    const at = (path: string) => from(join(dirname(entry), path));
    core = {
      authorize: at('core_engine/CoreSimulatorEngine.js').authorize,
      AwsRequestImpl: at('request/request.js').AwsRequestImpl,
      RequestContextImpl: at('requestContext.js').RequestContextImpl,
      DiscoveryContextKeyConstraints: at('context_keys/discoveryContextKeyConstraints.js')
        .DiscoveryContextKeyConstraints,
      loadPolicy: from('@cloud-copilot/iam-policy').loadPolicy,
    };
  } catch (error) {
    throw new EvaluatorError(
      `cannot reach @cloud-copilot/iam-simulate's core evaluator for the OIDC trust cases: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return core;
}

/** A trust decided by the core evaluator, every context key kept. */
function decideUnfiltered(simulation: Simulation): string {
  const engine = coreEngine();
  const { request } = simulation;
  return engine.authorize({
    request: new engine.AwsRequestImpl(
      request.principal,
      request.resource,
      request.action,
      new engine.RequestContextImpl(request.contextVariables),
    ),
    sessionPolicy: undefined,
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: engine.loadPolicy(simulation.resourcePolicy, { name: 'trust' }),
    permissionBoundaries: undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new engine.DiscoveryContextKeyConstraints([]),
    },
    serviceSettings: { s3: {} },
  }).result;
}

/** Decides every case with the simulator (Strict mode); see oidcSimulation for the trust cases. */
export async function runDeployerCheck(cases: DeployerCase[]): Promise<DeployerResult[]> {
  const results: DeployerResult[] = [];
  for (const c of cases) {
    let allowed: boolean;
    let by: string;
    try {
      if (c.unfiltered) {
        const outcome = decideUnfiltered(c.simulation);
        allowed = outcome === 'Allowed';
        by = `trust policy${allowed ? '' : outcome === 'ExplicitlyDenied' ? ' (explicit deny)' : ' (no allow)'}`;
      } else {
        const result = await runSimulation(c.simulation, { simulationMode: 'Strict' });
        if (result.resultType === 'error') {
          throw new Error(JSON.stringify(result.errors));
        }
        allowed = result.overallResult === 'Allowed';
        const resourceLabel =
          c.simulation.resourcePolicy === undefined
            ? undefined
            : c.simulation.request.action === 'sts:AssumeRole'
              ? 'trust policy'
              : 'resource policy';
        by = decidedBy(result, resourceLabel, c.simulation.identityPolicies.length > 0);
      }
    } catch (error) {
      if (error instanceof EvaluatorError) throw error;
      throw new EvaluatorError(`the IAM simulator failed on ${c.id}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    results.push({
      case: c,
      allowed,
      decidedBy: by,
      ok: (allowed ? 'allowed' : 'denied') === c.expected,
    });
  }
  return results;
}

/**
 * The permissions boundaries the deploy roles put on the target role (the target deployer's and
 * the StackSet execution role's), resolved for the first configured account: whatever the target
 * stack grants, a role deployed through them can do no more.
 */
export function targetRoleBoundaries(
  model: PolicyModel,
  options: Pick<DeployerCheckOptions, 'targetDeployerTemplate' | 'stackSetTemplates' | 'stage'>,
): Array<{ source: string; boundary: NamedPolicy }> {
  const roles = [
    targetDeployer(model, options),
    ...(options.stackSetTemplates
      ? [stackSetExecutionRole(model, options.stackSetTemplates.execution, options.stage)]
      : []),
  ];
  return roles.flatMap((role) =>
    role.boundary ? [{ source: role.source, boundary: role.boundary }] : [],
  );
}

/** The target deployer role in the first configured account, as its README command deploys it. */
function targetDeployer(
  model: PolicyModel,
  options: Pick<DeployerCheckOptions, 'targetDeployerTemplate' | 'stage'>,
): ResolvedRole {
  const [targetAccount = ''] = model.configuredTargets;
  return resolveDeployer(
    options.targetDeployerTemplate,
    'TargetDeployerRole',
    'TargetRoleBoundary',
    { partition: model.partition, accountId: targetAccount, region: model.targetRegion },
    { GitHubEnvironment: environmentOf(options.stage), TargetRoleName: model.targetRoleName },
  );
}

/** The StackSet's execution role in the first configured account, trusting the modelled administrator. */
function stackSetExecutionRole(model: PolicyModel, template: string, stage: string): ResolvedRole {
  const [targetAccount = ''] = model.configuredTargets;
  return resolveDeployer(
    template,
    'StackSetExecutionRole',
    'TargetRoleBoundary',
    { partition: model.partition, accountId: targetAccount, region: model.targetRegion },
    {
      Stage: stage,
      AdministratorAccountId: STACKSET_ADMIN_ACCOUNT,
      TargetRoleName: model.targetRoleName,
    },
  );
}
