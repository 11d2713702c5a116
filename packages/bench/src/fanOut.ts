// Section 5: fan-out over many accounts in several regions (issues 5, 14). One stand-in serves
// every target account in every region, each STS and S3 call held for a fixed delay so that a
// call's time is known and the expected wall time of a fan-out, ceil(accounts x regions /
// concurrency) single-target invocations, is meaningful.
import type { ExtraBucket, StandIn } from '@cross-account-lambda/offline/standin';
import type { InvocationStep, InvocationsInput, StepResult } from './child/invocations';
import { runChildScript } from './children';
import { type DiscoveryRun, discoveryChecks } from './discoveryFanOut';
import { check, ms, ratio, type Section } from './report';
import type { Variant } from './variants';

export const FANOUT_ACCOUNTS = Array.from({ length: 50 }, (_, index) =>
  String(300_000_000_001 + index),
);
/** The function's region first: the target stacks (and their demo buckets) are deployed there. */
export const FANOUT_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const TARGETS = FANOUT_ACCOUNTS.length * FANOUT_REGIONS.length;

/** The demo bucket of each account in the regions other than the target stacks' own. */
export function fanOutBuckets(): ExtraBucket[] {
  return FANOUT_ACCOUNTS.flatMap((accountId) =>
    FANOUT_REGIONS.slice(1).map((region) => ({
      name: `cross-account-demo-${accountId}-${region}`,
      accountId,
      region,
    })),
  );
}

// About what STS and S3 take from inside a region; long against the client's own work per call.
export const CALL_DELAY_MS = 100;
/** "Close to": the fan-out's wall time within this fraction of the expected one, either way. */
export const FANOUT_TOLERANCE = 0.2;
// The same role session names in every process: the stand-in decides each request from its cache.
const REQUEST_ID = 'bench-fanout';

export interface FanOutRun {
  readonly concurrency: number;
  readonly single: readonly StepResult[];
  readonly fanOut: readonly StepResult[];
  readonly offLoopback: readonly string[];
}

export async function measureFanOut(options: {
  readonly script: string;
  readonly variant: Variant;
  readonly env: Readonly<Record<string, string>>;
  readonly standIn: StandIn;
}): Promise<FanOutRun> {
  const concurrency = Number(options.env.FANOUT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`FANOUT_CONCURRENCY is ${options.env.FANOUT_CONCURRENCY}`);
  }
  const [firstAccount, ...rest] = FANOUT_ACCOUNTS;
  const lastAccount = rest[rest.length - 1];
  if (!firstAccount || !lastAccount) throw new Error('no accounts');
  const offLoopback: string[] = [];
  const run = async (steps: InvocationStep[]) => {
    const input: InvocationsInput = {
      handlerPath: options.variant.handlerPath,
      requestId: REQUEST_ID,
      steps,
    };
    const outcome = await runChildScript<StepResult[]>({
      script: options.script,
      input,
      env: { ...options.env, ...options.variant.env },
    });
    offLoopback.push(...outcome.offLoopback);
    return outcome.result;
  };
  const all = (label: string): InvocationStep => ({ label, event: {} });
  // One target: one account in the function's own region.
  const one = (label: string, account: string): InvocationStep => ({
    label,
    event: { accounts: [account], regions: FANOUT_REGIONS.slice(0, 1) },
  });

  // Unmeasured and without delay: the stand-in evaluates each account's policies once and caches.
  await run([all('warm-up, cold'), all('warm-up, warm')]);
  options.standIn.faults.add([
    { kind: 'delay', service: 'sts', always: true, delayMs: CALL_DELAY_MS },
    { kind: 'delay', service: 's3', always: true, delayMs: CALL_DELAY_MS },
  ]);
  try {
    // A single account in a process already warmed up by another account's invocation.
    const single = await run([
      one('warm-up (another account)', lastAccount),
      one('single account, cold', firstAccount),
      one('single account, warm', firstAccount),
    ]);
    // The whole fan-out on a cold container, then warm.
    const size = `${FANOUT_ACCOUNTS.length} accounts x ${FANOUT_REGIONS.length} regions`;
    const fanOut = await run([all(`${size}, cold`), all(`${size}, warm`)]);
    return { concurrency, single: single.slice(1), fanOut, offLoopback };
  } finally {
    options.standIn.faults.clear();
  }
}

export function fanOutSection(run: FanOutRun, discovery: DiscoveryRun): Section {
  const [singleCold, singleWarm] = run.single;
  const [fanCold, fanWarm] = run.fanOut;
  if (!singleCold || !singleWarm || !fanCold || !fanWarm) throw new Error('missing fan-out steps');
  const accounts = FANOUT_ACCOUNTS.length;
  const rounds = Math.ceil(TARGETS / run.concurrency);
  const expectedCold = rounds * singleCold.ms;
  const expectedWarm = rounds * singleWarm.ms;
  const row = (step: StepResult, expected?: number) => [
    step.label,
    ms(step.ms, 0),
    expected === undefined ? '' : ms(expected, 0),
    expected === undefined ? '' : ratio(step.ms / expected),
    String(step.calls.assumeRole),
    String(step.calls.getCallerIdentity),
    String(step.calls.s3),
    String(step.calls.organizations),
    `${step.succeeded}/${step.succeeded + step.failed}`,
  ];
  const close = (actual: number, expected: number) =>
    Math.abs(actual / expected - 1) <= FANOUT_TOLERANCE;
  const failed = [singleCold, singleWarm, fanCold, fanWarm].reduce(
    (sum, step) => sum + step.failed,
    0,
  );
  return {
    title: `5. Fan-out: ${accounts} accounts x ${FANOUT_REGIONS.length} regions, concurrency ${run.concurrency}`,
    table: {
      headers: [
        'Invocation',
        'Wall time',
        `ceil(${TARGETS}/${run.concurrency}) x single`,
        'Ratio',
        'AssumeRole',
        'GetCallerIdentity',
        'S3 calls',
        'Organizations',
        'Succeeded',
      ],
      rows: [
        row(singleCold),
        row(singleWarm),
        row(fanCold, expectedCold),
        row(fanWarm, expectedWarm),
        ...discovery.steps.map((step) => row(step)),
      ],
    },
    notes: [
      `Every STS and S3 call is held ${CALL_DELAY_MS} ms by the stand-in (delay fault), so one target ` +
        `(account, region) costs 2 calls cold (AssumeRole, ListObjectsV2) and 1 warm; an account's ` +
        `${FANOUT_REGIONS.length} regions (${FANOUT_REGIONS.join(', ')}) share its one AssumeRole; ` +
        "the GetCallerIdentity column stays 0 since AssumeRole's own answer proves the account.",
      `Expected wall time = ceil(${TARGETS}/${run.concurrency}) = ${rounds} single-target ` +
        'invocations of the same kind (cold or warm), measured in a separate warm process.',
      "The target role modelled here grants the demo bucket of each region (the shipped one grants its own region's only).",
      `OU mode (stage localorg, the bundle with discovery): the same ${accounts} accounts, listed by the stand-in's ` +
        'Organizations from a modelled organization (30 in the configured OU, 20 in a child OU, ' +
        'a SUSPENDED one and one in a sibling OU left out), without call delays: the rows count calls. ' +
        `Organizations calls per cache period (accountCacheSeconds ${discovery.cacheSeconds} s): ` +
        `${discovery.expectedCalls}, the pages of accounts and of child OUs (20 a page) of each unit listed; ` +
        "the container's clock is moved ahead to pass the period rather than waiting it out.",
    ],
    checks: [
      check(
        'cold fan-out wall time vs ceil(N/C) single calls',
        `${ratio(1 - FANOUT_TOLERANCE)}-${ratio(1 + FANOUT_TOLERANCE)}`,
        `${ratio(fanCold.ms / expectedCold)} (${ms(fanCold.ms, 0)} vs ${ms(expectedCold, 0)})`,
        close(fanCold.ms, expectedCold),
      ),
      check(
        'warm fan-out wall time vs ceil(N/C) single calls',
        `${ratio(1 - FANOUT_TOLERANCE)}-${ratio(1 + FANOUT_TOLERANCE)}`,
        `${ratio(fanWarm.ms / expectedWarm)} (${ms(fanWarm.ms, 0)} vs ${ms(expectedWarm, 0)})`,
        close(fanWarm.ms, expectedWarm),
      ),
      check(
        'AssumeRole on the cold container',
        String(accounts),
        String(fanCold.calls.assumeRole),
        fanCold.calls.assumeRole === accounts,
      ),
      check(
        'AssumeRole on the next warm invocation',
        '0',
        String(fanWarm.calls.assumeRole),
        fanWarm.calls.assumeRole === 0,
      ),
      check(
        'S3 calls of the cold fan-out, one per account and region',
        String(TARGETS),
        String(fanCold.calls.s3),
        fanCold.calls.s3 === TARGETS,
      ),
      check('targets that failed', '0', String(failed), failed === 0),
      ...discoveryChecks(discovery, accounts, TARGETS),
    ],
  };
}
