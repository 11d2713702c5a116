// The core's tests build and model the function with the core's own job (coreJob.ts) and the
// target template with its grant (coreTarget.ts), whatever job job/index.ts selects: these are
// the offline tools' entry points with those two filled in.
import {
  type CheckModelOptions,
  type LoadPolicyModelOptions,
  loadCheckModel,
  loadPolicyModel,
} from '@cross-account-lambda/offline/iam';
import { type SlsOptions, synthesize } from '@cross-account-lambda/offline/synth';
import { CORE_JOB, coreJob } from './coreJob';
import { coreTargetTemplate } from './coreTarget';

export { CORE_JOB, coreJob };

/** The real `sls package`, building the core's job. */
export function synthesizeCore(options: SlsOptions = {}) {
  return synthesize({ ...options, job: CORE_JOB });
}

const coreDefaults = () => ({
  job: coreJob,
  jobModule: CORE_JOB.path,
  targetTemplate: coreTargetTemplate(),
});

export function loadCoreModel(options: LoadPolicyModelOptions) {
  return loadPolicyModel({ ...coreDefaults(), ...options });
}

export function loadCoreCheckModel(options: CheckModelOptions) {
  return loadCheckModel({ ...coreDefaults(), ...options });
}

/** What `npm start` and `npm run check` take to run the core's job against its template. */
export function coreArgs(): string[] {
  return ['--job', CORE_JOB.path, '--target-template', coreTargetTemplate()];
}
