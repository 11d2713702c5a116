// CloudFormation (the query protocol): DescribeStacks by the stack's name. A stack's ARN ends in
// the unique id CloudFormation generates at creation, so the grant is stack/<name>/*.
import { describeCorpusJob, inOtherRegion } from './harness';

describeCorpusJob('CloudFormation: describe a stack by name', {
  module: 'packages/offline/tests/corpus/jobs/describeStack.ts',
  exportName: 'describeStack',
  params: { stackName: 'orders' },
  stackParameters: '  stackName:\n    Type: String\n',
  statements: `
              - Sid: DescribeTheStack
                Effect: Allow
                Action: cloudformation:DescribeStacks
                Resource: !Sub 'arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stack/\${stackName}/*'`,
  excess: 'cloudformation:DescribeStackEvents',
  nearMisses: [
    {
      what: "a grant without the stack's generated id",
      edit: (statements) => statements.replace('${stackName}/*', '${stackName}'),
      says: /NEVER MATCHES: cloudformation:DescribeStacks on arn:aws:cloudformation:us-east-1:222222222222:stack\/orders .*has none of the ARN formats.*CloudFormation names a stack's ARN with the unique id it generates after the name, so declare and grant arn:aws:cloudformation:us-east-1:222222222222:stack\/orders\/\*/,
    },
    {
      what: 'a grant in another region',
      edit: inOtherRegion,
      says: /denies "as the role: cloudformation:DescribeStacks on arn:aws:cloudformation:us-east-1:222222222222:stack\/orders\/\* \(the job declares it\)"/,
    },
  ],
  answer: { status: 'UPDATE_COMPLETE', outputs: { TableName: 'orders-table' } },
  deniedCode: 'AccessDenied',
});
