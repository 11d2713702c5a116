// What `npm run check` asks of the model: for every configured account, the function may do
// exactly what the job declares (Job.permissions), and everything around it is denied. Cases are data (who asks for
// what, and what must happen), so the report and --json can show them and tests can pick them.

import { declaredResource, type KnownResource, namingHint } from './awsResources';
import {
  type Caller,
  functionSession,
  iamUser,
  recreatedFunctionSession,
  roleSession,
} from './evaluate';
import { siblingResource } from './jobPermissions';
import { functionTargetRoleArn, type PolicyModel, type ReaderSetup, targetFor } from './model';
import type { NamedPolicy, PolicyDocument } from './policy';
import { sarAction } from './sar';

export type CaseRequest =
  | {
      type: 'assume';
      caller: Caller;
      roleArn: string;
      externalId?: string;
      sourceIdentity?: string;
    }
  | {
      type: 'call';
      caller: Caller;
      action: string;
      resource: string;
      /** The resource's own policy, where the fixture files declare one (a key policy). */
      resourcePolicy?: PolicyDocument;
      /** KMS: the aliases of the key, where the fixture files declare them. */
      resourceAliases?: readonly string[];
      /** The resource as the job declares it, for a case about a declared permission. */
      declared?: string;
    }
  /**
   * A declared permission no request can be decided on as written (an action AWS does not have,
   * a resource of none of its types): the case fails without asking the evaluator, with `problem`.
   */
  | { type: 'unanswerable'; caller: Caller; action: string; resource: string; problem: string };

/** What a case is about; the diagnosis looks for causes that fit it. */
export type Concern =
  | 'function-assume'
  | 'function-call'
  | 'external-id'
  | 'source-identity'
  | 'other-principal'
  | 'pinned-trust'
  | 'organization'
  | 'other-role'
  | 'unconfigured-account'
  | 'outside-grant';

export interface CheckCase {
  /** Stable id, e.g. `222222222222/function-assumes-role`. */
  id: string;
  /** The target account the case is about. */
  account: string;
  title: string;
  expected: 'allowed' | 'denied';
  concern: Concern;
  request: CaseRequest;
  /** Why the resource asked about is not the one declared (AWS's generated parts), for the diagnosis. */
  note?: string;
}

export interface BuildCasesOptions {
  /** Resources the offline world answers for, named in full (the fixture files' `resources`). */
  readonly resources?: readonly KnownResource[];
  /** Where such resources are declared, for messages. */
  readonly resourcesFile?: string;
}

const GRANTS = 'resources/cross-account-role.yml';

const SPARE_ACCOUNTS = [
  '999999999999',
  '444444444444',
  '555555555555',
  '666666666666',
  '777777777777',
  '888888888888',
];

/**
 * A broadly privileged principal: whatever stops it, it is not its own identity policy (so it may
 * also set any source identity: a denial must come from the trust).
 */
export const ASSUME_ANY_ROLE: NamedPolicy = {
  name: 'AssumeAnyRole',
  document: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'], Resource: '*' },
    ],
  },
};

/** A function next to this one (same account and region) that was given the same role. */
function otherFunction(fn: Caller): string {
  return `${fn.sourceFunctionArn ?? ''}-other`;
}

/** Account ids that are neither home nor configured, for "someone else" cases. */
export function spareAccounts(model: Pick<PolicyModel, 'homeAccountId' | 'configuredTargets'>): {
  outsider: string;
  unconfigured: string;
  orgMember: string;
} {
  const free = SPARE_ACCOUNTS.filter(
    (id) => id !== model.homeAccountId && !model.configuredTargets.includes(id),
  );
  const [outsider = '', unconfigured = '', orgMember = ''] = free;
  return { outsider, unconfigured, orgMember };
}

/** Another stage's name for the execution role, when the name has the shape @cross-account-lambda/serverless-plugin (params.js) gives it. */
export function otherStageRoleName(model: PolicyModel): string | undefined {
  const prefix = model.deployedFunctionName.endsWith(`-${model.functionName}`)
    ? model.deployedFunctionName.slice(0, -model.functionName.length - 1)
    : undefined;
  const suffix = model.executionRoleName.slice(prefix?.length ?? 0);
  if (!prefix || !model.executionRoleName.startsWith(`${prefix}-`)) return undefined;
  const cut = prefix.lastIndexOf('-');
  if (cut <= 0) return undefined;
  const stage = prefix.slice(cut + 1);
  return `${prefix.slice(0, cut)}-${stage === 'prod' ? 'dev' : 'prod'}${suffix}`;
}

/**
 * Principals of the home account whose names nearly match the execution role's, each free to
 * assume any role: another stage's role, the name with a prefix or a suffix, the name under a
 * role path. A trust that matched by pattern instead of by the exact ARN would let one in.
 */
export function nearMissRoles(
  model: PolicyModel,
): Array<{ id: string; title: string; caller: Caller }> {
  const home = model.homeAccountId;
  const name = model.executionRoleName;
  const session = model.deployedFunctionName;
  const role = (id: string, title: string, roleName: string) => ({
    id,
    title,
    caller: roleSession(home, roleName, session, [ASSUME_ANY_ROLE]),
  });
  const otherStage = otherStageRoleName(model);
  const pathRoleArn = `arn:${model.partition}:iam::${home}:role/path/${name}`;
  return [
    ...(otherStage
      ? [role('other-stage', `another stage's execution role ${otherStage}`, otherStage)]
      : []),
    role('prefixed', `the role name with a prefix (x-${name})`, `x-${name}`),
    role('suffixed', `the role name with a suffix (${name}-x)`, `${name}-x`),
    {
      id: 'role-path',
      title: `the role name under a role path (role/path/${name})`,
      // A session's ARN leaves the path out; aws:PrincipalArn keeps it.
      caller: {
        arn: `arn:${model.partition}:sts::${home}:assumed-role/${name}/${session}`,
        accountId: home,
        roleArn: pathRoleArn,
        identityPolicies: [ASSUME_ANY_ROLE],
      },
    },
  ];
}

/** Whether the target stack in `account` pins its trust to the execution role's unique id. */
export function isPinned(model: PolicyModel, account: string): boolean {
  return Boolean(targetFor(model, account)?.parameters.ExecutionRoleId);
}

export function buildCases(model: PolicyModel, options: BuildCasesOptions = {}): CheckCase[] {
  const known = options.resources ?? [];
  const where = options.resourcesFile ?? 'job/<job>.fixtures.json';
  const cases: CheckCase[] = [];
  const fn = functionSession(model);
  const externalId = model.externalId || undefined;
  // What the function sends; a principal copying it gains nothing, so the others send it too.
  const sourceIdentity = model.sourceIdentity;
  const asTheFunctionSends = {
    sourceIdentity,
    ...(externalId === undefined ? {} : { externalId }),
  };
  const { outsider } = spareAccounts(model);

  for (const account of model.configuredTargets) {
    const roleArn = functionTargetRoleArn(model, account);
    const declared = targetFor(model, account)?.job.declared ?? [];
    const asTarget = roleSession(account, model.targetRoleName, model.deployedFunctionName);
    const add = (id: string, c: Omit<CheckCase, 'id' | 'account'>) =>
      cases.push({ id: `${account}/${id}`, account, ...c });
    const assume = (
      caller: Caller,
      extra: { externalId?: string; sourceIdentity?: string } = asTheFunctionSends,
    ): CaseRequest => ({
      type: 'assume',
      caller,
      roleArn,
      ...extra,
    });
    const call = (action: string, resource: string): CaseRequest => ({
      type: 'call',
      caller: asTarget,
      action,
      resource,
    });

    add('function-assumes-role', {
      title: `function assumes ${model.targetRoleName}, stamped with its source identity${externalId ? ' and the external id' : ' (no external id set: none required)'}`,
      expected: 'allowed',
      concern: 'function-assume',
      request: assume(fn),
    });
    // Each permission the job declares is granted, and no more widely than declared.
    for (const permission of declared) {
      add(`job:${permission.action}`, {
        ...declaredCase(model, account, permission, known, where),
        expected: 'allowed',
        concern: 'function-call',
      });
      const sibling = siblingCase(model, account, permission, known, where);
      if (sibling) {
        add(`broader:${permission.action}`, {
          title: `as the role: ${permission.action} on ${sibling.resource} (not declared)`,
          expected: 'denied',
          concern: 'outside-grant',
          request: call(permission.action, sibling.resource),
        });
      }
    }
    if (externalId) {
      add('no-external-id', {
        title: 'function assumes it without the external id',
        expected: 'denied',
        concern: 'external-id',
        request: assume(fn, { sourceIdentity }),
      });
      add('wrong-external-id', {
        title: 'function assumes it with a wrong external id',
        expected: 'denied',
        concern: 'external-id',
        request: assume(fn, { ...asTheFunctionSends, externalId: `${externalId}-wrong` }),
      });
    }
    const requiredIdentity = targetFor(model, account)?.parameters.SourceIdentity;
    add('other-source-identity', {
      title: `function assumes it stamped with another source identity (<its name>-x)`,
      expected: 'denied',
      concern: 'source-identity',
      request: assume(fn, { ...asTheFunctionSends, sourceIdentity: `${sourceIdentity}-x` }),
    });
    if (requiredIdentity) {
      add('no-source-identity', {
        title: 'function assumes it without a source identity (the target stack requires one)',
        expected: 'denied',
        concern: 'source-identity',
        request: assume(fn, externalId === undefined ? {} : { externalId }),
      });
    }
    add('credentials-outside-lambda', {
      title: "the execution role's credentials used outside Lambda (no lambda:SourceFunctionArn)",
      expected: 'denied',
      concern: 'other-principal',
      request: assume({ ...fn, sourceFunctionArn: undefined }),
    });
    add('other-function-same-role', {
      title: 'another function given the execution role (its own lambda:SourceFunctionArn)',
      expected: 'denied',
      concern: 'other-principal',
      request: assume({ ...fn, sourceFunctionArn: otherFunction(fn) }),
    });
    add('home-other-role', {
      title: 'another role of the home account (may assume any role)',
      expected: 'denied',
      concern: 'other-principal',
      request: assume(
        roleSession(model.homeAccountId, 'some-other-role', 'session', [ASSUME_ANY_ROLE]),
      ),
    });
    add('home-iam-user', {
      title: 'an IAM user of the home account (may assume any role)',
      expected: 'denied',
      concern: 'other-principal',
      request: assume(iamUser(model.homeAccountId, 'alice', [ASSUME_ANY_ROLE])),
    });
    for (const nearMiss of nearMissRoles(model)) {
      add(`near-miss:${nearMiss.id}`, {
        title: `${nearMiss.title} (may assume any role)`,
        expected: 'denied',
        concern: 'other-principal',
        request: assume(nearMiss.caller),
      });
    }
    add('same-role-name-other-account', {
      title: `a role of the same name in account ${outsider} assumes it`,
      expected: 'denied',
      concern: 'other-principal',
      // A copy of the execution role's policies, run by the function they name: only the trust
      // can refuse it.
      request: assume({
        ...roleSession(
          outsider,
          model.executionRoleName,
          model.deployedFunctionName,
          model.executionRolePolicies,
        ),
        sourceFunctionArn: fn.sourceFunctionArn,
      }),
    });
    const pinned = isPinned(model, account);
    add('same-role-recreated', {
      title: `the same role name re-created (new unique id)${pinned ? '' : ': trust not pinned (ExecutionRoleId empty)'}`,
      expected: pinned ? 'denied' : 'allowed',
      concern: 'pinned-trust',
      request: assume(recreatedFunctionSession(model)),
    });
    if (model.organizationId) {
      add('home-outside-organization', {
        title: `function assumes it from outside organization ${model.organizationId}`,
        expected: 'denied',
        concern: 'organization',
        request: assume({ ...fn, orgId: null }),
      });
    }
    add('function-other-role', {
      title: 'function assumes another role there (some-other-role)',
      expected: 'denied',
      concern: 'other-role',
      request: {
        type: 'assume',
        caller: fn,
        roleArn: `arn:${model.partition}:iam::${account}:role/some-other-role`,
        ...asTheFunctionSends,
      },
    });
    add('put-role-policy', {
      title: 'as the role: iam:PutRolePolicy on itself',
      expected: 'denied',
      concern: 'outside-grant',
      request: call('iam:PutRolePolicy', roleArn),
    });
  }

  // Accounts that have the target stack (a StackSet on a whole OU, say) without being configured.
  for (const target of model.targets.filter((t) => !t.configured)) {
    const org = model.organizations[target.accountId];
    const member = Boolean(model.organizationId) && org === model.organizationId;
    // Discovering, the function may assume the role only under its OUs, members or not.
    const units = model.organizationsReader ? model.environment.TARGET_ORGANIZATIONAL_UNITS : '';
    cases.push({
      id: `${target.accountId}/unconfigured-account`,
      account: target.accountId,
      title:
        member && units
          ? `function assumes the role in ${target.accountId}: in ${model.organizationId}, but not under ${units}`
          : member
            ? `function assumes the role in ${target.accountId}: not configured, but in ${model.organizationId} (organization mode trusts members)`
            : `function assumes the role in ${target.accountId}: has the target stack, not configured${model.organizationId ? ', outside the organization' : ''}`,
      expected: member && !units ? 'allowed' : 'denied',
      concern: 'unconfigured-account',
      request: {
        type: 'assume',
        caller: fn,
        roleArn: functionTargetRoleArn(model, target.accountId),
        ...asTheFunctionSends,
      },
    });
  }
  if (model.organizationsReader) cases.push(...readerCases(model, model.organizationsReader));
  return cases;
}

/**
 * Organizations mode: the function may assume the reader role, stamped with its name, and no
 * near-miss principal may; as the reader, it may list accounts and child OUs and nothing else.
 */
function readerCases(model: PolicyModel, reader: ReaderSetup): CheckCase[] {
  const account = reader.accountId;
  const sourceIdentity = model.sourceIdentity;
  const assume = (caller: Caller, identity: string | undefined = sourceIdentity): CaseRequest => ({
    type: 'assume',
    caller,
    roleArn: reader.roleArn,
    ...(identity === undefined ? {} : { sourceIdentity: identity }),
  });
  const asReader = roleSession(account, reader.roleName, model.deployedFunctionName);
  const call = (action: string, resource: string): CaseRequest => ({
    type: 'call',
    caller: asReader,
    action,
    resource,
  });
  const management = reader.parameters.ManagementAccountId || account;
  const [unit = ''] = (model.environment.TARGET_ORGANIZATIONAL_UNITS ?? '').split(',');
  const org = model.organizationId;
  const arn = (resource: string) =>
    `arn:${model.partition}:organizations::${management}:${resource}`;
  const unitArn = unit.startsWith('r-') ? arn(`root/${org}/${unit}`) : arn(`ou/${org}/${unit}`);
  const cases: Array<Omit<CheckCase, 'id' | 'account'> & { id: string }> = [
    {
      id: 'function-assumes-reader',
      title: `function assumes the Organizations reader ${reader.roleName}, stamped with its source identity`,
      expected: 'allowed',
      concern: 'function-assume',
      request: assume(functionSession(model)),
    },
    {
      id: 'reader-other-source-identity',
      title: 'function assumes the reader stamped with another source identity (<its name>-x)',
      expected: 'denied',
      concern: 'source-identity',
      request: assume(functionSession(model), `${sourceIdentity}-x`),
    },
    {
      id: 'reader-credentials-outside-lambda',
      title: "the execution role's credentials used outside Lambda assume the reader",
      expected: 'denied',
      concern: 'other-principal',
      request: assume({ ...functionSession(model), sourceFunctionArn: undefined }),
    },
    {
      id: 'reader-other-function-same-role',
      title: 'another function given the execution role assumes the reader',
      expected: 'denied',
      concern: 'other-principal',
      request: assume({
        ...functionSession(model),
        sourceFunctionArn: otherFunction(functionSession(model)),
      }),
    },
    {
      id: 'reader-home-iam-user',
      title: 'an IAM user of the home account assumes the reader (may assume any role)',
      expected: 'denied',
      concern: 'other-principal',
      request: assume(iamUser(model.homeAccountId, 'alice', [ASSUME_ANY_ROLE])),
    },
    ...nearMissRoles(model).map((nearMiss) => ({
      id: `reader-near-miss:${nearMiss.id}`,
      title: `${nearMiss.title} assumes the reader (may assume any role)`,
      expected: 'denied' as const,
      concern: 'other-principal' as const,
      request: assume(nearMiss.caller),
    })),
    {
      id: 'reader:organizations:ListAccountsForParent',
      title: `as the reader: organizations:ListAccountsForParent on ${unit} (discovery lists it)`,
      expected: 'allowed',
      concern: 'function-call',
      request: call('organizations:ListAccountsForParent', unitArn),
    },
    {
      id: 'reader:organizations:ListOrganizationalUnitsForParent',
      title: `as the reader: organizations:ListOrganizationalUnitsForParent on ${unit} (discovery lists it)`,
      expected: 'allowed',
      concern: 'function-call',
      request: call('organizations:ListOrganizationalUnitsForParent', unitArn),
    },
    ...[
      ['organizations:DescribeAccount', arn(`account/${org}/${account}`)],
      ['organizations:ListAccounts', '*'],
      ['organizations:ListPolicies', '*'],
      ['organizations:MoveAccount', arn(`account/${org}/${account}`)],
      ['organizations:ListAccountsForParent', arn('ou/o-otherorgxyz/ou-abcd-otherorg')],
    ].map(([action = '', resource = '']) => ({
      id: `reader-broader:${action}:${resource.split(':').pop()}`,
      title: `as the reader: ${action} on ${resource} (discovery does not call it)`,
      expected: 'denied' as const,
      concern: 'outside-grant' as const,
      request: call(action, resource),
    })),
  ];
  return cases.map(({ id, ...rest }) => ({ id: `${account}/${id}`, account, ...rest }));
}

type Declared = { readonly action: string; readonly resource: string };

function policyOf(known: readonly KnownResource[], arn: string) {
  const resource = known.find((candidate) => candidate.arn === arn);
  return {
    ...(resource?.policy ? { resourcePolicy: resource.policy } : {}),
    ...(resource?.aliases?.length ? { resourceAliases: resource.aliases } : {}),
  };
}

function targetScope(model: PolicyModel, account: string) {
  return { partition: model.partition, region: model.targetRegion, accountId: account };
}

/**
 * The case for one declared permission: the evaluator is asked about the resource AWS would name
 * in the job's request (a known resource, a secret with its generated suffix, `*` for an action
 * without resource types); a declaration no request can match fails as it stands, saying why.
 */
function declaredCase(
  model: PolicyModel,
  account: string,
  permission: Declared,
  known: readonly KnownResource[],
  where: string,
): Pick<CheckCase, 'title' | 'request' | 'note'> {
  const caller = roleSession(account, model.targetRoleName, model.deployedFunctionName);
  const { action, resource } = permission;
  const declaredTitle = `as the role: ${action} on ${resource} (the job declares it)`;
  const unanswerable = (problem: string) => ({
    title: declaredTitle,
    request: { type: 'unanswerable' as const, caller, action, resource, problem },
  });
  const JOB_PERMISSIONS = `the job's permissions (${model.jobModule})`;
  const sar = sarAction(action);
  if (!sar && /[*?]/.test(action)) {
    return unanswerable(
      `the job declares ${action}, a pattern: its code calls actions, so declare each action it calls by name in ${JOB_PERMISSIONS}, and grant those in ${GRANTS}`,
    );
  }
  if (!sar) {
    return unanswerable(
      `the job declares ${action}, which the Service Authorization Reference does not list (a typo, or another service prefix?): name the IAM action in ${JOB_PERMISSIONS} and in ${GRANTS}`,
    );
  }
  const resolved = declaredResource(sar, resource, known, where, targetScope(model, account));
  switch (resolved.kind) {
    case 'wildcard-only':
      return unanswerable(
        `the job declares ${action} on ${resource}, but ${sar.action} acts on no resource type (Service Authorization Reference): AWS matches it only on "*", never on a narrower resource; declare { action: '${action}', resource: '*' } in ${JOB_PERMISSIONS} and grant it on Resource "*" in ${GRANTS}`,
      );
    case 'no-resource-type': {
      const alias = namingHint(sar.action, resource);
      return unanswerable(
        `the job declares ${action} on ${resource}, which has none of the ARN formats AWS gives for ${sar.action} (${resolved.formats.join(', ')}): no request is decided on it; name the resource in one of those formats in ${JOB_PERMISSIONS} and ${GRANTS}${alias}`,
      );
    }
    case 'unresolved':
      return unanswerable(`the job declares ${action} on ${resource}: ${resolved.why}`);
    default:
      return {
        title:
          resolved.arn === resource || resolved.note === undefined
            ? declaredTitle
            : `as the role: ${action} on ${resolved.arn}, as AWS names the ${resource} the job declares`,
        request: {
          type: 'call',
          caller,
          action,
          resource: resolved.arn,
          declared: resource,
          ...policyOf(known, resolved.arn),
        },
        ...(resolved.note ? { note: resolved.note } : {}),
      };
  }
}

/** A resource next to the declared one, as AWS would name it; none next to `*`. */
function siblingCase(
  model: PolicyModel,
  account: string,
  permission: Declared,
  known: readonly KnownResource[],
  where: string,
): { resource: string } | undefined {
  if (permission.resource === '*') return undefined;
  const sar = sarAction(permission.action);
  if (!sar || sar.wildcardOnly) return undefined;
  const scope = targetScope(model, account);
  const named = declaredResource(sar, siblingResource(permission.resource), known, where, scope);
  if (named.kind === 'sample') return { resource: named.arn };
  // Nothing of the type is named next to it (`key/*`): the same resource in another region.
  const fields = permission.resource.split(':');
  const region = fields[3];
  if (fields.length < 6 || !region || /[*?]/.test(region)) return undefined;
  fields[3] = region === 'us-west-2' ? 'eu-west-1' : 'us-west-2';
  const elsewhere = declaredResource(sar, fields.join(':'), known, where, scope);
  return elsewhere.kind === 'sample' ? { resource: elsewhere.arn } : undefined;
}
