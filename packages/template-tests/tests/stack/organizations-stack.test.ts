// The home stack of a stage that takes its accounts from AWS Organizations, as the real
// `sls package` synthesises it.
import {
  type CfnTemplate,
  functionEnvironment,
  readArtefact,
  type Synthesis,
} from '@cross-account-lambda/offline/synth';
import { synthesizeCore } from '../../support/core';

const ROLE = 'CrossAccountIamRoleLambdaExecution';
const ORG = 'o-a1b2c3d4e5';
const WORKLOADS = 'ou-ab12-11111111';
const ROOT = 'r-ab12';
const READER_ACCOUNT = '999999999999';

type Statement = { Sid?: string; Action: unknown; Resource: unknown; Condition?: unknown };

function statements(template: CfnTemplate): Statement[] {
  const role = template.Resources[ROLE]?.Properties as {
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
  };
  return role.Policies.flatMap((p) => p.PolicyDocument.Statement).filter(
    (s) => ![s.Action].flat().every((a) => String(a).startsWith('logs:')),
  );
}

const organizationParams = {
  targetOrganizationalUnits: `${WORKLOADS},${ROOT}`,
  organizationId: ORG,
  organizationReaderAccountId: READER_ACCOUNT,
};

describe('home stack with targetOrganizationalUnits', () => {
  let synth: Synthesis;
  beforeAll(async () => {
    synth = await synthesizeCore({ stage: 'dev', params: organizationParams });
  }, 120_000);
  afterAll(() => synth?.dispose());

  it('may assume the target role only in accounts under the units, and the reader role by exact ARN', () => {
    const target = { 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/cross-account-demo-target' };
    const reader = {
      'Fn::Sub': `arn:\${AWS::Partition}:iam::${READER_ACCOUNT}:role/cross-account-organizations-reader`,
    };
    const underUnits = {
      StringEquals: { 'aws:ResourceOrgID': ORG },
      'ForAnyValue:StringLike': {
        'aws:ResourceOrgPaths': [`${ORG}/*/${WORKLOADS}/*`, `${ORG}/${ROOT}/*`],
      },
    };
    const source = 'cross-account-lambda-dev-crossAccount';
    // Only the function's own code may use any of them.
    const fromTheFunction = {
      ArnEquals: {
        'lambda:SourceFunctionArn': {
          'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${source}`,
        },
      },
    };
    expect(statements(synth.template)).toEqual([
      {
        Sid: 'AssumeTheTargetRoles',
        Effect: 'Allow',
        Action: ['sts:AssumeRole'],
        Resource: [target],
        Condition: { ...underUnits, ...fromTheFunction },
      },
      {
        Sid: 'NameTheFunctionAsSourceIdentity',
        Effect: 'Allow',
        Action: ['sts:SetSourceIdentity'],
        Resource: [target],
        Condition: {
          ...underUnits,
          StringEquals: { ...underUnits.StringEquals, 'sts:SourceIdentity': source },
          ...fromTheFunction,
        },
      },
      {
        Sid: 'AssumeTheOrganizationsReader',
        Effect: 'Allow',
        Action: ['sts:AssumeRole'],
        Resource: [reader],
        Condition: fromTheFunction,
      },
      {
        Sid: 'NameTheFunctionToTheOrganizationsReader',
        Effect: 'Allow',
        Action: ['sts:SetSourceIdentity'],
        Resource: [reader],
        Condition: { StringEquals: { 'sts:SourceIdentity': source }, ...fromTheFunction },
      },
    ]);
  });

  it('passes the units, the reader role and the cache time to the function, and no account list', () => {
    const env = functionEnvironment(synth.template);
    expect(env.TARGET_ACCOUNT_IDS).toBeUndefined();
    expect(env).toMatchObject({
      TARGET_ORGANIZATION_ID: ORG,
      TARGET_ORGANIZATIONAL_UNITS: `${WORKLOADS},${ROOT}`,
      ORGANIZATION_READER_ACCOUNT_ID: READER_ACCOUNT,
      ORGANIZATION_READER_ROLE_NAME: 'cross-account-organizations-reader',
      ACCOUNT_CACHE_SECONDS: '300',
    });
  });

  it('bundles account discovery (the Organizations client) into this stage only', async () => {
    const bundle =
      (await readArtefact(synth.artefactPath)).get('handlers/crossAccount.js')?.toString('utf8') ??
      '';
    expect(bundle).toContain('ListAccountsForParent');
    expect(bundle).not.toContain('built without account discovery');
  });
});

describe('the default bundle', () => {
  it('leaves account discovery out and says how to get it', async () => {
    const synth = await synthesizeCore({ stage: 'local' });
    try {
      const bundle =
        (await readArtefact(synth.artefactPath))
          .get('handlers/crossAccount.js')
          ?.toString('utf8') ?? '';
      expect(bundle).not.toContain('ListAccountsForParent');
      expect(bundle).toContain('built without account discovery');
    } finally {
      await synth.dispose();
    }
  }, 120_000);
});

// `sls` refuses an empty --param value: a parameter left empty is one not given.
const withoutParam = (name: keyof typeof organizationParams) =>
  Object.fromEntries(Object.entries(organizationParams).filter(([key]) => key !== name));

describe('Organizations parameters', () => {
  it.each([
    [
      { ...organizationParams, targetAccountIds: '222222222222' },
      /Parameter "targetOrganizationalUnits" and TARGET_ACCOUNT_IDS are both set/,
    ],
    [
      withoutParam('organizationId'),
      /Parameter "organizationId" is missing, and TARGET_ORGANIZATIONAL_UNITS needs it/,
    ],
    [
      withoutParam('organizationReaderAccountId'),
      /Parameter "organizationReaderAccountId" is missing; set --param organizationReaderAccountId=<the management or delegated-administrator account/,
    ],
    [
      { ...organizationParams, targetOrganizationalUnits: 'ou-1' },
      /Parameter "targetOrganizationalUnits" must be a comma-separated list of OU ids .* is "ou-1"/,
    ],
    [
      { ...organizationParams, accountCacheSeconds: '-1' },
      /Parameter "accountCacheSeconds" must be an integer from 0 to 86400/,
    ],
  ])(
    'refuses %j, naming the parameter',
    async (params, message) => {
      await expect(synthesizeCore({ stage: 'dev', params })).rejects.toThrow(message);
    },
    60_000,
  );
});
