// `npm run check` without the command line: build the model the way the check does, run the
// cases, and report. Pure enough for tests to call without spawning anything.
import { declaredResource, type KnownResource, namingHint } from './awsResources';
import {
  type BuildCasesOptions,
  buildCases,
  type CaseRequest,
  type CheckCase,
  isPinned,
  spareAccounts,
} from './cases';
import { type ActionAudit, describeActionFinding } from './deployerActions';
import type { DeployerResult } from './deployers';
import { diagnose, SIDE_LABELS } from './diagnose';
import { EvaluatorError } from './errors';
import {
  type Decision,
  decideAssumeRole,
  decideTargetCall,
  NO_PERMISSION_NEEDED,
  uniqueIdOf,
} from './evaluate';
import { type Grant, grantsOf, isDeclaredGrant } from './jobPermissions';
import {
  type LoadPolicyModelOptions,
  loadPolicyModel,
  type PolicyModel,
  READER_TEMPLATE_PATH,
} from './model';
import type { NamedPolicy } from './policy';
import { sarAction } from './sar';
import type { StateMachineCaseResult } from './stateMachineRole';
import { readTemplate, relativeToCwd, TARGET_TEMPLATE_PATH } from './templates';
import {
  describeFinding,
  findTrustWildcards,
  findWildcards,
  justificationsOf,
  rolePolicies,
  unjustified,
  type WildcardFinding,
} from './wildcards';

export interface CheckModelOptions
  extends Omit<LoadPolicyModelOptions, 'targetParameters' | 'otherTargetAccounts'> {
  /** Target stack parameters that differ from the README's deploy command, per account. */
  targetOverrides?: Record<string, Record<string, string>>;
}

/**
 * The model the check evaluates: the configured accounts, plus target stacks in accounts the
 * function is not configured for (one outside any organization, and in organization mode one
 * member of it), to show what the execution role alone lets through.
 */
export async function loadCheckModel(options: CheckModelOptions): Promise<PolicyModel> {
  const { targetOverrides = {}, ...rest } = options;
  const base = await loadPolicyModel(rest);
  if (base.organizationsReader) return loadDiscoveryCheckModel(base, options);
  const { unconfigured, orgMember } = spareAccounts(base);
  const org = base.organizationId;
  return loadPolicyModel({
    ...rest,
    targetParameters: (account) => targetOverrides[account],
    otherTargetAccounts: org ? [orgMember, unconfigured] : [unconfigured],
    organizations: {
      ...(org ? { [orgMember]: org, [unconfigured]: null } : {}),
      ...rest.organizations,
    },
  });
}

/**
 * Organizations mode: a small modelled organization. One account under each configured unit (the
 * accounts the function would discover), one account of the organization in an OU outside them
 * (unless a unit is the root), and one outside any organization; each with the target stack.
 */
async function loadDiscoveryCheckModel(
  base: PolicyModel,
  options: CheckModelOptions,
): Promise<PolicyModel> {
  const { targetOverrides = {}, ...rest } = options;
  const org = base.organizationId;
  const units = (base.environment.TARGET_ORGANIZATIONAL_UNITS ?? '')
    .split(',')
    .map((u) => u.trim());
  const root = units.find((unit) => unit.startsWith('r-')) ?? 'r-mod1';
  const taken = new Set([base.homeAccountId, base.organizationsReader?.accountId]);
  const free = MODELLED_ACCOUNTS.filter((id) => !taken.has(id));
  const pathOf = (unit: string) =>
    unit.startsWith('r-') ? `${org}/${unit}/` : `${org}/${root}/${unit}/`;
  const discovered = units.map((_, index) => free[index] ?? '');
  const [outsideUnits = '', outsideOrganization = ''] = free.slice(units.length);
  const rootConfigured = units.some((unit) => unit.startsWith('r-'));
  const paths: Record<string, string> = {};
  const organizations: Record<string, string | null> = {};
  units.forEach((unit, index) => {
    const account = discovered[index] ?? '';
    paths[account] = pathOf(unit);
    organizations[account] = org;
  });
  if (!rootConfigured) {
    paths[outsideUnits] = `${org}/${root}/${OUTSIDE_UNIT}/`;
    organizations[outsideUnits] = org;
  }
  organizations[outsideOrganization] = null;
  if (base.organizationsReader) organizations[base.organizationsReader.accountId] = org;
  return loadPolicyModel({
    ...rest,
    discoveredAccounts: discovered,
    targetParameters: (account) => targetOverrides[account],
    otherTargetAccounts: rootConfigured
      ? [outsideOrganization]
      : [outsideUnits, outsideOrganization],
    organizations: { ...organizations, ...rest.organizations },
    organizationPaths: { ...paths, ...rest.organizationPaths },
  });
}

// Accounts of the modelled organization (placeholders of the offline examples).
const MODELLED_ACCOUNTS = [
  '222222222222',
  '333333333333',
  '444444444444',
  '555555555555',
  '666666666666',
  '777777777777',
  '888888888888',
];
const OUTSIDE_UNIT = 'ou-mod1-outsideunits';

export interface CaseResult {
  case: CheckCase;
  decision: Decision;
  ok: boolean;
  diagnosis?: string;
}

export interface CheckReport {
  ok: boolean;
  model: Pick<
    PolicyModel,
    | 'homeAccountId'
    | 'region'
    | 'executionRoleArn'
    | 'configuredTargets'
    | 'targetRoleName'
    | 'organizationId'
    | 'targetRegion'
    | 'targetBucket'
    | 'jobModule'
  > & {
    externalIdSet: boolean;
    organizations: Record<string, string>;
    /** Organizations mode: the units the accounts come from, and the reader role. */
    organizationalUnits?: string;
    organizationsReaderArn?: string;
  };
  results: CaseResult[];
  /** Distinct diagnoses, in case order. */
  diagnoses: string[];
  /** Wildcards in the stacks' Allow statements, when audited (see withWildcards). */
  wildcards?: WildcardFinding[];
  /** The target stack's grants against the job's declarations, per configured account. */
  permissions: PermissionAudit;
  /** Whether the trust names the role by its unique id too (ExecutionRoleId); a warning, not a failure. */
  pinning: PinningAudit;
  /** The deploy roles' cases (deploy, escalation, OIDC trust), when run (see withDeployers). */
  deployers?: DeployerResult[];
  /** The deploy roles' actions against their stacks' resource types (see withDeployerActions). */
  deployerActions?: ActionAudit[];
  /** Declared permissions a deploy role's boundary on the target role leaves out (see withBoundaries). */
  boundaryGaps?: BoundaryGap[];
  /** Distributed mode: the state machine role's cases (see withStateMachineRole). */
  stateMachineRole?: StateMachineCaseResult[];
}

/** The report with the state machine role's cases: any mismatch fails the check. */
export function withStateMachineRole(
  report: CheckReport,
  results: StateMachineCaseResult[],
): CheckReport {
  return { ...report, ok: report.ok && results.every((r) => r.ok), stateMachineRole: results };
}

function stateMachineRoleLines(results: StateMachineCaseResult[]): string[] {
  const failed = results.filter((r) => !r.ok);
  return [
    '',
    `Distributed mode: the state machine's role (DistributedStateMachineRole), ${failed.length === 0 ? `all ${results.length} cases match` : `${failed.length} of ${results.length} cases do not match`}:`,
    ...results.map(
      (r) =>
        `  ${r.ok ? 'ok      ' : 'MISMATCH'} ${r.title}: ${r.action} on ${r.resource} expected ${r.expected}, ${r.decision.allowed ? 'allowed' : 'denied'} (${r.decision.statement ?? 'no statement allows it'})`,
    ),
  ];
}

/** The report with the deploy roles' actions audited: any missing or unused action fails it. */
export interface BoundaryGap {
  /** The deployer template that creates the boundary. */
  source: string;
  boundary: string;
  action: string;
  /** The resources the job declares for it, in the first configured account. */
  resources: string[];
  /** The boundary statement that would allow them, as YAML at the boundary's Statement indentation. */
  statement: string;
}

/**
 * Each permission the job declares, as the check decided it for the first configured account,
 * decided again with only a deploy role's boundary as the target role's policy: one the boundary
 * does not allow would be denied once that deploy role deploys the target stack.
 */
export async function auditBoundaries(
  model: PolicyModel,
  report: CheckReport,
  boundaries: ReadonlyArray<{ source: string; boundary: NamedPolicy }>,
): Promise<BoundaryGap[]> {
  const [account = ''] = model.configuredTargets;
  const declared = report.results.flatMap(({ case: c }) =>
    c.account === account &&
    c.expected === 'allowed' &&
    c.request.type === 'call' &&
    c.request.declared !== undefined
      ? [c.request]
      : [],
  );
  const gaps: BoundaryGap[] = [];
  for (const { source, boundary } of boundaries) {
    const missing = new Map<string, Set<string>>();
    for (const request of declared) {
      const decision = await decideTargetCall(
        model,
        { ...request.caller, identityPolicies: [boundary] },
        request.action,
        request.resource,
        knownOf(request),
      );
      if (decision.allowed) continue;
      const resources = missing.get(request.action) ?? new Set<string>();
      resources.add(request.declared ?? request.resource);
      missing.set(request.action, resources);
    }
    for (const [action, resources] of missing) {
      const list = [...resources];
      gaps.push({
        source,
        boundary: boundary.name,
        action,
        resources: list,
        statement: boundaryStatement(model, account, action, list),
      });
    }
  }
  return gaps;
}

/**
 * A boundary statement for `action` on `resources` (ARNs of `account` in the target region),
 * written for any account and region the deployer template is deployed to.
 */
function boundaryStatement(
  model: PolicyModel,
  account: string,
  action: string,
  resources: readonly string[],
): string {
  const general = (arn: string) =>
    arn === '*'
      ? "'*'"
      : `!Sub '${arn
          .replace(/^arn:[^:]+:/, () => 'arn:${AWS::Partition}:')
          .replaceAll(account, () => '${AWS::AccountId}')
          .replaceAll(model.targetRegion, () => '${AWS::Region}')}'`;
  const [only] = resources;
  const resource =
    resources.length === 1 && only !== undefined
      ? ` ${general(only)}`
      : `\n${resources.map((arn) => `              - ${general(arn)}`).join('\n')}`;
  return [
    `          - Sid: Boundary${action.split(':')[1] ?? 'Job'}`,
    '            Effect: Allow',
    `            Action: ${action}`,
    `            Resource:${resource}`,
  ].join('\n');
}

export function withBoundaries(report: CheckReport, gaps: BoundaryGap[]): CheckReport {
  return { ...report, ok: report.ok && gaps.length === 0, boundaryGaps: gaps };
}

function boundaryLines(gaps: BoundaryGap[]): string[] {
  if (gaps.length === 0) return [];
  return [
    '',
    "Boundaries: the permissions boundary the deploy roles put on the target role leaves out what the job declares, so the role they deploy would be denied it. An administrator adds each statement below to the boundary's Statement and deploys that template again:",
    ...gaps.flatMap((gap) => [
      `  - BOUNDARY: ${gap.source} ${gap.boundary} does not allow ${gap.action} on ${gap.resources.join(', ')}; add:`,
      gap.statement,
    ]),
  ];
}

export function withDeployerActions(report: CheckReport, actions: ActionAudit[]): CheckReport {
  return {
    ...report,
    ok: report.ok && actions.every((a) => a.findings.length === 0),
    deployerActions: actions,
  };
}

function deployerActionLines(audits: ActionAudit[]): string[] {
  const lines = [
    '',
    "Deploy roles' actions, from CloudFormation's resource provider schemas (handlers.*.permissions) of each stack's resource types:",
  ];
  for (const a of audits) {
    lines.push(
      `  ${a.source}: ${a.findings.length === 0 ? 'ok' : `${a.findings.length} problem(s)`}: ${a.granted} actions granted, ${a.refused} refused with a reason, for ${a.resourceTypes.join(', ')}`,
    );
    for (const f of a.findings) lines.push(`    - ${describeActionFinding(f)}`);
  }
  return lines;
}

/** The report with the deploy roles' cases added: any mismatch fails the check. */
export function withDeployers(report: CheckReport, deployers: DeployerResult[]): CheckReport {
  return { ...report, ok: report.ok && deployers.every((d) => d.ok), deployers };
}

function deployerLines(results: DeployerResult[]): string[] {
  const rows = results.map((r, i) => ({
    n: String(i + 1),
    role: r.case.role,
    title: r.case.attack ? `${r.case.title} [${r.case.attack}]` : r.case.title,
    expected: r.case.expected,
    got: r.allowed ? 'allowed' : 'denied',
    by: r.decidedBy,
    mark: r.ok ? 'ok' : 'MISMATCH',
  }));
  const header = {
    n: '#',
    role: 'deploy role',
    title: 'case',
    expected: 'expected',
    got: 'got',
    by: 'decided by',
    mark: '',
  };
  const keys = Object.keys(header) as Array<keyof typeof header>;
  const width = (k: keyof typeof header) =>
    Math.max(...[header, ...rows].map((row) => row[k].length));
  const line = (row: typeof header) =>
    keys
      .map((k) => pad(row[k], width(k)))
      .join('  ')
      .trimEnd();
  const lines = ['', 'Deploy roles (GitHub Actions): deploy, escalation and OIDC trust cases', ''];
  lines.push(
    line(header),
    keys
      .map((k) => '-'.repeat(width(k)))
      .join('  ')
      .trimEnd(),
  );
  let previous = '';
  for (const row of rows) {
    lines.push(line({ ...row, role: row.role === previous ? '' : row.role }));
    previous = row.role;
  }
  const bad = results.filter((r) => !r.ok);
  lines.push(
    '',
    bad.length === 0
      ? `All ${results.length} deploy-role cases match: each deployer can deploy its stack, no escalation case is allowed, and only the deploy workflow on the trusted branch (for the StackSet's roles: CloudFormation for this StackSet, then its administration role) may assume them.`
      : `${bad.length} of ${results.length} deploy-role cases do not match: ${bad
          .map((r) => `${r.case.role}: ${r.case.title} (expected ${r.case.expected})`)
          .join('; ')}. Fix the role's policy in that template.`,
  );
  return lines;
}

export interface PinningAudit {
  /** The (modelled) unique id of the execution role: the home stack output ExecutionRoleId. */
  executionRoleId: string;
  /** Configured accounts whose target stack trusts the role by name only. */
  unpinned: string[];
}

export function auditPinning(model: PolicyModel): PinningAudit {
  return {
    executionRoleId: uniqueIdOf(model.executionRoleArn),
    unpinned: model.configuredTargets.filter((account) => !isPinned(model, account)),
  };
}

export interface PermissionAudit {
  /** What the job declares, per configured account. */
  declared: Record<string, { action: string; resource: string }[]>;
  /** Grants the job neither declares nor marks as deliberate: each fails the check. */
  excess: Grant[];
  /** Grants the job does not use but marks as deliberate (Job.deliberateGrants), with why. */
  deliberate: (Grant & { reason: string })[];
  /** Grants no request is ever decided on as written (AWS's data says why): each fails the check. */
  neverMatching: (Grant & { why: string })[];
}

/**
 * Why AWS never matches a grant as written, if it never does: an action the Service Authorization
 * Reference does not list, a narrower resource for an action that acts only on `*`, a resource of
 * none of the action's ARN formats, or one AWS names otherwise (a secret without its suffix).
 * Grants with wildcards in the action, or in the resource of an action with resource types, may
 * match something; they are left to the cases.
 */
export function neverMatches(
  grant: Grant,
  known: readonly KnownResource[] = [],
  scope = { partition: 'aws', region: 'us-east-1', accountId: grant.account },
): string | undefined {
  const { action, resource } = grant;
  if (/[*?]/.test(action) || action.startsWith('everything but')) return undefined;
  if (resource.startsWith('everything but')) return undefined;
  const sar = sarAction(action);
  if (!sar) {
    return `the Service Authorization Reference lists no action ${action}: name the IAM action the job's code needs`;
  }
  if (sar.wildcardOnly) {
    return resource === '*'
      ? undefined
      : `${sar.action} acts on no resource type (Service Authorization Reference): AWS matches it only on Resource "*"; grant it on "*"`;
  }
  if (resource === '*' || /[*?]/.test(resource)) return undefined;
  const resolved = declaredResource(sar, resource, known, 'the fixture files', scope);
  if (resolved.kind === 'no-resource-type') {
    return `${resource} has none of the ARN formats AWS gives for ${sar.action} (${resolved.formats.join(', ')})${namingHint(sar.action, resource)}`;
  }
  if (resolved.kind === 'sample' && resolved.arn !== resource && resolved.note) {
    return resolved.note;
  }
  return undefined;
}

/** Every grant of the target role in a configured account, against what the job declares. */
export function auditPermissions(
  model: PolicyModel,
  known: readonly KnownResource[] = [],
): PermissionAudit {
  const audit: PermissionAudit = { declared: {}, excess: [], deliberate: [], neverMatching: [] };
  for (const target of model.targets.filter((t) => t.configured)) {
    audit.declared[target.accountId] = target.job.declared.map(({ action, resource }) => ({
      action,
      resource,
    }));
    const scope = {
      partition: model.partition,
      region: model.targetRegion,
      accountId: target.accountId,
    };
    for (const grant of grantsOf(target.accountId, target.permissions)) {
      const why = neverMatches(grant, known, scope);
      if (why !== undefined) {
        audit.neverMatching.push({ ...grant, why });
        continue;
      }
      if (isDeclaredGrant(grant, target.job.declared)) continue;
      const deliberate = target.job.deliberate.find((d) => isDeclaredGrant(grant, [d]));
      if (deliberate) audit.deliberate.push({ ...grant, reason: deliberate.reason });
      else audit.excess.push(grant);
    }
  }
  return audit;
}

export interface WildcardAuditOptions {
  /** The target template the model was loaded from (default resources/cross-account-role.yml). */
  targetTemplate?: string;
  /** The home-account deployer role template (resources/deployer-role.yml); omitted: not audited. */
  deployerTemplate?: string;
  /** The target-account deployer role template (resources/target-deployer-role.yml); omitted: not audited. */
  targetDeployerTemplate?: string;
  /** Stage the deployer role is resolved for. */
  stage: string;
}

/**
 * Every wildcard in the Allow statements of the function's execution role, of the target role in
 * each account, and of the deployer role.
 */
export function auditWildcards(
  model: PolicyModel,
  options: WildcardAuditOptions,
): WildcardFinding[] {
  const targetPath = options.targetTemplate ?? TARGET_TEMPLATE_PATH;
  const targetJustifications = justificationsOf(readTemplate(targetPath));
  const trust = findTrustWildcards(
    model.targets.map((target) => ({
      source: `${relativeToCwd(targetPath)} in ${target.accountId}`,
      policy: 'trust',
      trustPolicy: target.trustPolicy,
    })),
  );
  const reader = model.organizationsReader;
  const readerSource = reader && `${relativeToCwd(READER_TEMPLATE_PATH)} in ${reader.accountId}`;
  return [
    ...trust,
    ...(reader && readerSource
      ? findTrustWildcards([
          { source: readerSource, policy: 'trust', trustPolicy: reader.trustPolicy },
        ])
      : []),
    ...findWildcards([
      { source: 'synthesised home stack', policies: model.executionRolePolicies },
      ...(reader && readerSource
        ? [
            {
              source: readerSource,
              policies: reader.permissions,
              justifications: justificationsOf(readTemplate(READER_TEMPLATE_PATH)),
            },
          ]
        : []),
      ...model.targets.map((target) => ({
        source: `${relativeToCwd(targetPath)} in ${target.accountId}`,
        policies: target.permissions,
        justifications: targetJustifications,
      })),
      ...(options.deployerTemplate
        ? [
            rolePolicies(options.deployerTemplate, {
              partition: model.partition,
              accountId: model.homeAccountId,
              region: model.region,
              // Distributed mode's and the pinned runtime's statements too: the audit covers
              // either way it is deployed.
              parameters: {
                Stage: options.stage,
                GitHubOwner: 'owner',
                GitHubRepo: 'repo',
                DistributedMode: 'true',
                PinnedRuntime: 'true',
              },
            }),
          ]
        : []),
      ...(options.targetDeployerTemplate
        ? model.targets.map((target) => {
            const audited = rolePolicies(options.targetDeployerTemplate as string, {
              partition: model.partition,
              accountId: target.accountId,
              region: model.targetRegion,
              parameters: {
                GitHubOwner: 'owner',
                GitHubRepo: 'repo',
                TargetRoleName: target.roleName,
              },
            });
            return { ...audited, source: `${audited.source} in ${target.accountId}` };
          })
        : []),
    ]),
  ];
}

/** The report with the wildcard audit added: any unjustified wildcard fails the check. */
export function withWildcards(report: CheckReport, wildcards: WildcardFinding[]): CheckReport {
  return { ...report, ok: report.ok && unjustified(wildcards).length === 0, wildcards };
}

/** What the fixture files say of a call's resource: its own policy, a key's aliases. */
function knownOf(request: Extract<CaseRequest, { type: 'call' }>) {
  return {
    ...(request.resourcePolicy ? { policy: request.resourcePolicy } : {}),
    ...(request.resourceAliases ? { aliases: request.resourceAliases } : {}),
  };
}

export async function decide(model: PolicyModel, c: CheckCase): Promise<Decision> {
  const r = c.request;
  switch (r.type) {
    case 'assume':
      return decideAssumeRole(model, r.caller, r.roleArn, {
        ...(r.externalId === undefined ? {} : { externalId: r.externalId }),
        ...(r.sourceIdentity === undefined ? {} : { sourceIdentity: r.sourceIdentity }),
      });
    case 'call':
      return decideTargetCall(model, r.caller, r.action, r.resource, knownOf(r));
    default:
      return {
        allowed: false,
        decidedBy: 'target-permissions',
        explicitDeny: false,
        reason: `${r.action} on ${r.resource} cannot be decided as declared: ${r.problem}`,
      };
  }
}

/**
 * A case the evaluator cannot decide (a policy it rejects, a resource it cannot type): a failed
 * case whose diagnosis names the permission, the statements that grant its action, and the fix,
 * rather than the evaluator's own words ending the check.
 */
function undecidable(model: PolicyModel, c: CheckCase, error: EvaluatorError): CaseResult {
  const r = c.request;
  const action = r.type === 'assume' ? 'sts:AssumeRole' : r.action;
  const resource = r.type === 'assume' ? r.roleArn : r.resource;
  const target = model.targets.find((t) => t.accountId === c.account);
  const statements = target
    ? grantsOf(c.account, target.permissions)
        .filter((grant) => grant.action.toLowerCase() === action.toLowerCase())
        .map((grant) => `${grant.policy}/${grant.statement}`)
    : [];
  const named = statements.length > 0 ? ` (granted by ${[...new Set(statements)].join(', ')})` : '';
  // A policy that does not validate fails every case it takes part in: one line for all of them.
  const diagnosis = error.message.startsWith('a policy does not validate')
    ? `${error.message}: correct that statement (resources/cross-account-role.yml for the target role, serverless.yml and @cross-account-lambda/serverless-plugin (params.js) for the execution role)`
    : `${action} on ${resource}${named} cannot be decided: ${error.message}; correct the action and resource in the job's permissions (${model.jobModule}) and in resources/cross-account-role.yml`;
  return {
    case: c,
    decision: {
      allowed: false,
      decidedBy: 'target-permissions',
      explicitDeny: false,
      reason: diagnosis,
    },
    ok: false,
    diagnosis,
  };
}

export async function runCheck(
  model: PolicyModel,
  cases?: CheckCase[],
  options: BuildCasesOptions = {},
): Promise<CheckReport> {
  const checked = cases ?? buildCases(model, options);
  const results: CaseResult[] = [];
  for (const c of checked) {
    let decision: Decision;
    try {
      decision = await decide(model, c);
    } catch (error) {
      if (!(error instanceof EvaluatorError)) throw error;
      results.push(undecidable(model, c, error));
      continue;
    }
    const ok =
      c.request.type !== 'unanswerable' && (decision.allowed ? 'allowed' : 'denied') === c.expected;
    results.push({
      case: c,
      decision,
      ok,
      ...(ok ? {} : { diagnosis: diagnose(model, c, decision) }),
    });
  }
  const diagnoses = [...new Set(results.flatMap((r) => (r.diagnosis ? [r.diagnosis] : [])))];
  const permissions = auditPermissions(model, options.resources);
  return {
    ok:
      results.every((r) => r.ok) &&
      permissions.excess.length === 0 &&
      permissions.neverMatching.length === 0,
    permissions,
    pinning: auditPinning(model),
    model: {
      homeAccountId: model.homeAccountId,
      region: model.region,
      executionRoleArn: model.executionRoleArn,
      configuredTargets: model.configuredTargets,
      targetRoleName: model.targetRoleName,
      organizationId: model.organizationId,
      targetRegion: model.targetRegion,
      targetBucket: model.targetBucket,
      jobModule: model.jobModule,
      externalIdSet: model.externalId !== '',
      organizations: model.organizations,
      ...(model.organizationsReader
        ? {
            organizationalUnits: model.environment.TARGET_ORGANIZATIONAL_UNITS ?? '',
            organizationsReaderArn: model.organizationsReader.roleArn,
          }
        : {}),
    },
    results,
    diagnoses,
  };
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function decidedBy(d: Decision): string {
  if (d.statement === NO_PERMISSION_NEEDED) return 'no policy (always allowed)';
  return `${SIDE_LABELS[d.decidedBy]}${d.allowed ? '' : d.explicitDeny ? ' (explicit deny)' : ' (no allow)'}`;
}

/** The human-readable report: a table per account, then one line per distinct mismatch cause. */
export function formatReport(report: CheckReport): string {
  const m = report.model;
  const lines = [
    `Home account ${m.homeAccountId} (${m.region}), function role ${m.executionRoleArn}`,
    `Targets ${m.configuredTargets.join(', ')} (${m.targetRegion}): role ${m.targetRoleName}; external id ${
      m.externalIdSet ? 'required' : 'not set'
    }; ${m.organizationId ? `organization mode (${m.organizationId})` : 'accounts listed by id'}`,
    '',
  ];
  const rows = report.results.map((r, i) => ({
    n: String(i + 1),
    account: r.case.account,
    title: r.case.title,
    expected: r.case.expected,
    got: r.decision.allowed ? 'allowed' : 'denied',
    by: decidedBy(r.decision),
    mark: r.ok ? 'ok' : 'MISMATCH',
  }));
  const header = {
    n: '#',
    account: 'account',
    title: 'case',
    expected: 'expected',
    got: 'got',
    by: 'decided by',
    mark: '',
  };
  const width = (key: keyof typeof header) =>
    Math.max(...[header, ...rows].map((row) => row[key].length));
  const keys: Array<keyof typeof header> = [
    'n',
    'account',
    'title',
    'expected',
    'got',
    'by',
    'mark',
  ];
  const widths = Object.fromEntries(keys.map((k) => [k, width(k)])) as Record<
    keyof typeof header,
    number
  >;
  const line = (row: typeof header) =>
    keys
      .map((k) => pad(row[k], widths[k]))
      .join('  ')
      .trimEnd();
  lines.push(
    line(header),
    keys
      .map((k) => '-'.repeat(widths[k]))
      .join('  ')
      .trimEnd(),
  );
  let previous = '';
  for (const row of rows) {
    lines.push(line({ ...row, account: row.account === previous ? '' : row.account }));
    previous = row.account;
  }
  lines.push('');
  const mismatches = report.results.filter((r) => !r.ok).length;
  if (mismatches === 0) {
    lines.push(
      report.permissions.excess.length === 0
        ? report.permissions.neverMatching.length === 0
          ? `All ${report.results.length} cases match. ${allowedSummary(report)}`
          : `All ${report.results.length} cases match, but the target stack has grants AWS never matches:`
        : `All ${report.results.length} cases match, but the target stack grants more than the job declares:`,
    );
  } else {
    lines.push(`${mismatches} of ${report.results.length} cases do not match. Fix:`);
    for (const diagnosis of report.diagnoses) {
      const cases = report.results.flatMap((r, i) => (r.diagnosis === diagnosis ? [i + 1] : []));
      lines.push(`  - ${diagnosis} (case${cases.length > 1 ? 's' : ''} ${cases.join(', ')})`);
    }
  }
  lines.push(...pinningLines(report));
  lines.push('', ...permissionLines(report.permissions, report.model.jobModule));
  if (report.deployers) lines.push(...deployerLines(report.deployers));
  if (report.deployerActions) lines.push(...deployerActionLines(report.deployerActions));
  if (report.boundaryGaps) lines.push(...boundaryLines(report.boundaryGaps));
  if (report.stateMachineRole?.length)
    lines.push(...stateMachineRoleLines(report.stateMachineRole));
  if (report.wildcards) {
    const bad = unjustified(report.wildcards);
    const justified = report.wildcards.length - bad.length;
    lines.push('');
    if (bad.length === 0) {
      lines.push(`Wildcards: none unjustified (${justified} justified).`);
    } else {
      lines.push(
        `Wildcards: ${bad.length} not justified (${justified} justified). Narrow each, or justify it in the template's Metadata.WildcardJustifications.<Sid> (not one in a trust policy):`,
      );
      for (const finding of bad) lines.push(`  - ${describeFinding(finding)}`);
    }
  }
  return lines.join('\n');
}

function pinningLines({ pinning, model }: CheckReport): string[] {
  if (pinning.unpinned.length === 0) return [];
  const role = model.executionRoleArn.split('/').pop();
  const params = pinning.unpinned
    .map((account) => `--target-param ${account}:ExecutionRoleId=${pinning.executionRoleId}`)
    .join(' ');
  return [
    '',
    `WARNING: the trust is not pinned in ${pinning.unpinned.join(', ')}: a role re-created as ${role} would be trusted too. Pin it with the target stack parameter ExecutionRoleId (offline: ${params}; deployed: the README's "Pin the trust" command).`,
  ];
}

/** Exactly what the cases allow: who may assume the role, in which accounts, to do what. */
function allowedSummary(report: CheckReport): string {
  const m = report.model;
  const reached = report.results
    .filter((r) => r.decision.allowed && r.case.request.type === 'assume')
    .filter(
      (r) => r.case.concern === 'function-assume' || r.case.concern === 'unconfigured-account',
    )
    .filter(
      (r) =>
        r.case.request.type !== 'assume' || r.case.request.roleArn !== m.organizationsReaderArn,
    )
    .map((r) => r.case.account);
  const configured = reached.filter((account) => m.configuredTargets.includes(account));
  const members = reached.filter((account) => !m.configuredTargets.includes(account));
  const outside = report.results
    .filter((r) => r.case.concern === 'unconfigured-account' && !r.decision.allowed)
    .map((r) => r.case.account);
  const discovered = `in the accounts under ${m.organizationalUnits} of organization ${m.organizationId} that have the target stack (modelled: ${[
    `${configured.join(', ')} under them, allowed`,
    ...outside.map(
      (a) =>
        `${a}, ${m.organizations[a] === m.organizationId ? 'not under them' : 'outside the organization'}, denied`,
    ),
  ].join('; ')})`;
  const where = m.organizationalUnits
    ? discovered
    : m.organizationId
      ? `in ${configured.join(', ')} and in any other account of organization ${m.organizationId} that has the target stack (modelled: ${[
          ...members.map((a) => `${a} allowed`),
          ...outside.map((a) => `${a}, outside it, denied`),
        ].join('; ')})`
      : `in ${configured.join(', ')} only`;
  const declared = Object.values(report.permissions.declared);
  const actions = [...new Set(declared.flat().map((p) => p.action))];
  const what =
    declared.length === 1
      ? (declared[0] ?? []).map((p) => `${p.action} on ${p.resource}`).join(', ')
      : `${actions.join(', ')} on the resources the job declares in each`;
  const recreated =
    report.pinning.unpinned.length > 0
      ? ' (as would a role re-created under its name: see WARNING)'
      : '';
  const reader = m.organizationsReaderArn
    ? `; and it assumes ${m.organizationsReaderArn} to call only organizations:ListAccountsForParent and organizations:ListOrganizationalUnitsForParent, on the roots and OUs of ${m.organizationId}`
    : '';
  return `Allowed, and nothing else: ${m.executionRoleArn}${recreated} assumes ${m.targetRoleName} ${where}, and there does only ${what || 'nothing'}${reader}.`;
}

function permissionLines(
  { declared, excess, deliberate, neverMatching }: PermissionAudit,
  jobModule: string,
): string[] {
  const first = Object.values(declared)[0] ?? [];
  const lines = [
    `Permissions: the job (${jobModule}) declares ${[...new Set(first.map((p) => p.action))].join(', ') || 'none'}; the target stack grants ${
      excess.length === 0 ? 'nothing else' : `${excess.length} more`
    }${deliberate.length ? ` (${deliberate.length} deliberately)` : ''}.`,
  ];
  for (const grant of deliberate) {
    lines.push(
      `  granted on purpose: ${grant.action} on ${grant.resource} in ${grant.account}: ${grant.reason}`,
    );
  }
  for (const grant of neverMatching) {
    lines.push(
      `  NEVER MATCHES: ${grant.action} on ${grant.resource} in ${grant.account} (policy ${grant.policy}, statement ${grant.statement}): ${grant.why}; fix it in resources/cross-account-role.yml and the job's permissions`,
    );
  }
  for (const grant of excess) {
    lines.push(
      `  EXCESS: ${grant.action} on ${grant.resource} in ${grant.account} (policy ${grant.policy}, statement ${grant.statement}) is granted but the job does not declare it: remove it from the target template, or declare it in the permissions of ${jobModule} (its code uses it) or its deliberateGrants (with the reason)`,
    );
  }
  return lines;
}

/** The report for machines: every case with its request, expectation and decision. */
export function reportJson(report: CheckReport): unknown {
  return {
    ok: report.ok,
    model: report.model,
    cases: report.results.map((r) => ({
      id: r.case.id,
      account: r.case.account,
      title: r.case.title,
      concern: r.case.concern,
      expected: r.case.expected,
      got: r.decision.allowed ? 'allowed' : 'denied',
      ok: r.ok,
      decidedBy: r.decision.decidedBy,
      explicitDeny: r.decision.explicitDeny,
      statement: r.decision.statement ?? null,
      reason: r.decision.reason,
      request: {
        ...r.case.request,
        // Identity policies of made-up principals are part of the case, not of the answer.
        caller: { arn: r.case.request.caller.arn, principalArn: r.case.request.caller.roleArn },
      },
      diagnosis: r.diagnosis ?? null,
    })),
    diagnoses: report.diagnoses,
    permissions: report.permissions,
    pinning: report.pinning,
    ...(report.wildcards ? { wildcards: report.wildcards } : {}),
    ...(report.deployerActions ? { deployerActions: report.deployerActions } : {}),
    ...(report.boundaryGaps ? { boundaryGaps: report.boundaryGaps } : {}),
    ...(report.deployers
      ? {
          deployers: report.deployers.map((d) => ({
            id: d.case.id,
            role: d.case.role,
            title: d.case.title,
            attack: d.case.attack ?? null,
            expected: d.case.expected,
            got: d.allowed ? 'allowed' : 'denied',
            ok: d.ok,
            decidedBy: d.decidedBy,
            request: d.case.simulation.request,
          })),
        }
      : {}),
  };
}
