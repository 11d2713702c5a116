// Faults on a service the stand-in does not emulate: the DynamoDB example job (examples/
// queryTable.ts), run by the real core in-process against the stand-in, its Query answered from
// the job's fixtures. The fault switches act on DynamoDB exactly as on STS and S3.
import { join } from 'node:path';
import {
  type CrossAccountResponse,
  createHandler,
} from '@cross-account-lambda/core/src/crossAccount';
import type { PolicyModel } from '@cross-account-lambda/offline/iam';
import { type StandIn, startStandIn } from '@cross-account-lambda/offline/standin';
import { loadFixtureFiles } from '@cross-account-lambda/offline/standin/fixtures';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { queryTable } from '../../../../examples/queryTable';
import { captureOutput, logRecords } from '../../testing/captureOutput';
import { synthesizedTemplate, tableModelOf } from '../standin/support';
import {
  FEWER_THAN_ATTEMPTS,
  lambdaContext,
  MORE_THAN_ATTEMPTS,
  offlineFunctionEnv,
  recordFaultScenario,
  retriesLogged,
  SYNTH_TIMEOUT_MS,
} from './support';

const QUERY = 'dynamodb:Query';
const FIXTURES = 'examples/queryTable.fixtures.json';

let model: PolicyModel;
let standIn: StandIn;
const savedEnv = process.env;

beforeAll(async () => {
  model = await tableModelOf(await synthesizedTemplate());
  standIn = await startStandIn({
    model,
    fixtures: loadFixtureFiles([{ path: join(PROJECT_ROOT, FIXTURES), shown: FIXTURES }]),
  });
  process.env = offlineFunctionEnv(model, standIn, savedEnv);
}, SYNTH_TIMEOUT_MS);

afterAll(async () => {
  process.env = savedEnv;
  await standIn?.close();
});

beforeEach(() => {
  standIn.faults.clear();
  standIn.resetStats();
});

const calls = (action: string) => standIn.stats.calls.byAction[action] ?? 0;

/** A cold start (new clients, no cached session) and one invocation for key c-1. */
async function invoke() {
  const { handler } = createHandler(queryTable, process.env);
  const run = await captureOutput(() => handler({ key: 'c-1' }, lambdaContext('req-1')));
  return {
    result: run.result as CrossAccountResponse | undefined,
    error: run.error as (Error & { failures?: { code: string; message: string }[] }) | undefined,
    records: logRecords(run.output),
  };
}

describe('DynamoDB faults (the example job, answered from its fixtures)', () => {
  test('without a fault: the fixture items, one Query', async () => {
    const run = await invoke();
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(run.result?.results[0]).toMatchObject({ table: 'orders', count: 2 });
    expect(calls(QUERY)).toBe(1);
  });

  test(`Query throttled ${FEWER_THAN_ATTEMPTS} times: retried, each retry logged, the invocation succeeds`, async () => {
    standIn.faults.add({ kind: 'throttle', service: 'dynamodb', count: FEWER_THAN_ATTEMPTS });
    const run = await invoke();
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(QUERY)).toBe(FEWER_THAN_ATTEMPTS + 1);
    expect(retriesLogged(run.records).length).toBe(FEWER_THAN_ATTEMPTS);
    recordFaultScenario(standIn, 'DynamoDB ThrottlingException', 'recovered');
  });

  test('Query answered with a bare HTTP 503 once, then dropped once: retried, the invocation succeeds', async () => {
    standIn.faults.add([
      { kind: 'unavailable', service: 'dynamodb', action: 'Query' },
      { kind: 'drop', service: 'dynamodb', action: 'Query' },
    ]);
    const run = await invoke();
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls(QUERY)).toBe(3);
    recordFaultScenario(standIn, 'DynamoDB HTTP 503 and dropped connection', 'recovered');
  });

  test(`Query throttled ${MORE_THAN_ATTEMPTS} times: 3 calls, then a Throttled failure naming the table`, async () => {
    standIn.faults.add({ kind: 'throttle', service: 'dynamodb', count: MORE_THAN_ATTEMPTS });
    const run = await invoke();
    expect(run.error?.name).toBe('AllTargetsFailedError');
    expect(calls(QUERY)).toBe(3);
    const [failure] = run.error?.failures ?? [];
    expect(failure?.code).toBe('Throttled');
    expect(failure?.message).toContain('table/orders');
    recordFaultScenario(standIn, 'DynamoDB throttled past the retries', 'failed clearly');
  });

  test('a DynamoDB session answered ExpiredTokenException once: one re-assume, the invocation succeeds', async () => {
    standIn.faults.add({ kind: 'expiredToken', service: 'dynamodb' });
    const run = await invoke();
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(calls('sts:AssumeRole')).toBe(2);
    expect(calls(QUERY)).toBe(2);
    recordFaultScenario(standIn, 'DynamoDB ExpiredTokenException', 'recovered');
  });
});

describe('a call no fixture answers', () => {
  test('fails the account with the stand-in message: the operation, the resource, the file to add it to', async () => {
    const bare = await startStandIn({
      model,
      fixtures: loadFixtureFiles([], 'job/queryTable.fixtures.json'),
    });
    const outer = process.env;
    process.env = offlineFunctionEnv(model, bare, savedEnv);
    try {
      // A new container: the core's credential cache belongs to the module, as in Lambda.
      jest.resetModules();
      const fresh =
        require('@cross-account-lambda/core/src/crossAccount') as typeof import('@cross-account-lambda/core/src/crossAccount');
      const job =
        require('../../../../examples/queryTable') as typeof import('../../../../examples/queryTable');
      const { handler } = fresh.createHandler(job.queryTable, process.env);
      const run = await captureOutput(() => handler({ key: 'c-1' }, lambdaContext('req-2')));
      const error = run.error as { failures?: { message: string }[] } | undefined;
      const [failure] = error?.failures ?? [];
      expect(failure?.message).toContain(
        'no fixture for dynamodb:Query on arn:aws:dynamodb:us-east-1:222222222222:table/orders',
      );
      expect(failure?.message).toContain('Add one to job/queryTable.fixtures.json');
      // No transient failure: asked once, not retried.
      expect(bare.stats.calls.byAction[QUERY]).toBe(1);
    } finally {
      process.env = outer;
      await bare.close();
    }
  });
});
