// The handler of the AWS knowledge-center article "How do I configure a Lambda function to assume
// an IAM role in another AWS account?", ported from its Python example to TypeScript for the
// benchmark: on EVERY invocation it creates an STS client, calls AssumeRole, creates an S3 client
// with the returned credentials and (this starter's job) lists the bucket. Nothing is cached
// between invocations. It serves the first configured account, as the article serves one role.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';

// The article hard-codes the role ARN; the port derives the same values from the function's
// environment so that it runs against the same stand-in as the starter.
const account = (process.env.TARGET_ACCOUNT_IDS ?? '').split(',')[0]?.trim() ?? '';
const region =
  process.env.TARGET_REGIONS?.split(',')[0]?.trim() || process.env.AWS_REGION || 'us-east-1';
const roleArn = `arn:aws:iam::${account}:role/${process.env.TARGET_ROLE_NAME ?? ''}`;
const bucket = (process.env.TARGET_BUCKET ?? '')
  .replaceAll('{accountId}', account)
  .replaceAll('{region}', region);

export interface ArticleResponse {
  readonly account: string;
  readonly keys: string[];
}

export async function handler(): Promise<ArticleResponse> {
  const sts = new STSClient({});
  const assumed = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'cross_acct_lambda' }),
  );
  const credentials = assumed.Credentials;
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new Error(`AssumeRole on ${roleArn} returned no credentials`);
  }
  const s3 = new S3Client({
    region,
    credentials: {
      accessKeyId: credentials.AccessKeyId,
      secretAccessKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    },
  });
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 50 }));
  return {
    account,
    keys: (listing.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])),
  };
}
