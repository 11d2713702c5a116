// offline/iam/deployerActions.ts: each deploy role's actions against the handler permissions of
// its stack's resource types (CloudFormation's resource provider schemas).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ActionFinding,
  asTemplate,
  auditDeployerActions,
  DEPLOYER_TEMPLATE_PATH,
  EvaluatorError,
  handlerActions,
  readTemplate,
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
  TARGET_TEMPLATE_PATH,
  type TemplateDocument,
} from '@cross-account-lambda/offline/iam';
import handlerData from '@cross-account-lambda/offline/iam/data/cfn-handler-permissions.json';
import { homeTemplate, SYNTH_TIMEOUT_MS } from './support';

const HOME_INPUTS = {
  partition: 'aws',
  accountId: '111111111111',
  region: 'us-east-1',
  parameters: { Stage: 'local', GitHubOwner: 'owner', GitHubRepo: 'repo' },
};
const TARGET_INPUTS = {
  partition: 'aws',
  accountId: '222222222222',
  region: 'us-east-1',
  parameters: { GitHubOwner: 'owner', GitHubRepo: 'repo' },
};

let home: TemplateDocument;
let dir: string;
beforeAll(async () => {
  home = asTemplate(await homeTemplate(), 'synthesised home stack');
  dir = mkdtempSync(join(tmpdir(), 'deployer-actions-'));
}, SYNTH_TIMEOUT_MS);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function edited(path: string, edit: (text: string) => string): string {
  const text = readFileSync(path, 'utf8');
  const changed = edit(text);
  if (changed === text) throw new Error(`the edit did not change ${path}`);
  const copy = join(dir, `${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(copy, changed);
  return copy;
}

const summary = (findings: ActionFinding[]) => findings.map((f) => `${f.kind} ${f.action}`);

describe('the shipped deploy roles', () => {
  it('grant or refuse with a reason every action of their stacks’ handlers, and nothing else', () => {
    const target = readTemplate(TARGET_TEMPLATE_PATH);
    const audits = [
      auditDeployerActions(DEPLOYER_TEMPLATE_PATH, 'DeployerRole', home, HOME_INPUTS),
      auditDeployerActions(
        TARGET_DEPLOYER_TEMPLATE_PATH,
        'TargetDeployerRole',
        target,
        TARGET_INPUTS,
      ),
      auditDeployerActions(STACKSET_EXECUTION_TEMPLATE_PATH, 'StackSetExecutionRole', target, {
        ...TARGET_INPUTS,
        parameters: { Stage: 'local', AdministratorAccountId: '333333333333' },
      }),
    ];
    for (const audit of audits) expect([audit.source, audit.findings]).toEqual([audit.source, []]);
    expect(audits[0]?.resourceTypes).toEqual(
      expect.arrayContaining(['AWS::CloudWatch::Alarm', 'AWS::Lambda::Function', 'AWS::IAM::Role']),
    );
  });
});

describe('a deploy role that does not fit its stack is reported', () => {
  it.each([
    ['cloudwatch:PutMetricAlarm', '                  - cloudwatch:PutMetricAlarm\n'],
    ['s3:PutBucketVersioning', '                  - s3:PutBucketVersioning\n'],
  ])('without %s (issue 22, item 10): MISSING', (action, line) => {
    const copy = edited(DEPLOYER_TEMPLATE_PATH, (t) => t.replace(line, ''));
    const audit = auditDeployerActions(copy, 'DeployerRole', home, HOME_INPUTS);
    expect(summary(audit.findings)).toEqual([`missing ${action}`]);
  });

  it('with an action no handler calls: UNUSED, naming its statement', () => {
    const copy = edited(DEPLOYER_TEMPLATE_PATH, (t) =>
      t.replace(
        '                  - lambda:TagResource\n',
        '                  - lambda:TagResource\n                  - lambda:ListTags\n',
      ),
    );
    const audit = auditDeployerActions(copy, 'DeployerRole', home, HOME_INPUTS);
    expect(audit.findings).toEqual([
      expect.objectContaining({ kind: 'unused', action: 'lambda:ListTags', where: 'TheFunction' }),
    ]);
  });

  it('with an action it refuses granted all the same', () => {
    const copy = edited(TARGET_DEPLOYER_TEMPLATE_PATH, (t) =>
      t.replace(
        '                  - s3:PutBucketPolicy\n',
        '                  - s3:PutBucketPolicy\n                  - s3:PutBucketAcl\n',
      ),
    );
    const audit = auditDeployerActions(
      copy,
      'TargetDeployerRole',
      readTemplate(TARGET_TEMPLATE_PATH),
      TARGET_INPUTS,
    );
    expect(summary(audit.findings)).toEqual(['refused-but-granted s3:PutBucketAcl']);
  });

  it('deploying a resource type whose handlers it does not know: an error naming the type', () => {
    expect(() => handlerActions(['AWS::SQS::Queue'], 'x.yml')).toThrow(EvaluatorError);
    expect(() => handlerActions(['AWS::SQS::Queue'], 'x.yml')).toThrow(/AWS::SQS::Queue/);
  });
});

it('keeps the handler permissions with where they come from', () => {
  const data = handlerData as { _source: Record<string, string>; types: Record<string, object> };
  expect(data._source.from).toMatch(/terraform-provider-awscc at commit [0-9a-f]{40}/);
  expect(Object.keys(data.types)).toEqual(
    expect.arrayContaining(['AWS::IAM::Role', 'AWS::S3::Bucket']),
  );
});

describe('distributed mode', () => {
  let distributed: TemplateDocument;
  beforeAll(async () => {
    distributed = asTemplate(
      await homeTemplate({ distributed: 'true', schedule: 'rate(1 day)' }),
      'synthesised home stack',
    );
  }, SYNTH_TIMEOUT_MS);
  const inputs = (mode: string) => ({
    ...HOME_INPUTS,
    parameters: { ...HOME_INPUTS.parameters, DistributedMode: mode },
  });

  it('is covered by the deploy role deployed with DistributedMode=true, the lifecycle granted for the results bucket', () => {
    const audit = auditDeployerActions(
      DEPLOYER_TEMPLATE_PATH,
      'DeployerRole',
      distributed,
      inputs('true'),
    );
    expect(summary(audit.findings)).toEqual([]);
    expect(audit.resourceTypes).toContain('AWS::StepFunctions::StateMachine');
  });

  it('reports what the deploy role without DistributedMode=true lacks for it', () => {
    const audit = auditDeployerActions(
      DEPLOYER_TEMPLATE_PATH,
      'DeployerRole',
      distributed,
      inputs('false'),
    );
    expect(summary(audit.findings)).toEqual(
      expect.arrayContaining(['missing states:CreateStateMachine', 'missing events:PutRule']),
    );
  });

  it('reports its grants as unused when the home stack has no state machine', () => {
    const audit = auditDeployerActions(
      DEPLOYER_TEMPLATE_PATH,
      'DeployerRole',
      home,
      inputs('true'),
    );
    expect(summary(audit.findings)).toEqual(
      expect.arrayContaining(['unused states:CreateStateMachine']),
    );
  });
});

describe('a pinned runtime version', () => {
  it.each(['true', 'false'])(
    'with PinnedRuntime=%s, lambda:PutRuntimeManagementConfig is granted or refused, never both',
    (pinned) => {
      const audit = auditDeployerActions(DEPLOYER_TEMPLATE_PATH, 'DeployerRole', home, {
        ...HOME_INPUTS,
        parameters: { ...HOME_INPUTS.parameters, PinnedRuntime: pinned },
      });
      expect(summary(audit.findings)).toEqual([]);
      expect(audit.granted + audit.refused).toBeGreaterThan(0);
    },
  );

  it('reports the grant as refused-but-granted if the entry that refuses it loses its Unless', () => {
    const copy = join(dir, 'deployer-role-unless-dropped.yml');
    writeFileSync(
      copy,
      readFileSync(DEPLOYER_TEMPLATE_PATH, 'utf8').replace(
        '      Unless: DeployPinnedRuntime\n',
        '',
      ),
    );
    const audit = auditDeployerActions(copy, 'DeployerRole', home, {
      ...HOME_INPUTS,
      parameters: { ...HOME_INPUTS.parameters, PinnedRuntime: 'true' },
    });
    expect(summary(audit.findings)).toEqual([
      'refused-but-granted lambda:PutRuntimeManagementConfig',
    ]);
  });
});
