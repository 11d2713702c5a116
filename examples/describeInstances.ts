// List the EC2 instances of each target account, in every target region, page by page.
import { EC2Client, paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { defineJob, matching, optional } from '@cross-account-lambda/core';

const STATES = /^(pending|running|shutting-down|terminated|stopping|stopped)$/;

export const describeInstances = defineJob({
  event: {
    // { "state": "running" }: only instances in that state; default every state.
    state: optional(matching(STATES, 'be an instance state, e.g. running')),
  },
  permissions: {
    // DescribeInstances acts on no resource type: AWS matches it only against "*".
    describe: { action: 'ec2:DescribeInstances', resource: '*' },
  },
  async run({ event, client, step, abortSignal }) {
    const ec2 = client(EC2Client);
    const Filters = event.state ? [{ Name: 'instance-state-name', Values: [event.state] }] : [];
    const instances: { id: string; type: string; state: string }[] = [];
    await step('describe', async () => {
      const pages = paginateDescribeInstances(
        { client: ec2, pageSize: 100 },
        { Filters },
        {
          abortSignal,
        },
      );
      for await (const page of pages) {
        for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          instances.push({
            id: instance.InstanceId ?? '',
            type: instance.InstanceType ?? '',
            state: instance.State?.Name ?? '',
          });
        }
      }
    });
    return { instances };
  },
  summarize: (result) => ({ instances: result.instances.length }),
});
