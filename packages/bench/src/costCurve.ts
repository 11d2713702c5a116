// Section 6, the cost curve (issue 24): one invocation over organizations of 10 to 5,000 accounts,
// in 1 and 4 regions, each on a cold container with the accounts taken from AWS Organizations.
// Every STS, S3 and Organizations call is held CURVE_DELAY_MS by the stand-in, so the wall time
// can be set against what the calls alone must take; the container's peak memory and what it holds
// afterwards (sessions, SDK clients) say whether one invocation stays within Lambda's limits.
import {
  type ModelledAccount,
  type ModelledOrganization,
  organizationPaths,
  type StandIn,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import type { InvocationsInput, StepResult } from './child/invocations';
import { runChildScript } from './children';
import { CONFIGURED_UNIT, ORG, PAGE_SIZE, READER_ACCOUNT, ROOT } from './discoveryFanOut';
import { type Check, check, mib, ms, ratio, type Section } from './report';
import { discoveryModelFor, type Stack } from './stacks';
import type { Variant } from './variants';

export const CURVE_SIZES = [10, 100, 1000, 5000];
export const CURVE_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];
/** Within the 20-100 ms AWS answers these calls in from inside a region. */
export const CURVE_DELAY_MS = 50;
/** The most the function allows (FANOUT_CONCURRENCY), which a large organization needs. */
export const CURVE_CONCURRENCY = 50;
/** serverless.yml's defaults: what one invocation must fit in unless they are raised. */
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MEMORY_MIB = 256;
/** Lambda's most: the curve runs every size to the end to show how long it takes. */
const LAMBDA_MAX_TIMEOUT_MS = 900_000;

export interface CurvePoint {
  readonly accounts: number;
  readonly regions: number;
  readonly step: StepResult;
  /** What the calls alone take at CURVE_CONCURRENCY, one after the other where they must be. */
  readonly idealMs: number;
}

/** `count` ACTIVE accounts, all in the unit the offline stage localorg configures. */
export function curveOrganization(count: number): ModelledOrganization {
  const accounts: ModelledAccount[] = Array.from({ length: count }, (_, index) => ({
    id: String(400_000_000_001 + index),
    name: `curve-${index + 1}`,
    parentId: CONFIGURED_UNIT,
    state: 'ACTIVE',
  }));
  return {
    id: ORG,
    rootId: ROOT,
    managementAccountId: READER_ACCOUNT,
    units: [{ id: CONFIGURED_UNIT, name: 'Workloads', parentId: ROOT }],
    accounts,
  };
}

/**
 * The listing (its pages, one after the other, and the reader's AssumeRole), then each account's
 * AssumeRole and each target's S3 call, CURVE_CONCURRENCY at a time.
 */
export function idealMs(accounts: number, regions: number): number {
  const listing = 1 + Math.max(1, Math.ceil(accounts / PAGE_SIZE)) + 1;
  const rounds =
    Math.ceil(accounts / CURVE_CONCURRENCY) + Math.ceil((accounts * regions) / CURVE_CONCURRENCY);
  return (listing + rounds) * CURVE_DELAY_MS;
}

/** A modelled organization of `size` accounts, each with the target stack, for `stack`'s template. */
export async function curveWorld(stack: Stack, size: number) {
  const organization = curveOrganization(size);
  const accounts = organization.accounts.map((account) => account.id);
  const members = [...accounts, READER_ACCOUNT];
  const model = await discoveryModelFor(stack, accounts, CURVE_REGIONS, {
    organizationPaths: organizationPaths(organization),
    organizations: Object.fromEntries(members.map((id) => [id, ORG])),
  });
  return { organization, accounts, model };
}

/**
 * The stand-in for a curve world: the demo bucket of every account in every curve region, and every
 * STS, S3 and Organizations call held CURVE_DELAY_MS.
 */
export async function startCurveStandIn(
  world: Awaited<ReturnType<typeof curveWorld>>,
): Promise<StandIn> {
  const standIn = await startStandIn({
    model: world.model,
    organization: world.organization,
    extraBuckets: world.accounts.flatMap((accountId) =>
      CURVE_REGIONS.slice(1).map((region) => ({
        name: `cross-account-demo-${accountId}-${region}`,
        accountId,
        region,
      })),
    ),
  });
  standIn.faults.add(
    ['sts', 's3', 'organizations'].map((service) => ({
      kind: 'delay' as const,
      service,
      always: true,
      delayMs: CURVE_DELAY_MS,
    })),
  );
  return standIn;
}

export async function measureCostCurve(options: {
  readonly script: string;
  readonly variant: Variant;
  readonly stack: Stack;
  readonly sizes: readonly number[];
  readonly env: (standIn: StandIn) => Record<string, string>;
  readonly progress: (text: string) => void;
}): Promise<{ points: CurvePoint[]; offLoopback: string[] }> {
  const points: CurvePoint[] = [];
  const offLoopback: string[] = [];
  for (const size of options.sizes) {
    const world = await curveWorld(options.stack, size);
    const standIn = await startCurveStandIn(world);
    try {
      for (const regions of [1, CURVE_REGIONS.length]) {
        options.progress(`cost curve: ${size} accounts x ${regions} regions...`);
        const input: InvocationsInput = {
          handlerPath: options.variant.handlerPath,
          requestId: 'bench-curve',
          steps: [{ label: `${size} x ${regions}`, event: {} }],
        };
        const outcome = await runChildScript<StepResult[]>({
          script: options.script,
          input,
          env: {
            ...options.env(standIn),
            ...options.variant.env,
            TARGET_REGIONS: CURVE_REGIONS.slice(0, regions).join(','),
            FANOUT_CONCURRENCY: String(CURVE_CONCURRENCY),
            BENCH_TIMEOUT_MS: String(LAMBDA_MAX_TIMEOUT_MS),
          },
          timeoutMs: LAMBDA_MAX_TIMEOUT_MS,
        });
        offLoopback.push(...outcome.offLoopback);
        const [step] = outcome.result;
        if (!step) throw new Error(`no result for ${size} x ${regions}`);
        points.push({ accounts: size, regions, step, idealMs: idealMs(size, regions) });
      }
    } finally {
      await standIn.close();
    }
  }
  return { points, offLoopback };
}

export function costCurveSection(points: readonly CurvePoint[], tookMs: number): Section {
  const fits = (point: CurvePoint) =>
    point.step.ms <= DEFAULT_TIMEOUT_MS && point.step.maxRssKiB <= DEFAULT_MEMORY_MIB * 1024;
  const largestFitting = (regions: number) =>
    points
      .filter((point) => point.regions === regions && fits(point))
      .reduce((most, point) => Math.max(most, point.accounts), 0);
  const checks: Check[] = [
    check(
      'cost curve: every target of every size succeeds',
      'all',
      points.every((point) => point.step.failed === 0) ? 'all' : 'some failed',
      points.every((point) => point.step.failed === 0),
    ),
    check(
      'cost curve: one AssumeRole per account (and one for the reader)',
      'accounts + 1',
      points.map((point) => `${point.step.calls.assumeRole}/${point.accounts + 1}`).join(', '),
      points.every((point) => point.step.calls.assumeRole === point.accounts + 1),
    ),
    check(
      'cost curve: the container holds one session per account (and the reader), no more',
      'accounts + 1',
      points.map((point) => `${point.step.sessions ?? '?'}/${point.accounts + 1}`).join(', '),
      points.every((point) => point.step.sessions === point.accounts + 1),
    ),
  ];
  return {
    title: `6. Cost curve: one invocation, accounts from AWS Organizations, concurrency ${CURVE_CONCURRENCY}, every call held ${CURVE_DELAY_MS} ms`,
    table: {
      headers: [
        'Accounts x regions',
        'Wall time',
        'Ideal',
        'Ratio',
        'Peak RSS',
        'Sessions',
        'SDK clients',
        'AssumeRole',
        'Organizations',
        `Fits ${DEFAULT_TIMEOUT_MS / 1000} s / ${DEFAULT_MEMORY_MIB} MB`,
      ],
      rows: points.map((point) => [
        `${point.accounts} x ${point.regions}`,
        ms(point.step.ms, 0),
        ms(point.idealMs, 0),
        ratio(point.step.ms / point.idealMs),
        mib(point.step.maxRssKiB),
        String(point.step.sessions ?? '?'),
        String(point.step.clients ?? '?'),
        String(point.step.calls.assumeRole),
        String(point.step.calls.organizations),
        fits(point) ? 'yes' : 'no',
      ]),
    },
    notes: [
      `Ideal: the listing's pages one after the other, then ceil(accounts / ${CURVE_CONCURRENCY}) rounds of AssumeRole and ceil(targets / ${CURVE_CONCURRENCY}) rounds of S3 calls, each call ${CURVE_DELAY_MS} ms.`,
      `At the defaults (timeout ${DEFAULT_TIMEOUT_MS / 1000} s, ${DEFAULT_MEMORY_MIB} MB) one invocation covers up to ${largestFitting(1)} accounts in 1 region and ${largestFitting(CURVE_REGIONS.length)} in ${CURVE_REGIONS.length} regions of the sizes measured; beyond, raise timeout and fanoutConcurrency (docs/organizations.md, "How far one invocation goes").`,
      'Peak RSS is the whole Node process on this machine, the stand-in not included (it runs in the bench).',
      `The curve took ${(tookMs / 1000).toFixed(0)} s (not in the bench's own time budget).`,
    ],
    checks,
  };
}
