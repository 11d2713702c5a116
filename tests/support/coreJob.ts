// The core's own job, for the core's tests: whatever job job/index.ts selects, they run this one
// (`--job tests/support/coreJob.ts`) against the target template with this job's grant
// (coreTargetTemplate), so switching the function to another job leaves them green. It lists the
// demo bucket that resources/cross-account-role.yml creates, a service the stand-in emulates.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import * as v from 'valibot';
import { defineJob } from '../../src/job';
import { integer } from '../../src/schemas';

export const CORE_JOB = 'tests/support/coreJob.ts';

export const coreJob = defineJob({
  event: { maxKeys: v.optional(integer(1, 1000), 50) },
  permissions: {
    listDemoBucket: {
      action: 's3:ListBucket',
      resource: 'arn:${AWS::Partition}:s3:::cross-account-demo-${AWS::AccountId}-${AWS::Region}',
    },
  },
  async run({ target, event, client, step, abortSignal }) {
    const bucket = `cross-account-demo-${target.account}-${target.region}`;
    const s3 = client(S3Client, {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      disableS3ExpressSessionAuth: true,
    });
    const listing = await step('listDemoBucket', () =>
      s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          MaxKeys: event.maxKeys,
          ExpectedBucketOwner: target.account,
        }),
        { abortSignal },
      ),
    );
    const keys = (listing.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
    return { bucket, keys, truncated: listing.IsTruncated === true };
  },
  summarize: (result) => ({ keys: result.keys.length }),
});
