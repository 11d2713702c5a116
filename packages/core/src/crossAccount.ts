// The cross-account core as a Lambda handler: configuration read and validated once at cold
// start, then per invocation the event, the bounded fan-out over the target accounts, and the
// response envelope (a result or an actionable error per account). It knows nothing of the job's
// service; the job (job/index.ts) brings that.
import type { Context } from 'aws-lambda';
import { SAFETY_MARGIN_MS } from './clientSettings';
import { type Config as CoreConfig, type Env, loadConfig, targetRoleArn } from './config';
import { createTargetSessions } from './credentials';
import { startDeadline, withinDeadline } from './deadline';
import { serviceName, toTargetError } from './diagnose';
import { createAccountDiscovery } from './discovery';
import { AllTargetsFailedError, ConfigError, type TargetError } from './errors';
import { parseEvent } from './event';
import { fanOut } from './fanout';
import { type AnyJob, type Job, type JobTarget, type Names, targetKey } from './job';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { type ParameterTable, readFields, readParameters } from './parameters';
import { runTarget, type TargetSuccess } from './runTarget';

export interface TargetFailure {
  readonly account: string;
  readonly region: string;
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string };
}

export type TargetResult = TargetSuccess | TargetFailure;

export interface CrossAccountResponse {
  readonly results: TargetResult[];
  readonly summary: { readonly succeeded: number; readonly failed: number };
}

/** The answer to `{"listAccounts": true}`: what an empty event would visit, nothing run. */
export interface TargetListing {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
}

/**
 * The core's configuration and the job's, both validated from their parameter tables, and the
 * job's placeholder values for every listed target: a bad value throws ConfigError, here, once.
 */
export function loadAllConfig<Config>(job: Job<Config, unknown, object>, env: Env) {
  const config = loadConfig(env);
  const jobConfig = readParameters(job.params, env) as Config;
  const jobServices = [
    ...new Set(Object.values(job.permissions).map((p) => serviceName(p.action))),
  ];
  // Discovered accounts are not known yet: their names are filled on first visit.
  const targets = targetsOf(config, config.accountIds, config.targetRegions);
  const known = new Map<string, Names>();
  const namesOf = (target: JobTarget): Names => {
    const key = targetKey(target);
    let names = known.get(key);
    if (!names) {
      names = withHint(() => job.names(jobConfig, target), job.params);
      known.set(key, names);
    }
    return names;
  };
  for (const target of targets) namesOf(target);
  /** Drops the names of accounts not in `accounts` (discovered accounts that left). */
  const forgetNamesExcept = (accounts: ReadonlySet<string>) => {
    for (const key of known.keys()) {
      if (!accounts.has(key.slice(0, key.indexOf('/')))) known.delete(key);
    }
  };
  return { config: { ...config, jobServices }, jobConfig, targets, namesOf, forgetNamesExcept };
}

/** A job's ConfigError about one of its parameters ends with the fix its table gives. */
function withHint<T>(work: () => T, params: ParameterTable): T {
  try {
    return work();
  } catch (error) {
    const row = Object.values(params).find((p) => p.variable === (error as ConfigError).variable);
    if (!(error instanceof ConfigError) || !row || error.message.includes(row.hint)) throw error;
    throw new ConfigError(error.variable, `${error.message}; ${row.hint}`);
  }
}

/** Accounts x regions, account by account: each account's regions share its one credential. */
function targetsOf(
  config: CoreConfig,
  accounts: readonly string[],
  regions: readonly string[],
): JobTarget[] {
  return accounts.flatMap((account) =>
    regions.map((region) => ({
      account,
      roleArn: targetRoleArn(config, account),
      region,
      partition: config.partition,
    })),
  );
}

/**
 * SDK clients a container keeps between invocations (one per service, account and region): up to
 * this many, every client is kept; beyond, an account's clients are released once its targets are
 * done, while its credential stays cached (connections are the container's shared pool either way).
 */
export const CLIENT_CACHE_LIMIT = 200;

export function createHandler<Config, Event, Result extends object>(
  job: Job<Config, Event, Result>,
  env: Env = process.env,
) {
  // Cold start: a bad configuration fails here, once, naming the variable to fix.
  const { config, jobConfig, namesOf, forgetNamesExcept } = loadAllConfig(job, env);

  const logger = createLogger({
    level: config.logLevel,
    base: { service: 'cross-account-lambda', function: config.functionName },
  });

  const metrics = createMetrics({ functionName: config.functionName });

  // Lives as long as the container, so warm invocations reuse each role's cached credential.
  const sessions = createTargetSessions({
    homeRegion: config.homeRegion,
    externalId: config.externalId,
    sourceIdentity: config.sourceIdentity,
    sessionDurationSeconds: config.sessionDurationSeconds,
    functionName: config.functionName,
    logger,
  });

  // Organizations mode: the reader role's session comes from the same cache as the targets'.
  const readerRoleArn = config.discovery?.readerRoleArn ?? '';
  const discovery =
    config.discovery &&
    createAccountDiscovery({
      config: config.discovery,
      session: sessions.get(config.discovery.readerRoleArn, 'discovery'),
      region: config.homeRegion,
      logger,
    });

  // The account list the caches were last trimmed to.
  let retainedFor: readonly string[] | undefined;
  function retainAccounts(available: readonly string[], log: Logger) {
    retainedFor = available;
    const evicted = sessions.retain(
      new Set([readerRoleArn, ...available.map((a) => targetRoleArn(config, a))]),
    );
    forgetNamesExcept(new Set(available));
    if (evicted > 0) log.info('released the sessions of accounts no longer listed', { evicted });
  }

  async function invoke(
    event: unknown,
    context: Context,
  ): Promise<CrossAccountResponse | TargetListing> {
    const log = logger.child({ requestId: context.awsRequestId });
    let accounts: readonly string[];
    let regions: readonly string[];
    let request: Event;
    let available = config.accountIds;
    // One budget for the whole invocation, the listing of the accounts included.
    const deadline = startDeadline(context.getRemainingTimeInMillis(), SAFETY_MARGIN_MS);
    if (discovery) {
      try {
        available = await withinDeadline(deadline, () => discovery.accounts());
      } catch (error) {
        log.error('account discovery failed', { error });
        throw error;
      }
      // Accounts no longer listed leave the container's caches: memory follows the organization.
      // A list served from discovery's cache is the same array: nothing to do on that warm path.
      if (available !== retainedFor) retainAccounts(available, log);
    }
    try {
      const parsed = parseEvent(event, available, Object.keys(job.event), config.targetRegions);
      if (parsed.listOnly) {
        log.info('listed the target accounts', {
          accounts: parsed.accounts.length,
          regions: parsed.regions.length,
        });
        return { accounts: parsed.accounts, regions: parsed.regions };
      }
      accounts = parsed.accounts;
      regions = parsed.regions;
      request = readFields(job.event, parsed.jobFields) as Event;
    } catch (error) {
      log.warn('rejected the event', { error });
      throw error;
    }

    const targets = targetsOf(config, accounts, regions);
    // Targets still to run per role: when the container holds many clients, an account's are
    // released as soon as its last target is done, so memory follows the concurrency, not the size.
    const pending = new Map<string, number>();
    for (const target of targets)
      pending.set(target.roleArn, (pending.get(target.roleArn) ?? 0) + 1);
    const done = (roleArn: string) => {
      const left = (pending.get(roleArn) ?? 1) - 1;
      pending.set(roleArn, left);
      if (left === 0 && sessions.clientCount > CLIENT_CACHE_LIMIT) {
        sessions.get(roleArn, context.awsRequestId).releaseClients();
      }
    };
    // Indexed like `targets`, so the thrown message lists accounts in the order they were asked for.
    // One bound over the whole accounts x regions product: the concurrency is what AWS sees.
    const failures: (TargetError | undefined)[] = [];
    const outcomes = await fanOut(targets, config.fanoutConcurrency, (target, index) =>
      runOne(target, index).finally(() => done(target.roleArn)),
    );
    async function runOne(target: JobTarget, index: number) {
      const started = Date.now();
      const outcome = (errorCode: string | undefined) =>
        metrics.target(
          {
            account: target.account,
            region: target.region,
            errorCode,
            durationMs: Date.now() - started,
          },
          context.awsRequestId,
        );
      try {
        const success = await runTarget(target, {
          job: job as AnyJob,
          jobConfig,
          request,
          names: namesOf(target),
          session: sessions.get(target.roleArn, context.awsRequestId),
          deadline,
          logger: log,
          config,
        });
        log.info('target account done', {
          account: target.account,
          region: target.region,
          ...job.summarize?.(success as unknown as Result),
        });
        outcome(undefined);
        return success;
      } catch (error) {
        const failure = toTargetError(error, { step: 'assume-role', target, config });
        failures[index] = failure;
        outcome(failure.code);
        log.warn('target account failed', {
          account: target.account,
          region: target.region,
          error: failure,
        });
        return failureResult(failure, target.region);
      }
    }
    const results = outcomes.map((outcome) => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
    const failed = failures.filter((failure) => failure !== undefined);

    const summary = { succeeded: results.length - failed.length, failed: failed.length };
    // What the container holds after it: the figures that say whether its memory is bounded.
    log.info('invocation finished', {
      ...summary,
      sessions: sessions.size,
      clients: sessions.clientCount,
    });
    if (failed.length === results.length) {
      // Every target failed, so the regions line up with `failed` one to one.
      throw new AllTargetsFailedError(
        failed,
        config.targetRegions.length > 1 ? targets.map((target) => target.region) : undefined,
      );
    }
    return { results, summary };
  }

  const handler = invoke as CrossAccountHandler;
  return { handler, config, jobConfig };
}

/** The handler: a listing for `{"listAccounts": true}`, else the job's results. */
export interface CrossAccountHandler {
  (event: { readonly listAccounts: true }, context: Context): Promise<TargetListing>;
  (event: unknown, context: Context): Promise<CrossAccountResponse>;
}

function failureResult(failure: TargetError, region: string): TargetFailure {
  return {
    account: failure.account,
    region,
    ok: false,
    error: { code: failure.code, message: failure.message },
  };
}
