import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { TargetSpec } from './config';
import type { TargetSession } from './credentials';
import { type Deadline, withinDeadline } from './deadline';
import { type FailureConfig, isExpiredSession, toTargetError } from './diagnose';
import { AccountMismatchError, type Step } from './errors';
import type { Logger } from './logger';

export interface ListRequest {
  readonly prefix: string | undefined;
  readonly maxKeys: number;
}

export interface TargetSuccess {
  readonly account: string;
  readonly ok: true;
  readonly assumedRoleArn: string;
  readonly bucket: string;
  readonly keys: string[];
  readonly truncated: boolean;
}

export interface InspectOptions {
  readonly session: TargetSession;
  readonly request: ListRequest;
  readonly deadline: Deadline;
  readonly logger: Logger;
  readonly config: FailureConfig;
}

/**
 * Assumes the target role (or reuses the cached session), proves the switch of account with
 * GetCallerIdentity, then lists the bucket. Failures come out as TargetErrors naming the step.
 */
export async function inspectTarget(
  target: TargetSpec,
  options: InspectOptions,
): Promise<TargetSuccess> {
  const { session, deadline, logger } = options;
  let step: Step = 'assume-role';
  const run = <T>(next: Step, work: () => Promise<T>): Promise<T> => {
    step = next;
    return withinDeadline(deadline, work);
  };
  try {
    // Resolved on its own so that a denial is attributed to AssumeRole, not to the first call
    // that happens to need the credential.
    await run('assume-role', () => session.ensureCredentials());
    try {
      return await callTarget(target, options, run);
    } catch (error) {
      // A session revoked or expired before its stated expiry: assume once more, then give up.
      if (!isExpiredSession(error)) throw error;
      logger.warn('the target rejected the cached session as expired; assuming the role again', {
        account: target.account,
        step,
      });
      await run('assume-role', () => session.reassume());
      return await callTarget(target, options, run);
    }
  } catch (error) {
    throw toTargetError(error, { step, target, config: options.config });
  }
}

type Runner = <T>(step: Step, work: () => Promise<T>) => Promise<T>;

async function callTarget(
  target: TargetSpec,
  { session, request, deadline }: InspectOptions,
  run: Runner,
): Promise<TargetSuccess> {
  const abortSignal = deadline.signal;
  // Once per credential (the session caches it), so a warm invocation makes no STS call at all.
  const identity = await run('caller-identity', () => session.callerIdentity(abortSignal));
  if (identity.Account !== target.account || !identity.Arn) {
    throw new AccountMismatchError(
      target.account,
      'caller-identity',
      `GetCallerIdentity answered account ${identity.Account ?? 'none'} (${identity.Arn ?? 'no ARN'}) ` +
        `but ${target.account} was expected: these are not the credentials of ${target.roleArn}. ` +
        'Check that AWS_ENDPOINT_URL_STS, if set, points at the right endpoint.',
    );
  }
  const listing = await run('list-objects', () =>
    session.s3.send(
      new ListObjectsV2Command({
        Bucket: target.bucket,
        MaxKeys: request.maxKeys,
        Prefix: request.prefix,
        // A bucket name is global: refuse to list a same-named bucket owned by someone else.
        ExpectedBucketOwner: target.account,
      }),
      { abortSignal },
    ),
  );
  return {
    account: target.account,
    ok: true,
    assumedRoleArn: identity.Arn,
    bucket: target.bucket,
    keys: (listing.Contents ?? []).flatMap((object) =>
      object.Key === undefined ? [] : [object.Key],
    ),
    truncated: listing.IsTruncated === true,
  };
}
