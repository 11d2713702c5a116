// The home stack as the real `sls package` synthesises it: what `sls deploy` would submit.
import { stat } from 'node:fs/promises';
import { METRIC_NAMESPACE } from '@cross-account-lambda/core/src/metrics';
import {
  type CfnTemplate,
  readArtefact,
  type Synthesis,
} from '@cross-account-lambda/offline/synth';
import { synthesizeCore } from '../../support/core';

const FUNCTION = 'CrossAccountLambdaFunction';
const ROLE = 'CrossAccountIamRoleLambdaExecution';

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

function properties<T = Record<string, unknown>>(template: CfnTemplate, logicalId: string): T {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`the template has no resource ${logicalId}`);
  return resource.Properties as T;
}

function statements(template: CfnTemplate): Statement[] {
  const role = properties<{ Policies: { PolicyDocument: { Statement: Statement[] } }[] }>(
    template,
    ROLE,
  );
  return role.Policies.flatMap((p) => p.PolicyDocument.Statement);
}

const roleName = (template: CfnTemplate) =>
  properties<{ RoleName: string }>(template, ROLE).RoleName;

const nonLogging = (template: CfnTemplate) =>
  statements(template).filter((s) => ![s.Action].flat().every((a) => a.startsWith('logs:')));

const roleArn = (account: string, role = 'cross-account-demo-target') => ({
  'Fn::Sub': `arn:\${AWS::Partition}:iam::${account}:role/${role}`,
});

/**
 * The execution role's two sts statements: assume the roles, stamped with the function's name,
 * only from the function's own code (lambda:SourceFunctionArn).
 */
const stsStatements = (
  resources: unknown[],
  functionName: string,
  condition: Record<string, string> = {},
) => {
  const fromTheFunction = {
    ArnEquals: {
      'lambda:SourceFunctionArn': {
        'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}`,
      },
    },
  };
  return [
    {
      Sid: 'AssumeTheTargetRoles',
      Effect: 'Allow',
      Action: ['sts:AssumeRole'],
      Resource: resources,
      Condition: {
        ...(Object.keys(condition).length ? { StringEquals: condition } : {}),
        ...fromTheFunction,
      },
    },
    {
      Sid: 'NameTheFunctionAsSourceIdentity',
      Effect: 'Allow',
      Action: ['sts:SetSourceIdentity'],
      Resource: resources,
      Condition: {
        StringEquals: { ...condition, 'sts:SourceIdentity': functionName },
        ...fromTheFunction,
      },
    },
  ];
};

describe('home stack for stage local', () => {
  let synth: Synthesis;
  beforeAll(async () => {
    synth = await synthesizeCore({ stage: 'local' });
  }, 120_000);
  afterAll(() => synth?.dispose());

  it('gives the function its own execution role and keeps the unused default role out', () => {
    const fn = properties<{ Role: unknown }>(synth.template, FUNCTION);
    expect(fn.Role).toEqual({ 'Fn::GetAtt': [ROLE, 'Arn'] });
    expect(synth.template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it("allows only sts:AssumeRole on the exact target role ARN beyond logging, and setting the function's name as source identity there", () => {
    expect(nonLogging(synth.template)).toEqual(
      stsStatements([roleArn('222222222222')], 'cross-account-lambda-local-crossAccount'),
    );
  });

  it('outputs the source identity the function sends: its own name', () => {
    const fn = properties<{ FunctionName: string }>(synth.template, FUNCTION);
    expect(fn.FunctionName).toBe('cross-account-lambda-local-crossAccount');
    expect(synth.template.Outputs?.SourceIdentity?.Value).toBe(fn.FunctionName);
  });

  it('limits logging to the function’s own log group', () => {
    const logging = statements(synth.template).filter(
      (s) => !nonLogging(synth.template).includes(s),
    );
    expect(JSON.stringify(logging.map((s) => s.Resource))).toContain(
      'log-group:/aws/lambda/cross-account-lambda-local-crossAccount:',
    );
    expect(JSON.stringify(logging)).not.toMatch(/"\*"/);
  });

  it('names the execution role deterministically and exports the name, ARN and unique id', () => {
    const name = roleName(synth.template);
    expect(name).toBe('cross-account-lambda-local-us-east-1-exec');
    expect(synth.template.Outputs?.ExecutionRoleName?.Value).toBe(name);
    expect(synth.template.Outputs?.ExecutionRoleArn?.Value).toEqual({
      'Fn::GetAtt': [ROLE, 'Arn'],
    });
    // The target stack's ExecutionRoleId: pins the trust to this very role (README, "Pin the trust").
    expect(synth.template.Outputs?.ExecutionRoleId?.Value).toEqual({
      'Fn::GetAtt': [ROLE, 'RoleId'],
    });
  });

  it('runs on nodejs24.x on arm64 with a timeout under Lambda’s limit', () => {
    const fn = properties(synth.template, FUNCTION);
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 10 });
  });

  it('leaves runtime updates to Lambda unless a runtime version is given', () => {
    expect(properties(synth.template, FUNCTION)).not.toHaveProperty('RuntimeManagementConfig');
  });

  it('keeps the code in a deployment bucket that is never public and keeps every version', () => {
    const bucket = properties<Record<string, unknown>>(
      synth.template,
      'ServerlessDeploymentBucket',
    );
    expect(bucket).toMatchObject({ VersioningConfiguration: { Status: 'Enabled' } });
    // Private by S3's defaults for new buckets; set here, the deployer would need
    // s3:PutBucketPublicAccessBlock, the call that also lifts it (npm run check shows it denied).
    expect(bucket.PublicAccessBlockConfiguration).toBeUndefined();
  });

  it("gives the execution role the administrator's permissions boundary", () => {
    expect(properties<{ PermissionsBoundary: unknown }>(synth.template, ROLE)).toMatchObject({
      PermissionsBoundary: {
        'Fn::Sub':
          'arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/cross-account-lambda-local-us-east-1-exec-boundary',
      },
    });
  });

  it('passes the validated parameters to the function as environment', () => {
    const env = properties<{ Environment: { Variables: object } }>(synth.template, FUNCTION)
      .Environment.Variables;
    expect(env).toEqual({
      TARGET_ACCOUNT_IDS: '222222222222',
      TARGET_ROLE_NAME: 'cross-account-demo-target',
      SESSION_DURATION_SECONDS: '900',
      FANOUT_CONCURRENCY: '8',
      // Defaults and what was given; an empty one is left out (the function's region, no external
      // id, no organization).
      ORGANIZATION_READER_ROLE_NAME: 'cross-account-organizations-reader',
      ACCOUNT_CACHE_SECONDS: '300',
    });
  });

  it('alarms on any failed target of the function, from the metric the function writes', () => {
    expect(properties(synth.template, 'FailedTargetsAlarm')).toEqual({
      AlarmName: 'cross-account-lambda-local-failed-targets',
      AlarmDescription: expect.stringContaining('target account failed'),
      Namespace: METRIC_NAMESPACE,
      MetricName: 'TargetFailed',
      Dimensions: [{ Name: 'Function', Value: { Ref: FUNCTION } }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      // No alarmTopicArn: the alarm shows in the console and notifies nobody.
      AlarmActions: [],
      OKActions: [],
    });
  });

  it('runs on no schedule by default', () => {
    const types = Object.values(synth.template.Resources).map((resource) => resource.Type);
    expect(types).not.toContain('AWS::Events::Rule');
    expect(types).not.toContain('AWS::Lambda::Permission');
  });

  it('ships one minified bundle with the AWS SDK inside', async () => {
    const { size } = await stat(synth.artefactPath);
    expect(size).toBeGreaterThan(10_000); // the SDK is in it, not left to the runtime
    expect(size).toBeLessThan(1024 * 1024); // minified and tree-shaken; `npm run bench` holds the 100 KiB target
  });

  it('ships only the bundled handler, without the dev-only offline tools', async () => {
    const files = await readArtefact(synth.artefactPath);
    expect([...files.keys()]).toEqual(['handlers/crossAccount.js']);
    const bundle = files.get('handlers/crossAccount.js')?.toString('utf8') ?? '';
    expect(bundle).toContain('AssumeRoleCommand');
    // The policy simulator is AGPL and must never reach the Lambda; nor must the stand-in.
    for (const devOnly of ['@cloud-copilot', 'iam-simulate', 'offline/standin', 'offline/iam']) {
      expect(bundle).not.toContain(devOnly);
    }
  });
});

describe('home stack parameters', () => {
  it('refuses a deploy that does not name the target account, naming the parameter', async () => {
    await expect(synthesizeCore({ stage: 'prod' })).rejects.toThrow(
      /Parameter "targetAccountIds" is missing.*--param targetAccountIds=/s,
    );
  }, 60_000);

  it('refuses a malformed account id with the expected form', async () => {
    await expect(
      synthesizeCore({ stage: 'prod', params: { targetAccountIds: '12345678901' } }),
    ).rejects.toThrow(/12-digit AWS account ids; item 1 is "12345678901"/);
  }, 60_000);

  it('keeps the role name within 64 characters for a 20-character stage in the longest region', async () => {
    const synth = await synthesizeCore({
      stage: 'abcdefghijklmnopqrst',
      region: 'ap-southeast-2',
      params: { targetAccountIds: '333333333333,444444444444', externalId: 'shared-id-123' },
    });
    try {
      const name = roleName(synth.template);
      expect(name.length).toBeLessThanOrEqual(64);
      expect(nonLogging(synth.template)).toEqual(
        stsStatements(
          [roleArn('333333333333'), roleArn('444444444444')],
          'cross-account-lambda-abcdefghijklmnopqrst-crossAccount',
        ),
      );
    } finally {
      await synth.dispose();
    }
  }, 120_000);

  it('in organization mode allows the role name in any account of that organization only', async () => {
    const synth = await synthesizeCore({
      stage: 'org',
      params: { targetAccountIds: '333333333333', organizationId: 'o-abc123def4' },
    });
    try {
      expect(nonLogging(synth.template)).toEqual(
        stsStatements([roleArn('*')], 'cross-account-lambda-org-crossAccount', {
          'aws:ResourceOrgID': 'o-abc123def4',
        }),
      );
    } finally {
      await synth.dispose();
    }
  }, 120_000);

  it('reserves no concurrency by default: ReservedConcurrentExecutions is left out', async () => {
    const synth = await synthesizeCore({ stage: 'local' });
    try {
      expect(properties(synth.template, FUNCTION)).not.toHaveProperty(
        'ReservedConcurrentExecutions',
      );
      expect(JSON.stringify(synth.template)).not.toContain('ReservedConcurrentExecutions');
    } finally {
      await synth.dispose();
    }
  }, 120_000);

  it('runs on x86_64 with architecture=x86_64, and pins the runtime version with runtimeVersionArn', async () => {
    const arn = `arn:aws:lambda:us-east-1::runtime:${'0123456789abcdef'.repeat(4)}`;
    const synth = await synthesizeCore({
      stage: 'local',
      params: { architecture: 'x86_64', runtimeVersionArn: arn },
    });
    try {
      expect(properties(synth.template, FUNCTION)).toMatchObject({
        Architectures: ['x86_64'],
        RuntimeManagementConfig: { UpdateRuntimeOn: 'Manual', RuntimeVersionArn: arn },
      });
    } finally {
      await synth.dispose();
    }
  }, 120_000);

  it('reserves reservedConcurrency when set', async () => {
    const synth = await synthesizeCore({ stage: 'local', params: { reservedConcurrency: '5' } });
    try {
      expect(properties(synth.template, FUNCTION)).toMatchObject({
        ReservedConcurrentExecutions: 5,
      });
    } finally {
      await synth.dispose();
    }
  }, 120_000);

  it('passes several targetRegions to the function, and refuses one in another partition', async () => {
    const synth = await synthesizeCore({
      stage: 'local',
      params: { targetRegions: 'eu-west-1,us-west-2' },
    });
    try {
      expect(properties(synth.template, FUNCTION)).toMatchObject({
        Environment: { Variables: { TARGET_REGIONS: 'eu-west-1,us-west-2' } },
      });
    } finally {
      await synth.dispose();
    }
    await expect(
      synthesizeCore({ stage: 'local', params: { targetRegions: 'eu-west-1,cn-north-1' } }),
    ).rejects.toThrow(
      /Parameter "targetRegions" includes "cn-north-1" \(item 2\) in partition aws-cn/,
    );
  }, 120_000);

  it('refuses the old name targetRegion, pointing to targetRegions', async () => {
    await expect(
      synthesizeCore({ stage: 'local', params: { targetRegion: 'eu-west-1' } }),
    ).rejects.toThrow(/Unknown parameter "targetRegion".*did you mean "targetRegions"\?/s);
  }, 60_000);

  it('runs on the schedule given, with the event {}, and notifies the alarm topic given', async () => {
    const topic = 'arn:aws:sns:us-east-1:111122223333:ops-alerts';
    const synth = await synthesizeCore({
      stage: 'local',
      params: { schedule: 'rate(1 hour)', alarmTopicArn: topic },
    });
    try {
      const rules = Object.values(synth.template.Resources).filter(
        (resource) => resource.Type === 'AWS::Events::Rule',
      );
      expect(rules.map((rule) => rule.Properties)).toEqual([
        {
          ScheduleExpression: 'rate(1 hour)',
          State: 'ENABLED',
          // The function refuses EventBridge's envelope fields by name; {} means every target.
          Targets: [
            expect.objectContaining({ Input: '{}', Arn: { 'Fn::GetAtt': [FUNCTION, 'Arn'] } }),
          ],
        },
      ]);
      expect(properties(synth.template, 'FailedTargetsAlarm')).toMatchObject({
        AlarmActions: [topic],
        OKActions: [topic],
      });
    } finally {
      await synth.dispose();
    }
  }, 120_000);

  it.each([
    [
      'schedule',
      'rate(1 hours)',
      /Parameter "schedule" must be empty \(no schedule\) or an EventBridge expression/,
    ],
    ['schedule', 'every hour', /Parameter "schedule" must be empty/],
    ['schedule', 'rate(0 minutes)', /Parameter "schedule" must be empty/],
    [
      'alarmTopicArn',
      'ops-alerts',
      /Parameter "alarmTopicArn" must be empty or the ARN of an SNS topic/,
    ],
    ['architecture', 'amd64', /Parameter "architecture" must be arm64 or x86_64, got "amd64"/],
    [
      'runtimeVersionArn',
      'nodejs24.x',
      /Parameter "runtimeVersionArn" must be a runtime version ARN as the function's INIT_START log line shows it/,
    ],
    [
      'runtimeVersionArn',
      `arn:aws:lambda:eu-west-1::runtime:${'ab'.repeat(32)}`,
      /is a runtime version of eu-west-1, but this stack deploys to us-east-1/,
    ],
  ])(
    'refuses %s=%s with the expected form',
    async (name, value, message) => {
      await expect(synthesizeCore({ stage: 'local', params: { [name]: value } })).rejects.toThrow(
        message,
      );
    },
    60_000,
  );

  it.each(['0', '1001', '2.5', 'five', '-1'])(
    'refuses reservedConcurrency=%s with the expected form',
    async (value) => {
      await expect(
        synthesizeCore({ stage: 'local', params: { reservedConcurrency: value } }),
      ).rejects.toThrow(
        new RegExp(
          `Parameter "reservedConcurrency" must be an integer from 1 to 1000, got "${value}"`,
        ),
      );
    },
    60_000,
  );
});
