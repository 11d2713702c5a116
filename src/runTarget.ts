// The work in one target account: assume the role (or reuse the cached session), check that
// AssumeRole answered for that account, then run the job's work with clients signing as that account. Failures come out as
// TargetErrors naming the step and what to change.
import type { TargetSession } from './credentials';
import { type Deadline, withinDeadline } from './deadline';
import { type CoreStep, type FailureConfig, isExpiredSession, toTargetError } from './diagnose';
import type { AnyJob, JobStep, JobTarget } from './job';
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
        job.explain?.(error, failed, { target, config: jobConfig })
    : undefined;
  try {
    const assumed = run('assume-role', () => session.ensureCredentials());
    let assumeFailed = false;
    assumed.catch(() => {
      assumeFailed = true;
    });
    // AssumeRole's round trip leaves the CPU idle, and a cold job's first call has milliseconds of
    // work to do before it needs the credential (building the client, serialising, resolving the
    // endpoint): the job starts once the AssumeRole request is out, and its call waits in the
    // SDK's signing step for the credential, which the session hands out only if it is of the
    // target account. A call is never sent unsigned or signed by another account.
    await session.requestSent();
    if (assumeFailed) await assumed;
    const working = callTarget(target, options, run);
    // Handled here so that a job failing before AssumeRole answers is no unhandled rejection;
    // the failure itself is read below.
    working.catch(() => {});
    try {
      // Awaited first so that a denial is attributed to AssumeRole, not to the job's call that
      // was waiting for the credential.
      await assumed;
    } catch (error) {
      step = 'assume-role';
      throw error;
    }
    try {
      return await working;
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
  const { session, deadline, job, jobConfig, request, logger } = options;
  const abortSignal = deadline.signal;
  const result = await job.run({
    target,
    config: jobConfig,
    request,
    clients: job.clients(session.clientsIn(target.region), jobConfig),
    abortSignal,
    logger,
    step: run,
  });
  // AssumeRole's own answer names the assumed role (the session checked its account).
  const identity = await session.assumedRole();
  return {
    account: target.account,
    region: target.region,
    ok: true,
    assumedRoleArn: identity.arn,
    ...result,
  };
}
