// Section 3: the warm path. 1,000 invocations in one process for this starter's handler and for
// the article-style port, each against a baseline of the same AWS calls made directly, so the
// stand-in's own time (and the SDK's, which every variant pays) is taken out of the overhead.
import type { WarmPathInput, WarmPathResult } from './child/warmPath';
import { runChildScript } from './children';
import { check, ms, type Section } from './report';
import { percentile } from './statistics';
import type { Variant } from './variants';

export interface WarmTarget {
  readonly roleArn: string;
  readonly bucket: string;
  readonly account: string;
  readonly region: string;
}

export interface WarmRun {
  readonly variant: Variant;
  readonly result: WarmPathResult;
  readonly offLoopback: readonly string[];
}

export const OVERHEAD_P50_TARGET_MS = 0.5;

export async function measureWarmPath(options: {
  readonly script: string;
  readonly variant: Variant;
  readonly invocations: number;
  readonly target: WarmTarget;
  readonly env: Readonly<Record<string, string>>;
  /** URL of the stand-in that serves the baseline's calls. */
  readonly baselineEndpoint: string;
}): Promise<WarmRun> {
  const { variant } = options;
  const input: WarmPathInput = {
    handlerPath: variant.handlerPath,
    kind: variant.kind,
    invocations: options.invocations,
    ...options.target,
    sessionName: 'bench-baseline',
    baselineEndpoint: options.baselineEndpoint,
  };
  const outcome = await runChildScript<WarmPathResult>({
    script: options.script,
    input,
    env: { ...options.env, ...variant.env },
    nodeArgs: variant.nodeArgs,
    timeoutMs: 120_000,
  });
  return { variant, result: outcome.result, offLoopback: outcome.offLoopback };
}

interface Latencies {
  readonly p50: number;
  readonly p99: number;
}

function latencies(samples: readonly number[]): Latencies {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export function warmPathSection(starter: WarmRun, article: WarmRun): Section {
  const describe = (run: WarmRun) => {
    // The first invocation is the cold one (AssumeRole); the rest alternate with the baseline,
    // so each warm invocation is paired with the direct calls made right after it.
    const warm = run.result.handlerMs.slice(1);
    const overheads = warm.map((latency, index) => latency - (run.result.baselineMs[index] ?? 0));
    return {
      run,
      handler: latencies(warm),
      baseline: latencies(run.result.baselineMs),
      overhead: latencies(overheads),
    };
  };
  const ours = describe(starter);
  const theirs = describe(article);
  const rows = [ours, theirs].map(({ run, handler, baseline, overhead }) => [
    run.variant.label,
    String(run.result.handlerMs.length),
    String(run.result.handlerCalls.assumeRole),
    String(run.result.handlerCalls.sts),
    String(run.result.handlerCalls.s3),
    `${ms(handler.p50, 2)} / ${ms(handler.p99, 2)}`,
    `${ms(baseline.p50, 2)} / ${ms(baseline.p99, 2)}`,
    `${ms(overhead.p50, 2)} / ${ms(overhead.p99, 2)}`,
  ]);
  const invocations = starter.result.handlerMs.length;
  return {
    title: `3. Warm path: ${invocations} invocations in one process`,
    table: {
      headers: [
        'Handler',
        'Invocations',
        'AssumeRole',
        'STS calls',
        'S3 calls',
        'Latency p50 / p99',
        'Same calls direct p50 / p99',
        'Overhead p50 / p99',
      ],
      rows,
    },
    notes: [
      'Overhead = each warm invocation minus the same AWS calls made directly, with long-lived ' +
        'clients, right after it (stand-in time and SDK work taken out); percentiles of those ' +
        "differences. The direct calls go to a second stand-in, so the call counts are the handler's alone.",
      "The starter's only STS call is one AssumeRole per credential (its answer proves the " +
        'credential is of the expected account); the article port calls AssumeRole every time and ' +
        'builds two clients per invocation.',
      `Article port, per invocation: ${ms(theirs.handler.p50 - ours.handler.p50, 2)} slower at ` +
        `p50 than the starter, ${theirs.run.result.handlerCalls.assumeRole} AssumeRole calls per ` +
        `${theirs.run.result.handlerMs.length} invocations.`,
    ],
    checks: [
      check(
        'AssumeRole calls while the credentials are valid',
        `1 per ${invocations}`,
        `${starter.result.handlerCalls.assumeRole} per ${invocations}`,
        starter.result.handlerCalls.assumeRole === 1,
      ),
      check(
        'handler overhead p50 beyond the calls themselves',
        `< ${ms(OVERHEAD_P50_TARGET_MS, 1)}`,
        ms(ours.overhead.p50, 3),
        ours.overhead.p50 < OVERHEAD_P50_TARGET_MS,
      ),
      check(
        'invocations that failed',
        '0',
        `${starter.result.failedInvocations} (starter), ${article.result.failedInvocations} (article port)`,
        starter.result.failedInvocations === 0 && article.result.failedInvocations === 0,
      ),
    ],
  };
}
