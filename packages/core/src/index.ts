// The cross-account core's public API: what a service's handler and job import. Everything else
// under src/ is the core's own and may change in any release.

export { CORE_PARAMETERS, ROOT_ID } from './config';
export {
  type CrossAccountHandler,
  type CrossAccountResponse,
  createHandler,
  loadAllConfig,
  type TargetFailure,
  type TargetListing,
  type TargetResult,
} from './crossAccount';
export {
  ConfigError,
  CrossAccountError,
  EventValidationError,
  TargetError,
} from './errors';
export {
  type AnyJob,
  type ClientFactory,
  type DeliberateGrant,
  defineJob,
  type Job,
  type JobContext,
  type JobDefinition,
  type JobTarget,
  type Permission,
} from './job';
export { METRIC_NAMESPACE } from './metrics';
export { describeType, quote } from './redact';
export {
  integer,
  integerText,
  isWellFormedText,
  type KitSchema,
  matching,
  optional,
  text,
  textSchema,
} from './schemas';
