// The offline IAM proof: policy model, decisions, and the `npm run check` cases.
// Dev-only: it uses @cloud-copilot/iam-simulate (AGPL), so nothing under handlers/ or src/ may
// import it.

export {
  ASSUME_ANY_ROLE,
  buildCases,
  type CaseRequest,
  type CheckCase,
  type Concern,
  isPinned,
  nearMissRoles,
  spareAccounts,
} from './cases';
export { ResolvedTemplate, type StackInputs, type TemplateDocument } from './cfn';
export {
  auditBoundaries,
  auditPinning,
  auditWildcards,
  type BoundaryGap,
  type CaseResult,
  type CheckModelOptions,
  type CheckReport,
  decide,
  formatReport,
  loadCheckModel,
  type PinningAudit,
  reportJson,
  runCheck,
  type WildcardAuditOptions,
  withBoundaries,
  withDeployerActions,
  withDeployers,
  withStateMachineRole,
  withWildcards,
} from './check';
export {
  type ActionAudit,
  type ActionFinding,
  auditDeployerActions,
  describeActionFinding,
  handlerActions,
  resourceTypesOf,
} from './deployerActions';
export {
  buildDeployerCases,
  type DeployerCase,
  type DeployerCheckOptions,
  type DeployerResult,
  MODELLED_REPOSITORY,
  runDeployerCheck,
  targetRoleBoundaries,
} from './deployers';
export { accessProblems, assumeProblems, diagnose, SIDE_LABELS } from './diagnose';
export { EvaluatorError } from './errors';
export {
  type Caller,
  type Decision,
  decideAssumeRole,
  decideTargetCall,
  functionArnOf,
  functionSession,
  iamUser,
  NO_PERMISSION_NEEDED,
  recreatedFunctionSession,
  requestContext,
  roleSession,
  type Side,
  uniqueIdOf,
} from './evaluate';
export {
  type AccountPermissions,
  coversRequest,
  type Grant,
  grantsOf,
  isDeclaredGrant,
  jobPermissions,
} from './jobPermissions';
export {
  DEFAULT_FUNCTION,
  defaultTargetParameters,
  functionTargetRoleArn,
  type LoadPolicyModelOptions,
  loadPolicyModel,
  OFFLINE_HOME_ACCOUNT,
  organizationOf,
  type PolicyModel,
  type TargetSetup,
  targetFor,
} from './model';
export type { NamedPolicy, PolicyDocument, PolicyStatement } from './policy';
export {
  checkStateMachineRole,
  type StateMachineCaseResult,
  withBucketNames,
} from './stateMachineRole';
export {
  asTemplate,
  DEPLOYER_TEMPLATE_PATH,
  readTemplate,
  STACKSET_ADMINISTRATION_TEMPLATE_PATH,
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
  TARGET_TEMPLATE_PATH,
} from './templates';
export {
  describeFinding,
  findTrustWildcards,
  findWildcards,
  justificationsOf,
  type PolicySource,
  rolePolicies,
  unjustified,
  type WildcardFinding,
} from './wildcards';
