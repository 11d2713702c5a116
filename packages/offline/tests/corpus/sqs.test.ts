// SQS (JSON 1.0): SendMessage to a queue named by its URL; IAM decides on the queue's ARN.
import { describeCorpusJob, inOtherRegion } from './harness';

describeCorpusJob('SQS: send a message to a queue by its URL', {
  module: 'packages/offline/tests/corpus/jobs/sendMessage.ts',
  exportName: 'sendMessage',
  params: { queueName: 'jobs' },
  stackParameters: '  queueName:\n    Type: String\n',
  statements: `
              - Sid: SendToTheQueue
                Effect: Allow
                Action: sqs:SendMessage
                Resource: !Sub 'arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:\${queueName}'`,
  excess: 'sqs:ReceiveMessage',
  nearMisses: [
    {
      what: 'a grant in another region',
      edit: inOtherRegion,
      says: /denies "as the role: sqs:SendMessage on arn:aws:sqs:us-east-1:222222222222:jobs \(the job declares it\)"/,
    },
    {
      what: "the queue's URL as the resource",
      edit: (statements) =>
        statements.replace(
          /Resource: .*/,
          "Resource: !Sub 'https://sqs.${AWS::Region}.amazonaws.com/${AWS::AccountId}/${queueName}'",
        ),
      says: /NEVER MATCHES: sqs:SendMessage on https:\/\/sqs\.us-east-1\.amazonaws\.com\/222222222222\/jobs/,
    },
  ],
  event: { message: 'rebuild the index' },
  answer: { messageId: '5fea7756-0ea4-451a-a703-a558b933e274' },
  deniedCode: 'AccessDeniedException',
});
