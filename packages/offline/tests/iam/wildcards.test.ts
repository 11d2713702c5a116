// The wildcard audit of `npm run check`: every `*` in an Allow statement's Action or Resource is
// justified by its shape or by the template's Metadata, and any other fails the check by name.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEPLOYER_TEMPLATE_PATH,
  findTrustWildcards,
  findWildcards,
  unjustified,
} from '@cross-account-lambda/offline/iam';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { coreArgs } from '@cross-account-lambda/template-tests/support/core';
import { coreTargetTemplate } from '@cross-account-lambda/template-tests/support/coreTarget';
import { SYNTH_TIMEOUT_MS } from './support';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');

function check(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['node_modules/@cross-account-lambda/offline/check.ts', ...coreArgs(), ...args],
      { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

const dir = mkdtempSync(join(tmpdir(), 'wildcards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of `path` with `from` replaced by `to`; fails when nothing was replaced. */
function editedCopy(path: string, name: string, from: string | RegExp, to: string): string {
  const original = readFileSync(path, 'utf8');
  const edited = original.replace(from, to);
  if (edited === original) throw new Error(`edit of ${name} changed nothing: ${from}`);
  const copy = join(dir, name);
  writeFileSync(copy, edited);
  return copy;
}

describe('findWildcards', () => {
  const policy = (Statement: Array<Record<string, unknown>>) => [
    { name: 'p', document: { Statement: Statement as never } },
  ];

  it('accepts a trailing * inside one named resource, and Deny statements', () => {
    const findings = findWildcards([
      {
        source: 't',
        policies: policy([
          { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' },
          { Effect: 'Deny', Action: 's3:*', Resource: '*' },
        ]),
      },
    ]);
    expect(findings).toHaveLength(1);
    expect(unjustified(findings)).toEqual([]);
  });

  it('flags action and resource wildcards unless the Sid is justified in Metadata', () => {
    const findings = findWildcards([
      {
        source: 't',
        justifications: { Justified: 'no resource-level permissions' },
        policies: policy([
          { Sid: 'AnyS3', Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b' },
          { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b*'] },
          {
            Sid: 'Justified',
            Effect: 'Allow',
            Action: 'cloudformation:ValidateTemplate',
            Resource: '*',
          },
        ]),
      },
    ]);
    expect(unjustified(findings).map((f) => [f.statement, f.field, f.value])).toEqual([
      ['AnyS3', 'Action', 's3:*'],
      ['#2', 'Resource', 'arn:aws:s3:::b*'],
    ]);
  });
});

describe('a * account in an sts:AssumeRole resource', () => {
  const role = 'arn:aws:iam::*:role/cross-account-demo-target';
  const audit = (statement: Record<string, unknown>) =>
    unjustified(
      findWildcards([
        {
          source: 'home',
          policies: [
            {
              name: 'p',
              document: { Statement: [{ Effect: 'Allow', Resource: role, ...statement }] as never },
            },
          ],
        },
      ]),
    ).map((f) => f.value);

  it('is bounded by an exact organization id or OU paths (organization mode)', () => {
    expect(
      audit({
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abc123def45' } },
      }),
    ).toEqual([]);
    expect(
      audit({
        Action: 'sts:AssumeRole',
        Condition: {
          'ForAnyValue:StringLike': {
            'aws:ResourceOrgPaths': ['o-abc123def45/r-ab12/ou-ab12-cdefgh34/*'],
          },
        },
      }),
    ).toEqual([]);
    // An OU at any depth, as targetOrganizationalUnits writes it.
    expect(
      audit({
        Action: 'sts:AssumeRole',
        Condition: {
          'ForAnyValue:StringLike': {
            'aws:ResourceOrgPaths': [
              'o-abc123def45/*/ou-ab12-cdefgh34/*',
              'o-abc123def45/r-ab12/*',
            ],
          },
        },
      }),
    ).toEqual([]);
  });

  it('fails without such a condition, with a wildcard in it, or for any other action', () => {
    expect(audit({ Action: 'sts:AssumeRole' })).toEqual([role]);
    expect(
      audit({
        Action: 'sts:AssumeRole',
        Condition: { StringLike: { 'aws:ResourceOrgID': 'o-*' } },
      }),
    ).toEqual([role]);
    expect(
      audit({
        Action: 'sts:AssumeRole',
        Condition: { 'ForAnyValue:StringLike': { 'aws:ResourceOrgPaths': ['o-abc123def45/*'] } },
      }),
    ).toEqual([role]);
    // A * in the root's place stands for the whole organization unless an OU follows it.
    for (const path of ['o-abc123def45/*/*', 'o-abc123def45/*/', 'o-abc123def45/*/ou-*/*']) {
      expect(
        audit({
          Action: 'sts:AssumeRole',
          Condition: { 'ForAnyValue:StringLike': { 'aws:ResourceOrgPaths': [path] } },
        }),
      ).toEqual([role]);
    }
    expect(
      audit({
        Action: ['sts:AssumeRole', 'iam:PassRole'],
        Condition: { StringEquals: { 'aws:ResourceOrgID': 'o-abc123def45' } },
      }),
    ).toEqual([role]);
  });
});

describe('npm run check wildcard audit', () => {
  it(
    "passes organization mode: the execution role's * account is bounded by aws:ResourceOrgID",
    async () => {
      const run = await check('--param', 'organizationId=o-abc123def45');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Wildcards: none unjustified');
      expect(run.stdout).toContain('any other account of organization o-abc123def45');
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'fails with exit 1, naming the statement, for a wildcard action in a copy of the target template',
    async () => {
      const copy = editedCopy(
        coreTargetTemplate(),
        'cross-account-role.yml',
        'Action: s3:ListBucket',
        "Action: 's3:List*'",
      );
      const run = await check('--target-template', copy);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/All \d+ cases match/);
      expect(run.stdout).toContain('Wildcards: 2 not justified');
      expect(run.stdout).toMatch(
        /cross-account-role\.yml in 222222222222: policy ReadOneBucket, statement ListTheBucket: Action "s3:List\*"/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'fails in --json too for a deployer role wildcard whose justification was removed',
    async () => {
      const copy = editedCopy(
        DEPLOYER_TEMPLATE_PATH,
        'deployer-role.yml',
        / {4}DescribeLogGroups: >-\n( {6}.*\n)+/,
        '',
      );
      const run = await check('--json', '--deployer-template', copy);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as {
        ok: boolean;
        cases: Array<{ ok: boolean }>;
        wildcards: Array<{ statement: string; value: string; justification?: string }>;
      };
      expect(report.ok).toBe(false);
      expect(report.cases.every((c) => c.ok)).toBe(true);
      expect(report.wildcards.filter((w) => !w.justification)).toEqual([
        expect.objectContaining({ statement: 'DescribeLogGroups' }),
      ]);
      // An action that acts on no resource type needs no justification for Resource "*": the
      // Service Authorization Reference says AWS matches nothing narrower.
      expect(report.wildcards).toContainEqual(
        expect.objectContaining({
          statement: 'ValidateTemplates',
          value: '*',
          justification: expect.stringContaining('acts on no resource type'),
        }),
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'passes for the shipped templates and lists what it justified',
    async () => {
      const run = await check();
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Wildcards: none unjustified \(\d+ justified\)\./);
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('the trust audit', () => {
  const trust = (statements: unknown[]) => [
    {
      source: 'target',
      policy: 'trust',
      trustPolicy: { Version: '2012-10-17', Statement: statements } as never,
    },
  ];

  it('flags * and ? in an Allow statement Principal or Condition value, never justified', () => {
    const findings = findTrustWildcards(
      trust([
        {
          Sid: 'Loose',
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::111111111111:root', '*'] },
          Action: 'sts:AssumeRole',
          Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/a-?' } },
        },
        { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' },
      ]),
    );
    expect(findings.map((f) => [f.statement, f.field, f.value])).toEqual([
      ['Loose', 'Principal', '*'],
      ['Loose', 'Condition ArnEquals aws:PrincipalArn', 'arn:aws:iam::111111111111:role/a-?'],
      ['#2', 'Principal', '*'],
    ]);
    expect(unjustified(findings)).toHaveLength(3);
  });

  it('leaves Deny statements alone (the ExecutionRoleId pin is StringNotLike <id>:*)', () => {
    expect(
      findTrustWildcards(
        trust([
          {
            Effect: 'Deny',
            Principal: { AWS: 'arn:aws:iam::111111111111:root' },
            Action: 'sts:AssumeRole',
            Condition: { StringNotLike: { 'aws:userid': 'AROAEXAMPLEID1234567:*' } },
          },
        ]),
      ),
    ).toEqual([]);
  });
});
