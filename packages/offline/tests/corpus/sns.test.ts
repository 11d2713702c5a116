// SNS (the query protocol): Publish to a topic of each target account.
import { describeCorpusJob, inOtherRegion } from './harness';

describeCorpusJob('SNS: publish an alert to a topic', {
  module: 'packages/offline/tests/corpus/jobs/publishAlert.ts',
  exportName: 'publishAlert',
  params: { topicName: 'alerts' },
  stackParameters: '  topicName:\n    Type: String\n',
  statements: `
              - Sid: PublishToTheTopic
                Effect: Allow
                Action: sns:Publish
                Resource: !Sub 'arn:\${AWS::Partition}:sns:\${AWS::Region}:\${AWS::AccountId}:\${topicName}'`,
  excess: 'sns:Subscribe',
  nearMisses: [
    {
      what: 'a grant in another region',
      edit: inOtherRegion,
      says: /denies "as the role: sns:Publish on arn:aws:sns:us-east-1:222222222222:alerts \(the job declares it\)"/,
    },
  ],
  event: { subject: 'disk', message: 'disk 91% full' },
  answer: { topic: 'alerts', messageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e' },
  // SNS answers AuthorizationError on the wire; the SDK names that error AuthorizationErrorException.
  deniedCode: 'AuthorizationErrorException',
});
