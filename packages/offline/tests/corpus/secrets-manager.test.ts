// Secrets Manager (JSON 1.1): GetSecretValue by the secret's name; AWS appends six characters to
// every secret's ARN, so the grant ends in -??????.
import { describeCorpusJob, inOtherRegion } from './harness';

describeCorpusJob('Secrets Manager: read a secret by name (examples/readSecret.ts)', {
  module: 'examples/readSecret.ts',
  exportName: 'readSecret',
  params: { secretName: 'prod/db' },
  stackParameters: '  secretName:\n    Type: String\n',
  statements: `
              - Sid: ReadTheSecret
                Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Sub 'arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:\${secretName}-??????'`,
  excess: 'secretsmanager:DescribeSecret',
  nearMisses: [
    {
      what: 'a grant without the suffix AWS appends',
      edit: (statements) => statements.replace('-??????', ''),
      says: /NEVER MATCHES: secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:222222222222:secret:prod\/db .*six/,
    },
    {
      what: 'a grant in another region',
      edit: inOtherRegion,
      says: /denies "as the role: secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:222222222222:secret:prod\/db-\?{6} \(the job declares it\)"/,
    },
  ],
  answer: {
    versionId: 'c1f2e3d4-0000-4000-8000-000000000001',
    createdDate: '2026-01-01T00:00:00.000Z',
  },
  deniedCode: 'AccessDeniedException',
});
