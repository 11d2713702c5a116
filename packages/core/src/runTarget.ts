// The work in one target account: assume the role (or reuse the cached session), check that
// AssumeRole answered for that account, then run the job's work with clients signing as that account. Failures come out as
// TargetErrors naming the step and what to change.
import type { TargetSession } from './credentials';
import { type Deadline, withinDeadline } from './deadline';
import { type CoreStep, type FailureConfig, isExpiredSession, toTargetError } from './diagnose';
import { AccountMismatchError } from './errors';
import { type AnyJob, type JobStep, type JobTarget, type Names, resolvePermission } from './job';
import type { Logger } from './logger';

/** One account's answer when it worked: who did it, and the job's result. */
export type TargetSuccess<Result extends object = object> = {
  readonly account: string;
  readonly region: string;
  readonly ok: true;
  readonly assumedRoleArn: string;
} & Result;

export interface RunTargetOptions {
  readonly job: AnyJob;
  readonly jobConfig: unknown;
  readonly request: unknown;
  /** The job's placeholder values for this target. */
  readonly names: Names;
  readonly session: TargetSession;
  readonly deadline: Deadline;
  readonly logger: Logger;
  readonly config: FailureConfig;
}

/** `target` is the account as the job sees it (JobTarget), built once at cold start. */
export async function runTarget(
  target: JobTarget,
  options: RunTargetOptions,
): Promise<TargetSuccess> {
  const { session, deadline, logger, job, jobConfig } = options;
  let step = 'assume-role' as CoreStep | JobStep;
  const run = <T>(next: CoreStep | JobStep, work: () => Promise<T>): Promise<T> => {
    step = next;
    return withinDeadline(deadline, work);
  };
  const explain = job.explain
    ? (error: Parameters<NonNullable<AnyJob['explain']>>[0], failed: JobStep) =>
        job.explain?.(error, failed, { target, config: jobConfig, names: options.names })
    : undefined;
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
        step: typeof step === 'string' ? step : step.name,
      });
      await run('assume-role', () => session.reassume());
      return await callTarget(target, options, run);
    }
  } catch (error) {
    throw toTargetError(error, {
      step,
      target,
      config: options.config,
      stackParameters: job.targetStack(jobConfig, target, options.names),
      ...(explain ? { explain } : {}),
    });
  }
}

type Runner = <T>(step: CoreStep | JobStep, work: () => Promise<T>) => Promise<T>;

async function callTarget(
  target: JobTarget,
  options: RunTargetOptions,
  run: Runner,
): Promise<TargetSuccess> {
  const { session, deadline, job, jobConfig, request, logger, names } = options;
  const abortSignal = deadline.signal;
  // AssumeRole's own answer names the assumed role: the proof of the switch costs no call.
  const identity = await session.assumedRole();
  if (identity.account !== target.account || !identity.arn) {
    throw new AccountMismatchError(
      target.account,
      'assume-role',
      `AssumeRole answered for account ${identity.account ?? 'none'} (${identity.arn || 'no assumed-role ARN'}) ` +
        `but ${target.account} was expected: these are not the credentials of ${target.roleArn}. ` +
        'Check that AWS_ENDPOINT_URL_STS, if set, points at the right endpoint.',
    );
  }
  const clients = session.clientsIn(target.region);
  // The step names a permission; its action and resource come from the declaration.
  const step = <T>(
    permission: string,
    valuesOrCall: Names | (() => Promise<T>),
    maybeCall?: () => Promise<T>,
  ): Promise<T> => {
    const [values, call] =
      typeof valuesOrCall === 'function' ? [{}, valuesOrCall] : [valuesOrCall, maybeCall];
    const declared = job.permissions[permission];
    if (!declared || !call) {
      throw new Error(
        `step ${JSON.stringify(permission)} names no permission of the job; it declares ${Object.keys(job.permissions).join(', ')}`,
      );
    }
    const filled = resolvePermission(declared, target, { ...names, ...values });
    return run({ name: permission, action: filled.action, resource: filled.resource }, call);
  };
  const result = await job.run({
    target,
    config: jobConfig,
    event: request,
    names,
    client: (Client, extra) => clients.client(Client, extra),
    abortSignal,
    logger,
    step,
  });
  return {
    account: target.account,
    region: target.region,
    ok: true,
    assumedRoleArn: identity.arn,
    ...result,
  };
}
