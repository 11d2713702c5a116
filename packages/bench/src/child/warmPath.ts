// The warm path: many invocations of one handler in one process, each followed by the same AWS
// calls made directly with long-lived SDK clients (the baseline). Handler latency minus baseline
// latency is what the handler adds on top of the calls it has to make: its own overhead.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { clientSettings } from '@cross-account-lambda/core/src/clientSettings';
import { type CallCounts, callsBetween, readStandInStats } from './standinStats';
import { allowLoopbackOnly, benchInput, lambdaContext, loadHandler, runChild } from './support';

export interface WarmPathInput {
  readonly handlerPath: string;
  /** Which calls one invocation of this handler makes, so the baseline makes the same. */
  readonly kind: 'starter' | 'article';
  readonly invocations: number;
  readonly roleArn: string;
  readonly bucket: string;
  readonly account: string;
  readonly region: string;
  readonly sessionName: string;
  /** A second stand-in (same policies) for the baseline's calls, so they are not counted. */
  readonly baselineEndpoint: string;
}

export interface WarmPathResult {
  /** Latency of every invocation, in order; the first one is the cold one. */
  readonly handlerMs: number[];
  /** Latency of the same calls made directly, alternating with the warm invocations. */
  readonly baselineMs: number[];
  /** Stand-in calls made by the handler's invocations (baseline excluded). */
  readonly handlerCalls: CallCounts;
  /** Responses whose summary reported a failure, or that had no keys. */
  readonly failedInvocations: number;
}

const BASELINE_WARM_UP = 50;

runChild(async (): Promise<WarmPathResult> => {
  allowLoopbackOnly();
  const input = benchInput<WarmPathInput>();
  const handler = loadHandler(input.handlerPath);
  let failedInvocations = 0;
  const invoke = async (index: number) => {
    const started = performance.now();
    const response = await handler({}, lambdaContext(`bench-warm-${index}`));
    if (!succeeded(response)) failedInvocations += 1;
    return performance.now() - started;
  };

  const before = await readStandInStats();
  // The first invocation is the cold one: it assumes the role.
  const handlerMs = [await invoke(0)];
  const baseline = await baselineCalls(input);
  for (let index = 0; index < BASELINE_WARM_UP; index += 1) await baseline();
  // Alternating, so that both see the same machine state (JIT, GC, other load) at each step.
  const baselineMs: number[] = [];
  for (let index = 1; index < input.invocations; index += 1) {
    handlerMs.push(await invoke(index));
    const started = performance.now();
    await baseline();
    baselineMs.push(performance.now() - started);
  }
  // The baseline talks to a stand-in of its own, so these are the handler's calls only.
  const handlerCalls = callsBetween(before, await readStandInStats());
  return { handlerMs, baselineMs, handlerCalls, failedInvocations };
});

function succeeded(response: unknown): boolean {
  const shape = response as { summary?: { failed?: number }; keys?: unknown };
  return shape?.summary ? shape.summary.failed === 0 : Array.isArray(shape?.keys);
}

/**
 * The AWS calls one warm invocation makes, with clients built once: for the starter
 * ListObjectsV2 with the assumed role's credentials; for the article AssumeRole and
 * ListObjectsV2. Same client settings as the
 * handler's.
 */
async function baselineCalls(input: WarmPathInput): Promise<() => Promise<void>> {
  const settings = { ...clientSettings(input.region), endpoint: input.baselineEndpoint };
  const home = new STSClient(settings);
  const assume = () =>
    home.send(
      new AssumeRoleCommand({ RoleArn: input.roleArn, RoleSessionName: input.sessionName }),
    );
  const assumed = (await assume()).Credentials;
  if (!assumed?.AccessKeyId || !assumed.SecretAccessKey)
    throw new Error('AssumeRole: no credentials');
  const credentials = {
    accessKeyId: assumed.AccessKeyId,
    secretAccessKey: assumed.SecretAccessKey,
    sessionToken: assumed.SessionToken,
  };
  const s3 = new S3Client({
    ...settings,
    credentials,
    // As src/credentials.ts configures the starter's S3 client.
    ...(input.kind === 'starter'
      ? {
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
          disableS3ExpressSessionAuth: true,
        }
      : {}),
  });
  const list = () =>
    s3.send(
      new ListObjectsV2Command({
        Bucket: input.bucket,
        MaxKeys: 50,
        ...(input.kind === 'starter' ? { ExpectedBucketOwner: input.account } : {}),
      }),
    );
  if (input.kind === 'article') {
    return async () => {
      await assume();
      await list();
    };
  }
  // A warm invocation of the starter reuses its credential: the per-invocation baseline is the
  // listing alone.
  return async () => {
    await list();
  };
}
