// The contract between the cross-account core (src/) and a job (job/): everything the core needs
// to know about the work done in each target account, declared in one module. The core assumes
// the role, builds the job's clients on that account's credentials, runs the job within the
// invocation's deadline, and turns failures into actionable messages; the job never sees a
// credential and never handles STS.
import type { Env } from './config';
import type { Logger } from './logger';

/**
 * A deploy-time parameter of the job: `--param "<name>=<value>"` (or `params.<stage>` in
 * serverless.yml), handed to the function as the environment variable `variable`.
 */
export interface JobParameter {
  readonly variable: string;
  readonly default: string;
  /** How to set it, shown when the value is refused. */
  readonly hint: string;
}

/**
 * One IAM permission the job needs in each target account. `resource` is an ARN that may hold
 * the placeholders `{partition}`, `{accountId}`, `{region}` (the target region) and any name the
 * job's `resourceNames` returns (for example `{bucket}`).
 */
export interface Permission {
  readonly action: string;
  readonly resource: string;
}

/** A grant the target stack makes although the job's code does not use it, and why. */
export interface DeliberateGrant extends Permission {
  readonly reason: string;
}

/** Where the job is working: one target account, reached through its role. */
export interface JobTarget {
  readonly account: string;
  readonly roleArn: string;
  readonly region: string;
  readonly partition: string;
}

/** One key per account and region, for what a job keeps per target (a bucket name, say). */
export function targetKey(target: { readonly account: string; readonly region: string }): string {
  return `${target.account}/${target.region}`;
}

/** An AWS SDK v3 client class (S3Client, DynamoDBClient, ...). */
// biome-ignore lint/suspicious/noExplicitAny: each SDK client declares its own configuration type.
export type SdkClientClass<C> = new (config: any) => C;

/** Builds SDK clients that sign with the target account's assumed-role credentials. */
export interface ClientFactory {
  /**
   * One client per class per target role and region, created on first use: every client of a role shares
   * the one cached, refreshed credential, retries and timeouts, and the connection pool.
   */
  client<C>(Client: SdkClientClass<C>, extra?: Record<string, unknown>): C;
}

/** One AWS call of the job, named so that a failure says what was asked of which resource. */
export interface JobStep {
  /** Stable id of the step, carried by errors and logs, e.g. `list-objects`. */
  readonly name: string;
  /** The permission it uses, placeholders filled in (see `Job.permissions`). */
  readonly action: string;
  readonly resource: string;
  /** How a message names the resource, e.g. `bucket my-bucket`; default: the resource ARN. */
  readonly describe?: string;
}

export interface JobContext<Config, Request, Clients> {
  readonly target: JobTarget;
  readonly config: Config;
  readonly request: Request;
  readonly clients: Clients;
  /** Aborts when the invocation's time budget runs out: pass it to every `send`. */
  readonly abortSignal: AbortSignal;
  readonly logger: Logger;
  /**
   * Runs one AWS call as a named step: bounded by the deadline, and any failure comes out as the
   * actionable message for that step (the job's own `explain`, else the core's).
   */
  step<T>(step: JobStep, call: () => Promise<T>): Promise<T>;
}

/** What the job says about a failed step; undefined leaves it to the core's diagnosis. */
export interface JobFailure {
  readonly code: string;
  readonly message: string;
}

/** The AWS error of a failed step, reduced to what is safe to read. */
export interface AwsErrorSummary {
  readonly name: string;
  readonly message: string;
  readonly httpStatusCode: number | undefined;
}

export interface Job<Config, Request, Clients, Result extends object> {
  /** The log message of each account's result, e.g. `listed target bucket`. */
  readonly name: string;
  readonly parameters: Readonly<Record<string, JobParameter>>;
  /**
   * Reads and validates the job's configuration from the function's environment, once at cold
   * start (and at deploy time, by config/params.js). Throw `ConfigError` naming the variable.
   */
  loadConfig(
    env: Env,
    context: {
      readonly targetRegions: readonly string[];
      /** Every account x region the function may visit. */
      readonly targets: readonly JobTarget[];
    },
  ): Config;
  /** Event fields the job accepts besides the core's `accounts`; any other field is refused. */
  readonly eventFields: readonly string[];
  /**
   * Validates the job's part of the event (only `eventFields`, own properties). Throw
   * `EventValidationError` naming the field. Called with `{}` for an empty event.
   */
  parseEvent(fields: Readonly<Record<string, unknown>>, config: Config): Request;
  /** Every IAM permission the job's calls need in a target account, and no other. */
  readonly permissions: readonly Permission[];
  /** Grants of the target stack the code does not use but that are there on purpose. */
  readonly deliberateGrants?: readonly DeliberateGrant[];
  /** Values of the job's own placeholders in `permissions` for one account. */
  resourceNames(config: Config, target: JobTarget): Readonly<Record<string, string>>;
  /**
   * The target stack parameters (resources/cross-account-role.yml) that match this configuration
   * for one account: what the README's deploy command passes, and what `npm run check` assumes.
   */
  targetStackParameters(config: Config, target: JobTarget): Readonly<Record<string, string>>;
  /** The job's clients, built on the target account's credentials. */
  clients(factory: ClientFactory, config: Config): Clients;
  /** The work in one account. */
  run(context: JobContext<Config, Request, Clients>): Promise<Result>;
  /** Actionable messages for the job's own service's failures (not found, wrong region...). */
  explain?(
    error: AwsErrorSummary,
    step: JobStep,
    context: { readonly target: JobTarget; readonly config: Config },
  ): JobFailure | undefined;
  /** What to log about a result (counts, not data); default: nothing beyond the account. */
  summarize?(result: Result): Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: the core works with any job; each job is typed where it is defined.
export type AnyJob = Job<any, any, any, object>;

/** Identity function that makes TypeScript check a job against the contract where it is written. */
export function defineJob<Config, Request, Clients, Result extends object>(
  job: Job<Config, Request, Clients, Result>,
): Job<Config, Request, Clients, Result> {
  return job;
}

/** The resource ARN of a permission for one account, every placeholder filled in. */
export function resolvePermission(
  permission: Permission,
  target: JobTarget,
  names: Readonly<Record<string, string>>,
): Permission {
  const values: Record<string, string> = {
    ...names,
    partition: target.partition,
    accountId: target.account,
    region: target.region,
  };
  const resource = permission.resource.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new Error(
        `permission ${permission.action} on ${permission.resource}: no value for ${whole}; ` +
          "return it from the job's resourceNames, or use {partition}, {accountId} or {region}",
      );
    }
    return value;
  });
  return { action: permission.action, resource };
}
