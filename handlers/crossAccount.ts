import type { Context } from 'aws-lambda';
import { SAFETY_MARGIN_MS } from '../src/clientSettings';
import { loadConfig } from '../src/config';
import { createTargetSessions } from '../src/credentials';
import { startDeadline } from '../src/deadline';
import { toTargetError } from '../src/diagnose';
import { AllTargetsFailedError, type TargetError } from '../src/errors';
import { type InvocationRequest, parseEvent } from '../src/event';
import { fanOut } from '../src/fanout';
import { createLogger } from '../src/logger';
import { inspectTarget, type TargetSuccess } from '../src/target';

export interface TargetFailure {
  readonly account: string;
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string };
}

export type TargetResult = TargetSuccess | TargetFailure;

export interface CrossAccountResponse {
  readonly results: TargetResult[];
  readonly summary: { readonly succeeded: number; readonly failed: number };
}

// Cold start: a bad configuration fails here, once, naming the variable to fix.
export const config = loadConfig(process.env);

const logger = createLogger({
  level: config.logLevel,
  base: { service: 'cross-account-lambda', function: config.functionName },
});

// Lives as long as the container, so warm invocations reuse each role's cached credential.
const sessions = createTargetSessions({
  homeRegion: config.homeRegion,
  targetRegion: config.targetRegion,
  externalId: config.externalId,
  sessionDurationSeconds: config.sessionDurationSeconds,
  functionName: config.functionName,
  logger,
});

export async function handler(event: unknown, context: Context): Promise<CrossAccountResponse> {
  const log = logger.child({ requestId: context.awsRequestId });
  let request: InvocationRequest;
  try {
    request = parseEvent(event, config.accountIds);
  } catch (error) {
    log.warn('rejected the event', { error });
    throw error;
  }

  const targets = request.accounts.map((account) => {
    const target = config.targets.get(account);
    if (!target) throw new Error(`account ${account} passed validation but has no target`);
    return target;
  });
  const deadline = startDeadline(context.getRemainingTimeInMillis(), SAFETY_MARGIN_MS);
  // Indexed like `targets`, so the thrown message lists accounts in the order they were asked for.
  const failures: (TargetError | undefined)[] = [];
  const outcomes = await fanOut(targets, config.fanoutConcurrency, async (target, index) => {
    try {
      const success = await inspectTarget(target, {
        session: sessions.get(target.roleArn, context.awsRequestId),
        request,
        deadline,
        logger: log,
        config,
      });
      log.info('listed target bucket', {
        account: target.account,
        keys: success.keys.length,
        truncated: success.truncated,
      });
      return success;
    } catch (error) {
      const failure = toTargetError(error, { step: 'assume-role', target, config });
      failures[index] = failure;
      log.warn('target account failed', { account: target.account, error: failure });
      return failureResult(failure);
    }
  });
  const results = outcomes.map((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  });
  const failed = failures.filter((failure) => failure !== undefined);

  const summary = { succeeded: results.length - failed.length, failed: failed.length };
  log.info('invocation finished', summary);
  if (failed.length === results.length) throw new AllTargetsFailedError(failed);
  return { results, summary };
}

function failureResult(failure: TargetError): TargetFailure {
  return {
    account: failure.account,
    ok: false,
    error: { code: failure.code, message: failure.message },
  };
}
