// Report one CloudFormation stack's status and outputs in each target account.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { matching } from '@cross-account-lambda/core/src/schemas';

export const describeStack = defineJob({
  params: {
    stackName: matching(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'be a stack name'),
  },
  permissions: {
    // A stack's ARN ends in its id (a UUID AWS generates), hence the /*.
    describe: {
      action: 'cloudformation:DescribeStacks',
      resource:
        'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${stackName}/*',
    },
  },
  async run({ config, client, step, abortSignal }) {
    const cfn = client(CloudFormationClient);
    const answer = await step('describe', () =>
      cfn.send(new DescribeStacksCommand({ StackName: config.stackName }), { abortSignal }),
    );
    const [stack] = answer.Stacks ?? [];
    return {
      status: stack?.StackStatus,
      outputs: Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue])),
    };
  },
});
