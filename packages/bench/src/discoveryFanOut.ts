// Section 5, Organizations mode (issue 4): the same 50 accounts x 3 regions, taken from AWS
// Organizations by the bundle built with discovery (stage localorg). What it shows is calls, not
// time: the first invocation lists the units, warm invocations within accountCacheSeconds make no
// Organizations call, and the first one after it lists again, without assuming any role again.
// The container's clock is moved ahead instead of waiting out the cache (InvocationStep).
import {
  type ModelledAccount,
  type ModelledOrganization,
  organizationPaths,
} from '@cross-account-lambda/offline/standin';
import type { InvocationStep, InvocationsInput, StepResult } from './child/invocations';
import { runChildScript } from './children';
import { type Check, check } from './report';
import type { Variant } from './variants';

// Stage localorg of serverless.yml: the unit it configures, its organization and reader.
export const ORG = 'o-a1b2c3d4e5';
export const ROOT = 'r-ab12';
export const CONFIGURED_UNIT = 'ou-ab12-11111111';
const CHILD_UNIT = 'ou-ab12-33333333';
const SIBLING_UNIT = 'ou-ab12-22222222';
export const READER_ACCOUNT = '999999999999';
/** Organizations' largest page, which discovery asks for. */
export const PAGE_SIZE = 20;
const REQUEST_ID = 'bench-discovery';

/**
 * The fan-out's accounts in an organization: 30 in the configured unit, 20 in a child unit of it;
 * beside them a SUSPENDED account in the configured unit and an ACTIVE one in a sibling unit,
 * neither with a target stack (reaching one would fail a target).
 */
export function fanOutOrganization(accounts: readonly string[]): ModelledOrganization {
  const members: ModelledAccount[] = accounts.map((id, index) => ({
    id,
    name: `fan-out-${index + 1}`,
    parentId: index < 30 ? CONFIGURED_UNIT : CHILD_UNIT,
    state: 'ACTIVE',
  }));
  members.push(
    { id: '300000000901', name: 'retired', parentId: CONFIGURED_UNIT, state: 'SUSPENDED' },
    { id: '300000000902', name: 'sandbox', parentId: SIBLING_UNIT, state: 'ACTIVE' },
  );
  return {
    id: ORG,
    rootId: ROOT,
    managementAccountId: READER_ACCOUNT,
    units: [
      { id: CONFIGURED_UNIT, name: 'Workloads', parentId: ROOT },
      { id: SIBLING_UNIT, name: 'Sandbox', parentId: ROOT },
      { id: CHILD_UNIT, name: 'Prod', parentId: CONFIGURED_UNIT },
    ],
    accounts: members,
  };
}

/** What the policy model needs to place the accounts where the organization lists them. */
export function organizationPlacement(organization: ModelledOrganization) {
  const members = [...organization.accounts.map((a) => a.id), organization.managementAccountId];
  return {
    organizationPaths: organizationPaths(organization),
    organizations: Object.fromEntries(members.map((id) => [id, organization.id])),
  };
}

/**
 * One listing of the configured unit and every unit below it: for each, its pages of accounts and
 * its pages of child units (an empty list is one page).
 */
export function callsPerListing(organization: ModelledOrganization): number {
  const pages = (count: number) => Math.max(1, Math.ceil(count / PAGE_SIZE));
  let calls = 0;
  const queue = [CONFIGURED_UNIT];
  for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
    const children = organization.units.filter((u) => u.parentId === unit).map((u) => u.id);
    calls += pages(organization.accounts.filter((a) => a.parentId === unit).length);
    calls += pages(children.length);
    queue.push(...children);
  }
  return calls;
}

export interface DiscoveryRun {
  readonly cacheSeconds: number;
  readonly expectedCalls: number;
  /** cold, warm, warm halfway through the cache period, after it. */
  readonly steps: readonly StepResult[];
  readonly offLoopback: readonly string[];
}

export async function measureDiscovery(options: {
  readonly script: string;
  readonly variant: Variant;
  readonly env: Readonly<Record<string, string>>;
  readonly organization: ModelledOrganization;
  readonly size: string;
}): Promise<DiscoveryRun> {
  const cacheSeconds = Number(options.env.ACCOUNT_CACHE_SECONDS);
  if (!Number.isInteger(cacheSeconds) || cacheSeconds < 2) {
    throw new Error(`ACCOUNT_CACHE_SECONDS is ${options.env.ACCOUNT_CACHE_SECONDS}`);
  }
  const all = (label: string, advanceClockMs = 0): InvocationStep => ({
    label: `OU mode, ${options.size}, ${label}`,
    event: {},
    advanceClockMs,
  });
  const half = Math.floor(cacheSeconds / 2);
  const input: InvocationsInput = {
    handlerPath: options.variant.handlerPath,
    requestId: REQUEST_ID,
    steps: [
      all('cold'),
      all('warm'),
      all(`warm, ${half} s later`, half * 1000),
      // Past the cache period of the listing whatever the time the invocations took.
      all(`${cacheSeconds + 1} s after the listing`, (cacheSeconds + 1 - half) * 1000),
    ],
  };
  const outcome = await runChildScript<StepResult[]>({
    script: options.script,
    input,
    env: { ...options.env, ...options.variant.env },
  });
  return {
    cacheSeconds,
    expectedCalls: callsPerListing(options.organization),
    steps: outcome.result,
    offLoopback: outcome.offLoopback,
  };
}

export function discoveryChecks(run: DiscoveryRun, accounts: number, targets: number): Check[] {
  const [cold, warm, halfway, expired] = run.steps;
  if (!cold || !warm || !halfway || !expired) throw new Error('missing discovery steps');
  const listing = String(run.expectedCalls);
  const failed = run.steps.reduce((sum, step) => sum + step.failed, 0);
  const succeeded = run.steps.every((step) => step.succeeded === targets);
  return [
    check(
      'OU mode: Organizations calls of the cold invocation (one listing)',
      listing,
      String(cold.calls.organizations),
      cold.calls.organizations === run.expectedCalls,
    ),
    check(
      `OU mode: Organizations calls of warm invocations within accountCacheSeconds (${run.cacheSeconds} s)`,
      '0',
      String(warm.calls.organizations + halfway.calls.organizations),
      warm.calls.organizations === 0 && halfway.calls.organizations === 0,
    ),
    check(
      'OU mode: Organizations calls once accountCacheSeconds is over (listed again)',
      listing,
      String(expired.calls.organizations),
      expired.calls.organizations === run.expectedCalls,
    ),
    check(
      'OU mode: AssumeRole on the cold container (the discovered accounts and the reader)',
      String(accounts + 1),
      String(cold.calls.assumeRole),
      cold.calls.assumeRole === accounts + 1,
    ),
    check(
      'OU mode: AssumeRole on the warm invocations, the listing again included',
      '0',
      String(warm.calls.assumeRole + halfway.calls.assumeRole + expired.calls.assumeRole),
      warm.calls.assumeRole + halfway.calls.assumeRole + expired.calls.assumeRole === 0,
    ),
    check(
      'OU mode: targets of each invocation (discovered accounts x regions), none failed',
      `${targets}, 0 failed`,
      `${cold.succeeded + cold.failed}, ${failed} failed`,
      succeeded && failed === 0,
    ),
  ];
}
