// Section 4: credential refresh. A stand-in of its own issues credentials that live
// LIFETIME_SECONDS; the SDK treats a credential as expired 5 minutes before its Expiration, so
// the handler must assume the role again LIFETIME_SECONDS - 300 s after each AssumeRole. The
// stand-in rejects (and counts) any request signed with a credential from REJECT_WITHIN_SECONDS
// before its Expiration on, i.e. one second after the SDK should have stopped using it.
import type { PolicyModel } from '@cross-account-lambda/offline/iam';
import { type StandIn, startStandIn } from '@cross-account-lambda/offline/standin';
import type { RefreshInput, RefreshResult } from './child/refresh';
import { runChildScript } from './children';
import { check, type Section } from './report';
import type { Variant } from './variants';

const SDK_REFRESH_WINDOW_MS = 5 * 60 * 1000;
export const LIFETIME_SECONDS = 302;
export const REJECT_WITHIN_SECONDS = 299;

/**
 * Long enough for two to four expiries at LIFETIME_SECONDS; a wave of 16 concurrent invocations
 * every 50 ms, so whichever wave meets an expiry has many invocations wanting the new credential.
 */
export const REFRESH_LOAD = { durationMs: 4500, waveIntervalMs: 50, waveSize: 16 } as const;

export interface RefreshRun {
  readonly result: RefreshResult;
  readonly input: RefreshInput;
  readonly offLoopback: readonly string[];
}

export function startRefreshStandIn(model: PolicyModel): Promise<StandIn> {
  return startStandIn({
    model,
    credentialLifetimeSeconds: LIFETIME_SECONDS,
    rejectWithinSecondsOfExpiry: REJECT_WITHIN_SECONDS,
  });
}

export async function measureRefresh(options: {
  readonly script: string;
  readonly variant: Variant;
  readonly env: Readonly<Record<string, string>>;
}): Promise<RefreshRun> {
  const input: RefreshInput = { handlerPath: options.variant.handlerPath, ...REFRESH_LOAD };
  const outcome = await runChildScript<RefreshResult>({
    script: options.script,
    input,
    env: { ...options.env, ...options.variant.env },
    timeoutMs: REFRESH_LOAD.durationMs + 60_000,
  });
  return { result: outcome.result, input, offLoopback: outcome.offLoopback };
}

export function refreshSection(run: RefreshRun): Section {
  const { waves, expirations, assumeRole, expiredCredentialRequests } = run.result;
  const first = waves[0];
  const last = waves[waves.length - 1];
  if (!first || !last) throw new Error('the refresh run made no invocations');
  // A credential "expired" during the run when its refresh point (5 minutes before Expiration)
  // came before the last wave started: that wave had to assume the role again. When the point
  // fell inside the last wave, the refresh may or may not have happened in it.
  const refreshPoints = expirations.map((expiration) => expiration - SDK_REFRESH_WINDOW_MS);
  const mustRefresh = refreshPoints.filter((point) => point <= last.startedAt).length;
  const mayRefresh = refreshPoints.filter((point) => point <= last.endedAt).length;
  const refreshes = assumeRole - 1;
  const perWave = Math.max(...waves.map((wave) => wave.assumeRole));
  const refreshingWaves = waves.slice(1).filter((wave) => wave.assumeRole > 0).length;
  const failed = waves.reduce((sum, wave) => sum + wave.failedInvocations, 0);
  const invocations = waves.length * run.input.waveSize;
  const seconds = ((last.endedAt - first.startedAt) / 1000).toFixed(1);
  const expected = mustRefresh === mayRefresh ? `${mustRefresh}` : `${mustRefresh}-${mayRefresh}`;
  return {
    title: '4. Refresh: credentials expiring during the run',
    table: {
      headers: [
        'Run',
        'Invocations',
        'Waves',
        'Expiries',
        'AssumeRole',
        'Max per wave',
        'Expired-credential requests',
      ],
      rows: [
        [
          `${seconds} s, ${run.input.waveSize} concurrent every ${run.input.waveIntervalMs} ms`,
          String(invocations),
          String(waves.length),
          expected,
          String(assumeRole),
          String(perWave),
          String(expiredCredentialRequests),
        ],
      ],
    },
    notes: [
      `Credentials live ${LIFETIME_SECONDS} s; the SDK refreshes 300 s before Expiration (after ` +
        `${LIFETIME_SECONDS - 300} s at most); the stand-in rejects requests signed within ` +
        `${REJECT_WITHIN_SECONDS} s of Expiration, one second after that.`,
      `AssumeRole = 1 on the cold wave + 1 per expiry; ${refreshingWaves} later waves refreshed.`,
    ],
    checks: [
      check(
        'AssumeRole per expiry',
        `exactly 1 (${expected} expiries)`,
        `${refreshes} refreshes`,
        refreshes >= mustRefresh && refreshes <= mayRefresh && mustRefresh > 0,
      ),
      check(
        'requests signed with expired credentials',
        '0',
        String(expiredCredentialRequests),
        expiredCredentialRequests === 0,
      ),
      check(
        `${run.input.waveSize} concurrent invocations at expiry share one refresh`,
        '<= 1 AssumeRole per wave',
        `${perWave} at most`,
        perWave <= 1,
      ),
      check('invocations that failed', '0', String(failed), failed === 0),
    ],
  };
}
