// What startStandIn accepts, and the checks it makes before listening.
import type { PolicyModel } from '../iam';
import { StandInError } from './errors';
import type { FaultRule } from './faults';
import type { FixtureSet } from './fixtures';
import type { Upstream } from './forward';
import type { HomeCredentials } from './homeCredentials';
import { checkOrganization, type ModelledOrganization } from './organizations';

export interface ExtraBucket {
  readonly name: string;
  /** The account that owns it (one of the model's accounts, or any other). */
  readonly accountId: string;
  readonly objects?: Record<string, string>;
  /** Where it lives; default the target stacks' region. A request signed for another is refused. */
  readonly region?: string;
}

export interface StandInOptions {
  readonly model: PolicyModel;
  /** Objects per bucket name, replacing the default demo objects of that bucket. */
  readonly seed?: Record<string, Record<string, string>>;
  /** Buckets besides the ones the target stacks grant, e.g. one a target role may not read. */
  readonly extraBuckets?: readonly ExtraBucket[];
  /** Lifetime of issued credentials (default: the requested DurationSeconds). */
  readonly credentialLifetimeSeconds?: number;
  /**
   * Treat issued credentials as expired this many seconds before their stated Expiration.
   * With a lifetime just above the SDK's 5-minute refresh window, a test can show that the client
   * refreshes in time: any request signed inside the window is counted and rejected.
   */
  readonly rejectWithinSecondsOfExpiry?: number;
  /** Default: HOME_CREDENTIALS (documented fake). */
  readonly homeCredentials?: HomeCredentials;
  /** Session name of the home credentials' execution-role session; default the model's function name. */
  readonly homeSessionName?: string;
  /** Faults pending from the start. */
  readonly faults?: readonly FaultRule[];
  /** The stand-in's clock runs this far off; see ClockSkew. */
  readonly clockSkew?: { seconds: number; revealServerTime?: boolean };
  /** Token for the control endpoint; default random. */
  readonly controlToken?: string;
  /** One line per request; never contains secrets, tokens or whole access key ids. */
  readonly log?: (line: string) => void;
  /** Answers for services other than STS and S3 (loadFixtureFiles); default none. */
  readonly fixtures?: FixtureSet;
  /** Forward mode: authorised calls without a fixture go there (upstreamAt). */
  readonly upstream?: Upstream;
  /**
   * The organization Organizations' ListAccountsForParent / ListOrganizationalUnitsForParent list
   * (account discovery); its account paths belong in the policy model too (organizationPaths).
   */
  readonly organization?: ModelledOrganization;
  /** Default 0: a free port. */
  readonly port?: number;
}

export function validateOptions(options: StandInOptions): void {
  const positive = (name: string, value: number | undefined, allowZero: boolean) => {
    if (value === undefined) return;
    if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
      throw new StandInError(
        `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds, got ${value}`,
      );
    }
  };
  positive('credentialLifetimeSeconds', options.credentialLifetimeSeconds, false);
  positive('rejectWithinSecondsOfExpiry', options.rejectWithinSecondsOfExpiry, true);
  if (options.model.targets.length === 0) {
    throw new StandInError('the policy model has no target account: nothing to serve');
  }
  if (options.organization) checkOrganization(options.organization);
}
