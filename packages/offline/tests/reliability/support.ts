// The function as it runs offline: the core's handler (running its own job, packages/template-tests/support/
// coreJob.ts), loaded in-process with the environment the synthesised stage-local stack gives it, signing with the home credentials and
// talking to the offline stand-in through AWS_ENDPOINT_URL (and _STS / _S3).

import { MAX_ATTEMPTS } from '@cross-account-lambda/core/src/clientSettings';
import type { CrossAccountResponse } from '@cross-account-lambda/core/src/crossAccount';
import { loadPolicyModel, type PolicyModel } from '@cross-account-lambda/offline/iam';
import {
  HOME_CREDENTIALS,
  type StandIn,
  type StandInOptions,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import { synthesize } from '@cross-account-lambda/offline/synth';
import { CORE_JOB, coreJob } from '@cross-account-lambda/template-tests/support/coreJob';
import { coreTargetTemplate } from '@cross-account-lambda/template-tests/support/coreTarget';
import type { Context } from 'aws-lambda';
import { captureOutput, logRecords } from '../../testing/captureOutput';
import { recordFigure } from '../../testing/runRecord';

/** serverless.yml `timeout: 10`: what Lambda gives an invocation. */
export const LAMBDA_TIMEOUT_MS = 10_000;
/** `sls package` takes seconds: each test file synthesises once, in beforeAll. */
export const SYNTH_TIMEOUT_MS = 90_000;

/** Fewer failures than the SDK makes attempts: the retries must absorb them. */
export const FEWER_THAN_ATTEMPTS = MAX_ATTEMPTS - 1;
/** More than the SDK will make: what is left over proves the function stopped, not the fault. */
export const MORE_THAN_ATTEMPTS = MAX_ATTEMPTS + 2;

type HandlerModule = typeof import('@cross-account-lambda/template-tests/support/coreHandler');

export interface OfflineAws {
  readonly model: PolicyModel;
  readonly standIn: StandIn;
  /** A new container: the handler module loaded afresh, its config read, no cached session. */
  coldStart(): HandlerModule;
  /** Back to a healthy stand-in with zeroed counters. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Synthesises the stage-local stack, starts the stand-in on its policy model and points the
 * process environment at it. The environment stays set until close(): the SDK reads it lazily.
 */
export async function startOfflineAws(
  options: { standIn?: Partial<StandInOptions>; env?: Record<string, string> } = {},
): Promise<OfflineAws> {
  const synthesis = await synthesize({ stage: 'local', job: CORE_JOB });
  let model: PolicyModel;
  try {
    model = await loadPolicyModel({
      template: synthesis.template,
      job: coreJob,
      jobModule: CORE_JOB.path,
      targetTemplate: coreTargetTemplate(),
    });
  } finally {
    await synthesis.dispose();
  }
  const standIn = await startStandIn({ model, ...options.standIn });
  const savedEnv = process.env;
  const home = options.standIn?.homeCredentials ?? HOME_CREDENTIALS;
  process.env = { ...offlineFunctionEnv(model, standIn, savedEnv, home), ...options.env };
  return {
    model,
    standIn,
    coldStart() {
      // Not jest.isolateModules: the SDK requires its nested STS client lazily, after such a
      // callback has returned, and would take it from the outer registry.
      jest.resetModules();
      return require('@cross-account-lambda/template-tests/support/coreHandler') as HandlerModule;
    },
    reset() {
      standIn.faults.clear();
      standIn.setClockSkew(0);
      standIn.resetStats();
    },
    async close() {
      process.env = savedEnv;
      await standIn.close();
    },
  };
}

/**
 * The function's environment against the stand-in: only what Lambda would set (no profile or key
 * of whoever runs the tests), the stack's variables, the home credentials, every endpoint local.
 */
export function offlineFunctionEnv(
  model: PolicyModel,
  standIn: StandIn,
  outer: NodeJS.ProcessEnv,
  home = HOME_CREDENTIALS,
): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(outer).filter(([name]) => !name.startsWith('AWS_')),
  );
  return {
    ...inherited,
    ...model.environment,
    AWS_REGION: model.region,
    AWS_LAMBDA_FUNCTION_NAME: model.deployedFunctionName,
    AWS_ACCESS_KEY_ID: home.accessKeyId,
    AWS_SECRET_ACCESS_KEY: home.secretAccessKey,
    ...(home.sessionToken ? { AWS_SESSION_TOKEN: home.sessionToken } : {}),
    AWS_ENDPOINT_URL: standIn.url,
    AWS_ENDPOINT_URL_STS: standIn.url,
    AWS_ENDPOINT_URL_S3: standIn.url,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** A Lambda context whose remaining time really runs down from `budgetMs`. */
export function lambdaContext(requestId: string, budgetMs = LAMBDA_TIMEOUT_MS): Context {
  const end = Date.now() + budgetMs;
  return {
    awsRequestId: requestId,
    functionName: 'cross-account-lambda-local-crossAccount',
    getRemainingTimeInMillis: () => end - Date.now(),
  } as Context;
}

export interface Invocation {
  readonly result: CrossAccountResponse | undefined;
  readonly error: Error | undefined;
  readonly records: Record<string, unknown>[];
  /** What the context said was left when the function answered; below 0 = Lambda killed it. */
  readonly msLeftAtAnswer: number;
}

export async function invoke(
  module: HandlerModule,
  { event = {}, requestId = 'req-1', budgetMs = LAMBDA_TIMEOUT_MS } = {},
): Promise<Invocation> {
  const context = lambdaContext(requestId, budgetMs);
  const run = await captureOutput(() => module.handler(event, context));
  const msLeftAtAnswer = context.getRemainingTimeInMillis();
  return {
    result: run.result,
    error: run.error as Error | undefined,
    records: logRecords(run.output),
    msLeftAtAnswer,
  };
}

/** [client, operation, attempt] of each retry the function logged. */
export function retriesLogged(records: Record<string, unknown>[]): unknown[][] {
  return records
    .filter((record) => record.message === 'retrying AWS call')
    .map((record) => [record.client, record.operation, record.attempt]);
}

/** [client, errorName] of each failed attempt the function logged. */
export function failedAttemptsLogged(records: Record<string, unknown>[]): unknown[][] {
  return records
    .filter((record) => record.message === 'AWS call attempt failed')
    .map((record) => [record.client, record.errorName]);
}

/** The budget a timeout message states: what was left at the start, minus the safety margin. */
export function budgetIn(error: Error | undefined): number {
  return Number(/time budget \((\d+) ms\)/.exec(error?.message ?? '')?.[1]);
}

/** Counts the scenario for the run's figures, once its assertions have passed. */
export function recordFaultScenario(
  standIn: StandIn,
  scenario: string,
  outcome: 'recovered' | 'failed clearly',
): void {
  const { faultsInjected, revokedCredentialRequests } = standIn.stats;
  const { total, ...injected } = faultsInjected;
  // A revocation (revokeSessions) is no fault switch; the requests it rejected count as faults.
  const counted = { ...injected, revokedSession: revokedCredentialRequests };
  if (total + revokedCredentialRequests === 0) {
    throw new Error(`scenario "${scenario}" injected no fault`);
  }
  recordFigure({ figure: 'fault', scenario, injected: counted, outcome });
}

export interface OfflineAwsFixture {
  (): OfflineAws;
  /** Calls the stand-in has answered for `action` (e.g. 'sts:AssumeRole') since the last reset. */
  calls(action: string): number;
}

/** One stand-in for the test file, started in beforeAll and back to healthy before each test. */
export function useOfflineAws(): OfflineAwsFixture {
  let started: OfflineAws | undefined;
  const current = () => {
    if (!started) throw new Error('the offline AWS stand-in did not start (see beforeAll)');
    return started;
  };
  beforeAll(async () => {
    started = await startOfflineAws();
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => started?.close());
  beforeEach(() => current().reset());
  return Object.assign(current, {
    calls: (action: string) => current().standIn.stats.calls.byAction[action] ?? 0,
  });
}
