// Every environment variable the core reads, malformed in turn (the shipped job's own are in
// job/listObjects.test.ts): the handler module fails to load (a cold start) with a ConfigError naming the variable, saying what was wrong and how to fix
// it where the user sets it (the --param of serverless.yml, or the variable itself).
import type { ConfigError } from '@cross-account-lambda/core/src/errors';
import { validEnv } from '../../testing/fixtures';
import { recordFigure } from '../../testing/runRecord';

type Variable =
  | 'AWS_REGION'
  | 'TARGET_ACCOUNT_IDS'
  | 'TARGET_ROLE_NAME'
  | 'TARGET_EXTERNAL_ID'
  | 'TARGET_REGIONS'
  | 'SESSION_DURATION_SECONDS'
  | 'FANOUT_CONCURRENCY'
  | 'TARGET_ORGANIZATION_ID'
  | 'TARGET_ORGANIZATIONAL_UNITS'
  | 'ORGANIZATION_READER_ACCOUNT_ID'
  | 'ORGANIZATION_READER_ROLE_NAME'
  | 'ACCOUNT_CACHE_SECONDS'
  | 'AWS_LAMBDA_LOG_LEVEL';

/** Where the user fixes each variable: the message must say so. */
const FIX: Record<Variable, string> = {
  AWS_REGION: 'export AWS_REGION=',
  TARGET_ACCOUNT_IDS: '--param targetAccountIds=',
  TARGET_ROLE_NAME: '--param targetRoleName=',
  TARGET_EXTERNAL_ID: '--param externalId=',
  TARGET_REGIONS: '--param targetRegions=',
  SESSION_DURATION_SECONDS: '--param sessionDurationSeconds=',
  FANOUT_CONCURRENCY: '--param fanoutConcurrency=',
  TARGET_ORGANIZATION_ID: '--param organizationId=',
  TARGET_ORGANIZATIONAL_UNITS: '--param targetOrganizationalUnits=',
  ORGANIZATION_READER_ACCOUNT_ID: '--param organizationReaderAccountId=',
  ORGANIZATION_READER_ROLE_NAME: '--param organizationReaderRoleName=',
  ACCOUNT_CACHE_SECONDS: '--param accountCacheSeconds=',
  AWS_LAMBDA_LOG_LEVEL: 'set it to one of DEBUG, INFO, WARN, ERROR',
};

/**
 * [what is wrong, the value, what the message must say about it, the environment it is set in
 * (default BASE, accounts listed)]; undefined = unset.
 */
type Case = [string, string | undefined, RegExp, Env?];
type Env = Record<string, string | undefined>;

const BASE = validEnv();
/** Accounts from AWS Organizations: the units, their organization and the reader's account. */
const DISCOVERY_BASE = validEnv({
  TARGET_ACCOUNT_IDS: '',
  TARGET_ORGANIZATIONAL_UNITS: 'ou-ab12-11111111',
  TARGET_ORGANIZATION_ID: 'o-a1b2c3d4e5',
  ORGANIZATION_READER_ACCOUNT_ID: '999999999999',
});

const MALFORMED: Record<Variable, Case[]> = {
  AWS_REGION: [
    ['unset', undefined, /is missing/],
    ['without its number', 'us-east', /must be a region id/],
    ['in capitals', 'US-EAST-1', /must be a region id/],
    ['an availability zone', 'us-east-1a', /must be a region id/],
    ['with underscores', 'eu_west_1', /must be a region id/],
    ['an ARN', 'arn:aws:iam::111111111111:role/x', /must be a region id/],
  ],
  TARGET_ACCOUNT_IDS: [
    ['unset', undefined, /is missing/],
    ['11 digits', '22222222222', /item 1 is "22222222222" \(11 digits\)/],
    ['13 digits', '2222222222222', /\(13 digits\)/],
    ['a role ARN', 'arn:aws:iam::222222222222:role/cross-account-demo-target', /12-digit/],
    ['an alias', 'prod-account', /12-digit/],
    ['an empty item', '222222222222,,333333333333', /item 2 is ""/],
    ['a duplicate', '222222222222,222222222222', /lists account 222222222222 twice/],
    ['separated by semicolons', '222222222222;333333333333', /comma-separated/],
    ['non-ASCII digits', '२२२२२२२२२२२२', /12-digit/],
  ],
  TARGET_ROLE_NAME: [
    [
      'a role ARN',
      'arn:aws:iam::222222222222:role/cross-account-demo-target',
      /not an ARN.*use its name "cross-account-demo-target"/,
    ],
    [
      'an ARN of another partition',
      'arn:aws-cn:iam::222222222222:role/cross-account-demo-target',
      /partition "aws-cn" is not aws/,
    ],
    ['an ARN of another service', 'arn:aws:s3:::cross-account-demo', /not an iam role ARN/],
    ['a malformed ARN', 'arn:aws:iam', /malformed ARN/],
    ['a path', 'team/cross-account-demo-target', /no path/],
    ['65 characters', 'r'.repeat(65), /1 to 64 characters/],
    ['with a space', 'cross account', /1 to 64 characters/],
  ],
  TARGET_EXTERNAL_ID: [
    ['one character', 'x', /2 to 1224 characters long; got 1/],
    ['1225 characters', 'x'.repeat(1225), /got 1225/],
    ['with a space', 'ext id', /character 4 is U\+0020/],
    ['with a semicolon', 'ext;id', /character 4 is U\+003B/],
    ['with a tab', 'ext\tid', /character 4 is U\+0009/],
    ['with a non-ASCII letter', 'extérieur', /character 4 is U\+00E9/],
  ],
  TARGET_REGIONS: [
    ['not a region', 'europe', /must be a region id/],
    ['in another partition', 'cn-north-1', /partition aws-cn.*cannot be assumed across partitions/],
    ['in the GovCloud partition', 'us-gov-west-1', /partition aws-us-gov/],
  ],
  SESSION_DURATION_SECONDS: [
    ['below STS minimum', '899', /integer from 900 to 3600; got "899"/],
    ['above the one hour of a chained session', '3601', /got "3601"/],
    ['a role-maximum 12 hours, which a chained session never gets', '43200', /got "43200"/],
    ['zero', '0', /from 900 to 3600/],
    ['negative', '-900', /from 900 to 3600/],
    ['fractional', '900.5', /from 900 to 3600/],
    ['in exponent notation', '9e2', /from 900 to 3600/],
    ['hexadecimal', '0x384', /from 900 to 3600/],
    ['with a unit', '900s', /from 900 to 3600/],
    ['beyond a safe integer', '9'.repeat(20), /from 900 to 3600/],
  ],
  FANOUT_CONCURRENCY: [
    ['zero', '0', /integer from 1 to 50; got "0"/],
    ['above 50', '51', /got "51"/],
    ['negative', '-1', /from 1 to 50/],
    ['fractional', '1.5', /from 1 to 50/],
    ['a word', 'eight', /from 1 to 50/],
  ],
  TARGET_ORGANIZATION_ID: [
    ['too short', 'o-abc', /must look like o-a1b2c3d4e5/],
    ['in capitals', 'o-ABCDEFGHIJ', /must look like/],
    ['a root id', 'r-abcd', /must look like/],
    ['an OU id', 'ou-abcd-12345678', /must look like/],
    [
      'an organization ARN',
      'arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5',
      /must look like/,
    ],
    ['too long', `o-${'a'.repeat(33)}`, /must look like/],
    [
      'unset while OUs are configured',
      undefined,
      /is missing, and TARGET_ORGANIZATIONAL_UNITS needs it/,
      DISCOVERY_BASE,
    ],
  ],
  TARGET_ORGANIZATIONAL_UNITS: [
    ['set beside TARGET_ACCOUNT_IDS', 'ou-ab12-11111111', /and TARGET_ACCOUNT_IDS are both set/],
    ['an OU id cut short', 'ou-1', /OU ids .* or the root id .*; item 1 is "ou-1"/, DISCOVERY_BASE],
    ['in capitals', 'OU-AB12-11111111', /item 1 is "OU-AB12-11111111"/, DISCOVERY_BASE],
    ['an account id', '222222222222', /item 1 is "222222222222"/, DISCOVERY_BASE],
    [
      'an OU ARN',
      'arn:aws:organizations::999999999999:ou/o-a1b2c3d4e5/ou-ab12-11111111',
      /item 1 is "arn:aws:organizations/,
      DISCOVERY_BASE,
    ],
    ['the organization id', 'o-a1b2c3d4e5', /item 1 is "o-a1b2c3d4e5"/, DISCOVERY_BASE],
    ['an empty item', 'ou-ab12-11111111,,r-ab12', /item 2 is ""/, DISCOVERY_BASE],
    [
      'a duplicate',
      'ou-ab12-11111111,ou-ab12-11111111',
      /lists unit ou-ab12-11111111 twice/,
      DISCOVERY_BASE,
    ],
    [
      'separated by semicolons',
      'ou-ab12-11111111;ou-ab12-22222222',
      /comma-separated/,
      DISCOVERY_BASE,
    ],
  ],
  ORGANIZATION_READER_ACCOUNT_ID: [
    ['unset', undefined, /is missing/, DISCOVERY_BASE],
    [
      '11 digits',
      '99999999999',
      /must be a 12-digit account id; got "99999999999"/,
      DISCOVERY_BASE,
    ],
    [
      'the reader role ARN',
      'arn:aws:iam::999999999999:role/cross-account-organizations-reader',
      /must be a 12-digit account id/,
      DISCOVERY_BASE,
    ],
    ['the organization id', 'o-a1b2c3d4e5', /must be a 12-digit account id/, DISCOVERY_BASE],
  ],
  ORGANIZATION_READER_ROLE_NAME: [
    [
      'a role ARN',
      'arn:aws:iam::999999999999:role/cross-account-organizations-reader',
      /not an ARN.*use its name "cross-account-organizations-reader"/,
      DISCOVERY_BASE,
    ],
    ['a path', 'readers/cross-account-organizations-reader', /no path/, DISCOVERY_BASE],
    ['65 characters', 'r'.repeat(65), /1 to 64 characters/, DISCOVERY_BASE],
  ],
  ACCOUNT_CACHE_SECONDS: [
    ['negative', '-1', /integer from 0 to 86400; got "-1"/, DISCOVERY_BASE],
    ['above a day', '86401', /got "86401"/, DISCOVERY_BASE],
    ['with a unit', '300s', /from 0 to 86400/, DISCOVERY_BASE],
    ['in minutes', '5m', /from 0 to 86400/, DISCOVERY_BASE],
    ['fractional', '0.5', /from 0 to 86400/, DISCOVERY_BASE],
  ],
  AWS_LAMBDA_LOG_LEVEL: [
    ['unknown', 'VERBOSE', /must be a log level; got "VERBOSE"/],
    ['a number', '3', /must be a log level/],
  ],
};

/** A cold start: the handler module loaded in a fresh registry with `env` as the environment. */
function coldStart(env: Env): unknown {
  const saved = process.env;
  process.env = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  try {
    jest.isolateModules(() => {
      require('@cross-account-lambda/template-tests/support/coreHandler');
    });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    process.env = saved;
  }
}

test.each([
  ['accounts listed', BASE],
  ['accounts from AWS Organizations', DISCOVERY_BASE],
])('the valid environment the cases start from (%s) loads without error', (_, env) => {
  expect(coldStart(env)).toBeUndefined();
});

describe.each(Object.entries(MALFORMED) as [Variable, Case[]][])('%s', (variable, cases) => {
  test.each(cases)(
    `%s: the cold start fails with a ConfigError naming ${variable} and the fix`,
    (_, value, problem, base = BASE) => {
      const error = coldStart({ ...base, [variable]: value }) as ConfigError | undefined;
      // By name: the error class comes from the fresh registry the module was loaded in.
      expect(error?.name).toBe('ConfigError');
      expect(error?.variable).toBe(variable);
      expect(error?.message.startsWith(`${variable} `)).toBe(true);
      expect(error?.message).toMatch(problem);
      expect(error?.message).toContain(FIX[variable]);
    },
  );

  afterAll(() => {
    recordFigure({ figure: 'badConfig', variable, tried: cases.length });
  });
});
