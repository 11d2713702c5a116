// Section 7, distributed mode against one invocation (issue 24): the same 1,000 accounts x 4
// regions from AWS Organizations, every call held CURVE_DELAY_MS, first as one invocation (the cost
// curve's point, or measured here), then as the home stack's state machine run offline
// (aws-local-stepfunctions, the built bundle in warm local containers). A second distributed run
// lets Lambda run fewer batches than the map starts, so throttled batches are retried: every
// account must still be assumed once and every target done once.
import { runDistributed } from '@cross-account-lambda/offline/distributed/run';
import { OFFLINE_HOME_ACCOUNT } from '@cross-account-lambda/offline/iam';
import type { StandInStats } from '@cross-account-lambda/offline/standin';
import { synthesize } from '@cross-account-lambda/offline/synth';
import { makeTempDir, removeTempDir } from '@cross-account-lambda/offline/tempDirs';
import {
  CURVE_CONCURRENCY,
  CURVE_DELAY_MS,
  CURVE_REGIONS,
  type CurvePoint,
  curveWorld,
  startCurveStandIn,
} from './costCurve';
import { READER_ACCOUNT } from './discoveryFanOut';
import { type Check, check, ms, type Section } from './report';
import type { Stack } from './stacks';

export const DISTRIBUTED_ACCOUNTS = 1000;
const BATCH_SIZE = 25;
/**
 * Batches at once. Offline every container shares this machine's cores and the one stand-in, whose
 * IAM decisions bound the calls per second: at 10 batches at once, batches ran past the function's
 * 10 s timeout here. On AWS each container has its own CPU and the services scale.
 */
const MAX_CONCURRENCY = 4;
/** The function's concurrency in the throttled run: fewer than the map starts at once. */
const THROTTLED_CONCURRENCY = 2;

export interface DistributedRun {
  readonly label: string;
  readonly wallMs: number;
  readonly invocations: number;
  readonly containers: number;
  readonly throttled: number;
  readonly batches: { succeeded: number; failed: number };
  readonly targets: number;
  readonly uniqueTargets: number;
  readonly failedTargets: number;
  /** Failed targets by the function's error code. */
  readonly failedCodes: Readonly<Record<string, number>>;
  /** AssumeRole calls per target account: the most, and how many accounts saw exactly one. */
  readonly assumedOnce: number;
  readonly assumedMost: number;
  readonly readerAssumes: number;
  readonly organizationsCalls: number;
}

export async function measureDistributed(options: {
  readonly stack: Stack;
  readonly progress: (text: string) => void;
}): Promise<DistributedRun[]> {
  const synthesis = await synthesize({
    stage: 'localorg',
    params: {
      targetRegions: CURVE_REGIONS.join(','),
      fanoutConcurrency: String(CURVE_CONCURRENCY),
      distributed: 'true',
      distributedBatchSize: String(BATCH_SIZE),
      distributedMaxConcurrency: String(MAX_CONCURRENCY),
    },
  });
  try {
    const world = await curveWorld({ ...options.stack, synthesis }, DISTRIBUTED_ACCOUNTS);
    const runs: DistributedRun[] = [];
    for (const [label, concurrency] of [
      ['distributed', undefined],
      [`distributed, Lambda runs ${THROTTLED_CONCURRENCY} at once`, THROTTLED_CONCURRENCY],
    ] as const) {
      options.progress(`distributed mode: ${label}...`);
      const standIn = await startCurveStandIn(world);
      const workDir = await makeTempDir('xacct-bench-distributed-');
      try {
        const run = await runDistributed({
          template: synthesis.template,
          artefactPath: synthesis.artefactPath,
          standIn,
          workDir,
          homeAccountId: OFFLINE_HOME_ACCOUNT,
          region: 'us-east-1',
          ...(concurrency === undefined ? {} : { concurrency }),
        });
        if (run.status !== 'SUCCEEDED') {
          throw new Error(`the distributed run failed: ${run.error?.name}: ${run.error?.message}`);
        }
        runs.push(summarise(label, run, standIn.stats));
      } finally {
        await standIn.close();
        await removeTempDir(workDir);
      }
    }
    return runs;
  } finally {
    await synthesis.dispose();
  }
}

function summarise(
  label: string,
  run: Awaited<ReturnType<typeof runDistributed>>,
  stats: StandInStats,
): DistributedRun {
  const { [READER_ACCOUNT]: readerAssumes = 0, ...byAccount } = stats.assumeRole.byAccount;
  const counts = Object.values(byAccount);
  return {
    label,
    wallMs: run.durationMs,
    invocations: run.functionStats.invocations,
    containers: run.functionStats.coldStarts,
    throttled: run.functionStats.throttled,
    batches: run.batches,
    targets: run.targets.length,
    uniqueTargets: new Set(run.targets.map((t) => `${t.account}/${t.region}`)).size,
    failedTargets: run.targets.filter((t) => !t.ok).length,
    failedCodes: run.targets
      .filter((t) => !t.ok)
      .reduce<Record<string, number>>((codes, t) => {
        const code = t.code ?? 'unknown';
        codes[code] = (codes[code] ?? 0) + 1;
        return codes;
      }, {}),
    assumedOnce: counts.filter((n) => n === 1).length,
    assumedMost: Math.max(0, ...counts),
    readerAssumes,
    organizationsCalls: stats.organizations.calls,
  };
}

export function distributedSection(
  runs: readonly DistributedRun[],
  single: CurvePoint | undefined,
): Section {
  const targets = DISTRIBUTED_ACCOUNTS * CURVE_REGIONS.length;
  const batches = Math.ceil(DISTRIBUTED_ACCOUNTS / BATCH_SIZE);
  const checks: Check[] = runs.flatMap((run) => [
    check(
      `${run.label}: every target done once, none lost`,
      `${targets} targets, ${targets} distinct, 0 failed`,
      `${run.targets} targets, ${run.uniqueTargets} distinct, ${run.failedTargets} failed${
        run.failedTargets
          ? ` (${Object.entries(run.failedCodes)
              .map(([code, n]) => `${code} ${n}`)
              .join(', ')})`
          : ''
      }`,
      run.targets === targets && run.uniqueTargets === targets && run.failedTargets === 0,
    ),
    check(
      `${run.label}: one AssumeRole per account`,
      `${DISTRIBUTED_ACCOUNTS} accounts once`,
      `${run.assumedOnce} once, most ${run.assumedMost}`,
      run.assumedOnce === DISTRIBUTED_ACCOUNTS && run.assumedMost === 1,
    ),
  ]);
  const throttled = runs.find((run) => run.throttled > 0);
  if (runs.length > 1) {
    checks.push(
      check(
        'distributed: Lambda throttled batches and the state machine retried them',
        'some throttled',
        String(runs[1]?.throttled ?? 0),
        throttled !== undefined,
      ),
    );
  }
  const rows = [
    ...(single
      ? [
          [
            'one invocation (cost curve)',
            ms(single.step.ms, 0),
            '1',
            '1',
            '0',
            '-',
            `${single.step.succeeded + single.step.failed}`,
            String(single.step.calls.assumeRole - 1),
            String(single.step.calls.organizations),
          ],
        ]
      : []),
    ...runs.map((run) => [
      run.label,
      ms(run.wallMs, 0),
      String(run.invocations),
      String(run.containers),
      String(run.throttled),
      `${run.batches.succeeded}/${run.batches.failed}`,
      String(run.targets),
      `${run.assumedOnce} once (most ${run.assumedMost}), reader ${run.readerAssumes}`,
      String(run.organizationsCalls),
    ]),
  ];
  return {
    title: `7. Distributed mode against one invocation: ${DISTRIBUTED_ACCOUNTS} accounts x ${CURVE_REGIONS.length} regions, every call held ${CURVE_DELAY_MS} ms`,
    table: {
      headers: [
        'Run',
        'Wall time',
        'Invocations',
        'Containers',
        'Throttled',
        'Batches ok/failed',
        'Targets',
        'AssumeRole per account',
        'Organizations',
      ],
      rows,
    },
    notes: [
      `Distributed: batches of ${BATCH_SIZE} accounts, ${MAX_CONCURRENCY} at once (the map's MaxConcurrency), each invocation fanning out ${CURVE_CONCURRENCY} at a time; ${batches} batches, ${batches + 1} invocations with the listing.`,
      'Run offline: aws-local-stepfunctions interprets the synthesised definition; each invocation is the built bundle in a warm local container, and the stand-in answers every call on this machine (the two cores are shared by all containers, the stand-in and the interpreter).',
      `On AWS the same run is about ${batches + 3} standard state transitions and ${batches} express child executions (docs/distributed.md, "Cost model").`,
      ...(single
        ? []
        : ['The one-invocation row needs the cost curve at 1000 accounts (--curve with 1000).']),
    ],
    checks,
  };
}
