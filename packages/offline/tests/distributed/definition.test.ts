// Distributed mode's state machine as deployed (synthesised by the real `sls package`): valid
// Amazon States Language, and what each batch invocation is sent, run through the lowering that
// aws-local-stepfunctions needs (it has no ItemBatcher, ResultWriter or tolerated failures).

import { METRIC_NAMESPACE } from '@cross-account-lambda/core';
import {
  type Definition,
  DistributedModeError,
  lowerForInterpreter,
  validateDefinition,
} from '@cross-account-lambda/offline/distributed/definition';
import { stateMachineOf, toleranceExceeded } from '@cross-account-lambda/offline/distributed/run';
import { checkStateMachineRole, loadPolicyModel } from '@cross-account-lambda/offline/iam';
import { type Synthesis, synthesize } from '@cross-account-lambda/offline/synth';
import { StateMachine } from 'aws-local-stepfunctions';

const HOME = '111111111111';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${HOME}:function:cross-account-lambda-local-crossAccount`;
let synthesis: Synthesis;
let definition: Definition;

beforeAll(async () => {
  synthesis = await synthesize({
    stage: 'local',
    params: { distributed: 'true', distributedBatchSize: '10', distributedMaxConcurrency: '3' },
  });
  definition = stateMachineOf(synthesis.template, {
    homeAccountId: HOME,
    region: 'us-east-1',
  }).definition;
}, 120_000);
afterAll(() => synthesis?.dispose());

const accounts = (n: number) => Array.from({ length: n }, (_, i) => String(300000000000 + i));

/** Runs the lowered definition with the function and the metric call answered locally. */
async function runLowered(failing: (batch: string[]) => Error | undefined) {
  const lowered = lowerForInterpreter(definition);
  const batches: string[][] = [];
  const metrics: number[] = [];
  let children: unknown[] = [];
  const machine = new StateMachine(lowered.definition as never);
  const execution = machine.run(
    {},
    {
      overrides: {
        retryIntervalOverrides: { RunBatch: 0, ListAccounts: 0 },
        taskResourceLocalHandlers: {
          ListAccounts: async (input: { FunctionName: string; Payload: unknown }) => {
            expect(input).toEqual({ FunctionName: FUNCTION_ARN, Payload: { listAccounts: true } });
            return { Payload: { accounts: accounts(23), regions: ['us-east-1'] } };
          },
          RunBatch: async (input: { FunctionName: string; Payload: { accounts: string[] } }) => {
            expect(input.FunctionName).toBe(FUNCTION_ARN);
            batches.push(input.Payload.accounts);
            const error = failing(input.Payload.accounts);
            if (error) throw error;
            const results = input.Payload.accounts.map((account) => ({ account, ok: true }));
            return { Payload: { results, summary: { succeeded: results.length, failed: 0 } } };
          },
          CountTheBatchAsFailed: async (input: { MetricData: { Value: number }[] }) => {
            metrics.push(...input.MetricData.map((datum) => datum.Value));
            return {};
          },
          'EachBatch:results': async (input: unknown[]) => {
            children = input;
            return {};
          },
        } as never,
      },
    },
  );
  await execution.result;
  return { batches, metrics, children };
}

const named = (name: string) => Object.assign(new Error('{"errorType":"x"}'), { name });

describe('the deployed definition', () => {
  test('is valid Amazon States Language (asl-validator), Distributed Map fields included', () => {
    expect(() => validateDefinition(definition, 'the state machine')).not.toThrow();
    const map = definition.States.EachBatch as Record<string, unknown>;
    expect(map.ItemBatcher).toEqual({ MaxItemsPerBatch: 10 });
    expect(map.MaxConcurrency).toBe(3);
    expect(map.ToleratedFailurePercentage).toBe(10);
    expect(map.ResultWriter).toMatchObject({ Parameters: { Prefix: 'runs' } });
  });

  test('is refused, naming the path, when it is not valid', () => {
    const broken = structuredClone(definition) as unknown as {
      States: { EachBatch: { ItemProcessor: Record<string, unknown> } };
    };
    delete broken.States.EachBatch.ItemProcessor.StartAt;
    expect(() => validateDefinition(broken, 'the state machine')).toThrow(DistributedModeError);
    expect(() => validateDefinition(broken, 'the state machine')).toThrow(
      /\/States\/EachBatch\/ItemProcessor is invalid. must have required property 'StartAt'/,
    );
  });
});

describe('each batch invocation', () => {
  test('is sent {"accounts": [...]} with at most MaxItemsPerBatch accounts, every account once', async () => {
    const { batches, children } = await runLowered(() => undefined);
    expect(batches.map((batch) => batch.length).sort()).toEqual([10, 10, 3]);
    expect(batches.flat().sort()).toEqual(accounts(23));
    expect(children).toHaveLength(3);
  });

  test('is retried when Lambda throttles it, and the function then runs it once', async () => {
    let throttles = 2;
    const { batches } = await runLowered(() =>
      throttles-- > 0 ? named('Lambda.TooManyRequestsException') : undefined,
    );
    // Two refused invocations (the function did not run) and three that ran.
    expect(batches).toHaveLength(5);
    expect(new Set(batches.slice(2).flat()).size).toBe(23);
  });

  test('that does not finish counts its accounts as failed targets; one whose targets all failed does not again', async () => {
    const { metrics, children } = await runLowered((batch) =>
      batch.length === 3
        ? named('Sandbox.Timedout')
        : batch[0] === accounts(23)[0]
          ? named('AllTargetsFailedError')
          : undefined,
    );
    expect(metrics).toEqual([3]);
    expect(children.filter((child) => 'Error' in (child as object))).toHaveLength(2);
  });
});

describe('the tolerated failure threshold', () => {
  const settings = {
    state: 'EachBatch',
    batchSize: 10,
    toleratedFailurePercentage: 10,
    toleratedFailureCount: undefined,
    resultWriter: undefined,
    maxConcurrency: 3,
  };
  const ok = (n: number) => ({ Input: { Items: accounts(n) }, Output: {} });
  const failed = (n: number) => ({
    Input: { Items: accounts(n) },
    Error: 'Sandbox.Timedout',
    Cause: '',
  });

  test('counts accounts, not batches', () => {
    expect(toleranceExceeded(settings, [ok(10), ok(10), ok(10), failed(3)])).toBeUndefined();
    expect(toleranceExceeded(settings, [ok(10), ok(10), failed(10)])?.name).toBe(
      'States.ExceedToleratedFailureThreshold',
    );
  });

  test('tolerates nothing when neither threshold is set', () => {
    const strict = { ...settings, toleratedFailurePercentage: undefined };
    expect(toleranceExceeded(strict, [ok(10), failed(1)])?.name).toBe(
      'States.ExceedToleratedFailureThreshold',
    );
    expect(toleranceExceeded(strict, [ok(10)])).toBeUndefined();
  });
});

describe("the state machine's role, decided by the IAM evaluator", () => {
  async function cases(template: Synthesis['template']) {
    const model = await loadPolicyModel({ template, homeAccountId: HOME });
    return checkStateMachineRole(model, template as never, METRIC_NAMESPACE);
  }

  test('may invoke this function, run its map, write under runs/ and count in its namespace; nothing else', async () => {
    const results = await cases(synthesis.template);
    expect(results.filter((r) => !r.ok).map((r) => r.title)).toEqual([]);
    expect(
      results
        .filter((r) => r.expected === 'allowed')
        .map((r) => r.action)
        .sort(),
    ).toEqual([
      'cloudwatch:PutMetricData',
      'lambda:InvokeFunction',
      's3:PutObject',
      'states:DescribeExecution',
      'states:StartExecution',
    ]);
  });

  test('a grant widened to every function of the account is caught', async () => {
    const widened = structuredClone(synthesis.template);
    const role = widened.Resources.DistributedStateMachineRole as unknown as {
      Properties: {
        Policies: { PolicyDocument: { Statement: { Sid: string; Resource: unknown }[] } }[];
      };
    };
    const invoke = role.Properties.Policies[0]?.PolicyDocument.Statement.find(
      (statement) => statement.Sid === 'InvokeTheFunction',
    );
    if (!invoke) throw new Error('no InvokeTheFunction statement');
    invoke.Resource = {
      'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*',
    };
    const mismatched = (await cases(widened)).filter((r) => !r.ok).map((r) => r.title);
    expect(mismatched).toEqual(['invokes another function of the account']);
  });
});
