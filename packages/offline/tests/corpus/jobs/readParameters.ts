// Read the names and versions of the parameters under a path in each target account, page by
// page (Systems Manager, JSON 1.1); values stay in the account.
import { paginateGetParametersByPath, SSMClient } from '@aws-sdk/client-ssm';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { matching } from '@cross-account-lambda/core/src/schemas';

export const readParameters = defineJob({
  params: {
    // A path without the trailing slash: /app/prod
    parameterPath: matching(/^(\/[\w.-]+){1,15}$/, 'be a parameter path such as /app/prod'),
  },
  permissions: {
    // GetParametersByPath is decided on the path itself: arn:...:parameter/app/prod.
    read: {
      action: 'ssm:GetParametersByPath',
      resource:
        'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${parameterPath}',
    },
  },
  async run({ config, client, step, abortSignal }) {
    const ssm = client(SSMClient);
    const parameters: { name: string; version: number }[] = [];
    await step('read', async () => {
      const input = { Path: config.parameterPath, Recursive: true };
      for await (const page of paginateGetParametersByPath({ client: ssm }, input, {
        abortSignal,
      })) {
        for (const p of page.Parameters ?? []) {
          parameters.push({ name: p.Name ?? '', version: p.Version ?? 0 });
        }
      }
    });
    return { parameters };
  },
});
