// The contract between the cross-account core (src/) and a job (job/): the work done in each
// target account, declared in one `defineJob({ permissions, run })`. The core assumes the role,
// builds the job's clients on that account's credentials, reads and validates the job's
// parameters and event fields from their schemas, runs the job within the invocation's deadline,
// and turns failures into actionable messages; the job never sees a credential.
import { ConfigError, EventValidationError } from './errors';
import type { Logger } from './logger';
import {
  type ConfigOf,
  type FieldsOf,
  type ParameterEntry,
  type ParameterTable,
  parameterTable,
  type Schema,
} from './parameters';

export { ConfigError, EventValidationError };

/**
 * One IAM permission the job needs in each target account. `resource` is written as the target
 * template's `!Sub` writes it, so the grant in resources/cross-account-role.yml is the same
 * string: `${AWS::Partition}`, `${AWS::Region}` (the target region), `${AWS::AccountId}` (the
 * target account) and `${Name}`, filled from the step's values, else the job's `names`, else the
 * configuration's parameter of that name. IAM's `*` and `?` stay as they are.
 */
export interface Permission {
  readonly action: string;
  readonly resource: string;
}

/** A grant the target stack makes although the job's code does not use it, and why. */
export interface DeliberateGrant extends Permission {
  readonly reason: string;
}

/** Where the job is working: one target account and region, reached through its role. */
export interface JobTarget {
  readonly account: string;
  readonly roleArn: string;
  readonly region: string;
  readonly partition: string;
}

/** One key per account and region. */
export function targetKey(target: { readonly account: string; readonly region: string }): string {
  return `${target.account}/${target.region}`;
}

/** An AWS SDK v3 client class (S3Client, DynamoDBClient, ...). */
// biome-ignore lint/suspicious/noExplicitAny: each SDK client declares its own configuration type.
export type SdkClientClass<C> = new (config: any) => C;

/** Builds SDK clients that sign with the target account's assumed-role credentials. */
export interface ClientFactory {
  /**
   * One client per class per target role and region, created on first use: every client of a
   * role shares the one cached, refreshed credential, retries, timeouts and connection pool.
   */
  client<C>(Client: SdkClientClass<C>, extra?: Record<string, unknown>): C;
}

/** One AWS call of the job, as failures and logs name it: a permission, filled in. */
export interface JobStep {
  /** The permission's name in `permissions`, e.g. `listBucket`. */
  readonly name: string;
  readonly action: string;
  readonly resource: string;
}

export type Names = Readonly<Record<string, string>>;

export interface JobContext<Config, Event, Permissions, N extends Names = Names> {
  readonly target: JobTarget;
  readonly config: Config;
  /** The job's event fields, validated by their schemas (defaults applied). */
  readonly event: Event;
  /** The placeholder values for this target (`names`, and the configuration's text values). */
  readonly names: N;
  /** An SDK client signing as the target account, in the target region. */
  client<C>(Client: SdkClientClass<C>, extra?: Record<string, unknown>): C;
  /** Aborts when the invocation's time budget runs out: pass it to every `send`. */
  readonly abortSignal: AbortSignal;
  readonly logger: Logger;
  /**
   * Runs one AWS call under the permission it needs, named in `permissions`: bounded by the
   * deadline, and any failure comes out as the actionable message for that permission (the job's
   * own `explain`, else the core's). `values` fills placeholders the names do not.
   */
  step<T>(permission: keyof Permissions & string, call: () => Promise<T>): Promise<T>;
  step<T>(
    permission: keyof Permissions & string,
    values: Names,
    call: () => Promise<T>,
  ): Promise<T>;
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

type Permissions = Readonly<Record<string, Permission>>;
type Fields = Readonly<Record<string, Schema>>;
type Entries = Readonly<Record<string, ParameterEntry>>;

/** What a job writes: `permissions` and `run`; everything else has a default. */
export interface JobDefinition<
  P extends Entries,
  E extends Fields,
  A extends Permissions,
  Result,
  N extends Names,
> {
  /** Every IAM permission the job's calls need in a target account, and no other, by name. */
  readonly permissions: A;
  /** The work in one target account and region. */
  run(context: JobContext<ConfigOf<P>, FieldsOf<E>, A, N>): Promise<Result>;
  /**
   * Deploy-time parameters: `--param <name>=<value>`, handed to the function as an environment
   * variable (the name in CONSTANT_CASE) and validated by the schema at cold start and at deploy.
   */
  readonly params?: P;
  /** Event fields the job accepts besides the core's `accounts` and `regions`. */
  readonly event?: E;
  /**
   * Placeholder values for one target that are not a parameter's value as it stands (a bucket
   * name built from the account, say). Computed once per target, at cold start for listed
   * accounts: throw ConfigError here to refuse a configuration that cannot work.
   */
  names?(config: ConfigOf<P>, target: JobTarget): N;
  /**
   * The target stack parameters that match this configuration for one target: what the README's
   * deploy command passes, and what `npm run check` deploys in its model. Default: each
   * placeholder of `permissions` with its value, since a resource is written as the target
   * template's `!Sub` writes it, with the template's parameters.
   */
  targetStack?(config: ConfigOf<P>, target: JobTarget, names: N): Names;
  /** Grants of the target stack the code does not use but that are there on purpose. */
  readonly deliberateGrants?: readonly DeliberateGrant[];
  /** Actionable messages for the job's own service's failures (not found, wrong region...). */
  explain?(
    error: AwsErrorSummary,
    step: JobStep,
    context: { readonly target: JobTarget; readonly config: ConfigOf<P>; readonly names: N },
  ): JobFailure | undefined;
  /** What to log about a result (counts, not data); default: nothing beyond the target. */
  summarize?(result: Result): Record<string, unknown>;
}

/** A job as the core runs it: the definition with its parameter table filled in. */
export interface Job<Config = unknown, Event = unknown, Result extends object = object> {
  readonly params: ParameterTable;
  readonly event: Fields;
  readonly permissions: Permissions;
  readonly deliberateGrants: readonly DeliberateGrant[];
  names(config: Config, target: JobTarget): Names;
  targetStack(config: Config, target: JobTarget, names: Names): Names;
  // biome-ignore lint/suspicious/noExplicitAny: the core passes its own context; each job is typed where it is defined.
  run(context: JobContext<Config, Event, any>): Promise<Result>;
  explain?(
    error: AwsErrorSummary,
    step: JobStep,
    context: { readonly target: JobTarget; readonly config: Config; readonly names: Names },
  ): JobFailure | undefined;
  summarize?(result: Result): Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: the core works with any job; each job is typed where it is defined.
export type AnyJob = Job<any, any, object>;

/** Checks a job against the contract where it is written, and fills in the defaults. */
export function defineJob<
  const A extends Permissions,
  Result extends object,
  // biome-ignore lint/complexity/noBannedTypes: no parameters is the empty table.
  const P extends Entries = {},
  // biome-ignore lint/complexity/noBannedTypes: no event fields is the empty table.
  const E extends Fields = {},
  N extends Names = Names,
>(definition: JobDefinition<P, E, A, Result, N>): Job<ConfigOf<P>, FieldsOf<E>, Result> {
  const { params, event, names, targetStack, deliberateGrants, ...rest } = definition;
  return {
    ...rest,
    params: parameterTable(params ?? {}),
    event: event ?? {},
    deliberateGrants: deliberateGrants ?? [],
    names: (config, target) => ({ ...textValues(config), ...names?.(config, target) }),
    targetStack: (config, target, filled) =>
      targetStack
        ? targetStack(config, target, filled as N)
        : Object.fromEntries(
            placeholdersOf(Object.values(definition.permissions)).flatMap((name) =>
              filled[name] === undefined ? [] : [[name, filled[name]]],
            ),
          ),
  } as Job<ConfigOf<P>, FieldsOf<E>, Result>;
}

// A parameter's own value fills the placeholder of its name.
function textValues(config: unknown): Names {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    if (typeof value === 'string') values[key] = value;
  }
  return values;
}

const PLACEHOLDER = /\$\{([^}]+)\}/g;

/** The placeholders of `permissions` other than AWS's pseudo parameters, each once. */
export function placeholdersOf(permissions: readonly Permission[]): string[] {
  const names = permissions.flatMap((p) => [...p.resource.matchAll(PLACEHOLDER)].map((m) => m[1]));
  return [...new Set(names)].filter((name): name is string => !!name && !name.startsWith('AWS::'));
}

/** The resource ARN of a permission for one target, every placeholder filled in. */
export function resolvePermission<P extends Permission>(
  permission: P,
  target: JobTarget,
  names: Names,
  where = 'the job',
): P {
  const values: Record<string, string> = {
    ...names,
    'AWS::Partition': target.partition,
    'AWS::AccountId': target.account,
    'AWS::Region': target.region,
  };
  const resource = permission.resource.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      throw new ConfigError(
        name,
        `permission ${permission.action} on ${permission.resource} of ${where}: nothing fills ${whole}; ` +
          `give it in the step's values, return it from the job's names, or name a parameter ${name}`,
      );
    }
    return value;
  });
  return { ...permission, resource };
}
