// The shipped job: list the keys of one S3 bucket in each target account. This module is the
// whole job; to do your own work in the target accounts, write a module of the same shape and
// point job/index.ts at it (README, "Make it yours").
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ConfigError, EventValidationError } from '../src/errors';
import { integerField, refuseUnpairedSurrogate } from '../src/event';
import { defineJob, type JobTarget, targetKey } from '../src/job';
import { describeType, quote } from '../src/redact';

export interface ListObjectsConfig {
  /** TARGET_BUCKET as given, placeholders unexpanded. */
  readonly bucketTemplate: string;
  /** The bucket of each target account and region (targetKey), placeholders filled in. */
  readonly buckets: ReadonlyMap<string, string>;
}

export interface ListRequest {
  readonly prefix: string | undefined;
  readonly maxKeys: number;
}

export interface ListResult {
  readonly bucket: string;
  readonly keys: string[];
  readonly truncated: boolean;
}

export const DEFAULT_MAX_KEYS = 50;
const MAX_KEYS_LIMIT = 1000;
const PREFIX_LIMIT = 1024;
/** The demo bucket resources/cross-account-role.yml creates when its BucketName is empty. */
export const DEMO_BUCKET = 'cross-account-demo-{accountId}-{region}';
const PLACEHOLDER = /\{([^}]*)\}/g;
const KNOWN_PLACEHOLDERS = new Set(['accountId', 'region']);

const TARGET_BUCKET_HINT =
  'set --param targetBucket=<bucket name> (may contain {accountId} and {region}, default cross-account-demo-{accountId}-{region})';

export const listObjects = defineJob<ListObjectsConfig, ListRequest, { s3: S3Client }, ListResult>({
  name: 'listed target bucket',
  parameters: {
    targetBucket: { variable: 'TARGET_BUCKET', default: DEMO_BUCKET, hint: TARGET_BUCKET_HINT },
  },
  loadConfig(env, { targets }) {
    const bucketTemplate = bucketTemplateOf(env.TARGET_BUCKET?.trim() || undefined);
    const buckets = new Map(
      targets.map((target) => [targetKey(target), resolveBucket(bucketTemplate, target)]),
    );
    return { bucketTemplate, buckets };
  },

  eventFields: ['prefix', 'maxKeys'],
  parseEvent(fields) {
    return { prefix: prefixOf(fields.prefix), maxKeys: maxKeysOf(fields.maxKeys) };
  },

  // ListObjectsV2 is authorised by s3:ListBucket on the bucket; the job makes no other call.
  permissions: [{ action: 's3:ListBucket', resource: 'arn:{partition}:s3:::{bucket}' }],
  resourceNames: (config, target) => ({ bucket: bucketOf(config, target) }),
  targetStackParameters(config, target) {
    const bucket = bucketOf(config, target);
    const demo = resolveTemplate(DEMO_BUCKET, target);
    // Empty = the target stack creates the demo bucket; any other name is an existing bucket.
    return { BucketName: bucket === demo ? '' : bucket };
  },

  clients: (factory) => ({
    s3: factory.client(S3Client, {
      // ListObjectsV2 has no body to checksum and its response no checksum to validate.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Target buckets are general purpose buckets (resources/cross-account-role.yml), never
      // S3 Express directory buckets, so the session-auth lookup per request is skipped.
      disableS3ExpressSessionAuth: true,
    }),
  }),

  async run({ target, config, request, clients, abortSignal, step }) {
    const bucket = bucketOf(config, target);
    const listing = await step(
      {
        name: 'list-objects',
        action: 's3:ListBucket',
        resource: `arn:${target.partition}:s3:::${bucket}`,
        describe: `bucket ${bucket}`,
      },
      () =>
        clients.s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            MaxKeys: request.maxKeys,
            Prefix: request.prefix,
            // A bucket name is global: refuse to list a same-named bucket owned by someone else.
            ExpectedBucketOwner: target.account,
          }),
          { abortSignal },
        ),
    );
    return {
      bucket,
      keys: (listing.Contents ?? []).flatMap((object) =>
        object.Key === undefined ? [] : [object.Key],
      ),
      truncated: listing.IsTruncated === true,
    };
  },

  explain(error, _step, { target, config }) {
    const bucket = bucketOf(config, target);
    if (error.name === 'AccessDenied' || error.name === 'AccessDeniedException') {
      return {
        code: 'TargetAccessDenied',
        message:
          `${target.roleArn} may not list bucket ${bucket}. The target role's permission policy ` +
          "covers only the bucket named by the target stack's BucketName parameter (empty = the demo " +
          'bucket cross-account-demo-<account>-<region>); this function lists the bucket from ' +
          `--param targetBucket=${config.bucketTemplate}. Make the two name the same bucket, check ` +
          `that account ${target.account} owns it (the call sets ExpectedBucketOwner), and check the ` +
          'bucket policy and any SCP or RCP in the target account.',
      };
    }
    if (error.name === 'NoSuchBucket') {
      return {
        code: 'BucketNotFound',
        message:
          `Bucket ${bucket} does not exist (resolved from --param targetBucket=` +
          `${config.bucketTemplate} for account ${target.account} in ${target.region}). Deploy ` +
          'the target stack with an empty BucketName to create the demo bucket, or set --param ' +
          `targetBucket to an existing bucket in account ${target.account}.`,
      };
    }
    if (
      [
        'PermanentRedirect',
        'AuthorizationHeaderMalformed',
        'IllegalLocationConstraintException',
      ].includes(error.name) ||
      error.httpStatusCode === 301
    ) {
      return {
        code: 'BucketRegionMismatch',
        message:
          `Bucket ${bucket} is not in ${target.region} (${error.name}). Set --param ` +
          "targetRegions to the bucket's region.",
      };
    }
    return undefined;
  },

  summarize: (result) => ({ keys: result.keys.length, truncated: result.truncated }),
});

function bucketOf(config: ListObjectsConfig, target: JobTarget): string {
  // Accounts discovered from Organizations are not known at cold start: resolved on first visit.
  return config.buckets.get(targetKey(target)) ?? resolveBucket(config.bucketTemplate, target);
}

function fail(problem: string): never {
  throw new ConfigError('TARGET_BUCKET', `TARGET_BUCKET ${problem}; ${TARGET_BUCKET_HINT}`);
}

function bucketTemplateOf(value: string | undefined): string {
  if (value === undefined) fail('is missing');
  if (value.startsWith('arn:')) {
    fail(`must be a bucket name, not an ARN; got ${quote(value, 128)}`);
  }
  for (const [, placeholder] of value.matchAll(PLACEHOLDER)) {
    if (!KNOWN_PLACEHOLDERS.has(placeholder ?? '')) {
      fail(
        `may only contain the placeholders {accountId} and {region}; got ${quote(`{${placeholder}}`)} in ${quote(value, 128)}`,
      );
    }
  }
  return value;
}

function resolveTemplate(template: string, target: JobTarget): string {
  return template.replaceAll('{accountId}', target.account).replaceAll('{region}', target.region);
}

function resolveBucket(template: string, target: JobTarget): string {
  const bucket = resolveTemplate(template, target);
  const problem = bucketNameProblem(bucket);
  if (problem) {
    fail(
      `must resolve to a valid S3 bucket name; ${quote(template, 128)} gives ${quote(bucket, 128)} for account ${target.account}, which ${problem}`,
    );
  }
  return bucket;
}

// S3 general purpose bucket naming rules.
function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return `has ${name.length} characters (3 to 63 allowed)`;
  if (!/^[a-z0-9.-]+$/.test(name)) return 'contains characters other than a-z, 0-9, dot and hyphen';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'does not begin and end with a letter or digit';
  if (name.includes('..')) return 'contains two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return 'is formatted as an IP address';
  const prefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((reserved) => name.startsWith(reserved));
  if (prefix) return `starts with the reserved prefix ${prefix}`;
  const suffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((reserved) =>
    name.endsWith(reserved),
  );
  if (suffix) return `ends with the reserved suffix ${suffix}`;
  return undefined;
}

function prefixOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new EventValidationError('prefix', `prefix must be a string; got ${describeType(value)}`);
  }
  if (value.length > PREFIX_LIMIT) {
    throw new EventValidationError(
      'prefix',
      `prefix must be at most ${PREFIX_LIMIT} characters; got ${value.length}`,
    );
  }
  // S3 keys are UTF-8: the SDK would fail to build the request URL (URIError).
  refuseUnpairedSurrogate('prefix', value);
  return value;
}

function maxKeysOf(value: unknown): number {
  return integerField('maxKeys', value, {
    fallback: DEFAULT_MAX_KEYS,
    min: 1,
    max: MAX_KEYS_LIMIT,
  });
}
