// The shipped job: list one S3 bucket in each target account and region (README, "Make it yours").
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  ConfigError,
  defineJob,
  integer,
  type JobTarget,
  matching,
  optional,
  quote,
  text,
} from '@cross-account-lambda/core';

/** The demo bucket resources/cross-account-role.yml creates when its BucketName is empty. */
export const DEMO_BUCKET = 'cross-account-demo-{accountId}-{region}';

export const listObjects = defineJob({
  params: {
    targetBucket: {
      hint: '<bucket name> (may contain {accountId} and {region})',
      schema: optional(
        matching(
          /^(?!arn:)([^{}]|\{accountId\}|\{region\})+$/,
          'be a bucket name (not an ARN) whose only placeholders are {accountId} and {region}',
        ),
        DEMO_BUCKET,
      ),
    },
  },
  event: { prefix: optional(text(1024)), maxKeys: optional(integer(1, 1000), 50) },

  // ListObjectsV2 is authorised by s3:ListBucket on the bucket; the job makes no other call.
  permissions: {
    listBucket: { action: 's3:ListBucket', resource: 'arn:${AWS::Partition}:s3:::${Bucket}' },
  },
  names: ({ targetBucket }, target) => ({ Bucket: bucketName(targetBucket, target) }),
  // Empty BucketName: the target stack creates the demo bucket; any other is an existing bucket.
  targetStack: (_config, target, { Bucket }) => ({
    BucketName: Bucket === fill(DEMO_BUCKET, target) ? '' : Bucket,
  }),
  async run({ target, event, names, client, step, abortSignal }) {
    // General purpose buckets, and no body to checksum: no S3 Express session, no checksums.
    const s3 = client(S3Client, {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      disableS3ExpressSessionAuth: true,
    });
    const listing = await step('listBucket', () =>
      s3.send(
        new ListObjectsV2Command({
          Bucket: names.Bucket,
          MaxKeys: event.maxKeys,
          Prefix: event.prefix,
          // A bucket name is global: refuse to list a same-named bucket owned by someone else.
          ExpectedBucketOwner: target.account,
        }),
        { abortSignal },
      ),
    );
    const keys = (listing.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
    return { bucket: names.Bucket, keys, truncated: listing.IsTruncated === true };
  },
  explain(error, _step, { target, config, names: { Bucket } }) {
    const given = `--param targetBucket=${config.targetBucket}`;
    if (error.name === 'AccessDenied' || error.name === 'AccessDeniedException') {
      const message = `${target.roleArn} may not list bucket ${Bucket}. The target role's permission policy covers only the bucket named by the target stack's BucketName parameter (empty = the demo bucket cross-account-demo-<account>-<region>); this function lists the bucket from ${given}. Make the two name the same bucket, check that account ${target.account} owns it (the call sets ExpectedBucketOwner), and check the bucket policy and any SCP or RCP in the target account.`;
      return { code: 'TargetAccessDenied', message };
    }
    if (error.name === 'NoSuchBucket') {
      const message = `Bucket ${Bucket} does not exist (resolved from ${given} for account ${target.account} in ${target.region}). Deploy the target stack with an empty BucketName to create the demo bucket, or set --param targetBucket to an existing bucket in account ${target.account}.`;
      return { code: 'BucketNotFound', message };
    }
    const moved = /^(PermanentRedirect|AuthorizationHeaderMalformed|IllegalLocation)/;
    if (moved.test(error.name) || error.httpStatusCode === 301) {
      const message = `Bucket ${Bucket} is not in ${target.region} (${error.name}). Set --param targetRegions to the bucket's region.`;
      return { code: 'BucketRegionMismatch', message };
    }
    return undefined;
  },
  summarize: (result) => ({ keys: result.keys.length, truncated: result.truncated }),
});

const fill = (template: string, { account, region }: JobTarget) =>
  template.replaceAll('{accountId}', account).replaceAll('{region}', region);

// S3's rules for general purpose bucket names: a pattern the name must match, and its fault.
const RULES: [RegExp, string][] = [
  [/^.{3,63}$/, 'is not 3 to 63 characters long'],
  [/^[a-z0-9.-]*$/, 'contains characters other than a-z, 0-9, dot and hyphen'],
  [/^[a-z0-9].*[a-z0-9]$/, 'does not begin and end with a letter or digit'],
  [/^(?!.*\.\.)/, 'contains two adjacent dots'],
  [/^(?!\d{1,3}(\.\d{1,3}){3}$)/, 'is formatted as an IP address'],
  [/^(?!xn--|sthree-|amzn-s3-demo-)/, 'starts with a reserved prefix'],
  [/(?<!-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/, 'ends with a reserved suffix'],
];

function bucketName(template: string, target: JobTarget): string {
  const name = fill(template, target);
  const fault = RULES.find(([rule]) => !rule.test(name))?.[1];
  if (!fault) return name;
  const why = `${quote(template, 128)} gives ${quote(name, 128)} for account ${target.account}, which ${fault}`;
  throw new ConfigError(
    'TARGET_BUCKET',
    `TARGET_BUCKET must resolve to a valid S3 bucket name; ${why}`,
  );
}
