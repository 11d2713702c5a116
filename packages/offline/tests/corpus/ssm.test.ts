// Systems Manager (JSON 1.1): GetParametersByPath, paginated. AWS decides it on the path itself
// (parameter/app/prod), so a grant on what is under the path (parameter/app/prod/*) is denied.
import { describeCorpusJob, inOtherRegion } from './harness';

describeCorpusJob('Systems Manager: read the parameters under a path', {
  module: 'packages/offline/tests/corpus/jobs/readParameters.ts',
  exportName: 'readParameters',
  params: { parameterPath: '/app/prod' },
  stackParameters: '  parameterPath:\n    Type: String\n',
  statements: `
              - Sid: ReadThePath
                Effect: Allow
                Action: ssm:GetParametersByPath
                Resource: !Sub 'arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter\${parameterPath}'`,
  excess: 'ssm:PutParameter',
  nearMisses: [
    {
      what: 'a grant on the parameters under the path, not the path',
      edit: (statements) => statements.replace("${parameterPath}'", "${parameterPath}/*'"),
      says: /denies "as the role: ssm:GetParametersByPath on arn:aws:ssm:us-east-1:222222222222:parameter\/app\/prod \(the job declares it\)"/,
    },
    {
      what: 'a grant in another region',
      edit: inOtherRegion,
      says: /denies "as the role: ssm:GetParametersByPath on arn:aws:ssm:us-east-1:222222222222:parameter\/app\/prod /,
    },
  ],
  answer: {
    parameters: [
      { name: '/app/prod/db/host', version: 3 },
      { name: '/app/prod/feature', version: 7 },
      { name: '/app/prod/db/port', version: 1 },
    ],
  },
  deniedCode: 'AccessDeniedException',
});
