// Lambda (REST-JSON): Invoke a function by name. An unqualified call is decided on the function's
// unqualified ARN, which a grant on function:name:* (its versions and aliases) does not match.
import { describeCorpusJob, inOtherRegion } from './harness';

describeCorpusJob('Lambda: invoke a function with a payload', {
  module: 'packages/offline/tests/corpus/jobs/invokeFunction.ts',
  exportName: 'invokeFunction',
  params: { functionName: 'report' },
  stackParameters: '  functionName:\n    Type: String\n',
  statements: `
              - Sid: InvokeTheFunction
                Effect: Allow
                Action: lambda:InvokeFunction
                Resource: !Sub 'arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:\${functionName}'`,
  excess: 'lambda:GetFunction',
  nearMisses: [
    {
      what: "a grant on the function's versions and aliases only",
      edit: (statements) => statements.replace("${functionName}'", "${functionName}:*'"),
      says: /denies "as the role: lambda:InvokeFunction on arn:aws:lambda:us-east-1:222222222222:function:report \(the job declares it\)"/,
    },
    {
      what: 'a grant in another region',
      edit: inOtherRegion,
      says: /denies "as the role: lambda:InvokeFunction on arn:aws:lambda:us-east-1:222222222222:function:report /,
    },
  ],
  event: { payload: '{"month":"2026-01"}' },
  answer: { status: 200, answer: '{"rows":42}' },
  deniedCode: 'AccessDeniedException',
});
