// Organizations mode, decided by the IAM policy evaluator over the synthesised home stack, the
// target stacks and docs/organizations/organizations-reader-role.yml: the function may assume the target
// role only in accounts under the configured OUs, and the reader role, which may list accounts and
// child OUs of its organization and nothing else.
import {
  ASSUME_ANY_ROLE,
  auditWildcards,
  decideAssumeRole,
  decideTargetCall,
  formatReport,
  functionSession,
  iamUser,
  nearMissRoles,
  type PolicyModel,
  recreatedFunctionSession,
  roleSession,
  runCheck,
  uniqueIdOf,
} from '@cross-account-lambda/offline/iam';
import {
  loadCoreCheckModel,
  loadCoreModel,
  synthesizeCore,
} from '@cross-account-lambda/template-tests/support/core';

const ORG = 'o-a1b2c3d4e5';
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-11111111';
const PROD = 'ou-ab12-33333333';
const SANDBOX = 'ou-ab12-22222222';
const READER_ACCOUNT = '999999999999';
const MANAGEMENT = READER_ACCOUNT;

// Where each account sits: two under the configured OU (one a level down), one in a sibling OU of
// the same organization, one in another organization.
const IN_WORKLOADS = '222222222222';
const IN_PROD = '444444444444';
const IN_SANDBOX = '666666666666';
const OTHER_ORG = '777777777777';
const PATHS: Record<string, string> = {
  [IN_WORKLOADS]: `${ORG}/${ROOT}/${WORKLOADS}/`,
  [IN_PROD]: `${ORG}/${ROOT}/${WORKLOADS}/${PROD}/`,
  [IN_SANDBOX]: `${ORG}/${ROOT}/${SANDBOX}/`,
  [OTHER_ORG]: 'o-zzzzzzzzzz/r-zz99/ou-zz99-99999999/',
};

let model: PolicyModel;
let dispose: (() => Promise<void>) | undefined;
let homeTemplate: unknown;

beforeAll(async () => {
  const synth = await synthesizeCore({
    stage: 'dev',
    params: {
      targetOrganizationalUnits: WORKLOADS,
      organizationId: ORG,
      organizationReaderAccountId: READER_ACCOUNT,
    },
  });
  dispose = synth.dispose;
  homeTemplate = synth.template;
  model = await loadCoreModel({
    template: synth.template,
    otherTargetAccounts: [IN_WORKLOADS, IN_PROD, IN_SANDBOX, OTHER_ORG],
    organizations: {
      [IN_WORKLOADS]: ORG,
      [IN_PROD]: ORG,
      [IN_SANDBOX]: ORG,
      [READER_ACCOUNT]: ORG,
      [OTHER_ORG]: 'o-zzzzzzzzzz',
    },
    organizationPaths: PATHS,
  });
}, 120_000);
afterAll(() => dispose?.());

const targetRole = (account: string) => `arn:aws:iam::${account}:role/cross-account-demo-target`;
const readerRole = `arn:aws:iam::${READER_ACCOUNT}:role/cross-account-organizations-reader`;
const assumeAsFunction = (roleArn: string) =>
  decideAssumeRole(model, functionSession(model), roleArn, {
    sourceIdentity: model.sourceIdentity,
  });

describe('the execution role in Organizations mode', () => {
  it.each([
    [IN_WORKLOADS, 'in the configured OU'],
    [IN_PROD, 'in a child OU of it'],
  ])('may assume the target role in %s (%s)', async (account) => {
    const decision = await assumeAsFunction(targetRole(account));
    expect(decision).toMatchObject({ allowed: true });
  });

  it.each([
    [IN_SANDBOX, 'in a sibling OU of the same organization'],
    [OTHER_ORG, 'in another organization'],
  ])('may not assume the target role in %s (%s): its own policy denies', async (account) => {
    const decision = await assumeAsFunction(targetRole(account));
    expect(decision).toMatchObject({ allowed: false, decidedBy: 'execution-role' });
  });

  it('may assume the reader role, naming itself as source identity, and no other name', async () => {
    await expect(assumeAsFunction(readerRole)).resolves.toMatchObject({ allowed: true });
    const otherName = await decideAssumeRole(model, functionSession(model), readerRole, {
      sourceIdentity: 'someone-else',
    });
    // Denied twice over: the reader trust requires the function's name, and the role may set no other.
    expect(otherName).toMatchObject({ allowed: false });
  });

  it('may not assume a role of the reader name in another account', async () => {
    const elsewhere = `arn:aws:iam::${IN_WORKLOADS}:role/cross-account-organizations-reader`;
    await expect(assumeAsFunction(elsewhere)).resolves.toMatchObject({
      allowed: false,
      decidedBy: 'execution-role',
    });
  });
});

describe('the reader role trust', () => {
  it.each(['other-stage', 'prefixed', 'suffixed', 'role-path'])(
    'denies the near-miss principal %s, though it may assume any role',
    async (id) => {
      const nearMiss = nearMissRoles(model).find((candidate) => candidate.id === id);
      if (!nearMiss) throw new Error(`no near miss ${id}`);
      const decision = await decideAssumeRole(model, nearMiss.caller, readerRole, {
        sourceIdentity: model.sourceIdentity,
      });
      expect(decision).toMatchObject({ allowed: false, decidedBy: 'trust-policy' });
    },
  );

  it('denies a home IAM user and the execution role name in another account', async () => {
    const user = iamUser(model.homeAccountId, 'deployer', [ASSUME_ANY_ROLE]);
    const sameNameElsewhere = roleSession(
      IN_SANDBOX,
      model.executionRoleName,
      model.deployedFunctionName,
      [ASSUME_ANY_ROLE],
    );
    for (const caller of [user, sameNameElsewhere]) {
      const decision = await decideAssumeRole(model, caller, readerRole, {
        sourceIdentity: model.sourceIdentity,
      });
      expect(decision).toMatchObject({ allowed: false, decidedBy: 'trust-policy' });
    }
  });

  it('denies a re-created execution role once the reader stack pins ExecutionRoleId', async () => {
    const recreated = recreatedFunctionSession(model);
    const stamp = { sourceIdentity: model.sourceIdentity };
    // Unpinned, a role re-created under the same name gets in, as with the target trust.
    await expect(decideAssumeRole(model, recreated, readerRole, stamp)).resolves.toMatchObject({
      allowed: true,
    });
    const pinned = await loadCoreModel({
      template: homeTemplate,
      otherTargetAccounts: [IN_WORKLOADS],
      readerParameters: { ExecutionRoleId: uniqueIdOf(model.executionRoleArn) },
    });
    await expect(decideAssumeRole(pinned, recreated, readerRole, stamp)).resolves.toMatchObject({
      allowed: false,
      decidedBy: 'trust-policy',
      explicitDeny: true,
    });
    await expect(
      decideAssumeRole(pinned, functionSession(pinned), readerRole, stamp),
    ).resolves.toMatchObject({ allowed: true });
  });
});

describe('the reader role permissions', () => {
  const reader = () => roleSession(READER_ACCOUNT, 'cross-account-organizations-reader', 'fn');
  const ou = (org: string, id: string) => `arn:aws:organizations::${MANAGEMENT}:ou/${org}/${id}`;
  const root = `arn:aws:organizations::${MANAGEMENT}:root/${ORG}/${ROOT}`;

  it.each([
    ['organizations:ListAccountsForParent', ou(ORG, WORKLOADS)],
    ['organizations:ListAccountsForParent', root],
    ['organizations:ListOrganizationalUnitsForParent', ou(ORG, PROD)],
    ['organizations:ListOrganizationalUnitsForParent', root],
  ])('allow %s on %s', async (action, resource) => {
    await expect(decideTargetCall(model, reader(), action, resource)).resolves.toMatchObject({
      allowed: true,
    });
  });

  it.each([
    ['organizations:ListAccountsForParent', ou('o-zzzzzzzzzz', 'ou-zz99-99999999')],
    ['organizations:ListAccounts', '*'],
    [
      'organizations:DescribeAccount',
      `arn:aws:organizations::${MANAGEMENT}:account/${ORG}/${IN_PROD}`,
    ],
    ['organizations:ListChildren', ou(ORG, WORKLOADS)],
    ['organizations:MoveAccount', `arn:aws:organizations::${MANAGEMENT}:account/${ORG}/${IN_PROD}`],
    ['organizations:CreateOrganizationalUnit', ou(ORG, WORKLOADS)],
    ['sts:AssumeRole', targetRole(IN_PROD)],
  ])('allow nothing else: %s on %s is denied', async (action, resource) => {
    await expect(decideTargetCall(model, reader(), action, resource)).resolves.toMatchObject({
      allowed: false,
    });
  });
});

describe('npm run check in Organizations mode', () => {
  it('models one account under each unit, one of the organization outside them, and proves both roles', async () => {
    const report = await runCheck(await loadCoreCheckModel({ template: homeTemplate }));
    expect(report.results.filter((r) => !r.ok).map((r) => r.case.id)).toEqual([]);
    expect(report.ok).toBe(true);
    const outsideUnits = report.results.find(
      (r) => r.case.concern === 'unconfigured-account' && r.case.title.includes('not under'),
    );
    expect(outsideUnits).toMatchObject({
      case: { expected: 'denied' },
      decision: { allowed: false, decidedBy: 'execution-role' },
    });
    const ids = report.results.map((r) => r.case.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        `${READER_ACCOUNT}/function-assumes-reader`,
        `${READER_ACCOUNT}/reader-near-miss:prefixed`,
        `${READER_ACCOUNT}/reader:organizations:ListAccountsForParent`,
        `${READER_ACCOUNT}/reader-broader:organizations:DescribeAccount:account/${ORG}/${READER_ACCOUNT}`,
      ]),
    );
    expect(formatReport(report)).toMatch(
      new RegExp(
        `assumes cross-account-demo-target in the accounts under ${WORKLOADS} of organization ${ORG} that have the target stack \\(modelled: \\d{12} under them, allowed; \\d{12}, not under them, denied`,
      ),
    );
  });

  it('fails when the execution role is not bounded to the units: the account outside them gets in', async () => {
    // The home stack as it would be with aws:ResourceOrgID alone (organization mode without OUs).
    const unbounded = JSON.parse(JSON.stringify(homeTemplate), (key, value) =>
      key === 'ForAnyValue:StringLike' ? undefined : value,
    ) as unknown;
    const report = await runCheck(await loadCoreCheckModel({ template: unbounded }));
    expect(report.ok).toBe(false);
    const failed = report.results.filter((r) => !r.ok);
    expect(failed.map((r) => r.case.concern)).toEqual(['unconfigured-account']);
    expect(failed[0]?.decision.allowed).toBe(true);
  });
});

describe('the wildcard audit of the reader role', () => {
  it('audits the reader template: its OU and root ARNs are justified, its trust has no wildcard', () => {
    const reader = auditWildcards(model, { stage: 'dev' }).filter((finding) =>
      finding.source.startsWith('docs/organizations/organizations-reader-role.yml'),
    );
    expect(reader.map((finding) => [finding.statement, finding.value])).toEqual([
      ['ListAccountsAndChildUnits', `arn:aws:organizations::${MANAGEMENT}:root/${ORG}/r-*`],
      ['ListAccountsAndChildUnits', `arn:aws:organizations::${MANAGEMENT}:ou/${ORG}/ou-*`],
    ]);
    expect(reader.every((finding) => finding.justification && !finding.trust)).toBe(true);
  });
});
