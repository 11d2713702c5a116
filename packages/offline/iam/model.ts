// The policy model: everything needed to decide any request of the cross-account set-up offline,
// built from the synthesised home stack and one resolved target stack per account.
import { join, relative } from 'node:path';
import type { AnyJob } from '@cross-account-lambda/core/src/job';
import { PROJECT_ROOT } from '../synth';
import type { TemplateDocument } from './cfn';
import { EvaluatorError } from './errors';
import { type AccountPermissions, jobPermissions } from './jobPermissions';
import type { NamedPolicy, PolicyDocument } from './policy';
import {
  asTemplate,
  readHomeSide,
  readTargetSide,
  readTemplate,
  TARGET_TEMPLATE_PATH,
} from './templates';

/** Home account of the offline stage (serverless.yml `local`); real ids come from `--home-account`. */
export const OFFLINE_HOME_ACCOUNT = '111111111111';
export const DEFAULT_FUNCTION = 'crossAccount';

export interface TargetSetup {
  accountId: string;
  roleArn: string;
  roleName: string;
  /** The bucket the target stack outputs as BucketName (the S3 job's); absent for other jobs. */
  bucket?: string;
  /** The target stack's parameter values, defaults included. */
  parameters: Record<string, string>;
  trustPolicy: PolicyDocument;
  permissions: NamedPolicy[];
  bucketPolicy?: PolicyDocument;
  /** Whether the function is configured to reach this account (TARGET_ACCOUNT_IDS). */
  configured: boolean;
  /** What the job declares it needs here (Job.permissions), placeholders filled in. */
  job: AccountPermissions;
}

/** The read-only role of docs/organizations/organizations-reader-role.yml (Organizations mode only). */
export interface ReaderSetup {
  accountId: string;
  roleArn: string;
  roleName: string;
  parameters: Record<string, string>;
  trustPolicy: PolicyDocument;
  permissions: NamedPolicy[];
}

export const READER_TEMPLATE_PATH = join(
  PROJECT_ROOT,
  'docs',
  'organizations',
  'organizations-reader-role.yml',
);

export interface PolicyModel {
  partition: 'aws';
  region: string;
  homeAccountId: string;
  /** serverless.yml function key, e.g. `crossAccount`. */
  functionName: string;
  /** Deployed name, e.g. `cross-account-lambda-local-crossAccount` (also Lambda's session name). */
  deployedFunctionName: string;
  executionRoleName: string;
  executionRoleArn: string;
  executionRolePolicies: NamedPolicy[];
  /** The execution role's permissions boundary (the administrator's), when it has one. */
  executionRoleBoundary?: NamedPolicy;
  /** What the function sends as SourceIdentity on AssumeRole: its deployed name (src/config.ts). */
  sourceIdentity: string;
  /** The function's environment, as the synthesised stack sets it. */
  environment: Record<string, string>;
  configuredTargets: string[];
  targetRoleName: string;
  externalId: string;
  organizationId: string;
  /** TARGET_BUCKET of the shipped S3 job, placeholders unexpanded; undefined for other jobs. */
  targetBucket: string | undefined;
  targetRegion: string;
  /** One per account that has a target stack (configured ones first). */
  targets: TargetSetup[];
  /** AWS Organization of each account that belongs to one; absent = in no organization. */
  organizations: Record<string, string>;
  /** aws:ResourceOrgPaths of an account (o-.../r-.../ou-.../), where the model places it. */
  organizationPaths: Record<string, string>;
  /** Set when the function discovers its accounts (TARGET_ORGANIZATIONAL_UNITS). */
  organizationsReader: ReaderSetup | undefined;
  /** The module of the job whose permissions are proven, as messages name it. */
  jobModule: string;
}

export interface LoadPolicyModelOptions {
  /** The home stack, as `synthesize()` returns it. */
  template: unknown;
  homeAccountId?: string;
  /** Region the home stack deploys to (the `--region` of sls); default us-east-1. */
  region?: string;
  functionName?: string;
  /** Target template: a path or an already parsed template (default resources/cross-account-role.yml). */
  targetTemplate?: string | TemplateDocument;
  /**
   * Target stack parameters per account, over the defaults (what the README's deploy command
   * passes). Models a target stack that was deployed with other values.
   */
  targetParameters?: (
    accountId: string,
    defaults: Readonly<Record<string, string>>,
  ) => Record<string, string> | undefined;
  /** Accounts outside TARGET_ACCOUNT_IDS that have the target stack too (e.g. a StackSet on an OU). */
  otherTargetAccounts?: string[];
  /**
   * Organization membership over the default (home and every configured account belong to the
   * configured organization, when there is one); null takes an account out of any organization.
   */
  organizations?: Record<string, string | null>;
  /** The job whose permissions are proven; default: the job of job/index.ts. */
  job?: AnyJob;
  /** Where that job is written, for messages; default job/index.ts. */
  jobModule?: string;
  /** Where accounts sit in the organization: account -> o-.../r-.../ou-.../ (aws:ResourceOrgPaths). */
  organizationPaths?: Record<string, string>;
  /**
   * Organizations mode: the accounts the function is taken to discover under its OUs; they stand
   * where TARGET_ACCOUNT_IDS would (configured accounts).
   */
  discoveredAccounts?: string[];
  /** Reader stack parameters over the defaults (a reader role deployed with other values). */
  readerParameters?: Record<string, string>;
}

function requiredVariable(environment: Record<string, string>, name: string): string {
  const value = environment[name];
  if (value === undefined) {
    throw new EvaluatorError(
      `the function's environment has no ${name}; is this the cross-account stack?`,
    );
  }
  return value;
}

/** The role ARN the function assumes in `accountId`. */
export function functionTargetRoleArn(model: PolicyModel, accountId: string): string {
  return `arn:${model.partition}:iam::${accountId}:role/${model.targetRoleName}`;
}

export function targetFor(model: PolicyModel, accountId: string): TargetSetup | undefined {
  return model.targets.find((target) => target.accountId === accountId);
}

export function organizationOf(model: PolicyModel, accountId: string): string | undefined {
  return model.organizations[accountId];
}

/**
 * The target stack parameters the README's deploy command passes for `accountId`: everything
 * from the home stack and what the job's configuration implies (Job.targetStackParameters), so
 * that a stack deployed as documented matches the function.
 */
export function defaultTargetParameters(
  home: Pick<
    PolicyModel,
    | 'homeAccountId'
    | 'executionRoleName'
    | 'targetRoleName'
    | 'externalId'
    | 'organizationId'
    | 'sourceIdentity'
  >,
  job: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    TrustedAccountId: home.homeAccountId,
    ExecutionRoleName: home.executionRoleName,
    SourceIdentity: home.sourceIdentity,
    RoleName: home.targetRoleName,
    ExternalId: home.externalId,
    OrganizationId: home.organizationId,
    ...job,
  };
}

export async function loadPolicyModel(options: LoadPolicyModelOptions): Promise<PolicyModel> {
  const homeAccountId = options.homeAccountId ?? OFFLINE_HOME_ACCOUNT;
  const region = options.region ?? 'us-east-1';
  const partition = 'aws' as const;
  const functionName = options.functionName ?? DEFAULT_FUNCTION;
  const home = readHomeSide(
    asTemplate(options.template, 'synthesised home stack'),
    { partition, accountId: homeAccountId, region },
    functionName,
  );
  const env = home.environment;
  // Organizations mode lists no accounts: the stack then leaves TARGET_ACCOUNT_IDS out.
  const listed = (
    env.TARGET_ORGANIZATIONAL_UNITS
      ? (env.TARGET_ACCOUNT_IDS ?? '')
      : requiredVariable(env, 'TARGET_ACCOUNT_IDS')
  )
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const configuredTargets = env.TARGET_ORGANIZATIONAL_UNITS
    ? [...(options.discoveredAccounts ?? [])]
    : listed;
  const partial = {
    partition,
    region,
    homeAccountId,
    functionName,
    deployedFunctionName: home.deployedFunctionName,
    executionRoleName: home.executionRoleName,
    executionRoleArn: home.executionRoleArn,
    executionRolePolicies: home.executionRolePolicies,
    ...(home.executionRoleBoundary ? { executionRoleBoundary: home.executionRoleBoundary } : {}),
    sourceIdentity: home.deployedFunctionName,
    environment: env,
    configuredTargets,
    targetRoleName: requiredVariable(env, 'TARGET_ROLE_NAME'),
    externalId: env.TARGET_EXTERNAL_ID ?? '',
    organizationId: env.TARGET_ORGANIZATION_ID ?? '',
    targetBucket: env.TARGET_BUCKET,
    // The target stack's region: the first of the function's target regions.
    targetRegion: (env.TARGET_REGIONS || region).split(',')[0]?.trim() || region,
  };

  const organizations: Record<string, string> = {};
  if (partial.organizationId) {
    for (const account of [homeAccountId, ...configuredTargets])
      organizations[account] = partial.organizationId;
  }
  for (const [account, org] of Object.entries(options.organizations ?? {})) {
    if (org === null) delete organizations[account];
    else organizations[account] = org;
  }

  const targetTemplatePath =
    typeof options.targetTemplate === 'string' ? options.targetTemplate : TARGET_TEMPLATE_PATH;
  const targetTemplate =
    typeof options.targetTemplate === 'object'
      ? options.targetTemplate
      : readTemplate(targetTemplatePath);
  const source =
    typeof options.targetTemplate === 'object'
      ? 'target template'
      : relative(process.cwd(), targetTemplatePath) || targetTemplatePath;
  const model: PolicyModel = {
    ...partial,
    targets: [],
    organizations,
    organizationPaths: { ...options.organizationPaths },
    organizationsReader: readerOf(partial, home, options.readerParameters),
    jobModule: options.jobModule ?? 'job/index.ts',
  };
  const others = (options.otherTargetAccounts ?? []).filter(
    (id) => !configuredTargets.includes(id),
  );
  const accounts = [...configuredTargets, ...others];
  const needs = jobPermissions({
    environment: env,
    region,
    accounts,
    ...(options.job ? { job: options.job } : {}),
  });
  for (const accountId of accounts) {
    const job = needs.get(accountId);
    if (!job) throw new EvaluatorError(`the job named no permissions for account ${accountId}`);
    const defaults = defaultTargetParameters(
      {
        ...partial,
        // The README passes the home stack's output; it equals the role name unless a plugin renames it.
        executionRoleName: home.outputRoleName ?? partial.executionRoleName,
        sourceIdentity: home.outputSourceIdentity ?? partial.sourceIdentity,
      },
      job.stackParameters,
    );
    const given = { ...defaults, ...options.targetParameters?.(accountId, defaults) };
    const side = readTargetSide(
      targetTemplate,
      { partition, accountId, region: partial.targetRegion, parameters: given },
      `${source} in ${accountId}`,
    );
    model.targets.push({
      accountId,
      roleArn: side.roleArn,
      roleName: side.roleName,
      ...(side.bucket ? { bucket: side.bucket } : {}),
      parameters: side.parameters,
      trustPolicy: side.trustPolicy,
      permissions: side.permissions,
      ...(side.bucketPolicy ? { bucketPolicy: side.bucketPolicy } : {}),
      configured: configuredTargets.includes(accountId),
      job,
    });
  }
  return model;
}

/** The reader stack as the README deploys it for this home stack, when the function discovers. */
function readerOf(
  home: Pick<
    PolicyModel,
    | 'environment'
    | 'partition'
    | 'region'
    | 'homeAccountId'
    | 'executionRoleName'
    | 'sourceIdentity'
    | 'organizationId'
  >,
  outputs: { outputRoleName?: string | undefined; outputSourceIdentity?: string | undefined },
  overrides: Record<string, string> | undefined,
): ReaderSetup | undefined {
  const env = home.environment;
  if (!env.TARGET_ORGANIZATIONAL_UNITS) return undefined;
  const accountId = requiredVariable(env, 'ORGANIZATION_READER_ACCOUNT_ID');
  const parameters = {
    TrustedAccountId: home.homeAccountId,
    ExecutionRoleName: outputs.outputRoleName ?? home.executionRoleName,
    SourceIdentity: outputs.outputSourceIdentity ?? home.sourceIdentity,
    RoleName: requiredVariable(env, 'ORGANIZATION_READER_ROLE_NAME'),
    OrganizationId: home.organizationId,
    ...overrides,
  };
  const side = readTargetSide(
    readTemplate(READER_TEMPLATE_PATH),
    { partition: home.partition, accountId, region: home.region, parameters },
    `${relative(process.cwd(), READER_TEMPLATE_PATH)} in ${accountId}`,
  );
  return {
    accountId,
    roleArn: side.roleArn,
    roleName: side.roleName,
    parameters: side.parameters,
    trustPolicy: side.trustPolicy,
    permissions: side.permissions,
  };
}
