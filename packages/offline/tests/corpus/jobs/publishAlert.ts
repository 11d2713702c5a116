// Publish the event's message to a topic of each target account (SNS, the query protocol).
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { matching, optional, text } from '@cross-account-lambda/core/src/schemas';

export const publishAlert = defineJob({
  params: {
    topicName: matching(/^[\w-]{1,256}$/, 'be a topic name (1 to 256 of a-z, 0-9, - and _)'),
  },
  event: { subject: optional(text(100, { min: 1 })), message: text(256 * 1024, { min: 1 }) },
  permissions: {
    publish: {
      action: 'sns:Publish',
      resource: 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${topicName}',
    },
  },
  async run({ target, config, event, client, step, abortSignal }) {
    const TopicArn = `arn:${target.partition}:sns:${target.region}:${target.account}:${config.topicName}`;
    const sns = client(SNSClient);
    const published = await step('publish', () =>
      sns.send(new PublishCommand({ TopicArn, Subject: event.subject, Message: event.message }), {
        abortSignal,
      }),
    );
    return { topic: config.topicName, messageId: published.MessageId };
  },
});
