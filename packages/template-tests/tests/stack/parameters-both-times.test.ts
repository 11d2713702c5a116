// One table, one verdict: every core parameter (src/config.ts CORE_PARAMETERS) is validated at
// deploy time by the serverless plugin's params.js and at cold start by the function from the same row. Generated
// values, valid and not, go through both; each gets the same verdict, and a refusal the same
// message, the parameter named as each time names it (`Parameter "x"` / `VARIABLE`).

import { CORE_PARAMETERS } from '@cross-account-lambda/core/src/config';
import { loadAllConfig } from '@cross-account-lambda/core/src/crossAccount';
import type { ConfigError } from '@cross-account-lambda/core/src/errors';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';
import { deployTime } from '@cross-account-lambda/serverless-plugin/testing';
import fc from 'fast-check';
import { job } from '../../../../job';

const NAMES = Object.keys(CORE_PARAMETERS) as (keyof typeof CORE_PARAMETERS)[];

// Values of the forms each parameter takes, near misses of them, and junk: `sls` gives every
// --param as text, and refuses an empty one, so the values are non-empty text.
const SAMPLES: Record<keyof typeof CORE_PARAMETERS, string[]> = {
  targetAccountIds: [
    '222222222222',
    '222222222222,333333333333',
    '22222222222',
    '222222222222,222222222222',
    'prod',
  ],
  targetRoleName: [
    'cross-account-demo-target',
    'team/role',
    'arn:aws:iam::222222222222:role/r',
    'r'.repeat(65),
  ],
  externalId: ['ext-123', 'x', 'ext id', 'a'.repeat(1225)],
  targetRegions: [
    'us-east-1',
    'eu-west-1,us-east-1',
    'cn-north-1',
    'europe',
    'us-east-1,us-east-1',
  ],
  sessionDurationSeconds: ['900', '3600', '899', '3601', '9e2'],
  fanoutConcurrency: ['1', '50', '0', '51', '8.5'],
  organizationId: ['o-a1b2c3d4e5', 'o-abc', 'O-A1B2C3D4E5'],
  targetOrganizationalUnits: ['ou-ab12-11111111', 'r-ab12', 'ou-1'],
  organizationReaderAccountId: ['999999999999', '99999999999'],
  organizationReaderRoleName: ['cross-account-organizations-reader', 'readers/x'],
  accountCacheSeconds: ['0', '86400', '86401', '-1'],
};

// Mostly the first two samples (valid forms), so that whole valid sets come up too; a parameter
// left out half the time, but the accounts always given.
const sampleOf = (name: keyof typeof CORE_PARAMETERS) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...SAMPLES[name].slice(0, 2)), weight: 12 },
    { arbitrary: fc.constantFrom(...SAMPLES[name]), weight: 2 },
    { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 1 },
  );
const given = fc.record(
  Object.fromEntries(
    NAMES.map((name) => [
      name,
      name === 'targetAccountIds'
        ? sampleOf(name)
        : fc.option(sampleOf(name), { nil: undefined, freq: 2 }),
    ]),
  ) as Record<keyof typeof CORE_PARAMETERS, fc.Arbitrary<string | undefined>>,
);

/** The cold start of the function on the environment deploy time would give it. */
function runTime(params: Record<string, string>): ConfigError | undefined {
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'cross-account-lambda-dev-crossAccount',
  };
  for (const [name, value] of Object.entries(params)) {
    const row = CORE_PARAMETERS[name as keyof typeof CORE_PARAMETERS];
    if (row) env[row.variable] = value;
  }
  try {
    loadAllConfig(job, env);
    return undefined;
  } catch (error) {
    return error as ConfigError;
  }
}

test('generated parameters: the same verdict and the same message at deploy time and at cold start', async () => {
  let refused = 0;
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(given, async (drawn) => {
      const params = Object.fromEntries(
        Object.entries(drawn).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const cold = runTime(params);
      const { error } = await deployTime(params);
      if (cold === undefined) {
        accepted += 1;
        expect(error).toBeUndefined();
        return;
      }
      refused += 1;
      expect(cold.name).toBe('ConfigError');
      const row = Object.values(CORE_PARAMETERS).find((r) => r.variable === cold.variable);
      if (!row) throw new Error(`${cold.variable} is no row of the table`);
      // Deploy time says the same, with the parameter as the user gives it for the variable.
      expect(error?.message).toBe(
        `Parameter "${row.name}"${cold.message.slice(row.variable.length)}.`,
      );
    }),
    { seed: 20_261_207, numRuns: 300 },
  );
  // Both verdicts must be exercised, or the property proves less than it says.
  expect(accepted).toBeGreaterThan(10);
  expect(refused).toBeGreaterThan(100);
}, 120_000);

test('docs/parameters.md lists every core parameter with its default, as the table declares it', () => {
  const readme = require('node:fs').readFileSync(
    require('node:path').join(findServiceRoot(), 'docs/parameters.md'),
    'utf8',
  ) as string;
  for (const row of Object.values(CORE_PARAMETERS)) {
    const line = readme.split('\n').find((text) => text.startsWith(`| \`${row.name}\``));
    expect({ name: row.name, line }).toEqual({ name: row.name, line: expect.any(String) });
    if (row.default) expect(line).toContain(`\`${row.default}\``);
  }
});
