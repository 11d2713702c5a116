import {
  ASSUME_ANY_ROLE,
  type Caller,
  decideAssumeRole,
  decideTargetCall,
  EvaluatorError,
  formatReport,
  functionSession,
  iamUser,
  type PolicyModel,
  recreatedFunctionSession,
  reportJson,
  requestContext,
  roleSession,
  runCheck,
  targetFor,
  uniqueIdOf,
} from '@cross-account-lambda/offline/iam';
import {
  loadCoreCheckModel,
  loadCoreModel,
} from '@cross-account-lambda/template-tests/support/core';
import {
  editedTargetTemplate,
  homeTemplate,
  removeEditedTemplates,
  SYNTH_TIMEOUT_MS,
} from './support';

const HOME = '111111111111';
const TARGET = '222222222222';
const EXEC_ROLE = 'cross-account-lambda-local-us-east-1-exec';
const EXEC_ROLE_ARN = `arn:aws:iam::${HOME}:role/${EXEC_ROLE}`;
const TARGET_ROLE_ARN = `arn:aws:iam::${TARGET}:role/cross-account-demo-target`;
const BUCKET = `cross-account-demo-${TARGET}-us-east-1`;

let template: unknown;
let model: PolicyModel;

beforeAll(async () => {
  template = await homeTemplate();
  model = await loadCoreModel({ template });
}, SYNTH_TIMEOUT_MS);

afterAll(removeEditedTemplates);

/** A deep copy to seed a mistake into, leaving the shared model alone. */
function copy(): PolicyModel {
  return structuredClone(model);
}

// Only the function's own code may use the role's sts statements (lambda:SourceFunctionArn).
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${HOME}:function:cross-account-lambda-local-crossAccount`;

describe('loadPolicyModel reads the home side from the stack `sls package` synthesises', () => {
  it("takes the execution role the function's Role points at, with its deterministic name", () => {
    expect(model.executionRoleName).toBe(EXEC_ROLE);
    expect(model.executionRoleArn).toBe(EXEC_ROLE_ARN);
    expect(model.deployedFunctionName).toBe('cross-account-lambda-local-crossAccount');
  });

  it("resolves the role's sts statements to one role ARN per configured account, stamped with the function's name", () => {
    const statements = model.executionRolePolicies.flatMap((p) => p.document.Statement);
    const sts = statements.filter((s) => JSON.stringify(s.Action).includes('sts:'));
    expect(sts).toEqual([
      {
        Sid: 'AssumeTheTargetRoles',
        Effect: 'Allow',
        Action: ['sts:AssumeRole'],
        Resource: [TARGET_ROLE_ARN],
        Condition: { ArnEquals: { 'lambda:SourceFunctionArn': FUNCTION_ARN } },
      },
      {
        Sid: 'NameTheFunctionAsSourceIdentity',
        Effect: 'Allow',
        Action: ['sts:SetSourceIdentity'],
        Resource: [TARGET_ROLE_ARN],
        Condition: {
          StringEquals: { 'sts:SourceIdentity': 'cross-account-lambda-local-crossAccount' },
          ArnEquals: { 'lambda:SourceFunctionArn': FUNCTION_ARN },
        },
      },
    ]);
    expect(model.sourceIdentity).toBe('cross-account-lambda-local-crossAccount');
    expect(JSON.stringify(model.executionRolePolicies)).not.toMatch(/Fn::|\$\{/);
  });

  it("takes what the function will do from the function's environment", () => {
    expect(model.configuredTargets).toEqual([TARGET]);
    expect(model.targetRoleName).toBe('cross-account-demo-target');
    expect(model.externalId).toBe('');
    expect(model.organizationId).toBe('');
  });
});

describe('loadPolicyModel resolves the target template once per account, deployed as the README says', () => {
  it('passes the home account, the execution role name and the home parameters', () => {
    expect(targetFor(model, TARGET)?.parameters).toMatchObject({
      TrustedAccountId: HOME,
      ExecutionRoleName: EXEC_ROLE,
      RoleName: 'cross-account-demo-target',
      ExternalId: '',
      OrganizationId: '',
      BucketName: '',
    });
  });

  it('trusts the home account only for the execution role, requires its source identity, and leaves no statement for an unset option', () => {
    expect(targetFor(model, TARGET)?.trustPolicy.Statement).toEqual([
      {
        Sid: 'TrustOnlyTheFunctionExecutionRole',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${HOME}:root` },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        Condition: { ArnEquals: { 'aws:PrincipalArn': EXEC_ROLE_ARN } },
      },
      {
        Sid: 'RequireTheSourceIdentity',
        Effect: 'Deny',
        Principal: { AWS: `arn:aws:iam::${HOME}:root` },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
        Condition: {
          StringNotEquals: { 'sts:SourceIdentity': 'cross-account-lambda-local-crossAccount' },
        },
      },
    ]);
  });

  it('grants the role exactly what the shipped job declares: s3:ListBucket on the demo bucket there', () => {
    const target = targetFor(model, TARGET);
    expect(target?.roleArn).toBe(TARGET_ROLE_ARN);
    expect(target?.bucket).toBe(BUCKET);
    expect(target?.permissions[0]?.document.Statement.map((s) => [s.Action, s.Resource])).toEqual([
      ['s3:ListBucket', `arn:aws:s3:::${BUCKET}`],
    ]);
    expect(target?.job.declared).toEqual([
      { action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}` },
    ]);
  });

  it('lets a test or `--target-param` model a target stack deployed with other values', async () => {
    const other = await loadCoreModel({
      template,
      targetParameters: (account) =>
        account === TARGET ? { ExternalId: 'ext-id-1', BucketName: 'existing-bucket' } : undefined,
    });
    const target = targetFor(other, TARGET);
    expect(target?.bucket).toBe('existing-bucket');
    expect(target?.bucketPolicy).toBeUndefined();
    expect(target?.trustPolicy.Statement.map((s) => s.Sid)).toEqual([
      'TrustOnlyTheFunctionExecutionRole',
      'RequireTheSourceIdentity',
      'RequireTheExternalId',
    ]);
  });

  it('refuses parameter values CloudFormation would reject, naming the parameter', async () => {
    await expect(
      loadCoreModel({ template, targetParameters: () => ({ TrustedAccountId: '12345' }) }),
    ).rejects.toThrow(/TrustedAccountId="12345" does not match AllowedPattern/);
  });

  it('names the template path of a construct it cannot resolve', async () => {
    const path = editedTargetTemplate((text) =>
      text.replace('RoleName: !Ref RoleName', 'RoleName: !Base64 some-role'),
    );
    const loading = loadCoreModel({ template, targetTemplate: path });
    await expect(loading).rejects.toThrow(EvaluatorError);
    await expect(loading).rejects.toThrow(
      /Resources\.CrossAccountRole\.Properties\.RoleName\.Fn::Base64: Fn::Base64 is not supported/,
    );
  });
});

describe('requestContext sets the context keys IAM derives from the principal', () => {
  it("gives the function's session the role ARN as aws:PrincipalArn, not the session ARN", () => {
    const context = requestContext(model, functionSession(model), TARGET);
    expect(functionSession(model).arn).toBe(
      `arn:aws:sts::${HOME}:assumed-role/${EXEC_ROLE}/cross-account-lambda-local-crossAccount`,
    );
    expect(context).toMatchObject({
      'aws:PrincipalArn': EXEC_ROLE_ARN,
      'aws:PrincipalAccount': HOME,
      'aws:PrincipalType': 'AssumedRole',
      'aws:ResourceAccount': TARGET,
      'aws:SecureTransport': 'true',
    });
    expect(context['aws:userid']).toMatch(
      /^AROA[0-9A-Z]{17}:cross-account-lambda-local-crossAccount$/,
    );
    expect(context['aws:username']).toBeUndefined();
  });

  it("sets lambda:SourceFunctionArn for the function's own calls only, as Lambda does", async () => {
    expect(requestContext(model, functionSession(model), TARGET)['lambda:SourceFunctionArn']).toBe(
      FUNCTION_ARN,
    );
    const elsewhere = { ...functionSession(model), sourceFunctionArn: undefined };
    expect(requestContext(model, elsewhere, TARGET)['lambda:SourceFunctionArn']).toBeUndefined();
    const allowed = await decideAssumeRole(model, functionSession(model), TARGET_ROLE_ARN, {
      sourceIdentity: model.sourceIdentity,
    });
    const outside = await decideAssumeRole(model, elsewhere, TARGET_ROLE_ARN, {
      sourceIdentity: model.sourceIdentity,
    });
    expect([allowed.allowed, outside.allowed, outside.decidedBy]).toEqual([
      true,
      false,
      'execution-role',
    ]);
  });

  it('gives a role re-created under the same name the same aws:PrincipalArn but a new aws:userid', () => {
    const now = requestContext(model, functionSession(model), TARGET);
    const recreated = requestContext(model, recreatedFunctionSession(model), TARGET);
    expect(recreated['aws:PrincipalArn']).toBe(now['aws:PrincipalArn']);
    expect(recreated['aws:userid']).toMatch(
      /^AROA[0-9A-Z]{17}:cross-account-lambda-local-crossAccount$/,
    );
    expect(recreated['aws:userid']).not.toBe(now['aws:userid']);
    expect(now['aws:userid']).toBe(
      `${uniqueIdOf(EXEC_ROLE_ARN)}:cross-account-lambda-local-crossAccount`,
    );
  });

  it('gives an IAM user its user ARN and name', () => {
    expect(requestContext(model, iamUser(HOME, 'alice'), TARGET)).toMatchObject({
      'aws:PrincipalArn': `arn:aws:iam::${HOME}:user/alice`,
      'aws:PrincipalType': 'User',
      'aws:username': 'alice',
    });
  });

  it('sets organization keys only for accounts in an organization', async () => {
    const inOrg = await loadCoreModel({
      template,
      organizations: { [HOME]: 'o-aaaaaaaaaa', [TARGET]: 'o-bbbbbbbbbb' },
    });
    const context = requestContext(inOrg, functionSession(inOrg), TARGET);
    expect(context['aws:PrincipalOrgID']).toBe('o-aaaaaaaaaa');
    expect(context['aws:ResourceOrgID']).toBe('o-bbbbbbbbbb');
    expect(
      requestContext(model, functionSession(model), TARGET)['aws:PrincipalOrgID'],
    ).toBeUndefined();
  });
});

describe('decideAssumeRole', () => {
  const asTheFunction = () => ({ sourceIdentity: model.sourceIdentity });

  it("allows the function's session to assume the target role: identity and trust policy both allow", async () => {
    const decision = await decideAssumeRole(
      model,
      functionSession(model),
      TARGET_ROLE_ARN,
      asTheFunction(),
    );
    expect(decision).toMatchObject({
      allowed: true,
      decidedBy: 'trust-policy',
      explicitDeny: false,
    });
    expect(decision.statement).toContain('TrustOnlyTheFunctionExecutionRole');
    expect(decision.reason).toContain('sts:SetSourceIdentity on');
  });

  it("decides sts:SetSourceIdentity too: the trust requires the function's name, the execution role may set no other", async () => {
    const fn = functionSession(model);
    expect(await decideAssumeRole(model, fn, TARGET_ROLE_ARN)).toMatchObject({
      allowed: false,
      decidedBy: 'trust-policy',
      explicitDeny: true,
      statement: 'trust/RequireTheSourceIdentity',
    });
    const unrequired = await loadCoreModel({
      template,
      targetParameters: () => ({ SourceIdentity: '' }),
    });
    expect(
      await decideAssumeRole(unrequired, fn, TARGET_ROLE_ARN, { sourceIdentity: 'someone' }),
    ).toMatchObject({
      allowed: false,
      decidedBy: 'execution-role',
      action: 'sts:SetSourceIdentity',
    });
    expect((await decideAssumeRole(unrequired, fn, TARGET_ROLE_ARN)).allowed).toBe(true);
  });

  it('denies another role of the home account, even one allowed to assume any role, by the trust policy', async () => {
    const admin = roleSession(HOME, 'admin', 'someone', [ASSUME_ANY_ROLE]);
    expect(await decideAssumeRole(model, admin, TARGET_ROLE_ARN, asTheFunction())).toMatchObject({
      allowed: false,
      decidedBy: 'trust-policy',
      explicitDeny: false,
    });
  });

  it('denies a role that no target stack creates', async () => {
    const decision = await decideAssumeRole(
      model,
      roleSession(HOME, 'admin', 's', [ASSUME_ANY_ROLE]),
      `arn:aws:iam::${TARGET}:role/missing`,
    );
    expect(decision).toMatchObject({ allowed: false, decidedBy: 'trust-policy' });
    expect(decision.reason).toContain(`no role arn:aws:iam::${TARGET}:role/missing exists`);
  });

  it("denies a role outside the execution role's statement by the execution-role policy", async () => {
    expect(
      await decideAssumeRole(model, functionSession(model), `arn:aws:iam::${TARGET}:role/missing`),
    ).toMatchObject({
      allowed: false,
      decidedBy: 'execution-role',
    });
  });

  it('passes the external id to the trust policy as sts:ExternalId', async () => {
    const withId = await loadCoreModel({
      template,
      targetParameters: () => ({ ExternalId: 'ext-id-1' }),
    });
    const fn = functionSession(withId);
    const sourceIdentity = withId.sourceIdentity;
    expect(
      (
        await decideAssumeRole(withId, fn, TARGET_ROLE_ARN, {
          externalId: 'ext-id-1',
          sourceIdentity,
        })
      ).allowed,
    ).toBe(true);
    expect(
      await decideAssumeRole(withId, fn, TARGET_ROLE_ARN, { externalId: 'other', sourceIdentity }),
    ).toMatchObject({
      allowed: false,
      decidedBy: 'trust-policy',
      explicitDeny: true,
      statement: 'trust/RequireTheExternalId',
    });
  });

  it('throws EvaluatorError for a principal it cannot model, instead of denying', async () => {
    const root: Caller = {
      arn: `arn:aws:iam::${HOME}:root`,
      accountId: HOME,
      roleArn: `arn:aws:iam::${HOME}:root`,
    };
    await expect(decideAssumeRole(model, root, TARGET_ROLE_ARN)).rejects.toThrow(EvaluatorError);
  });
});

describe('decideTargetCall', () => {
  const asTarget = () => roleSession(TARGET, 'cross-account-demo-target', 'crossAccount');

  it('allows what the job needs, s3:ListBucket on the bucket, and not reading its objects', async () => {
    expect(
      await decideTargetCall(model, asTarget(), 's3:ListBucket', `arn:aws:s3:::${BUCKET}`),
    ).toMatchObject({
      allowed: true,
      decidedBy: 'target-permissions',
      statement: 'ReadOneBucket/ListTheBucket',
    });
    expect(
      (await decideTargetCall(model, asTarget(), 's3:GetObject', `arn:aws:s3:::${BUCKET}/a/b.txt`))
        .allowed,
    ).toBe(false);
  });

  it('denies writes and other buckets by the target permissions', async () => {
    for (const [action, resource] of [
      ['s3:PutObject', `arn:aws:s3:::${BUCKET}/a.txt`],
      ['s3:ListBucket', 'arn:aws:s3:::some-other-bucket'],
    ] as const) {
      expect(await decideTargetCall(model, asTarget(), action, resource)).toMatchObject({
        allowed: false,
        decidedBy: 'target-permissions',
      });
    }
  });

  it('allows sts:GetCallerIdentity without any policy', async () => {
    const noPermissions = copy();
    for (const target of noPermissions.targets) target.permissions = [];
    expect(
      (await decideTargetCall(noPermissions, asTarget(), 'sts:GetCallerIdentity', '*')).allowed,
    ).toBe(true);
  });

  it('lets the demo bucket policy deny, as the bucket owner would', async () => {
    const strict = copy();
    const target = strict.targets[0];
    if (!target?.bucketPolicy) throw new Error('the demo bucket has a policy');
    target.bucketPolicy.Statement.push({
      Sid: 'DenyAll',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: `arn:aws:s3:::${BUCKET}`,
    });
    expect(
      await decideTargetCall(strict, asTarget(), 's3:ListBucket', `arn:aws:s3:::${BUCKET}`),
    ).toMatchObject({
      allowed: false,
      explicitDeny: true,
      statement: 'bucket-policy/DenyAll',
    });
  });

  it('throws EvaluatorError when the simulator reports an error, never a deny', async () => {
    const broken = copy();
    const statement = broken.targets[0]?.permissions[0]?.document.Statement[0];
    if (!statement) throw new Error('the role has a statement');
    statement.Effect = 'Maybe';
    const deciding = decideTargetCall(
      broken,
      asTarget(),
      's3:ListBucket',
      `arn:aws:s3:::${BUCKET}`,
    );
    await expect(deciding).rejects.toThrow(EvaluatorError);
    // In words that name the policy, statement and field, not the simulator's own codes.
    await expect(deciding).rejects.toThrow(
      /^a policy does not validate \(policy ReadOneBucket Statement\[0\]\.Effect: Effect must be present/,
    );
    const unknown = decideTargetCall(
      model,
      asTarget(),
      's3:NoSuchAction',
      `arn:aws:s3:::${BUCKET}`,
    );
    await expect(unknown).rejects.toThrow(EvaluatorError);
    await expect(unknown).rejects.toThrow(
      's3:NoSuchAction is not an IAM action the Service Authorization Reference lists',
    );
  });
});

describe('npm run check on the shipped configuration (stage local, defaults)', () => {
  it('passes every case: exactly what the job declares is allowed, the rest denied, nothing granted beyond it', async () => {
    const report = await runCheck(await loadCoreCheckModel({ template }));
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    const allowed = report.results
      .filter((r) => r.case.expected === 'allowed')
      .map((r) => r.case.id);
    // Unpinned (ExecutionRoleId empty), a role re-created under the same name is trusted too.
    expect(allowed).toEqual([
      `${TARGET}/function-assumes-role`,
      `${TARGET}/job:s3:ListBucket`,
      `${TARGET}/same-role-recreated`,
    ]);
    expect(report.permissions).toEqual({
      declared: { [TARGET]: [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}` }] },
      excess: [],
      deliberate: [],
      neverMatching: [],
    });
    expect(report.results.map((r) => r.case.concern)).toEqual(
      expect.arrayContaining([
        'other-principal',
        'other-role',
        'unconfigured-account',
        'outside-grant',
      ]),
    );
    expect(formatReport(report)).toContain(`All ${report.results.length} cases match`);
  });

  it('shows that no external id is required when none is set', async () => {
    const report = await runCheck(await loadCoreCheckModel({ template }));
    expect(report.results[0]?.case.title).toContain('no external id set: none required');
    expect(report.results.some((r) => r.case.concern === 'external-id')).toBe(false);
  });

  it('reports for machines every case with its decision and which side decided', async () => {
    const json = reportJson(await runCheck(await loadCoreCheckModel({ template }))) as {
      ok: boolean;
      cases: Array<{ id: string; expected: string; got: string; decidedBy: string }>;
    };
    expect(json.ok).toBe(true);
    expect(json.cases).toContainEqual(
      expect.objectContaining({
        id: `${TARGET}/home-iam-user`,
        expected: 'denied',
        got: 'denied',
        decidedBy: 'trust-policy',
      }),
    );
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
