// Send the event's message to a queue of each target account, naming the queue by its URL as
// SQS's API does (the JSON protocol).
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { matching, text } from '@cross-account-lambda/core/src/schemas';

export const sendMessage = defineJob({
  params: {
    queueName: matching(/^[\w-]{1,80}(\.fifo)?$/, 'be a queue name (1 to 80 of a-z, 0-9, - and _)'),
  },
  event: { message: text(256 * 1024, { min: 1 }) },
  permissions: {
    send: {
      action: 'sqs:SendMessage',
      resource: 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}',
    },
  },
  async run({ target, config, event, client, step, abortSignal }) {
    const QueueUrl = `https://sqs.${target.region}.amazonaws.com/${target.account}/${config.queueName}`;
    // The SQS client sends to the queue URL's host unless told otherwise: the regional endpoint
    // it resolves is that host on AWS, and the stand-in's address offline.
    const sqs = client(SQSClient, { useQueueUrlAsEndpoint: false });
    const sent = await step('send', () =>
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: event.message }), { abortSignal }),
    );
    return { messageId: sent.MessageId };
  },
});
