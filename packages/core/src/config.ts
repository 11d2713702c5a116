import { partition } from '@aws-sdk/core/client';
import { ConfigError } from './errors';
import { LOG_LEVELS, type LogLevel } from './logger';
import { parameterTable, readParameters, type ValuesOf } from './parameters';
import { quote } from './redact';
import { integerText, matching, optional, textSchema } from './schemas';

export interface TargetSpec {
  readonly account: string;
  readonly roleArn: string;
}

export interface Config {
  /** Region the function runs in; AssumeRole goes to this region's STS endpoint. */
  readonly homeRegion: string;
  readonly partition: string;
  readonly functionName: string;
  /**
   * Sent as SourceIdentity on every AssumeRole: the function's name, which STS then stamps on the
   * session and on every session chained from it, so the target's CloudTrail names the function.
   */
  readonly sourceIdentity: string;
  readonly accountIds: readonly string[];
  readonly roleName: string;
  readonly externalId: string | undefined;
  /** Regions the job works in, in the configured order; the fan-out is accounts x regions. */
  readonly targetRegions: readonly string[];
  readonly sessionDurationSeconds: number;
  readonly fanoutConcurrency: number;
  /** Set in organization mode; the runtime behaves the same, the policies differ. */
  readonly organizationId: string | undefined;
  readonly logLevel: LogLevel;
  /** One entry per account, in the configured order; empty when the accounts are discovered. */
  readonly targets: ReadonlyMap<string, TargetSpec>;
  /** Set when the accounts come from AWS Organizations instead of TARGET_ACCOUNT_IDS. */
  readonly discovery: DiscoveryConfig | undefined;
}

export interface DiscoveryConfig {
  /** OU ids (ou-...) or the root id (r-...), in the configured order; child OUs are included. */
  readonly organizationalUnits: readonly string[];
  /** The read-only role in the management or delegated-administrator account. */
  readonly readerRoleArn: string;
  /** How long one container reuses the account list before it asks Organizations again. */
  readonly cacheSeconds: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

export const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]+$/;
// Two to four letters, one or more words, a number: us-east-1, us-gov-west-1, eusc-de-east-1.
export const REGION = /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/;
// STS's SourceIdentity: 2 to 64 of [\w+=,.@-] (Lambda's function names always fit).
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
// Organizations' own patterns for an OU id and a root id.
export const ORGANIZATIONAL_UNIT_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
export const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
export const DEFAULT_READER_ROLE_NAME = 'cross-account-organizations-reader';
const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/;

// The core's parameters: one row each, read at cold start by loadConfig and at deploy time by
// the serverless plugin's params.js, which takes the names, variables, defaults and validation from here.
export const CORE_PARAMETERS = parameterTable({
  targetAccountIds: {
    variable: 'TARGET_ACCOUNT_IDS',
    hint: '222222222222[,333333333333...]',
    schema: optional(
      commaList('account', (item, position) => {
        if (ACCOUNT_ID.test(item)) return undefined;
        const detail = /^\d+$/.test(item) ? ` (${item.length} digits)` : '';
        return `must be a comma-separated list of 12-digit AWS account ids; ${position} is ${quote(item)}${detail}`;
      }),
    ),
  },
  targetRoleName: {
    variable: 'TARGET_ROLE_NAME',
    hint: "<role name> (the target stack's RoleName)",
    schema: optional(roleName(), 'cross-account-demo-target'),
  },
  externalId: {
    variable: 'TARGET_EXTERNAL_ID',
    hint: "<the target stack's ExternalId>, or leave it empty when the target requires none",
    // The value is not echoed: it is not a secret, but it is the one shared token of the trust.
    schema: optional(
      textSchema<string>((value) => {
        if (value.length < 2 || value.length > 1224) {
          return `must be 2 to 1224 characters long; got ${value.length}`;
        }
        const at = [...value].findIndex((char) => !EXTERNAL_ID.test(char));
        if (at < 0) return undefined;
        const code = value.codePointAt(at)?.toString(16).toUpperCase().padStart(4, '0');
        return `may only contain letters, digits and _+=,.@:/-; character ${at + 1} is U+${code}`;
      }),
    ),
  },
  targetRegions: {
    variable: 'TARGET_REGIONS',
    hint: '<region id>[,<region id>...] (empty: the region the function runs in)',
    schema: optional(
      commaList('region', (item, position) =>
        REGION.test(item)
          ? undefined
          : `must be a region id such as us-east-1, or a comma-separated list of them; got ${quote(item)} (${position})`,
      ),
    ),
  },
  sessionDurationSeconds: {
    variable: 'SESSION_DURATION_SECONDS',
    hint: '900 (at most 3600: assuming a role from Lambda is role chaining)',
    schema: optional(integerText(900, 3600), '900'),
  },
  fanoutConcurrency: {
    variable: 'FANOUT_CONCURRENCY',
    hint: '<1..50>',
    schema: optional(integerText(1, 50), '8'),
  },
  organizationId: {
    variable: 'TARGET_ORGANIZATION_ID',
    hint: 'o-<10 to 32 lowercase letters or digits>, or leave it empty',
    schema: optional(matching(ORGANIZATION_ID, 'look like o-a1b2c3d4e5')),
  },
  targetOrganizationalUnits: {
    variable: 'TARGET_ORGANIZATIONAL_UNITS',
    hint: 'ou-ab12-11111111[,r-ab12...] (OU or root ids), or leave it empty and set targetAccountIds',
    schema: optional(
      commaList('unit', (item, at) =>
        ORGANIZATIONAL_UNIT_ID.test(item) || ROOT_ID.test(item)
          ? undefined
          : `must be a comma-separated list of OU ids (ou-ab12-11111111) or the root id (r-ab12); ${at} is ${quote(item)}`,
      ),
    ),
  },
  organizationReaderAccountId: {
    variable: 'ORGANIZATION_READER_ACCOUNT_ID',
    hint: '<the management or delegated-administrator account where docs/organizations/organizations-reader-role.yml is deployed>',
    schema: optional(matching(ACCOUNT_ID, 'be a 12-digit account id')),
  },
  organizationReaderRoleName: {
    variable: 'ORGANIZATION_READER_ROLE_NAME',
    hint: "<the reader stack's RoleName>",
    schema: optional(roleName(), DEFAULT_READER_ROLE_NAME),
  },
  accountCacheSeconds: {
    variable: 'ACCOUNT_CACHE_SECONDS',
    hint: '<0..86400>',
    schema: optional(integerText(0, 86_400), '300'),
  },
});

// Set by Lambda (or for a script by hand), not by a parameter.
const HINTS = {
  AWS_REGION:
    'Lambda sets it; for sls invoke local or a script, export AWS_REGION=<region id, for example us-east-1>',
  AWS_LAMBDA_FUNCTION_NAME:
    'Lambda sets it; for a script, export AWS_LAMBDA_FUNCTION_NAME=<2 to 64 of letters, digits and _+=,.@->',
  AWS_LAMBDA_LOG_LEVEL: `set it to one of ${LOG_LEVELS.join(', ')}`,
} as const;

type CoreParameter = keyof typeof CORE_PARAMETERS;
type Variable = keyof typeof HINTS | CoreParameter;

function fail(variable: Variable, problem: string): never {
  const row = CORE_PARAMETERS[variable as CoreParameter];
  const name = row?.variable ?? variable;
  throw new ConfigError(
    name,
    `${name} ${problem}; ${row?.hint ?? HINTS[variable as keyof typeof HINTS]}`,
  );
}

/** A role name: IAM's characters, no path. */
function roleName() {
  // An ARN is refused before, with what to keep of it (refuseRoleArn).
  return matching(
    ROLE_NAME,
    'be an IAM role name of 1 to 64 characters from [A-Za-z0-9_+=,.@-] (no path)',
  );
}

/** A comma-separated list, each item checked by `problem` and listed once. */
function commaList(what: string, problem: (item: string, position: string) => string | undefined) {
  const items = (value: string) => value.split(',').map((item) => item.trim());
  return textSchema((value) => {
    const seen = new Set<string>();
    for (const [index, item] of items(value).entries()) {
      const position = `item ${index + 1}`;
      const wrong =
        problem(item, position) ??
        (seen.has(item)
          ? `lists ${what} ${item} twice (${position}); list each ${what} once`
          : undefined);
      if (wrong) return wrong;
      seen.add(item);
    }
    return undefined;
  }, items);
}

/** Reads and validates the whole configuration; pure, so tests can feed it any environment. */
export function loadConfig(env: Env): Config {
  const homeRegion = region('AWS_REGION', required(env, 'AWS_REGION'));
  const homePartition = partition(homeRegion).name;
  refuseRoleArn(env, homePartition);
  const p = readParameters(CORE_PARAMETERS, env);
  const targetRegions = p.targetRegions ?? [homeRegion];
  for (const [index, item] of targetRegions.entries()) {
    const itemPartition = partition(item).name;
    if (itemPartition !== homePartition) {
      fail(
        'targetRegions',
        `includes ${quote(item)} (item ${index + 1}) in partition ${itemPartition}, but the function runs in ` +
          `${homeRegion} (partition ${homePartition}); a role cannot be assumed across partitions`,
      );
    }
  }
  // One source of accounts: a list beside OUs would be a second, unbounded-by-OU trust to audit.
  if (p.targetOrganizationalUnits !== undefined && p.targetAccountIds !== undefined) {
    fail(
      'targetOrganizationalUnits',
      'and TARGET_ACCOUNT_IDS are both set; the accounts come from one of them: leave targetAccountIds empty to discover the accounts, or targetOrganizationalUnits empty to list them',
    );
  }
  const discovery =
    p.targetOrganizationalUnits && discoveryOf(p, p.targetOrganizationalUnits, homePartition);
  const accountIds = discovery
    ? []
    : (p.targetAccountIds ??
      fail(
        'targetAccountIds',
        'is missing: name the AWS account(s) that own the role this function assumes, or set targetOrganizationalUnits to take them from AWS Organizations',
      ));
  const targets = new Map<string, TargetSpec>();
  for (const account of accountIds) {
    targets.set(account, {
      account,
      roleArn: targetRoleArn({ partition: homePartition, roleName: p.targetRoleName }, account),
    });
  }
  const functionName = envValue(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? 'crossAccount';
  return {
    homeRegion,
    partition: homePartition,
    functionName,
    sourceIdentity: sourceIdentityOf(functionName),
    accountIds,
    roleName: p.targetRoleName,
    externalId: p.externalId,
    targetRegions,
    sessionDurationSeconds: p.sessionDurationSeconds,
    fanoutConcurrency: p.fanoutConcurrency,
    organizationId: p.organizationId,
    logLevel: logLevelOf(env),
    targets,
    discovery,
  };
}

type CoreValues = ValuesOf<typeof CORE_PARAMETERS>;

// A role ARN where a name belongs: say which part to keep, and whether its partition is wrong,
// which only the home region tells, so this runs before the table.
function refuseRoleArn(env: Env, homePartition: string): void {
  for (const name of ['targetRoleName', 'organizationReaderRoleName'] as const) {
    const value = envValue(env, CORE_PARAMETERS[name].variable);
    if (value?.startsWith('arn:')) {
      fail(name, `must be a role name, not an ARN; got ${describeArn(value, homePartition)}`);
    }
  }
}

/** The ARN of role `roleName` in `account`: a target role, or the Organizations reader role. */
export function targetRoleArn(config: Pick<Config, 'partition' | 'roleName'>, account: string) {
  return `arn:${config.partition}:iam::${account}:role/${config.roleName}`;
}

function discoveryOf(
  p: CoreValues,
  organizationalUnits: readonly string[],
  homePartition: string,
): DiscoveryConfig {
  // The execution role may assume the target role only under these OUs, a condition written
  // with the organization's id (aws:ResourceOrgPaths): without it there is no bound to write.
  if (p.organizationId === undefined) {
    fail(
      'organizationId',
      'is missing, and TARGET_ORGANIZATIONAL_UNITS needs it to bound the target role to accounts under those units',
    );
  }
  const readerAccount =
    p.organizationReaderAccountId ?? fail('organizationReaderAccountId', 'is missing');
  return {
    organizationalUnits,
    readerRoleArn: targetRoleArn(
      { partition: homePartition, roleName: p.organizationReaderRoleName },
      readerAccount,
    ),
    cacheSeconds: p.accountCacheSeconds,
  };
}

function envValue(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, variable: Variable): string {
  return envValue(env, variable) ?? fail(variable, 'is missing');
}

function region(variable: 'AWS_REGION', value: string): string {
  if (!REGION.test(value)) {
    fail(variable, `must be a region id such as us-east-1 or eu-central-1; got ${quote(value)}`);
  }
  return value;
}

// Explains what a mistakenly given ARN is, so the message says which part to keep.
function describeArn(value: string, expectedPartition: string): string {
  const [service, resourcePrefix] = ['iam', 'role/'];
  const match = ARN.exec(value);
  if (!match) return `the malformed ARN ${quote(value)}`;
  const [, arnPartition, arnService, , , resource = ''] = match;
  const notes: string[] = [];
  if (arnPartition !== expectedPartition) {
    notes.push(
      `its partition ${quote(arnPartition)} is not ${expectedPartition}, the partition of AWS_REGION`,
    );
  }
  if (arnService !== service || !resource.startsWith(resourcePrefix)) {
    notes.push(
      `it is not an ${service} ${resourcePrefix.replace('/', '')} ARN (service ${quote(arnService)})`,
    );
  }
  const name = resource.startsWith(resourcePrefix)
    ? resource.slice(resourcePrefix.length).split('/').pop()
    : undefined;
  if (notes.length === 0 && name) notes.push(`use its name ${quote(name)}`);
  return `${quote(value, 128)}: ${notes.join('; ')}`;
}

function sourceIdentityOf(functionName: string): string {
  if (!SOURCE_IDENTITY.test(functionName)) {
    fail(
      'AWS_LAMBDA_FUNCTION_NAME',
      `must be 2 to 64 of letters, digits and _+=,.@- to serve as the STS SourceIdentity; got ${quote(functionName)}`,
    );
  }
  return functionName;
}

function logLevelOf(env: Env): LogLevel {
  // Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL, which also knows TRACE and FATAL.
  const value = envValue(env, 'AWS_LAMBDA_LOG_LEVEL')?.toUpperCase() ?? 'INFO';
  const level = value === 'TRACE' ? 'DEBUG' : value === 'FATAL' ? 'ERROR' : value;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    fail('AWS_LAMBDA_LOG_LEVEL', `must be a log level; got ${quote(value)}`);
  }
  return level as LogLevel;
}
