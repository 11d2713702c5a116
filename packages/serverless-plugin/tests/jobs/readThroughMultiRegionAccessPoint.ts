// Read one object through each target account's S3 Multi-Region Access Point: S3 signs such
// requests with SigV4a, which the default bundle leaves out.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { defineJob } from '@cross-account-lambda/core';

export const readThroughMultiRegionAccessPoint = defineJob({
  permissions: {
    read: {
      action: 's3:GetObject',
      resource:
        'arn:${AWS::Partition}:s3::${AWS::AccountId}:accesspoint/mfzwi23gnjvgw.mrap/object/*',
    },
  },
  async run({ target, client, step, abortSignal }) {
    const s3 = client(S3Client);
    const object = await step('read', () =>
      s3.send(
        new GetObjectCommand({
          Bucket: `arn:aws:s3::${target.account}:accesspoint/mfzwi23gnjvgw.mrap`,
          Key: 'reports/summary.json',
        }),
        { abortSignal },
      ),
    );
    return { bytes: object.ContentLength };
  },
});
