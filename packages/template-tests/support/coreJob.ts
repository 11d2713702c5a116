// The core's own job, for the core's tests: whatever job job/index.ts selects, they run this one
// (`--job packages/template-tests/support/coreJob.ts`) against the target template with this job's grant
// (coreTargetTemplate), so switching the function to another job leaves them green. It lists the
// demo bucket that resources/cross-account-role.yml creates, a service the stand-in emulates.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { integer, optional, text } from '@cross-account-lambda/core/src/schemas';

/** As --job and SlsOptions.job take it. */
export const CORE_JOB = {
  path: 'packages/template-tests/support/coreJob.ts',
  exportName: 'coreJob',
};

export const coreJob = defineJob({
  event: {
    prefix: optional(text(1024)),
    maxKeys: optional(integer(1, 1000), 50),
    // Another bucket than the demo bucket: a step whose resource the event decides.
    bucket: optional(text(63, { min: 3 })),
  },
  permissions: {
    listBucket: { action: 's3:ListBucket', resource: 'arn:${AWS::Partition}:s3:::${Bucket}' },
  },
  names: (_config, target) => ({ Bucket: `cross-account-demo-${target.account}-${target.region}` }),
  // The grant names the demo bucket itself (coreTarget.ts): no stack parameter.
  targetStack: () => ({}),
  async run({ target, event, names, client, step, abortSignal }) {
    const bucket = event.bucket ?? names.Bucket;
    const s3 = client(S3Client, {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      disableS3ExpressSessionAuth: true,
    });
    const listing = await step('listBucket', { Bucket: bucket }, () =>
      s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          MaxKeys: event.maxKeys,
          Prefix: event.prefix,
          ExpectedBucketOwner: target.account,
        }),
        { abortSignal },
      ),
    );
    const keys = (listing.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
    return { bucket, keys, truncated: listing.IsTruncated === true };
  },
  // The core asks the job first: a job's own reading of its service's failures wins.
  explain: (error, step) =>
    error.name === 'NoSuchBucket'
      ? { code: 'BucketNotFound', message: `${step.resource} does not exist` }
      : undefined,
  summarize: (result) => ({ keys: result.keys.length }),
});
