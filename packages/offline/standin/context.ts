import type { PolicyModel } from '../iam';
import type { BucketStore } from './buckets';
import type { StandInClock } from './clock';
import type { CredentialStore } from './credentialStore';
import type { Decisions } from './decisions';
import type { FixtureSet } from './fixtures';
import type { Upstream } from './forward';
import type { ModelledOrganization } from './organizations';
import type { StatsRecorder } from './stats';

/** The stand-in's state, shared by the STS and S3 operations and the other services' calls. */
export interface StandInContext {
  readonly model: PolicyModel;
  readonly credentials: CredentialStore;
  readonly decisions: Decisions;
  readonly stats: StatsRecorder;
  readonly clock: StandInClock;
  readonly buckets: BucketStore;
  /** Overrides the lifetime of issued credentials (tests of expiry); else DurationSeconds. */
  readonly credentialLifetimeSeconds: number | undefined;
  /** The job's answers for services the stand-in does not emulate. */
  readonly fixtures: FixtureSet;
  /** Where authorised calls without a fixture go (forward mode); undefined: nowhere. */
  readonly upstream: Upstream | undefined;
  /** The organization the Organizations listings read; undefined: none modelled. */
  readonly organization: ModelledOrganization | undefined;
}
