// Turns a mismatch into one line that says which parameter or policy to fix. The verdicts come
// from the simulator; this only explains them, first by the configuration differences between
// the home stack and the target stack that can cause that kind of mismatch, then by naming the
// statement that decided.
import type { CheckCase, Concern } from './cases';
import { type Decision, type Side, uniqueIdOf } from './evaluate';
import { type PolicyModel, targetFor } from './model';

const TARGET_TEMPLATE = 'resources/cross-account-role.yml';

export const SIDE_LABELS: Record<Side, string> = {
  'execution-role': 'execution-role policy',
  'trust-policy': 'trust policy',
  'target-permissions': 'target permissions',
};

/** Differences that stop the function assuming the role (the "assume" stage). */
export function assumeProblems(model: PolicyModel, account: string): string[] {
  const target = targetFor(model, account);
  if (!target) {
    return [
      `account ${account} has no target stack: deploy ${TARGET_TEMPLATE} there (README, "Deploy to two accounts")`,
    ];
  }
  const p = target.parameters;
  const home = model.homeAccountId;
  const problems: string[] = [];
  const deploy = (setting: string) => `deploy ${TARGET_TEMPLATE} in ${account} with ${setting}`;
  if (p.TrustedAccountId !== undefined && p.TrustedAccountId !== home) {
    problems.push(
      `target stack in ${account} trusts account ${p.TrustedAccountId} but the function runs in ${home}: ${deploy(`TrustedAccountId=${home}`)}`,
    );
  }
  if (p.ExecutionRoleName !== undefined && p.ExecutionRoleName !== model.executionRoleName) {
    problems.push(
      `target stack in ${account} trusts role ${p.ExecutionRoleName} but the function's role is ${model.executionRoleName}: ${deploy(`ExecutionRoleName=${model.executionRoleName}`)}`,
    );
  }
  const roleId = uniqueIdOf(model.executionRoleArn);
  if (p.ExecutionRoleId && p.ExecutionRoleId !== roleId) {
    problems.push(
      `target stack in ${account} is pinned to role id ${p.ExecutionRoleId} but the function's role has id ${roleId} (re-created?): ${deploy(`ExecutionRoleId=${roleId} (the home stack's ExecutionRoleId output)`)}`,
    );
  }
  if (target.roleName !== model.targetRoleName) {
    problems.push(
      `target stack in ${account} creates role ${target.roleName} but the function assumes ${model.targetRoleName}: set --param targetRoleName=${target.roleName}, or ${deploy(`RoleName=${model.targetRoleName}`)}`,
    );
  }
  const targetExternalId = p.ExternalId ?? '';
  if (model.externalId && !targetExternalId) {
    problems.push(
      `target stack in ${account} does not require an external id but the function sends one: ${deploy("ExternalId set to the home stack's externalId")}`,
    );
  } else if (!model.externalId && targetExternalId) {
    problems.push(
      `target stack in ${account} requires an external id but the function sends none: set --param externalId=<the target stack's ExternalId>`,
    );
  } else if (model.externalId !== targetExternalId) {
    problems.push(
      `the function's externalId and the ExternalId of the target stack in ${account} differ: set both to the same value`,
    );
  }
  if (p.SourceIdentity && p.SourceIdentity !== model.sourceIdentity) {
    problems.push(
      `target stack in ${account} requires source identity ${p.SourceIdentity} but the function sends ${model.sourceIdentity}: ${deploy(`SourceIdentity=${model.sourceIdentity} (the home stack's SourceIdentity output)`)}`,
    );
  }
  const org = model.organizationId;
  if (org && model.organizations[account] !== org) {
    problems.push(
      `account ${account} is not in organization ${org}, and organization mode reaches member accounts only: move it into ${org}, or set --param organizationId= to trust listed accounts`,
    );
  }
  const homeOrg = model.organizations[home];
  if (org && homeOrg !== org) {
    problems.push(
      `the home account ${home} is not in organization ${org}: the target stacks deny callers outside it`,
    );
  }
  const targetOrg = p.OrganizationId ?? '';
  if (targetOrg !== org) {
    problems.push(
      targetOrg
        ? `target stack in ${account} requires organization ${targetOrg} but the function's is ${org || 'not set'}: ${deploy(`OrganizationId=${org}`)}`
        : `target stack in ${account} does not require organization ${org}: ${deploy(`OrganizationId=${org}`)}`,
    );
  }
  return problems;
}

/**
 * Differences that stop the job's calls once the role is assumed (the "access" stage): target
 * stack parameters other than those the function's configuration implies (Job.targetStackParameters,
 * e.g. BucketName for the shipped S3 job).
 */
export function accessProblems(model: PolicyModel, account: string): string[] {
  const target = targetFor(model, account);
  if (!target) return [];
  return Object.entries(target.job.stackParameters).flatMap(([key, wanted]) => {
    const deployed = target.parameters[key] ?? '';
    if (deployed === wanted) return [];
    const show = (value: string) => (value === '' ? "'' (empty)" : value);
    return [
      `target stack in ${account} was deployed with ${key}=${show(deployed)} but the function's configuration needs ${key}=${show(wanted)}: deploy ${TARGET_TEMPLATE} there with ${key}=${show(wanted)}, or change the job's parameter that sets it`,
    ];
  });
}

function declaredList(model: PolicyModel, account: string): string {
  const declared = targetFor(model, account)?.job.declared ?? [];
  return declared.map((p) => `${p.action} on ${p.resource}`).join(', ') || 'nothing';
}

function callerOf(c: CheckCase): string {
  return c.request.caller.arn;
}

/** When no configuration difference explains it: name the decisive statement and what it should say. */
function policyProblem(model: PolicyModel, c: CheckCase, decision: Decision): string {
  const via = decision.statement ? ` (${decision.statement})` : '';
  const r = c.request;
  if (c.expected === 'allowed') {
    // AWS names the resource otherwise than the declaration does (a secret's generated suffix).
    const note = c.note
      ? `${c.note}, in the job's permissions (${model.jobModule}) and in ${TARGET_TEMPLATE}. `
      : '';
    // The role's policy allowed it; the resource's own policy, which the model does not have, did not.
    const ownPolicy =
      r.type === 'call' &&
      !r.resourcePolicy &&
      /no statement of the resource policy of/.test(decision.reason)
        ? `. ${r.resource} is decided by its own policy too (a KMS key trusts IAM policies only where its key policy says so): name the resource with its policy under "resources" in a fixture file (docs/offline.md, "Offline: any service")`
        : '';
    return `${note}${SIDE_LABELS[decision.decidedBy]} denies "${c.title}": ${decision.reason}${ownPolicy}`;
  }
  switch (c.concern) {
    case 'other-principal':
      return `trust policy of ${r.type === 'assume' ? r.roleArn : ''} in ${c.account} lets ${callerOf(c)} assume the role${via}: trust only ${model.executionRoleArn} (Principal arn:aws:iam::${model.homeAccountId}:root with Condition ArnEquals aws:PrincipalArn) in ${TARGET_TEMPLATE}`;
    case 'pinned-trust':
      return `trust policy of the role in ${c.account} lets a re-created ${model.executionRoleName} (another unique id) assume it although ExecutionRoleId pins the trust${via}: keep the Deny on StringNotLike aws:userid '<ExecutionRoleId>:*' in ${TARGET_TEMPLATE}`;
    case 'external-id':
      return `trust policy of the role in ${c.account} does not enforce the external id${via}: keep the Deny on StringNotEquals sts:ExternalId in ${TARGET_TEMPLATE}`;
    case 'source-identity':
      // Only the execution role's condition stops another name where the target requires none.
      return r.type === 'assume' && r.sourceIdentity !== undefined
        ? `execution-role policy of ${model.executionRoleName} lets the function set a source identity other than ${model.sourceIdentity}${via}: keep the Condition StringEquals sts:SourceIdentity on its sts:SetSourceIdentity statement (@cross-account-lambda/serverless-plugin (params.js))`
        : `trust policy of the role in ${c.account} accepts a session without source identity ${model.sourceIdentity}${via}: keep the Deny on StringNotEquals sts:SourceIdentity in ${TARGET_TEMPLATE}`;
    case 'organization':
      return `trust policy of the role in ${c.account} admits callers outside ${model.organizationId}${via}: keep the Deny on StringNotEquals aws:PrincipalOrgID in ${TARGET_TEMPLATE}`;
    case 'other-role':
    case 'unconfigured-account':
      return `execution-role policy of ${model.executionRoleName} lets the function assume ${r.type === 'assume' ? r.roleArn : ''}${via}: its sts:AssumeRole statement must name only ${model.targetRoleName} in the configured accounts (@cross-account-lambda/serverless-plugin (params.js))`;
    case 'outside-grant':
      return `target permissions of the role in ${c.account} allow ${r.type === 'call' ? `${r.action} on ${r.resource}` : c.title}${via}: grant only what the job declares (${declaredList(model, c.account)}) in ${TARGET_TEMPLATE}`;
    default:
      return `${SIDE_LABELS[decision.decidedBy]} allows "${c.title}", which must be denied: ${decision.reason}`;
  }
}

const STRATEGY: Record<Concern, Array<'assume' | 'access' | 'policy'>> = {
  'function-assume': ['assume', 'policy'],
  'function-call': ['assume', 'access', 'policy'],
  'external-id': ['assume', 'policy'],
  'source-identity': ['policy'],
  'other-principal': ['assume', 'policy'],
  'pinned-trust': ['assume', 'policy'],
  organization: ['assume', 'policy'],
  'other-role': ['policy'],
  'unconfigured-account': ['policy'],
  'outside-grant': ['policy'],
};

/** One line: the parameter or policy to fix for a case whose decision is not the expected one. */
export function diagnose(model: PolicyModel, c: CheckCase, decision: Decision): string {
  if (c.request.type === 'unanswerable') return c.request.problem;
  for (const step of STRATEGY[c.concern]) {
    if (step === 'policy') return policyProblem(model, c, decision);
    const [first] =
      step === 'assume' ? assumeProblems(model, c.account) : accessProblems(model, c.account);
    if (first) return first;
  }
  return policyProblem(model, c, decision);
}
