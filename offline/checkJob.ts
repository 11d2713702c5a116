// What `npm run check` proves once the home stack is synthesised: the model of both stacks for
// the job, every case decided, the job's permissions audited against the target role's grants
// (deciding on the resources its fixture files name in full, as `npm start` does) and every
// wildcard audited. scripts/check.ts runs it on the stack `sls package` wrote; tests run it on
// a job of their own without a process per template.
import {
  auditWildcards,
  type CheckModelOptions,
  type CheckReport,
  DEPLOYER_TEMPLATE_PATH,
  loadCheckModel,
  runCheck,
  TARGET_DEPLOYER_TEMPLATE_PATH,
  TARGET_TEMPLATE_PATH,
  withWildcards,
} from './iam';
import { PROJECT_ROOT } from './projectCopy';
import { jobFixtureFiles, loadFixtureFiles } from './standin';

export interface CheckJobOptions extends CheckModelOptions {
  /** The job's own fixture files, relative to the project; default job/*.fixtures.json. */
  fixtureFiles?: readonly string[];
  targetTemplate?: string;
  deployerTemplate?: string;
  targetDeployerTemplate?: string;
  stage?: string;
}

export async function checkJob(options: CheckJobOptions): Promise<CheckReport> {
  const {
    fixtureFiles,
    targetTemplate = TARGET_TEMPLATE_PATH,
    deployerTemplate = DEPLOYER_TEMPLATE_PATH,
    targetDeployerTemplate = TARGET_DEPLOYER_TEMPLATE_PATH,
    stage = 'local',
    ...modelOptions
  } = options;
  const model = await loadCheckModel({ ...modelOptions, targetTemplate });
  const fixtures = loadFixtureFiles(jobFixtureFiles(PROJECT_ROOT, [], fixtureFiles));
  return withWildcards(
    await runCheck(model, undefined, {
      resources: fixtures.resources,
      resourcesFile: fixtures.addTo,
    }),
    auditWildcards(model, { targetTemplate, deployerTemplate, targetDeployerTemplate, stage }),
  );
}
