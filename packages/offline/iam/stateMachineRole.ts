// Distributed mode's state machine role, proven as the function's role is: with the IAM evaluator,
// on the policies the synthesised home stack gives it. It may invoke this function, run its own
// map's child executions, write results under the results bucket's runs/ and count failed batches
// in the function's metric namespace; every near miss is denied.
import { ResolvedTemplate } from './cfn';
import { type Decision, decideTargetCall, roleSession } from './evaluate';
import type { PolicyModel } from './model';
import type { NamedPolicy, PolicyDocument } from './policy';

export interface StateMachineCase {
  readonly title: string;
  readonly expected: 'allowed' | 'denied';
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

export interface StateMachineCaseResult extends StateMachineCase {
  readonly decision: Decision;
  readonly ok: boolean;
}

/** CloudFormation names a bucket without BucketName; offline gives it a name of the same kind. */
export function withBucketNames<
  T extends { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> },
>(template: T): T {
  const named = structuredClone(template);
  for (const [id, resource] of Object.entries(named.Resources)) {
    if (resource.Type === 'AWS::S3::Bucket' && !resource.Properties?.BucketName) {
      resource.Properties = { ...resource.Properties, BucketName: `offline-${id.toLowerCase()}` };
    }
  }
  return named;
}

const ROLE = 'DistributedStateMachineRole';

/** The cases, or none when the stack has no state machine role (distributed mode off). */
export async function checkStateMachineRole(
  model: PolicyModel,
  template: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> },
  metricNamespace: string,
): Promise<StateMachineCaseResult[]> {
  if (!template.Resources[ROLE]) return [];
  const stack = new ResolvedTemplate('the home stack', withBucketNames(template) as never, {
    partition: model.partition,
    accountId: model.homeAccountId,
    region: model.region,
  });
  const roleName = String(stack.stringProperty(ROLE, 'RoleName'));
  const policies = (
    stack.property(ROLE, 'Policies') as { PolicyName: string; PolicyDocument: PolicyDocument }[]
  ).map((p): NamedPolicy => ({ name: p.PolicyName, document: p.PolicyDocument }));
  const machine = String(stack.stringProperty('DistributedStateMachine', 'StateMachineName'));
  const bucket = String(stack.stringProperty('ResultsBucket', 'BucketName'));
  const arn = (service: string, rest: string) =>
    `arn:${model.partition}:${service}:${model.region}:${model.homeAccountId}:${rest}`;
  const fn = arn('lambda', `function:${model.deployedFunctionName}`);
  const cases: StateMachineCase[] = [
    {
      title: 'invokes the function',
      expected: 'allowed',
      action: 'lambda:InvokeFunction',
      resource: fn,
    },
    {
      title: 'invokes another function of the account',
      expected: 'denied',
      action: 'lambda:InvokeFunction',
      resource: arn('lambda', 'function:some-other-function'),
    },
    {
      title: "changes the function's code",
      expected: 'denied',
      action: 'lambda:UpdateFunctionCode',
      resource: fn,
    },
    {
      title: 'starts its own child executions',
      expected: 'allowed',
      action: 'states:StartExecution',
      resource: arn('states', `stateMachine:${machine}`),
    },
    {
      title: 'starts another state machine',
      expected: 'denied',
      action: 'states:StartExecution',
      resource: arn('states', 'stateMachine:some-other-machine'),
    },
    {
      title: "follows its map run's executions",
      expected: 'allowed',
      action: 'states:DescribeExecution',
      resource: arn('states', `execution:${machine}/EachBatch:child`),
    },
    {
      title: "writes a run's results",
      expected: 'allowed',
      action: 's3:PutObject',
      resource: `arn:${model.partition}:s3:::${bucket}/runs/run-id/SUCCEEDED_0.json`,
    },
    {
      title: 'writes outside runs/ in the results bucket',
      expected: 'denied',
      action: 's3:PutObject',
      resource: `arn:${model.partition}:s3:::${bucket}/elsewhere.json`,
    },
    {
      title: 'writes to another bucket',
      expected: 'denied',
      action: 's3:PutObject',
      resource: `arn:${model.partition}:s3:::some-other-bucket/runs/x.json`,
    },
    {
      title: 'deletes the results',
      expected: 'denied',
      action: 's3:DeleteObject',
      resource: `arn:${model.partition}:s3:::${bucket}/runs/run-id/SUCCEEDED_0.json`,
    },
    {
      title: "counts failed targets in the function's namespace",
      expected: 'allowed',
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      context: { 'cloudwatch:namespace': metricNamespace },
    },
    {
      title: 'puts metrics in another namespace',
      expected: 'denied',
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      context: { 'cloudwatch:namespace': 'AWS/Lambda' },
    },
    ...model.configuredTargets.slice(0, 1).map(
      (account): StateMachineCase => ({
        title: `assumes the target role in ${account}`,
        expected: 'denied',
        action: 'sts:AssumeRole',
        resource: `arn:${model.partition}:iam::${account}:role/${model.targetRoleName}`,
      }),
    ),
    {
      title: 'passes a role to a service',
      expected: 'denied',
      action: 'iam:PassRole',
      resource: arn('iam', `role/${roleName}`).replace(`:${model.region}:`, '::'),
    },
  ];
  const caller = roleSession(model.homeAccountId, roleName, 'execution', policies);
  return Promise.all(
    cases.map(async (c) => {
      const decision = await decideTargetCall(
        model,
        caller,
        c.action,
        c.resource,
        c.context ? { context: c.context } : {},
      );
      return { ...c, decision, ok: decision.allowed === (c.expected === 'allowed') };
    }),
  );
}
