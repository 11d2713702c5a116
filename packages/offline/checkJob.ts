// What `npm run check` proves once the home stack is synthesised: the model of both stacks for
// the job, every case decided, the job's permissions audited against the target role's grants
// (deciding on the resources its fixture files name in full, as `npm start` does), every wildcard
// audited, and the deploy roles attacked and audited against the stacks they deploy.
// packages/offline/check.ts runs it on the stack `sls package` wrote; tests run it on a job of their own
// without a process per template.

import { METRIC_NAMESPACE } from '@cross-account-lambda/core';
import {
  auditBoundaries,
  auditDeployerActions,
  auditWildcards,
  buildDeployerCases,
  type CheckModelOptions,
  type CheckReport,
  checkStateMachineRole,
  DEPLOYER_TEMPLATE_PATH,
  findWildcards,
  loadCheckModel,
  readTemplate,
  rolePolicies,
  runCheck,
  runDeployerCheck,
  STACKSET_ADMINISTRATION_TEMPLATE_PATH,
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
  TARGET_TEMPLATE_PATH,
  targetRoleBoundaries,
  withBoundaries,
  withDeployerActions,
  withDeployers,
  withStateMachineRole,
  withWildcards,
} from './iam';
import { asTemplate } from './iam/templates';
import { PROJECT_ROOT } from './projectCopy';
import { jobFixtureFiles, loadFixtureFiles } from './standin';
import { type CfnTemplate, hasStateMachine, pinsRuntime } from './synth';

export interface CheckJobOptions extends CheckModelOptions {
  /** The job's own fixture files, relative to the project; default job/*.fixtures.json. */
  fixtureFiles?: readonly string[];
  targetTemplate?: string;
  deployerTemplate?: string;
  targetDeployerTemplate?: string;
  /** The StackSet's execution role (its boundary is the target role's, rolled out by StackSet). */
  stackSetExecutionTemplate?: string;
  stage?: string;
}

export async function checkJob(options: CheckJobOptions): Promise<CheckReport> {
  const {
    fixtureFiles,
    targetTemplate = TARGET_TEMPLATE_PATH,
    deployerTemplate = DEPLOYER_TEMPLATE_PATH,
    targetDeployerTemplate = TARGET_DEPLOYER_TEMPLATE_PATH,
    stackSetExecutionTemplate = STACKSET_EXECUTION_TEMPLATE_PATH,
    stage = 'local',
    ...modelOptions
  } = options;
  const model = await loadCheckModel({ ...modelOptions, targetTemplate });
  // Distributed mode in the home stack: the deploy role as deployed for it (DistributedMode=true).
  const distributed = hasStateMachine(options.template as CfnTemplate);
  // A pinned runtime version: the deploy role as deployed for it (PinnedRuntime=true).
  const pinnedRuntime = pinsRuntime(options.template as CfnTemplate);
  const stackSetTemplates = {
    administration: STACKSET_ADMINISTRATION_TEMPLATE_PATH,
    execution: stackSetExecutionTemplate,
  };
  const fixtures = loadFixtureFiles(jobFixtureFiles(PROJECT_ROOT, [], fixtureFiles));
  const deployers = await runDeployerCheck(
    buildDeployerCases(model, {
      deployerTemplate,
      targetDeployerTemplate,
      stackSetTemplates,
      stage,
      distributed,
      pinnedRuntime,
    }),
  );
  // Each deploy role against the stack it deploys, resolved for the home and first target account.
  const homeInputs = {
    partition: model.partition,
    accountId: model.homeAccountId,
    region: model.region,
    parameters: {
      Stage: stage,
      GitHubOwner: 'owner',
      GitHubRepo: 'repo',
      DistributedMode: String(distributed),
      PinnedRuntime: String(pinnedRuntime),
    },
  };
  const targetInputs = {
    partition: model.partition,
    accountId: model.configuredTargets[0] ?? model.homeAccountId,
    region: model.targetRegion,
    parameters: { GitHubOwner: 'owner', GitHubRepo: 'repo', TargetRoleName: model.targetRoleName },
  };
  const targetStack = readTemplate(targetTemplate);
  const actions = [
    auditDeployerActions(
      deployerTemplate,
      'DeployerRole',
      asTemplate(options.template, 'synthesised home stack'),
      homeInputs,
    ),
    auditDeployerActions(targetDeployerTemplate, 'TargetDeployerRole', targetStack, targetInputs),
    auditDeployerActions(stackSetExecutionTemplate, 'StackSetExecutionRole', targetStack, {
      ...targetInputs,
      parameters: {
        Stage: stage,
        AdministratorAccountId: model.homeAccountId,
        TargetRoleName: model.targetRoleName,
      },
    }),
  ];
  const checked = await runCheck(model, undefined, {
    resources: fixtures.resources,
    resourcesFile: fixtures.addTo,
  });
  const wildcards = [
    ...auditWildcards(model, { targetTemplate, deployerTemplate, targetDeployerTemplate, stage }),
    // The StackSet's roles, as the README deploys them.
    ...findWildcards([
      rolePolicies(STACKSET_ADMINISTRATION_TEMPLATE_PATH, {
        ...homeInputs,
        parameters: {
          Stage: stage,
          GitHubOwner: 'owner',
          GitHubRepo: 'repo',
          GitHubEnvironment: stage,
          OidcProviderArn: `arn:aws:iam::${model.homeAccountId}:oidc-provider/token.actions.githubusercontent.com`,
        },
      }),
      rolePolicies(stackSetExecutionTemplate, {
        ...targetInputs,
        parameters: { Stage: stage, AdministratorAccountId: model.homeAccountId },
      }),
    ]),
  ];
  // The job's permissions against the boundary the deploy roles put on the target role.
  const gaps = await auditBoundaries(
    model,
    checked,
    targetRoleBoundaries(model, { targetDeployerTemplate, stackSetTemplates, stage }),
  );
  const stateMachineRole = await checkStateMachineRole(
    model,
    options.template as Parameters<typeof checkStateMachineRole>[1],
    METRIC_NAMESPACE,
  );
  return withStateMachineRole(
    withBoundaries(
      withDeployerActions(withDeployers(withWildcards(checked, wildcards), deployers), actions),
      gaps,
    ),
    stateMachineRole,
  );
}
