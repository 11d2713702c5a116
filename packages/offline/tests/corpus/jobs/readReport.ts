// Read one report under the reports/ prefix of each target account's demo bucket (S3,
// REST-XML): its size and the first line.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { matching } from '@cross-account-lambda/core/src/schemas';

export const readReport = defineJob({
  event: { report: matching(/^[\w.-]{1,200}$/, 'be a file name under reports/, e.g. 2026-01.csv') },
  permissions: {
    // Objects under one prefix of one bucket: the template grants the same string.
    read: { action: 's3:GetObject', resource: 'arn:${AWS::Partition}:s3:::${Bucket}/reports/*' },
  },
  names: (_config, target) => ({ Bucket: `cross-account-demo-${target.account}-${target.region}` }),
  // The grant names the demo bucket the target template creates: no stack parameter.
  targetStack: () => ({}),
  async run({ target, event, names, client, step, abortSignal }) {
    const s3 = client(S3Client, {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      disableS3ExpressSessionAuth: true,
    });
    const Key = `reports/${event.report}`;
    const object = await step('read', () =>
      s3.send(
        new GetObjectCommand({ Bucket: names.Bucket, Key, ExpectedBucketOwner: target.account }),
        { abortSignal },
      ),
    );
    const body = (await object.Body?.transformToString()) ?? '';
    return { key: Key, bytes: object.ContentLength, firstLine: body.split('\n')[0] };
  },
});
