// Decides single requests against the policy model with @cloud-copilot/iam-simulate. Every
// allow or deny comes from the simulator (Strict mode); this module only builds the request the
// way AWS would see it and reports which side of the set-up decided.
//
// The simulator does not derive context keys from the principal, so the request context is set
// here from the session principal Lambda presents, as IAM would populate it.
import { createHash } from 'node:crypto';
import {
  type RequestAnalysis,
  type RunSimulationResults,
  runSimulation,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import { EvaluatorError } from './errors';
import type { PolicyModel } from './model';
import type { NamedPolicy, PolicyDocument } from './policy';

/**
 * Which side of the set-up decided: the caller's identity policies (for the function, its execution
 * role), the target role's trust policy, or what the target role may do (its permissions and the
 * bucket's policy).
 */
export type Side = 'execution-role' | 'trust-policy' | 'target-permissions';

export interface Decision {
  allowed: boolean;
  decidedBy: Side;
  explicitDeny: boolean;
  /** The action decided, where one request stands for several (AssumeRole with SourceIdentity). */
  action?: string;
  /** One sentence: what decided and why. */
  reason: string;
  /** The deciding statement(s), e.g. `ReadOneBucket/ListTheBucket`, when a statement decided. */
  statement?: string;
}

export interface Caller {
  /** The request's principal, e.g. `arn:aws:sts::111111111111:assumed-role/<role>/<session>`. */
  arn: string;
  accountId: string;
  /** The IAM identity behind the request (the role of a session, the user itself): aws:PrincipalArn. */
  roleArn: string;
  /** Organization of the caller's account; undefined = from the model, null = in no organization. */
  orgId?: string | null;
  /** Identity policies of a principal the model does not define (another role, a user). */
  identityPolicies?: NamedPolicy[];
  /**
   * IAM's unique id of the identity (aws:userid before the colon); default uniqueIdOf(roleArn).
   * Another id with the same roleArn is a role deleted and re-created under the same name.
   */
  uniqueId?: string;
  /**
   * The function whose code makes the request (lambda:SourceFunctionArn): Lambda sets it on every
   * call made with the execution role's credentials inside that function. Absent: the same
   * credentials used anywhere else.
   */
  sourceFunctionArn?: string;
}

const EMPTY_POLICY: PolicyDocument = { Version: '2012-10-17', Statement: [] };

type StatementAnalysis = NonNullable<
  RequestAnalysis['identityAnalysis']
>['allowStatements'][number];

/** The session Lambda presents for the function: its execution role, session named after it. */
export function functionSession(
  model: PolicyModel,
  sessionName = model.deployedFunctionName,
): Caller {
  return {
    ...roleSession(model.homeAccountId, model.executionRoleName, sessionName),
    sourceFunctionArn: functionArnOf(model),
  };
}

/** The deployed function's ARN, as Lambda puts it in lambda:SourceFunctionArn. */
export function functionArnOf(
  model: Pick<PolicyModel, 'partition' | 'region' | 'homeAccountId' | 'deployedFunctionName'>,
): string {
  return `arn:${model.partition}:lambda:${model.region}:${model.homeAccountId}:function:${model.deployedFunctionName}`;
}

/**
 * The function's session as it would be after its execution role was deleted and re-created under
 * the same name: same ARN, new unique id.
 */
export function recreatedFunctionSession(model: PolicyModel): Caller {
  const fn = functionSession(model);
  return { ...fn, uniqueId: uniqueIdOf(`${fn.roleArn}#re-created`) };
}

/** The session of role `roleName` in `accountId`. */
export function roleSession(
  accountId: string,
  roleName: string,
  sessionName: string,
  identityPolicies?: NamedPolicy[],
): Caller {
  return {
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    accountId,
    roleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
    ...(identityPolicies ? { identityPolicies } : {}),
  };
}

export function iamUser(
  accountId: string,
  userName: string,
  identityPolicies?: NamedPolicy[],
): Caller {
  const arn = `arn:aws:iam::${accountId}:user/${userName}`;
  return { arn, accountId, roleArn: arn, ...(identityPolicies ? { identityPolicies } : {}) };
}

/**
 * A stable stand-in for IAM's unique id of a role (AROA...) or user (AIDA...), used in aws:userid;
 * exported so that the stand-in's GetCallerIdentity reports the same UserId.
 */
export function uniqueIdOf(identity: string | Pick<Caller, 'roleArn' | 'uniqueId'>): string {
  if (typeof identity !== 'string') return identity.uniqueId ?? uniqueIdOf(identity.roleArn);
  const arn = identity;
  const prefix = /:user\//.test(arn) ? 'AIDA' : 'AROA';
  return prefix + createHash('sha256').update(arn).digest('hex').slice(0, 17).toUpperCase();
}

/** The `statement` of a decision no policy made (sts:GetCallerIdentity). */
export const NO_PERMISSION_NEEDED = 'none needed';

function organizationOfCaller(model: PolicyModel, caller: Caller): string | undefined {
  if (caller.orgId === null) return undefined;
  return caller.orgId ?? model.organizations[caller.accountId];
}

/** The global condition keys IAM sets for a request from `caller` on a resource of `resourceAccount`. */
export function requestContext(
  model: PolicyModel,
  caller: Caller,
  resourceAccount: string,
): Record<string, string | string[]> {
  const session = /^arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/.exec(caller.arn);
  const user = /^arn:[^:]+:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(caller.arn);
  if (!session && !user) {
    throw new EvaluatorError(
      `cannot model a request from ${caller.arn}: only role sessions and IAM users are modelled`,
    );
  }
  const now = new Date();
  const context: Record<string, string | string[]> = {
    'aws:PrincipalArn': caller.roleArn,
    'aws:PrincipalAccount': caller.accountId,
    'aws:PrincipalType': session ? 'AssumedRole' : 'User',
    'aws:userid': session ? `${uniqueIdOf(caller)}:${session[1]}` : uniqueIdOf(caller),
    'aws:PrincipalIsAWSService': 'false',
    'aws:ViaAWSService': 'false',
    // The SDK only speaks HTTPS to AWS; the demo bucket policy denies anything else.
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': model.targetRegion,
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    'aws:ResourceAccount': resourceAccount,
  };
  if (user?.[1]) context['aws:username'] = user[1];
  if (caller.sourceFunctionArn) context['lambda:SourceFunctionArn'] = caller.sourceFunctionArn;
  const principalOrg = organizationOfCaller(model, caller);
  if (principalOrg) context['aws:PrincipalOrgID'] = principalOrg;
  const resourceOrg = model.organizations[resourceAccount];
  if (resourceOrg) context['aws:ResourceOrgID'] = resourceOrg;
  // Multi-valued in IAM (an account has one path, a resource could have several).
  const resourcePath = model.organizationPaths?.[resourceAccount];
  if (resourceOrg && resourcePath) context['aws:ResourceOrgPaths'] = [resourcePath];
  return context;
}

/** The identity policies that apply to the caller: given, the function's role, or a target role. */
function identityPoliciesOf(model: PolicyModel, caller: Caller): NamedPolicy[] {
  if (caller.identityPolicies) return caller.identityPolicies;
  if (caller.roleArn === model.executionRoleArn) return model.executionRolePolicies;
  const role = [
    ...model.targets,
    ...(model.organizationsReader ? [model.organizationsReader] : []),
  ];
  return role.find((target) => target.roleArn === caller.roleArn)?.permissions ?? [];
}

/** The boundary that caps the caller: the execution role's, for the role itself. */
function boundariesOf(
  model: PolicyModel,
  caller: Caller,
): Simulation['permissionBoundaryPolicies'] {
  if (caller.identityPolicies || caller.roleArn !== model.executionRoleArn) return undefined;
  const boundary = model.executionRoleBoundary;
  return boundary ? [{ name: boundary.name, policy: boundary.document }] : undefined;
}

type SimulationResult = Exclude<RunSimulationResults, { resultType: 'error' }>;

async function simulate(simulation: Simulation): Promise<SimulationResult> {
  let result: RunSimulationResults;
  try {
    result = await runSimulation(simulation, { simulationMode: 'Strict' });
  } catch (error) {
    throw new EvaluatorError(`the IAM simulator failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (result.resultType === 'error') {
    throw new EvaluatorError(simulatorRefusal(simulation, result.errors), { cause: result.errors });
  }
  return result;
}

/**
 * The simulator's refusal in words that name what to fix: its error codes are about the request
 * (an action or resource AWS would never decide) or about a policy that does not validate.
 */
function simulatorRefusal(simulation: Simulation, errors: unknown): string {
  const { action } = simulation.request;
  const resource = simulation.request.resource.resource;
  const { message, ...byPolicy } = (errors ?? {}) as { message?: string } & Record<string, unknown>;
  switch (message) {
    case 'must.use.wildcard':
      return `${action} acts on no resource type (Service Authorization Reference), so AWS decides it on "*" only, not on ${resource}`;
    case 'no.resource.types':
      return `${resource} has none of the ARN formats the Service Authorization Reference gives for ${action}`;
    case 'multiple.resource.types':
      return `${resource} fits more than one of the resource types of ${action}; name it in full`;
    case 'invalid.action':
    case 'invalid.service':
      return `${action} is not an IAM action the Service Authorization Reference lists`;
    default: {
      // policy.errors: per policy (or policy kind), a list of { path, message }.
      const problems = Object.entries(byPolicy).flatMap(([kind, value]) => {
        const lists: Array<[string, unknown]> = Array.isArray(value)
          ? [[kind, value]]
          : Object.entries((value ?? {}) as Record<string, unknown>);
        return lists.flatMap(([policy, list]) =>
          (Array.isArray(list) ? list : []).map((item) => {
            const { path, message: why } = item as { path?: string; message?: string };
            return `policy ${policy}${path ? ` ${path}` : ''}: ${why ?? 'does not validate'}`;
          }),
        );
      });
      return problems.length > 0
        ? `a policy does not validate (${problems.join('; ')})`
        : `the IAM simulator cannot decide ${action} on ${resource} (${message ?? 'no reason given'})`;
    }
  }
}

function analysisOf(result: SimulationResult): RequestAnalysis | undefined {
  return result.resultType === 'single' ? result.result.analysis : result.results[0]?.analysis;
}

function statementName(analysis: StatementAnalysis, policyLabel: string): string {
  const policy =
    analysis.policyId && analysis.policyId !== 'ResourcePolicy' ? analysis.policyId : policyLabel;
  return `${policy}/${analysis.statement.sid() ?? `#${analysis.statement.index()}`}`;
}

interface Sides {
  identity: Side;
  resource: Side;
  /** How reasons name the identity side ("the execution role's policies"). */
  identityLabel: string;
  /** How reasons name the resource policy ("trust policy of ..."), and statements in it. */
  resourceLabel: string;
  resourceStatementLabel: string;
  /** What an implicit deny by the resource side means here (e.g. "no role X exists"). */
  resourceMissing?: string;
}

/**
 * Reads which side decided from the simulator's analysis: an explicit deny is decisive wherever it
 * is; otherwise the side that did not allow (the identity side first, as IAM checks the caller's
 * own policies); an allow is credited to the resource policy when it granted, else to identity.
 */
function toDecision(result: SimulationResult, request: string, sides: Sides): Decision {
  const analysis = analysisOf(result);
  const identity = analysis?.identityAnalysis;
  const resource = analysis?.resourceAnalysis;
  const identityStatement = (s: StatementAnalysis) => statementName(s, 'identity');
  const resourceStatement = (s: StatementAnalysis) =>
    statementName(s, sides.resourceStatementLabel);
  if (result.overallResult === 'Allowed') {
    const identityGrants = (identity?.allowStatements ?? []).map(identityStatement);
    const resourceGrants = (resource?.allowStatements ?? []).map(resourceStatement);
    const byResource = resourceGrants.length > 0;
    const statements = [...identityGrants, ...resourceGrants].join(' + ');
    return {
      allowed: true,
      decidedBy: byResource ? sides.resource : sides.identity,
      explicitDeny: false,
      reason: `${request} is allowed by ${[
        identityGrants.length ? `${sides.identityLabel} (${identityGrants.join(', ')})` : '',
        byResource ? `the ${sides.resourceLabel} (${resourceGrants.join(', ')})` : '',
      ]
        .filter(Boolean)
        .join(' and ')}`,
      ...(statements ? { statement: statements } : {}),
    };
  }
  const identityDeny = identity?.denyStatements[0];
  const resourceDeny = resource?.denyStatements[0];
  if (result.overallResult === 'ExplicitlyDenied' && (identityDeny || resourceDeny)) {
    const byIdentity = identityDeny !== undefined;
    const statement = byIdentity
      ? identityStatement(identityDeny)
      : resourceDeny
        ? resourceStatement(resourceDeny)
        : '';
    return {
      allowed: false,
      decidedBy: byIdentity ? sides.identity : sides.resource,
      explicitDeny: true,
      reason: `${request} is explicitly denied by ${byIdentity ? sides.identityLabel : `the ${sides.resourceLabel}`} (${statement})`,
      statement,
    };
  }
  if (identity?.result !== 'Allowed') {
    return {
      allowed: false,
      decidedBy: sides.identity,
      explicitDeny: result.overallResult === 'ExplicitlyDenied',
      reason: `${request} is denied: no statement of ${sides.identityLabel} allows it`,
    };
  }
  return {
    allowed: false,
    decidedBy: sides.resource,
    explicitDeny: result.overallResult === 'ExplicitlyDenied',
    reason: `${request} is denied: ${sides.resourceMissing ?? `no statement of the ${sides.resourceLabel} allows it`}`,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function accountOfArn(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/**
 * May `caller` assume `roleArn`? Cross-account, both the caller's identity policies and the role's
 * trust policy must allow (the simulator applies that rule). A role without a target stack in the
 * model does not exist, so nothing trusts anyone to assume it.
 */
export async function decideAssumeRole(
  model: PolicyModel,
  caller: Caller,
  roleArn: string,
  ctx: { externalId?: string; sessionName?: string; sourceIdentity?: string } = {},
): Promise<Decision> {
  const roleAccount = accountOfArn(roleArn);
  if (!roleAccount || !/^arn:[^:]+:iam::\d{12}:role\/.+/.test(roleArn)) {
    throw new EvaluatorError(`cannot model sts:AssumeRole on ${roleArn}: not an IAM role ARN`);
  }
  const reader = model.organizationsReader;
  const target =
    model.targets.find((t) => t.roleArn === roleArn) ??
    (reader?.roleArn === roleArn ? reader : undefined);
  const contextVariables = requestContext(model, caller, roleAccount);
  if (ctx.externalId !== undefined) contextVariables['sts:ExternalId'] = ctx.externalId;
  if (ctx.sessionName !== undefined) contextVariables['sts:RoleSessionName'] = ctx.sessionName;
  if (ctx.sourceIdentity !== undefined) contextVariables['sts:SourceIdentity'] = ctx.sourceIdentity;
  const isFunction = caller.roleArn === model.executionRoleArn && !caller.identityPolicies;
  const sides: Sides = {
    identity: 'execution-role',
    resource: 'trust-policy',
    identityLabel: isFunction ? "the execution role's policies" : "the caller's identity policies",
    resourceLabel: `trust policy of ${roleArn}`,
    resourceStatementLabel: 'trust',
    ...(target
      ? {}
      : { resourceMissing: `no role ${roleArn} exists (no target stack in ${roleAccount})` }),
  };
  const decideAction = async (action: string): Promise<Decision> => ({
    action,
    ...toDecision(
      await simulate({
        request: {
          principal: caller.arn,
          action,
          resource: { resource: roleArn, accountId: roleAccount },
          contextVariables,
        },
        identityPolicies: identityPoliciesOf(model, caller).map(({ name, document }) => ({
          name,
          policy: document,
        })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: target?.trustPolicy ?? EMPTY_POLICY,
        ...optional('permissionBoundaryPolicies', boundariesOf(model, caller)),
      }),
      `${action} on ${roleArn} by ${caller.arn}`,
      sides,
    ),
  });
  const assume = await decideAction('sts:AssumeRole');
  // AssumeRole with a SourceIdentity is authorised as two actions; both must be allowed.
  if (!assume.allowed || ctx.sourceIdentity === undefined) return assume;
  const stamp = await decideAction('sts:SetSourceIdentity');
  return stamp.allowed ? { ...assume, reason: `${assume.reason}; ${stamp.reason}` } : stamp;
}

function bucketOf(resourceArn: string): string | undefined {
  const match = /^arn:[^:]+:s3:::([^/]+)/.exec(resourceArn);
  return match?.[1];
}

/**
 * May `caller` (a session of a target role) call `action` on `resourceArn`? Decided by the role's
 * permissions and, for the bucket a target stack creates, its bucket policy. A bucket no target
 * stack defines is taken to live in the caller's own account, so the role's permissions decide.
 * sts:GetCallerIdentity needs no permission: IAM answers it for any valid session.
 */
export async function decideTargetCall(
  model: PolicyModel,
  caller: Caller,
  action: string,
  resourceArn: string,
  /** What the offline world knows of the resource: its own policy (a key policy), its aliases. */
  known: {
    readonly policy?: PolicyDocument;
    readonly aliases?: readonly string[];
    /** Condition keys the request carries beyond the principal's (cloudwatch:namespace, ...). */
    readonly context?: Readonly<Record<string, string>>;
  } = {},
): Promise<Decision> {
  const resourcePolicy = known.policy;
  const request = `${action} on ${resourceArn} by ${caller.arn}`;
  if (action.toLowerCase() === 'sts:getcalleridentity') {
    return {
      allowed: true,
      decidedBy: 'target-permissions',
      explicitDeny: false,
      reason: `${request} is allowed: sts:GetCallerIdentity needs no permission`,
      statement: NO_PERMISSION_NEEDED,
    };
  }
  const bucket = bucketOf(resourceArn);
  const owner = bucket ? model.targets.find((t) => t.bucket === bucket) : undefined;
  const resourceAccount = owner?.accountId ?? accountOfArn(resourceArn) ?? caller.accountId;
  const role = model.targets.find((t) => t.roleArn === caller.roleArn);
  const result = await simulate({
    request: {
      principal: caller.arn,
      action,
      resource: { resource: resourceArn, accountId: resourceAccount },
      contextVariables: {
        ...requestContext(model, caller, resourceAccount),
        // KMS: "kms:ResourceAliases ... controls access to a KMS key based on the aliases that
        // are associated with it" (Developer Guide, "ABAC for AWS KMS"), so a grant on key/* can
        // be narrowed to the key an alias names. Only a key the offline world knows has aliases.
        ...(known.aliases?.length && /^arn:[^:]+:kms:/.test(resourceArn)
          ? { 'kms:ResourceAliases': [...known.aliases] }
          : {}),
        ...known.context,
      },
    },
    identityPolicies: identityPoliciesOf(model, caller).map(({ name, document }) => ({
      name,
      policy: document,
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy
      ? { resourcePolicy }
      : owner?.bucketPolicy
        ? { resourcePolicy: owner.bucketPolicy }
        : {}),
  });
  return toDecision(result, request, {
    identity: 'target-permissions',
    resource: 'target-permissions',
    identityLabel: role
      ? `the permissions of ${role.roleArn}`
      : `the identity policies of ${caller.roleArn}`,
    resourceLabel: bucket ? `bucket policy of ${bucket}` : `resource policy of ${resourceArn}`,
    resourceStatementLabel: 'bucket-policy',
  });
}
