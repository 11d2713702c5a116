// Each test seeds one mistake a person deploying the two stacks could make, and expects
// `npm run check` to fail on it with a diagnosis that names the side and the setting to fix.

import {
  type CheckModelOptions,
  type CheckReport,
  formatReport,
  type PolicyModel,
  runCheck,
  spareAccounts,
  uniqueIdOf,
} from '@cross-account-lambda/offline/iam';
import { coreJob, loadCoreCheckModel } from '@cross-account-lambda/template-tests/support/core';
import {
  editedTargetTemplate,
  homeTemplate,
  removeEditedTemplates,
  SYNTH_TIMEOUT_MS,
} from './support';

const HOME = '111111111111';
const A = '222222222222';
const B = '333333333333';
const C = '444444444444';
const EXEC_ROLE = 'cross-account-lambda-local-us-east-1-exec';
const EXTERNAL_ID = 'shared-external-id';
const ORG = 'o-abc123def45';

const RENAMED_ROLE = 'renamed-target-role';

/** Synthesised home stacks; the second changes every home parameter a target stack must match. */
const templates = {
  local: {} as unknown,
  threeAccounts: {} as unknown,
  organization: {} as unknown,
};

beforeAll(async () => {
  // At once: each synthesis builds in its own copy of the project.
  [templates.local, templates.threeAccounts, templates.organization] = await Promise.all([
    homeTemplate(),
    homeTemplate({
      targetAccountIds: [A, B, C].join(','),
      externalId: EXTERNAL_ID,
      targetRoleName: RENAMED_ROLE,
    }),
    homeTemplate({ organizationId: ORG }),
  ]);
}, SYNTH_TIMEOUT_MS);

afterAll(removeEditedTemplates);

async function check(
  template: keyof typeof templates,
  options: Omit<CheckModelOptions, 'template'> = {},
  seed?: (model: PolicyModel) => void,
): Promise<CheckReport> {
  const model = await loadCoreCheckModel({ template: templates[template], ...options });
  seed?.(model);
  return runCheck(model);
}

/** id -> diagnosis of every case that did not match. */
function mismatches(report: CheckReport): Record<string, string | undefined> {
  return Object.fromEntries(
    report.results.filter((r) => !r.ok).map((r) => [r.case.id, r.diagnosis]),
  );
}

describe('npm run check catches a target stack deployed with the wrong values', () => {
  it('wrong TrustedAccountId: the function is refused, and the fix names the home account', async () => {
    const report = await check('local', {
      targetOverrides: { [A]: { TrustedAccountId: '999999999999' } },
    });
    expect(report.ok).toBe(false);
    const failing = report.results.find((r) => r.case.id === `${A}/function-assumes-role`);
    expect(failing?.decision).toMatchObject({ allowed: false, decidedBy: 'trust-policy' });
    expect(failing?.diagnosis).toBe(
      `target stack in ${A} trusts account 999999999999 but the function runs in ${HOME}: deploy resources/cross-account-role.yml in ${A} with TrustedAccountId=${HOME}`,
    );
    // The account it trusts instead may now assume the role: caught as well.
    expect(mismatches(report)).toHaveProperty(`${A}/same-role-name-other-account`);
  });

  it("wrong ExecutionRoleName: the fix names the function's role", async () => {
    const report = await check('local', {
      targetOverrides: { [A]: { ExecutionRoleName: 'some-other-role' } },
    });
    expect(mismatches(report)).toEqual({
      [`${A}/function-assumes-role`]: `target stack in ${A} trusts role some-other-role but the function's role is ${EXEC_ROLE}: deploy resources/cross-account-role.yml in ${A} with ExecutionRoleName=${EXEC_ROLE}`,
      // The role it trusts instead is "another role of the home account".
      [`${A}/home-other-role`]: expect.stringContaining('ExecutionRoleName='),
      // Unpinned, a re-created role is let in like the function: refused for the same reason.
      [`${A}/same-role-recreated`]: `target stack in ${A} trusts role some-other-role but the function's role is ${EXEC_ROLE}: deploy resources/cross-account-role.yml in ${A} with ExecutionRoleName=${EXEC_ROLE}`,
    });
    expect(report.diagnoses).toHaveLength(1);
  });

  it('external id on the target side only: the function sends none and is explicitly denied', async () => {
    const report = await check('local', { targetOverrides: { [A]: { ExternalId: EXTERNAL_ID } } });
    const failing = report.results.find((r) => r.case.id === `${A}/function-assumes-role`);
    expect(failing?.decision).toMatchObject({
      allowed: false,
      decidedBy: 'trust-policy',
      explicitDeny: true,
    });
    expect(failing?.diagnosis).toContain(
      `target stack in ${A} requires an external id but the function sends none: set --param externalId=`,
    );
  });

  it('a bucket other than the one the function reads: the fix names the parameter and both values', async () => {
    // A job whose configuration needs the stack's BucketName empty (the demo bucket, which the
    // grant follows), as the shipped S3 job's does.
    const report = await check('local', {
      job: { ...coreJob, targetStack: () => ({ BucketName: '' }) },
      targetOverrides: { [A]: { BucketName: 'some-existing-bucket' } },
    });
    expect(mismatches(report)).toEqual({
      [`${A}/job:s3:ListBucket`]: expect.stringMatching(
        /target stack in 222222222222 was deployed with BucketName=some-existing-bucket but the function's configuration needs BucketName='' \(empty\)/,
      ),
    });
    expect(report.diagnoses).toHaveLength(1);
  });
});

describe('npm run check models the trust pinned to the execution role unique id (ExecutionRoleId)', () => {
  const roleId = uniqueIdOf(`arn:aws:iam::${HOME}:role/${EXEC_ROLE}`);

  it('unpinned: a role re-created with the same name is let in, and the report warns how to pin', async () => {
    const report = await check('local');
    expect(report.ok).toBe(true);
    const recreated = report.results.find((r) => r.case.id === `${A}/same-role-recreated`);
    expect(recreated).toMatchObject({ ok: true, case: { expected: 'allowed' } });
    expect(report.pinning).toEqual({ executionRoleId: roleId, unpinned: [A] });
    const warning = formatReport(report)
      .split('\n')
      .find((line) => line.startsWith('WARNING: the trust is not pinned'));
    expect(warning).toContain(`--target-param ${A}:ExecutionRoleId=${roleId}`);
    expect(warning).toContain('Pin the trust');
  });

  it('pinned: the function is let in, the re-created role is denied by PinTheExecutionRole, no warning', async () => {
    const report = await check('local', { targetOverrides: { [A]: { ExecutionRoleId: roleId } } });
    expect(mismatches(report)).toEqual({});
    expect(report.ok).toBe(true);
    const recreated = report.results.find((r) => r.case.id === `${A}/same-role-recreated`);
    expect(recreated?.case.expected).toBe('denied');
    expect(recreated?.decision).toMatchObject({
      allowed: false,
      explicitDeny: true,
      statement: 'trust/PinTheExecutionRole',
    });
    expect(report.pinning.unpinned).toEqual([]);
    expect(formatReport(report)).not.toContain('WARNING');
  });

  it('pinned to another id (the role was re-created since): the fix names the current id', async () => {
    const report = await check('local', {
      targetOverrides: { [A]: { ExecutionRoleId: 'AROAOLDROLEID0000000' } },
    });
    expect(mismatches(report)).toEqual({
      [`${A}/function-assumes-role`]: `target stack in ${A} is pinned to role id AROAOLDROLEID0000000 but the function's role has id ${roleId} (re-created?): deploy resources/cross-account-role.yml in ${A} with ExecutionRoleId=${roleId} (the home stack's ExecutionRoleId output)`,
    });
  });

  it('pinned, but the Deny edited out of the template: the re-created role is caught', async () => {
    const targetTemplate = editedTargetTemplate((text) =>
      text.replace("aws:userid: !Sub '${ExecutionRoleId}:*'", "aws:userid: '*'"),
    );
    const report = await check('local', {
      targetTemplate,
      targetOverrides: { [A]: { ExecutionRoleId: roleId } },
    });
    expect(Object.keys(mismatches(report))).toEqual([`${A}/same-role-recreated`]);
    expect(mismatches(report)[`${A}/same-role-recreated`]).toMatch(
      /lets a re-created .* assume it although ExecutionRoleId pins the trust/,
    );
  });
});

describe('npm run check models the source identity (SourceIdentity on AssumeRole)', () => {
  const FUNCTION = 'cross-account-lambda-local-crossAccount';

  it("as deployed by the README: the function's name is required, none or another is denied", async () => {
    const report = await check('local');
    expect(mismatches(report)).toEqual({});
    const decisionOf = (id: string) => report.results.find((r) => r.case.id === `${A}/${id}`);
    expect(decisionOf('no-source-identity')?.decision).toMatchObject({
      allowed: false,
      statement: 'trust/RequireTheSourceIdentity',
    });
    expect(decisionOf('other-source-identity')?.decision.allowed).toBe(false);
    expect(decisionOf('function-assumes-role')?.case.request).toMatchObject({
      sourceIdentity: FUNCTION,
    });
  });

  it('a target stack told another source identity: the function is refused, and the fix names the output', async () => {
    const report = await check('local', {
      targetOverrides: { [A]: { SourceIdentity: 'old-function-name' } },
    });
    const fix = `target stack in ${A} requires source identity old-function-name but the function sends ${FUNCTION}: deploy resources/cross-account-role.yml in ${A} with SourceIdentity=${FUNCTION} (the home stack's SourceIdentity output)`;
    // The re-created role, let in while the trust is unpinned, is refused for the same reason.
    expect(mismatches(report)).toEqual({
      [`${A}/function-assumes-role`]: fix,
      [`${A}/same-role-recreated`]: fix,
    });
  });

  it('the Deny edited out of the template: a session without the source identity is caught', async () => {
    const targetTemplate = editedTargetTemplate((text) =>
      text.replace(
        "RequireSourceIdentity: !Not [!Equals [!Ref SourceIdentity, '']]",
        "RequireSourceIdentity: !Equals [!Ref SourceIdentity, 'never']",
      ),
    );
    const report = await check('local', { targetTemplate });
    expect(Object.keys(mismatches(report))).toEqual([`${A}/no-source-identity`]);
    expect(mismatches(report)[`${A}/no-source-identity`]).toMatch(
      /accepts a session without source identity .*keep the Deny on StringNotEquals sts:SourceIdentity/,
    );
  });

  it('an execution role free to set any source identity is caught even where the target requires none', async () => {
    const report = await check(
      'local',
      { targetOverrides: { [A]: { SourceIdentity: '' } } },
      (m) => {
        for (const policy of m.executionRolePolicies) {
          for (const statement of policy.document.Statement) {
            if (statement.Sid === 'NameTheFunctionAsSourceIdentity') delete statement.Condition;
          }
        }
      },
    );
    expect(Object.keys(mismatches(report))).toEqual([`${A}/other-source-identity`]);
    expect(mismatches(report)[`${A}/other-source-identity`]).toMatch(
      /execution-role policy of .* lets the function set a source identity other than .*@cross-account-lambda\/serverless-plugin \(params\.js\)/,
    );
  });
});

describe('near-miss principals, named after the configured execution role', () => {
  it('are all denied as shipped: another stage, a prefix, a suffix, a role path', async () => {
    const report = await check('local');
    const nearMisses = report.results.filter((r) => r.case.id.includes('/near-miss:'));
    expect(nearMisses.map((r) => r.case.request.caller.roleArn)).toEqual([
      `arn:aws:iam::${HOME}:role/cross-account-lambda-prod-us-east-1-exec`,
      `arn:aws:iam::${HOME}:role/x-${EXEC_ROLE}`,
      `arn:aws:iam::${HOME}:role/${EXEC_ROLE}-x`,
      `arn:aws:iam::${HOME}:role/path/${EXEC_ROLE}`,
    ]);
    for (const r of nearMisses) {
      expect(r).toMatchObject({
        ok: true,
        decision: { allowed: false, decidedBy: 'trust-policy' },
      });
    }
  });

  it('a trust loosened to a pattern lets the suffixed name and another stage in: caught', async () => {
    const targetTemplate = editedTargetTemplate((text) =>
      text.replace(
        "AllowedPattern: '^[\\w+=,.@-]{1,64}$'\n    ConstraintDescription: must be an IAM role name (the",
        () =>
          "AllowedPattern: '^.{1,64}$'\n    ConstraintDescription: must be an IAM role name (the",
      ),
    );
    const report = await check('local', {
      targetTemplate,
      targetOverrides: { [A]: { ExecutionRoleName: 'cross-account-lambda-*' } },
    });
    expect(Object.keys(mismatches(report))).toEqual(
      expect.arrayContaining([`${A}/near-miss:other-stage`, `${A}/near-miss:suffixed`]),
    );
    expect(Object.keys(mismatches(report))).not.toContain(`${A}/near-miss:prefixed`);
  });
});

describe('npm run check catches a target template edited into something unsafe', () => {
  it('a trust statement without the aws:PrincipalArn condition lets every principal of the home account in', async () => {
    const targetTemplate = editedTargetTemplate((text) =>
      text.replace(
        /( {12}Action: \[sts:AssumeRole, sts:SetSourceIdentity\]\n) {12}Condition:\n {14}ArnEquals:\n {16}aws:PrincipalArn: [^\n]+\n/,
        '$1',
      ),
    );
    const report = await check('local', { targetTemplate });
    expect(Object.keys(mismatches(report)).sort()).toEqual([
      `${A}/home-iam-user`,
      `${A}/home-other-role`,
      `${A}/near-miss:other-stage`,
      `${A}/near-miss:prefixed`,
      `${A}/near-miss:role-path`,
      `${A}/near-miss:suffixed`,
    ]);
    const diagnosis = mismatches(report)[`${A}/home-other-role`];
    expect(diagnosis).toMatch(
      /^trust policy of arn:aws:iam::222222222222:role\/cross-account-demo-target/,
    );
    expect(diagnosis).toContain('TrustOnlyTheFunctionExecutionRole');
    expect(diagnosis).toContain('ArnEquals aws:PrincipalArn');
  });

  it('a `*` resource in the target permissions lets the role list any bucket: broader than declared, and excess', async () => {
    const report = await check('local', {}, (model) => {
      for (const statement of model.targets[0]?.permissions[0]?.document.Statement ?? [])
        statement.Resource = '*';
    });
    expect(Object.keys(mismatches(report))).toEqual([`${A}/broader:s3:ListBucket`]);
    expect(mismatches(report)[`${A}/broader:s3:ListBucket`]).toMatch(
      /^target permissions of the role in 222222222222 allow s3:ListBucket on arn:aws:s3:::cross-account-demo-222222222222-us-east-1-not-declared \(ReadOneBucket\/ListTheBucket\): grant only what the job declares \(s3:ListBucket on arn:aws:s3:::cross-account-demo-222222222222-us-east-1\)/,
    );
    expect(report.permissions.excess).toEqual([
      expect.objectContaining({
        action: 's3:ListBucket',
        resource: '*',
        statement: 'ListTheBucket',
      }),
    ]);
    expect(report.ok).toBe(false);
  });

  it('an s3:* grant is excess: the check fails, naming the statement and what to do', async () => {
    const report = await check('local', {}, (model) => {
      const statement = model.targets[0]?.permissions[0]?.document.Statement[0];
      if (statement) statement.Action = 's3:*';
    });
    expect(report.permissions.excess).toEqual([
      {
        account: A,
        action: 's3:*',
        resource: 'arn:aws:s3:::cross-account-demo-222222222222-us-east-1',
        policy: 'ReadOneBucket',
        statement: 'ListTheBucket',
      },
    ]);
    expect(report.ok).toBe(false);
    expect(formatReport(report)).toMatch(
      /EXCESS: s3:\* on arn:aws:s3:::cross-account-demo-222222222222-us-east-1 in 222222222222 \(policy ReadOneBucket, statement ListTheBucket\) is granted but the job does not declare it: remove it from the target template, or declare it in the permissions of packages\/template-tests\/support\/coreJob.ts/,
    );
  });

  it('a grant the job does not use (s3:GetObject, as the stack once had) is excess, unless the job marks it deliberate', async () => {
    const readObjects = (model: PolicyModel) =>
      model.targets[0]?.permissions[0]?.document.Statement.push({
        Sid: 'ReadItsObjects',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::cross-account-demo-222222222222-us-east-1/*',
      });
    const excess = await check('local', {}, readObjects);
    expect(excess.ok).toBe(false);
    expect(excess.permissions.excess.map((g) => [g.action, g.statement])).toEqual([
      ['s3:GetObject', 'ReadItsObjects'],
    ]);

    const reason = 'an auditor reads the objects with this role';
    const deliberate = await check(
      'local',
      {
        job: {
          ...coreJob,
          deliberateGrants: [
            { action: 's3:GetObject', resource: 'arn:${AWS::Partition}:s3:::${Bucket}/*', reason },
          ],
        },
      },
      readObjects,
    );
    expect(deliberate.ok).toBe(true);
    expect(deliberate.permissions.deliberate).toEqual([
      expect.objectContaining({ action: 's3:GetObject', reason }),
    ]);
    expect(formatReport(deliberate)).toContain(
      `granted on purpose: s3:GetObject on arn:aws:s3:::cross-account-demo-222222222222-us-east-1/* in 222222222222: ${reason}`,
    );
  });
});

describe('npm run check catches home-side parameters the target stacks do not match', () => {
  it('wrong targetRoleName: the function assumes a role the target stack never created', async () => {
    // The target stack in A was deployed with the template's default RoleName.
    const report = await check('threeAccounts', {
      targetOverrides: { [A]: { RoleName: 'cross-account-demo-target' } },
    });
    const failing = report.results.find((r) => r.case.id === `${A}/function-assumes-role`);
    expect(failing?.decision).toMatchObject({ allowed: false, decidedBy: 'trust-policy' });
    expect(failing?.decision.reason).toContain(
      `no role arn:aws:iam::${A}:role/${RENAMED_ROLE} exists`,
    );
    expect(report.diagnoses).toEqual([
      `target stack in ${A} creates role cross-account-demo-target but the function assumes ${RENAMED_ROLE}: set --param targetRoleName=cross-account-demo-target, or deploy resources/cross-account-role.yml in ${A} with RoleName=${RENAMED_ROLE}`,
    ]);
  });

  it('external id on the home side only: a call without it is let through', async () => {
    const report = await check('threeAccounts', {
      targetOverrides: { [A]: { ExternalId: '' } },
    });
    expect(Object.keys(mismatches(report)).sort()).toEqual([
      `${A}/no-external-id`,
      `${A}/wrong-external-id`,
    ]);
    expect(report.diagnoses).toEqual([
      `target stack in ${A} does not require an external id but the function sends one: deploy resources/cross-account-role.yml in ${A} with ExternalId set to the home stack's externalId`,
    ]);
  });
});

describe('npm run check evaluates every configured account', () => {
  it('passes three accounts deployed as documented, with the role name and external id of the home stack', async () => {
    const report = await check('threeAccounts');
    expect(report.ok).toBe(true);
    for (const account of [A, B, C]) {
      const ids = report.results.filter((r) => r.case.account === account).map((r) => r.case.id);
      expect(ids).toEqual(
        expect.arrayContaining([
          `${account}/function-assumes-role`,
          `${account}/job:s3:ListBucket`,
          `${account}/no-external-id`,
          `${account}/wrong-external-id`,
        ]),
      );
    }
  });

  it('fails only the cases of the one account whose target stack is misconfigured', async () => {
    const report = await check('threeAccounts', {
      targetOverrides: { [B]: { ExecutionRoleName: 'not-the-function-role' } },
    });
    const failing = report.results.filter((r) => !r.ok);
    expect(failing.length).toBeGreaterThan(0);
    expect(new Set(failing.map((r) => r.case.account))).toEqual(new Set([B]));
    expect(report.results.filter((r) => r.case.account !== B).every((r) => r.ok)).toBe(true);
    expect(report.diagnoses[0]).toMatch(
      /^target stack in 333333333333 trusts role not-the-function-role/,
    );
  });
});

describe('the summary line of a passing check', () => {
  const summary = (report: CheckReport) =>
    formatReport(report)
      .split('\n')
      .find((line) => line.startsWith('All '));

  it('names the one role that may assume, the accounts, and what it may do there', async () => {
    const report = await check('local', {
      targetOverrides: {
        [A]: { ExecutionRoleId: uniqueIdOf(`arn:aws:iam::${HOME}:role/${EXEC_ROLE}`) },
      },
    });
    expect(summary(report)).toBe(
      `All ${report.results.length} cases match. Allowed, and nothing else: arn:aws:iam::${HOME}:role/${EXEC_ROLE} assumes cross-account-demo-target in ${A} only, and there does only s3:ListBucket on arn:aws:s3:::cross-account-demo-${A}-us-east-1.`,
    );
  });

  it('says that a re-created role would be let in while the trust is not pinned', async () => {
    expect(summary(await check('local'))).toContain(
      '(as would a role re-created under its name: see WARNING)',
    );
  });

  it('in organization mode, names which accounts of the organization are reachable', async () => {
    const report = await check('organization');
    const { orgMember, unconfigured } = spareAccounts(report.model);
    expect(summary(report)).toContain(
      `in ${A} and in any other account of organization ${ORG} that has the target stack (modelled: ${orgMember} allowed; ${unconfigured}, outside it, denied)`,
    );
  });
});

describe('npm run check in organization mode', () => {
  it('passes when every account is in the organization, and denies a caller from outside it', async () => {
    const report = await check('organization');
    expect(report.ok).toBe(true);
    expect(
      report.results.find((r) => r.case.id === `${A}/home-outside-organization`)?.decision,
    ).toMatchObject({
      allowed: false,
      decidedBy: 'trust-policy',
      explicitDeny: true,
    });
  });

  it('shows the trade-off: an unconfigured member account is reachable, a non-member is not', async () => {
    const report = await check('organization');
    const unconfigured = report.results.filter((r) => r.case.concern === 'unconfigured-account');
    expect(unconfigured.map((r) => [r.case.expected, r.decision.allowed])).toEqual([
      ['allowed', true],
      ['denied', false],
    ]);
  });

  it('catches a configured account outside the organization, refused by the execution-role policy', async () => {
    const report = await check('organization', { organizations: { [A]: null } });
    const failing = report.results.find((r) => r.case.id === `${A}/function-assumes-role`);
    expect(failing?.decision).toMatchObject({ allowed: false, decidedBy: 'execution-role' });
    expect(failing?.diagnosis).toMatch(
      /^account 222222222222 is not in organization o-abc123def45/,
    );
  });

  it('catches a target stack deployed without OrganizationId', async () => {
    const report = await check('organization', {
      targetOverrides: { [A]: { OrganizationId: '' } },
    });
    expect(mismatches(report)).toEqual({
      [`${A}/home-outside-organization`]: `target stack in ${A} does not require organization ${ORG}: deploy resources/cross-account-role.yml in ${A} with OrganizationId=${ORG}`,
    });
  });
});

describe('every diagnosis', () => {
  it('is one line', async () => {
    const reports = await Promise.all([
      check('local', {
        targetOverrides: { [A]: { TrustedAccountId: '999999999999', BucketName: 'x-bucket' } },
      }),
      check('organization', { organizations: { [A]: null, [HOME]: null } }),
    ]);
    const diagnoses = reports.flatMap((r) => r.diagnoses);
    expect(diagnoses.length).toBeGreaterThan(1);
    for (const diagnosis of diagnoses) expect(diagnosis).not.toContain('\n');
  });
});
