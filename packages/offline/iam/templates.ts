// Reads the two sides from their real artefacts: the home stack that `sls package` synthesised
// and resources/cross-account-role.yml as CloudFormation would create it in one target account.
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { yamlParse } from 'yaml-cfn';
import { findServiceRoot } from '../serviceRoot';
import { ResolvedTemplate, type StackInputs, type TemplateDocument } from './cfn';
import { EvaluatorError } from './errors';
import type { NamedPolicy, PolicyDocument, PolicyStatement } from './policy';

const PROJECT_ROOT = findServiceRoot();
export const TARGET_TEMPLATE_PATH = join(PROJECT_ROOT, 'resources', 'cross-account-role.yml');
export const DEPLOYER_TEMPLATE_PATH = join(PROJECT_ROOT, 'resources', 'deployer-role.yml');
export const STACKSET_ADMINISTRATION_TEMPLATE_PATH = join(
  PROJECT_ROOT,
  'docs',
  'organizations',
  'stackset-administration-role.yml',
);
export const STACKSET_EXECUTION_TEMPLATE_PATH = join(
  PROJECT_ROOT,
  'docs',
  'organizations',
  'stackset-execution-role.yml',
);
export const TARGET_DEPLOYER_TEMPLATE_PATH = join(
  PROJECT_ROOT,
  'resources',
  'target-deployer-role.yml',
);

export function relativeToCwd(path: string): string {
  return relative(process.cwd(), path) || path;
}

/** Parses a CloudFormation template file (YAML with `!Sub`-style tags, or JSON). */
export function readTemplate(path: string): TemplateDocument {
  const shown = relative(process.cwd(), path) || path;
  let parsed: unknown;
  try {
    parsed = yamlParse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EvaluatorError(`cannot read template ${shown}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return asTemplate(parsed, shown);
}

export function asTemplate(parsed: unknown, source: string): TemplateDocument {
  const resources = (parsed as { Resources?: unknown } | null)?.Resources;
  if (typeof resources !== 'object' || resources === null) {
    throw new EvaluatorError(`${source} is not a CloudFormation template (no Resources section)`);
  }
  return parsed as TemplateDocument;
}

function policyDocument(value: unknown, where: string): PolicyDocument {
  const statements = (value as { Statement?: unknown } | undefined)?.Statement;
  if (typeof value !== 'object' || value === null || statements === undefined) {
    throw new EvaluatorError(`${where} is not an IAM policy document`);
  }
  // IAM accepts a single statement object as well as a list.
  const list = Array.isArray(statements) ? statements : [statements];
  return { ...(value as PolicyDocument), Statement: list as PolicyStatement[] };
}

/**
 * A role's inline policies; a managed policy's content is not in the template, so it is refused,
 * and so is a permissions boundary unless the caller reads it from its own template (`boundary`).
 */
function inlinePolicies(
  stack: ResolvedTemplate,
  roleId: string,
  boundaryRead = false,
): NamedPolicy[] {
  const managed = stack.property(roleId, 'ManagedPolicyArns');
  if (Array.isArray(managed) && managed.length > 0) {
    throw new EvaluatorError(
      `${stack.source}: role ${roleId} has managed policies ${managed.join(', ')}, whose content is not ` +
        'in the template and cannot be evaluated offline',
    );
  }
  const boundary = stack.property(roleId, 'PermissionsBoundary');
  if (boundary !== undefined && !boundaryRead) {
    throw new EvaluatorError(
      `${stack.source}: role ${roleId} has permissions boundary ${String(boundary)}, a managed policy ` +
        'whose content is not in the template; the offline proof cannot evaluate it',
    );
  }
  const policies = stack.property(roleId, 'Policies') ?? [];
  if (!Array.isArray(policies)) {
    throw new EvaluatorError(
      `${stack.source}: Resources.${roleId}.Properties.Policies is not a list`,
    );
  }
  return policies.map((entry, index) => {
    const { PolicyName, PolicyDocument } = entry as {
      PolicyName?: unknown;
      PolicyDocument?: unknown;
    };
    const where = `${stack.source}: Resources.${roleId}.Properties.Policies[${index}]`;
    return {
      name: String(PolicyName ?? `inline-${index + 1}`),
      document: policyDocument(PolicyDocument, where),
    };
  });
}

export interface HomeSide {
  functionLogicalId: string;
  deployedFunctionName: string;
  environment: Record<string, string>;
  executionRoleName: string;
  executionRoleArn: string;
  executionRolePolicies: NamedPolicy[];
  /** The role's permissions boundary, read from the administrator's resources/deployer-role.yml. */
  executionRoleBoundary?: NamedPolicy;
  /** The stack's ExecutionRoleName output, which the README passes to the target stack. */
  outputRoleName?: string;
  /** The stack's SourceIdentity output, which the README passes to the target stack. */
  outputSourceIdentity?: string;
}

/**
 * The function named `functionName` (serverless.yml key) and the role its `Role` points at. The
 * function's own Role property is followed rather than a logical id guessed, so a change in how
 * the framework or a plugin names the role cannot make the proof look at the wrong one.
 */
export function readHomeSide(
  template: TemplateDocument,
  inputs: StackInputs,
  functionName: string,
  source = 'synthesised home stack',
): HomeSide {
  const stack = new ResolvedTemplate(
    source,
    { ...template, Parameters: template.Parameters ?? {} },
    inputs,
  );
  const functions = stack.existingResources('AWS::Lambda::Function');
  const suffix = `-${functionName}`;
  const functionLogicalId =
    functions.find((id) => stack.stringProperty(id, 'FunctionName')?.endsWith(suffix)) ??
    (functions.length === 1 ? functions[0] : undefined);
  if (!functionLogicalId) {
    throw new EvaluatorError(
      `${source}: no Lambda function named *${suffix} (functions: ${functions.join(', ') || 'none'})`,
    );
  }
  const role = stack.resource(functionLogicalId).Properties?.Role as
    | { 'Fn::GetAtt'?: unknown }
    | undefined;
  const getAtt = role?.['Fn::GetAtt'];
  const roleId = Array.isArray(getAtt)
    ? getAtt[0]
    : typeof getAtt === 'string'
      ? getAtt.split('.')[0]
      : undefined;
  if (typeof roleId !== 'string' || stack.template.Resources[roleId]?.Type !== 'AWS::IAM::Role') {
    throw new EvaluatorError(
      `${source}: the Role of ${functionLogicalId} is not an AWS::IAM::Role of the same stack ` +
        `(${JSON.stringify(role)}); its policies cannot be read from the template`,
    );
  }
  const executionRoleArn = stack.property(functionLogicalId, 'Role');
  const variables = (
    stack.property(functionLogicalId, 'Environment') as { Variables?: Record<string, unknown> }
  )?.Variables;
  const environment = Object.fromEntries(
    Object.entries(variables ?? {}).map(([name, value]) => [name, String(value)]),
  );
  // Only the output the target stack is deployed with; others may name generated resources.
  const outputRoleName = template.Outputs?.ExecutionRoleName
    ? stack.output('ExecutionRoleName')
    : undefined;
  const outputSourceIdentity = template.Outputs?.SourceIdentity
    ? stack.output('SourceIdentity')
    : undefined;
  return {
    functionLogicalId,
    deployedFunctionName:
      stack.stringProperty(functionLogicalId, 'FunctionName') ?? functionLogicalId,
    environment,
    executionRoleName: stack.stringProperty(roleId, 'RoleName') ?? roleId,
    executionRoleArn: String(executionRoleArn),
    executionRolePolicies: inlinePolicies(stack, roleId, true),
    ...boundaryOf(stack, roleId, inputs, environment),
    ...(typeof outputRoleName === 'string' ? { outputRoleName } : {}),
    ...(typeof outputSourceIdentity === 'string' ? { outputSourceIdentity } : {}),
  };
}

export interface TargetSide {
  roleLogicalId: string;
  roleName: string;
  roleArn: string;
  /** The bucket the stack outputs as BucketName (the shipped S3 job's); absent for other jobs. */
  bucket?: string;
  /** Parameter values the stack was resolved with, defaults included. */
  parameters: Record<string, string>;
  trustPolicy: PolicyDocument;
  permissions: NamedPolicy[];
  /** The bucket policy, when the stack creates the bucket (and so owns its policy). */
  bucketPolicy?: PolicyDocument;
}

/** The target stack in one account: its only role, its trust and permissions, and any bucket. */
export function readTargetSide(
  template: TemplateDocument,
  inputs: StackInputs,
  source: string,
): TargetSide {
  const stack = new ResolvedTemplate(source, template, inputs);
  const roles = stack.existingResources('AWS::IAM::Role');
  const [roleLogicalId] = roles;
  if (roleLogicalId === undefined || roles.length !== 1) {
    throw new EvaluatorError(
      `${source}: expected exactly one AWS::IAM::Role for the function to assume, found ${roles.length}`,
    );
  }
  const roleName = stack.stringProperty(roleLogicalId, 'RoleName');
  if (roleName === undefined) {
    throw new EvaluatorError(
      `${source}: role ${roleLogicalId} has no RoleName; the function assumes the role by name`,
    );
  }
  const outputs = (template as { Outputs?: Record<string, unknown> }).Outputs;
  const output = outputs?.BucketName === undefined ? undefined : stack.output('BucketName');
  if (output !== undefined && typeof output !== 'string') {
    throw new EvaluatorError(`${source}: output BucketName does not resolve to a bucket name`);
  }
  const bucket = output;
  const bucketPolicies = stack
    .existingResources('AWS::S3::BucketPolicy')
    .filter((id) => stack.property(id, 'Bucket') === bucket)
    .map((id) =>
      policyDocument(stack.property(id, 'PolicyDocument'), `${source}: Resources.${id}`),
    );
  const roleArn = stack.resolve(
    { 'Fn::GetAtt': [roleLogicalId, 'Arn'] },
    `Resources.${roleLogicalId}.Arn`,
  );
  return {
    roleLogicalId,
    roleName,
    roleArn: String(roleArn),
    ...(bucket ? { bucket } : {}),
    parameters: { ...stack.parameters },
    trustPolicy: policyDocument(
      stack.property(roleLogicalId, 'AssumeRolePolicyDocument'),
      `${source}: Resources.${roleLogicalId}.Properties.AssumeRolePolicyDocument`,
    ),
    permissions: inlinePolicies(stack, roleLogicalId),
    ...(bucketPolicies[0] ? { bucketPolicy: bucketPolicies[0] } : {}),
  };
}

/**
 * The execution role's permissions boundary: it must be the one resources/deployer-role.yml
 * creates for this stage and region (the administrator's), whose content is read from that
 * template, resolved with the role names the function uses. Any other boundary is refused: its
 * content is not in any template here.
 */
function boundaryOf(
  stack: ResolvedTemplate,
  roleId: string,
  inputs: StackInputs,
  environment: Record<string, string>,
): { executionRoleBoundary?: NamedPolicy } {
  const arn = stack.property(roleId, 'PermissionsBoundary');
  if (arn === undefined) return {};
  const name =
    /^arn:[^:]+:iam::\d{12}:policy\/cross-account-lambda-([a-z][a-z0-9]*)-(.+)-exec-boundary$/.exec(
      String(arn),
    );
  const stage = name?.[2] === inputs.region ? name[1] : undefined;
  const deployer = stage
    ? new ResolvedTemplate(
        relativeToCwd(DEPLOYER_TEMPLATE_PATH),
        readTemplate(DEPLOYER_TEMPLATE_PATH),
        {
          ...inputs,
          parameters: {
            Stage: stage,
            GitHubOwner: 'owner',
            GitHubRepo: 'repo',
            ...(environment.TARGET_ROLE_NAME
              ? { TargetRoleName: environment.TARGET_ROLE_NAME }
              : {}),
            ...(environment.ORGANIZATION_READER_ROLE_NAME
              ? { OrganizationsReaderRoleName: environment.ORGANIZATION_READER_ROLE_NAME }
              : {}),
          },
        },
      )
    : undefined;
  if (!deployer || deployer.resolve({ Ref: 'ExecutionRoleBoundary' }, 'Ref') !== arn) {
    throw new EvaluatorError(
      `${stack.source}: role ${roleId} has permissions boundary ${String(arn)}, which is not the ` +
        `ExecutionRoleBoundary of ${relativeToCwd(DEPLOYER_TEMPLATE_PATH)} for this stage and region; ` +
        'its content cannot be evaluated offline',
    );
  }
  return {
    executionRoleBoundary: {
      name: 'ExecutionRoleBoundary',
      document: policyDocument(
        deployer.property('ExecutionRoleBoundary', 'PolicyDocument'),
        `${deployer.source}: Resources.ExecutionRoleBoundary.Properties.PolicyDocument`,
      ),
    },
  };
}
