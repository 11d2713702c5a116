// The deploy roles under attack (offline/iam/deployers.ts): every case decided by the simulator,
// and each broken copy of a template makes the case about its mistake fail.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDeployerCases,
  DEPLOYER_TEMPLATE_PATH,
  type DeployerResult,
  loadPolicyModel,
  type PolicyModel,
  runDeployerCheck,
  STACKSET_ADMINISTRATION_TEMPLATE_PATH,
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
} from '@cross-account-lambda/offline/iam';
import { homeTemplate, SYNTH_TIMEOUT_MS } from './support';

let model: PolicyModel;
let dir: string;
beforeAll(async () => {
  model = await loadPolicyModel({ template: await homeTemplate() });
  dir = mkdtempSync(join(tmpdir(), 'deployers-'));
}, SYNTH_TIMEOUT_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(
  templates: { home?: string; target?: string; administration?: string; execution?: string } = {},
) {
  return runDeployerCheck(
    buildDeployerCases(model, {
      deployerTemplate: templates.home ?? DEPLOYER_TEMPLATE_PATH,
      targetDeployerTemplate: templates.target ?? TARGET_DEPLOYER_TEMPLATE_PATH,
      stackSetTemplates: {
        administration: templates.administration ?? STACKSET_ADMINISTRATION_TEMPLATE_PATH,
        execution: templates.execution ?? STACKSET_EXECUTION_TEMPLATE_PATH,
      },
      stage: 'local',
    }),
  );
}

/** A copy of `path` with `edit` applied; refuses an edit that changes nothing. */
function edited(path: string, edit: (text: string) => string): string {
  const text = readFileSync(path, 'utf8');
  const changed = edit(text);
  if (changed === text) throw new Error(`the edit did not change ${path}`);
  const copy = join(dir, `${Math.random().toString(36).slice(2)}-${path.split('/').pop()}`);
  writeFileSync(copy, changed);
  return copy;
}

const mismatches = (results: DeployerResult[]) =>
  results.filter((r) => !r.ok).map((r) => r.case.id.split('/').pop());

describe('the shipped deploy roles', () => {
  let results: DeployerResult[];
  beforeAll(async () => {
    results = await check();
  });

  it('match every case', () => {
    expect(mismatches(results)).toEqual([]);
  });

  it.each([
    'inline *:* policy',
    'trust rewrite',
    'role without boundary',
    'boundary removed',
    'PassRole elsewhere',
    'public bucket',
    'trust',
  ])('deny every "%s" case of both deployers', (attack) => {
    const cases = results.filter((r) => r.case.attack === attack);
    const roles = new Set(cases.map((r) => r.case.role));
    expect(roles.has('resources/deployer-role.yml')).toBe(true);
    expect(roles.has('resources/target-deployer-role.yml')).toBe(true);
    for (const r of cases) expect([r.case.title, r.allowed]).toEqual([r.case.title, false]);
  });

  it('let each deployer deploy, and the deploy workflow on the trusted branch sign in', () => {
    const allowed = results.filter((r) => r.allowed).map((r) => r.case.id.split('/').pop());
    expect(allowed).toEqual(
      expect.arrayContaining([
        'oidc:deploy-workflow',
        'deploy:create-role',
        'deploy:put-role-policy',
        'deploy:pass-role',
        'deploy:alarm',
        'deploy:versioning',
      ]),
    );
  });

  it('cap the roles they create by the boundary, whatever inline policy they write', () => {
    const capped = results.filter((r) => r.case.id.includes('inline-everything'));
    expect(capped.length).toBeGreaterThanOrEqual(3);
    for (const r of capped) expect(r.decidedBy).toBe('permissions boundary (no allow)');
  });
});

describe('a broken deploy role is caught by the case about its mistake', () => {
  it.each([
    [
      'the boundary condition dropped',
      (t: string) =>
        t.replace(
          / {16}Condition:\n {18}StringEquals:\n {20}iam:PermissionsBoundary: !Ref ExecutionRoleBoundary\n/,
          '',
        ),
      [
        'escalate:role-without-boundary',
        'escalate:role-other-boundary',
        'escalate:inline-without-boundary',
      ],
    ],
    [
      'the trust rewrite granted',
      (t: string) =>
        t.replace(
          '                  - iam:UpdateRole\n',
          '                  - iam:UpdateRole\n                  - iam:UpdateAssumeRolePolicy\n',
        ),
      ['escalate:trust-rewrite'],
    ],
    [
      'PassRole without its service condition',
      (t: string) =>
        t.replace(
          / {16}Condition:\n {18}StringEquals:\n {20}iam:PassedToService: lambda.amazonaws.com\n/,
          '',
        ),
      ['escalate:pass-role-ec2'],
    ],
    [
      "the bucket's public access block writable",
      (t: string) =>
        t.replace(
          '                  - s3:GetBucketPublicAccessBlock\n',
          '                  - s3:GetBucketPublicAccessBlock\n                  - s3:PutBucketPublicAccessBlock\n',
        ),
      ['escalate:bucket-public-access-block'],
    ],
    [
      "the trust on GitHub's default subject (no branch)",
      (t: string) =>
        t.replace(
          "!Sub 'repo:${GitHubOwner}/${GitHubRepo}:environment:${GitHubEnvironment}:job_workflow_ref:${GitHubOwner}/${GitHubRepo}/.github/workflows/${GitHubWorkflow}@refs/heads/${GitHubBranch}'",
          "!Sub 'repo:${GitHubOwner}/${GitHubRepo}:environment:${GitHubEnvironment}'",
        ),
      ['oidc:deploy-workflow', 'oidc:default-subject'],
    ],
  ])('resources/deployer-role.yml with %s', async (_, edit, expected) => {
    const results = await check({ home: edited(DEPLOYER_TEMPLATE_PATH, edit) });
    expect(mismatches(results).sort()).toEqual([...expected].sort());
  });

  it('docs/organizations/stackset-administration-role.yml trusting CloudFormation for any StackSet', async () => {
    const administration = edited(STACKSET_ADMINISTRATION_TEMPLATE_PATH, (t) =>
      t.replace(/ {14}ArnLike:\n {16}aws:SourceArn: .*\n/, ''),
    );
    expect(mismatches(await check({ administration }))).toEqual(['trust:other-stack-set']);
  });

  it('docs/organizations/stackset-execution-role.yml trusting the whole administrator account', async () => {
    const execution = edited(STACKSET_EXECUTION_TEMPLATE_PATH, (t) =>
      t.replace(/ {12}Condition:\n {14}ArnEquals:\n {16}aws:PrincipalArn: .*\n/, ''),
    );
    expect(mismatches(await check({ execution }))).toEqual(['trust:other-role']);
  });

  it('resources/target-deployer-role.yml with the boundary deletable', async () => {
    const target = edited(TARGET_DEPLOYER_TEMPLATE_PATH, (t) =>
      t.replace(
        '                  - iam:DeleteRolePolicy\n                Resource',
        '                  - iam:DeleteRolePolicy\n                  - iam:DeleteRolePermissionsBoundary\n                Resource',
      ),
    );
    expect(mismatches(await check({ target }))).toEqual(['escalate:boundary-removed']);
  });
});

/** The home deployer (`home`) and the target deployer, the home one deployed with `switches`. */
function homeDeployedWith(
  switches: { distributed?: boolean; pinnedRuntime?: boolean },
  home: string,
) {
  return runDeployerCheck(
    buildDeployerCases(model, {
      deployerTemplate: home,
      targetDeployerTemplate: TARGET_DEPLOYER_TEMPLATE_PATH,
      stage: 'local',
      ...switches,
    }),
  );
}

describe('distributed mode (the deployer deployed with DistributedMode=true)', () => {
  const distributed = (home = DEPLOYER_TEMPLATE_PATH) =>
    homeDeployedWith({ distributed: true }, home);

  it('may create the state machine and its roles within their boundary, and nothing around them', async () => {
    const results = await distributed();
    expect(mismatches(results)).toEqual([]);
    const ids = results.map((r) => r.case.id.split('/').pop());
    expect(ids).toEqual(
      expect.arrayContaining([
        'deploy:distributed:state-machine',
        'escalate:distributed:role-without-boundary',
        'escalate:distributed:pass-role-lambda',
        'escalate:distributed:inline-everything-invoke',
      ]),
    );
  });

  it('without DistributedMode=true may create no state machine', async () => {
    const results = await check();
    const off = results.find((r) => r.case.id.endsWith('escalate:distributed-off'));
    expect([off?.case.expected, off?.allowed]).toEqual(['denied', false]);
  });

  it("fails the boundary case when the distributed roles' boundary is dropped from the condition", async () => {
    const home = edited(DEPLOYER_TEMPLATE_PATH, (text) =>
      text.replace(
        /( {18}Condition:\n {20}StringEquals:\n {22}iam:PermissionsBoundary: !Ref DistributedRoleBoundary\n)/,
        '',
      ),
    );
    expect(mismatches(await distributed(home))).toEqual([
      'escalate:distributed:role-without-boundary',
      'escalate:distributed:role-exec-boundary',
    ]);
  });

  it("fails when the state machine's role may be passed to any service", async () => {
    const home = edited(DEPLOYER_TEMPLATE_PATH, (text) =>
      text.replace(
        / {18}Condition:\n {20}StringEquals:\n {22}iam:PassedToService: states\.amazonaws\.com\n/,
        '',
      ),
    );
    expect(mismatches(await distributed(home))).toEqual(['escalate:distributed:pass-role-lambda']);
  });
});

describe('a pinned runtime version (the deployer deployed with PinnedRuntime=true)', () => {
  const pinned = (home = DEPLOYER_TEMPLATE_PATH) => homeDeployedWith({ pinnedRuntime: true }, home);

  it("may pin this function's runtime version, and no other function's", async () => {
    const results = await pinned();
    expect(mismatches(results)).toEqual([]);
    const decided = (id: string) => results.find((r) => r.case.id.endsWith(id))?.allowed;
    expect([
      decided('deploy:pinned-runtime'),
      decided('escalate:pinned-runtime-elsewhere'),
    ]).toEqual([true, false]);
  });

  it('without PinnedRuntime=true may not pin it', async () => {
    const results = await check();
    const off = results.find((r) => r.case.id.endsWith('escalate:runtime-unpinned'));
    expect([off?.case.expected, off?.allowed]).toEqual(['denied', false]);
  });

  it('fails when the grant is made whatever the parameter says', async () => {
    const home = edited(DEPLOYER_TEMPLATE_PATH, (text) =>
      text.replace(
        '!If [DeployPinnedRuntime, lambda:PutRuntimeManagementConfig, !Ref AWS::NoValue]',
        'lambda:PutRuntimeManagementConfig',
      ),
    );
    expect(mismatches(await check({ home }))).toEqual(['escalate:runtime-unpinned']);
  });
});
