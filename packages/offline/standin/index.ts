// The offline AWS stand-in on 127.0.0.1: every request's SigV4 checked and every call, to any
// service, decided by the shared IAM evaluator (offline/iam); STS, S3 and the Organizations
// listings of account discovery emulated, any other service answered from the job's fixtures or
// forwarded to an upstream emulator; fault switches and counters.
//
//   const standIn = await startStandIn({ model, fixtures });  // loadPolicyModel, loadFixtureFiles
//   process.env.AWS_ENDPOINT_URL = standIn.url;           // every service
//   // sign with HOME_CREDENTIALS: they stand for the function's execution-role session
//   standIn.faults.add({ kind: 'throttle', service: 'sts', count: 2 });
//   standIn.stats;                                        // counters, see StandInStats
//   await standIn.close();
//
// Control endpoint on the same port (header x-standin-token: standIn.controlToken):
//   GET /__standin/stats, POST /__standin/stats/reset,
//   GET /__standin/faults, POST /__standin/faults {faults?, clockSkew?, revokeSessions?},
//   DELETE /__standin/faults (clears rules and clock skew).
export { AwsServiceError } from './awsErrors';
export type { ClockSkew } from './clock';
export { CONTROL_TOKEN_HEADER, type FaultState, type FaultUpdate } from './control';
export { FaultSpecError, StandInError } from './errors';
export {
  FAULT_KINDS,
  type FaultKind,
  type FaultRule,
  type PendingFault,
  parseFaultRule,
} from './faults';
export {
  type Fixture,
  type FixtureSet,
  jobFixtureFiles,
  loadFixtureFiles,
  NO_FIXTURES,
  type OperationRule,
  parseFixtureDocument,
} from './fixtures';
export { accountKeyCredentials, type Upstream, upstreamAt } from './forward';
export {
  HOME_ACCESS_KEY_ID,
  HOME_CREDENTIALS,
  HOME_SECRET_ACCESS_KEY,
  type HomeCredentials,
} from './homeCredentials';
export {
  type InvokeLocalOptions,
  type InvokeLocalResult,
  invokeLocalEnv,
  parseInvokeOutput,
  runInvokeLocal,
} from './invokeLocal';
export type { ExtraBucket, StandInOptions } from './options';
export {
  type AccountState,
  type ModelledAccount,
  type ModelledOrganization,
  type ModelledUnit,
  organizationPaths,
} from './organizations';
export { type StandIn, startStandIn } from './server';
export type { StandInStats } from './stats';
