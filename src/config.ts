import { partition } from '@aws-sdk/core/client';
import { ConfigError } from './errors';
import { LOG_LEVELS, type LogLevel } from './logger';
import { quote } from './redact';

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

// What each variable is called where the user sets it.
const HINTS = {
  TARGET_ACCOUNT_IDS: 'set --param targetAccountIds=222222222222[,333333333333...]',
  TARGET_ROLE_NAME:
    "set --param targetRoleName=<role name> (the target stack's RoleName, default cross-account-demo-target)",
  TARGET_EXTERNAL_ID:
    "set --param externalId=<the target stack's ExternalId>, or leave it empty when the target requires none",
  TARGET_REGIONS:
    'set --param targetRegions=<region id>[,<region id>...] (empty: the region the function runs in)',
  SESSION_DURATION_SECONDS:
    'set --param sessionDurationSeconds=900 (at most 3600: assuming a role from Lambda is role chaining)',
  FANOUT_CONCURRENCY: 'set --param fanoutConcurrency=<1..50> (default 8)',
  TARGET_ORGANIZATION_ID:
    'set --param organizationId=o-<10 to 32 lowercase letters or digits>, or leave it empty',
  TARGET_ORGANIZATIONAL_UNITS:
    'set --param targetOrganizationalUnits=ou-ab12-11111111[,r-ab12...] (OU or root ids), or leave it empty and set targetAccountIds',
  ORGANIZATION_READER_ACCOUNT_ID:
    'set --param organizationReaderAccountId=<the management or delegated-administrator account where resources/organizations-reader-role.yml is deployed>',
  ORGANIZATION_READER_ROLE_NAME: `set --param organizationReaderRoleName=<the reader stack's RoleName, default ${DEFAULT_READER_ROLE_NAME}>`,
  ACCOUNT_CACHE_SECONDS: 'set --param accountCacheSeconds=<0..86400> (default 300)',
  AWS_REGION:
    'Lambda sets it; for sls invoke local or a script, export AWS_REGION=<region id, for example us-east-1>',
  AWS_LAMBDA_FUNCTION_NAME:
    'Lambda sets it; for a script, export AWS_LAMBDA_FUNCTION_NAME=<2 to 64 of letters, digits and _+=,.@->',
  AWS_LAMBDA_LOG_LEVEL: `set it to one of ${LOG_LEVELS.join(', ')}`,
} as const;

type Variable = keyof typeof HINTS;

function fail(variable: Variable, problem: string): never {
  throw new ConfigError(variable, `${variable} ${problem}; ${HINTS[variable]}`);
}

/** Reads and validates the whole configuration; pure, so tests can feed it any environment. */
export function loadConfig(env: Env): Config {
  const homeRegion = region('AWS_REGION', required(env, 'AWS_REGION'));
  const homePartition = partition(homeRegion).name;
  const targetRegions = regionList(
    optional(env, 'TARGET_REGIONS') ?? homeRegion,
    homeRegion,
    homePartition,
  );
  const organizationalUnits = optional(env, 'TARGET_ORGANIZATIONAL_UNITS');
  const listed = optional(env, 'TARGET_ACCOUNT_IDS');
  // One source of accounts: a list beside OUs would be a second, unbounded-by-OU trust to audit.
  if (organizationalUnits !== undefined && listed !== undefined) {
    fail(
      'TARGET_ORGANIZATIONAL_UNITS',
      'and TARGET_ACCOUNT_IDS are both set; the accounts come from one of them: leave targetAccountIds empty to discover the accounts, or targetOrganizationalUnits empty to list them',
    );
  }
  const organizationId = organizationIdOf(optional(env, 'TARGET_ORGANIZATION_ID'));
  const discovery =
    organizationalUnits === undefined
      ? undefined
      : discoveryOf(env, organizationalUnits, organizationId, homePartition);
  const accountIds = discovery ? [] : accountList(required(env, 'TARGET_ACCOUNT_IDS'));
  const roleName = roleNameOf(required(env, 'TARGET_ROLE_NAME'), homePartition);
  const targets = new Map<string, TargetSpec>();
  for (const account of accountIds) {
    targets.set(account, {
      account,
      roleArn: targetRoleArn({ partition: homePartition, roleName }, account),
    });
  }
  const functionName = optional(env, 'AWS_LAMBDA_FUNCTION_NAME') ?? 'crossAccount';
  return {
    homeRegion,
    partition: homePartition,
    functionName,
    sourceIdentity: sourceIdentityOf(functionName),
    accountIds,
    roleName,
    externalId: externalIdOf(optional(env, 'TARGET_EXTERNAL_ID')),
    targetRegions,
    // The same range as at deploy time (config/params.js): from Lambda, AssumeRole is role chaining.
    sessionDurationSeconds: integer(env, 'SESSION_DURATION_SECONDS', 900, 900, 3600),
    fanoutConcurrency: integer(env, 'FANOUT_CONCURRENCY', 8, 1, 50),
    organizationId,
    logLevel: logLevelOf(env),
    targets,
    discovery,
  };
}

/** The ARN of role `roleName` in `account`: a target role, or the Organizations reader role. */
export function targetRoleArn(config: Pick<Config, 'partition' | 'roleName'>, account: string) {
  return `arn:${config.partition}:iam::${account}:role/${config.roleName}`;
}

function discoveryOf(
  env: Env,
  organizationalUnits: string,
  organizationId: string | undefined,
  homePartition: string,
): DiscoveryConfig {
  const units = commaList('TARGET_ORGANIZATIONAL_UNITS', 'unit', organizationalUnits, (item, at) =>
    ORGANIZATIONAL_UNIT_ID.test(item) || ROOT_ID.test(item)
      ? undefined
      : `must be a comma-separated list of OU ids (ou-ab12-11111111) or the root id (r-ab12); ${at} is ${quote(item)}`,
  );
  // The execution role may assume the target role only under these OUs, a condition written
  // with the organization's id (aws:ResourceOrgPaths): without it there is no bound to write.
  if (organizationId === undefined) {
    fail(
      'TARGET_ORGANIZATION_ID',
      'is missing, and TARGET_ORGANIZATIONAL_UNITS needs it to bound the target role to accounts under those units',
    );
  }
  const readerAccount = required(env, 'ORGANIZATION_READER_ACCOUNT_ID');
  if (!ACCOUNT_ID.test(readerAccount)) {
    fail(
      'ORGANIZATION_READER_ACCOUNT_ID',
      `must be a 12-digit account id; got ${quote(readerAccount)}`,
    );
  }
  const readerRole = roleNameOf(
    optional(env, 'ORGANIZATION_READER_ROLE_NAME') ?? DEFAULT_READER_ROLE_NAME,
    homePartition,
    'ORGANIZATION_READER_ROLE_NAME',
  );
  return {
    organizationalUnits: units,
    readerRoleArn: targetRoleArn({ partition: homePartition, roleName: readerRole }, readerAccount),
    cacheSeconds: integer(env, 'ACCOUNT_CACHE_SECONDS', 300, 0, 86_400),
  };
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, variable: Variable): string {
  return optional(env, variable) ?? fail(variable, 'is missing');
}

function region(variable: 'AWS_REGION', value: string): string {
  if (!REGION.test(value)) {
    fail(variable, `must be a region id such as us-east-1 or eu-central-1; got ${quote(value)}`);
  }
  return value;
}

// Every region in the home region's partition: a role cannot be assumed across partitions.
function regionList(value: string, homeRegion: string, homePartition: string): string[] {
  return commaList('TARGET_REGIONS', 'region', value, (item, position) => {
    if (!REGION.test(item)) {
      return `must be a region id such as us-east-1, or a comma-separated list of them; got ${quote(item)} (${position})`;
    }
    const itemPartition = partition(item).name;
    if (itemPartition === homePartition) return undefined;
    return (
      `includes ${quote(item)} (${position}) in partition ${itemPartition}, but the function runs in ` +
      `${homeRegion} (partition ${homePartition}); a role cannot be assumed across partitions`
    );
  });
}

function accountList(value: string): string[] {
  return commaList('TARGET_ACCOUNT_IDS', 'account', value, (item, position) => {
    if (ACCOUNT_ID.test(item)) return undefined;
    const detail = /^\d+$/.test(item) ? ` (${item.length} digits)` : '';
    return `must be a comma-separated list of 12-digit AWS account ids; ${position} is ${quote(item)}${detail}`;
  });
}

/** A comma-separated list, each item checked by `problem` and listed once. */
function commaList(
  variable: Variable,
  what: string,
  value: string,
  problem: (item: string, position: string) => string | undefined,
): string[] {
  const items = value.split(',').map((item) => item.trim());
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    const position = `item ${index + 1}`;
    const wrong = problem(item, position);
    if (wrong) fail(variable, wrong);
    if (seen.has(item)) {
      fail(variable, `lists ${what} ${item} twice (${position}); list each ${what} once`);
    }
    seen.add(item);
  }
  return items;
}

function roleNameOf(
  value: string,
  expectedPartition: string,
  variable: 'TARGET_ROLE_NAME' | 'ORGANIZATION_READER_ROLE_NAME' = 'TARGET_ROLE_NAME',
): string {
  if (value.startsWith('arn:')) {
    fail(
      variable,
      `must be a role name, not an ARN; got ${describeArn(value, expectedPartition, 'iam', 'role/')}`,
    );
  }
  if (!ROLE_NAME.test(value)) {
    fail(
      variable,
      `must be an IAM role name of 1 to 64 characters from [A-Za-z0-9_+=,.@-] (no path); got ${quote(value)}`,
    );
  }
  return value;
}

// Explains what a mistakenly given ARN is, so the message says which part to keep.
function describeArn(
  value: string,
  expectedPartition: string,
  service: string,
  resourcePrefix: string,
): string {
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

function externalIdOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // The value is not echoed: it is not a secret, but it is the one shared token of the trust.
  if (value.length < 2 || value.length > 1224) {
    fail('TARGET_EXTERNAL_ID', `must be 2 to 1224 characters long; got ${value.length}`);
  }
  const illegal = [...value].findIndex((char) => !EXTERNAL_ID.test(char));
  if (illegal >= 0) {
    const code = value.codePointAt(illegal)?.toString(16).toUpperCase().padStart(4, '0');
    fail(
      'TARGET_EXTERNAL_ID',
      `may only contain letters, digits and _+=,.@:/-; character ${illegal + 1} is U+${code}`,
    );
  }
  return value;
}

function integer(env: Env, variable: Variable, fallback: number, min: number, max: number): number {
  const value = optional(env, variable);
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    fail(variable, `must be an integer from ${min} to ${max}; got ${quote(value)}`);
  }
  return parsed;
}

function organizationIdOf(value: string | undefined): string | undefined {
  if (value !== undefined && !ORGANIZATION_ID.test(value)) {
    fail('TARGET_ORGANIZATION_ID', `must look like o-a1b2c3d4e5; got ${quote(value)}`);
  }
  return value;
}

function logLevelOf(env: Env): LogLevel {
  // Lambda's advanced logging controls set AWS_LAMBDA_LOG_LEVEL, which also knows TRACE and FATAL.
  const value = optional(env, 'AWS_LAMBDA_LOG_LEVEL')?.toUpperCase() ?? 'INFO';
  const level = value === 'TRACE' ? 'DEBUG' : value === 'FATAL' ? 'ERROR' : value;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    fail('AWS_LAMBDA_LOG_LEVEL', `must be a log level; got ${quote(value)}`);
  }
  return level as LogLevel;
}
