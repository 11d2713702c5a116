// Invoke a function of each target account with the event's payload and return what it answered
// (Lambda, REST-JSON).
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { matching, optional, text } from '@cross-account-lambda/core/src/schemas';

export const invokeFunction = defineJob({
  params: {
    functionName: matching(/^[\w-]{1,64}$/, 'be a function name (1 to 64 of a-z, 0-9, - and _)'),
  },
  event: { payload: optional(text(6 * 1024 * 1024), '{}') },
  permissions: {
    // The unqualified function: a grant on function:name:* covers its versions and aliases only.
    invoke: {
      action: 'lambda:InvokeFunction',
      resource:
        'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}',
    },
  },
  async run({ config, event, client, step, abortSignal }) {
    const lambda = client(LambdaClient);
    const answer = await step('invoke', () =>
      lambda.send(
        new InvokeCommand({
          FunctionName: config.functionName,
          Payload: Buffer.from(event.payload),
        }),
        { abortSignal },
      ),
    );
    return {
      status: answer.StatusCode,
      functionError: answer.FunctionError,
      answer: Buffer.from(answer.Payload ?? []).toString('utf8'),
    };
  },
});
