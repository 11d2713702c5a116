// S3 (REST-XML, emulated by the stand-in): GetObject under one prefix of the demo bucket. An
// object's ARN is bucket/key: a grant on the bucket alone, or on another prefix, matches no object.
import { describeCorpusJob } from './harness';

const OBJECTS = `
              - Sid: ReadTheReports
                Effect: Allow
                Action: s3:GetObject
                Resource: !Sub
                  - 'arn:\${AWS::Partition}:s3:::\${Bucket}/reports/*'
                  - Bucket: !If [CreateDemoBucket, !Ref DemoBucket, !Ref BucketName]`;

describeCorpusJob('S3: read a report under a prefix', {
  module: 'packages/offline/tests/corpus/jobs/readReport.ts',
  exportName: 'readReport',
  statements: OBJECTS,
  excess: 's3:PutObject',
  nearMisses: [
    {
      what: 'a grant on the bucket instead of its objects',
      edit: (statements) => statements.replace('/reports/*', ''),
      says: /NEVER MATCHES: s3:GetObject on arn:aws:s3:::cross-account-demo-222222222222-us-east-1 /,
    },
    {
      what: 'a grant on another prefix',
      edit: (statements) => statements.replace('/reports/*', '/archive/*'),
      says: /denies "as the role: s3:GetObject on arn:aws:s3:::cross-account-demo-222222222222-us-east-1\/reports\/\S+ \(the job declares it\)"/,
    },
  ],
  event: { report: '2026-01.csv' },
  answer: { key: 'reports/2026-01.csv', firstLine: 'month,requests' },
  deniedCode: 'AccessDenied',
});
