// Sum a column of one CSV report in each target account with S3 Select: the answer is an event
// stream (SelectObjectContent), which the default bundle leaves out.
import { S3Client, SelectObjectContentCommand } from '@aws-sdk/client-s3';
import { defineJob } from '@cross-account-lambda/core';

export const selectReport = defineJob({
  permissions: {
    select: { action: 's3:GetObject', resource: 'arn:${AWS::Partition}:s3:::${Bucket}/reports/*' },
  },
  names: (_config, target) => ({ Bucket: `cross-account-demo-${target.account}-${target.region}` }),
  targetStack: () => ({}),
  async run({ names, client, step, abortSignal }) {
    const s3 = client(S3Client);
    const answer = await step('select', () =>
      s3.send(
        new SelectObjectContentCommand({
          Bucket: names.Bucket,
          Key: 'reports/2026-01.csv',
          Expression: 'SELECT SUM(CAST(s._2 AS INT)) FROM S3Object s',
          ExpressionType: 'SQL',
          InputSerialization: { CSV: {} },
          OutputSerialization: { CSV: {} },
        }),
        { abortSignal },
      ),
    );
    let records = '';
    for await (const event of answer.Payload ?? []) {
      if (event.Records?.Payload) records += Buffer.from(event.Records.Payload).toString('utf8');
    }
    return { sum: records.trim() };
  },
});
