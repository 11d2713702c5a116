// Runs distributed mode offline: the state machine of the synthesised home stack, interpreted by
// aws-local-stepfunctions (lowered where it lacks a Distributed Map feature, see definition.ts),
// each Lambda task an invocation of the real handler bundle in a warm container (containers.ts)
// against the stand-in, and the results written as ResultWriter lays them out.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { ResolvedTemplate } from '../iam/cfn';
import { withBucketNames } from '../iam/stateMachineRole';
import type { HomeCredentials } from '../standin/homeCredentials';
import { invokeLocalEnv } from '../standin/invokeLocal';
import { type CfnTemplate, functionEnvironment, readArtefact, stateMachineEntry } from '../synth';
import { type FunctionPool, type PoolStats, startFunctionPool } from './containers';
import {
  type ChildRecord,
  type Definition,
  DistributedModeError,
  type Lowered,
  lowerForInterpreter,
  type MapSettings,
  type State,
  validateDefinition,
} from './definition';

export { DistributedModeError };

const { lambdaNodeFlags } = require('@cross-account-lambda/serverless-plugin/code-cache') as {
  lambdaNodeFlags(memorySize: number): string[];
};

const FUNCTION = 'CrossAccountLambdaFunction';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const PUT_METRIC_DATA = 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData';

export interface DistributedRunOptions {
  readonly template: CfnTemplate;
  readonly artefactPath: string;
  readonly standIn: { readonly url: string; readonly homeCredentials: HomeCredentials };
  /** Private folder: the unpacked code, and the results unless resultsDir says elsewhere. */
  readonly workDir: string;
  /** Where ResultWriter's bucket(s) go, a folder each; default <workDir>/results. */
  readonly resultsDir?: string;
  readonly homeAccountId: string;
  readonly region: string;
  /** Each line the function writes. */
  readonly onLogLine?: (line: string) => void;
  /** Waits between retries, in ms, instead of the definition's (the bench and tests). */
  readonly retryIntervalMs?: number;
  /** The function's concurrency instead of its reserved concurrency (the bench's throttling). */
  readonly concurrency?: number;
}

export interface TargetOutcome {
  readonly account: string;
  readonly region: string;
  readonly ok: boolean;
  /** A failed target's error code, as the function reports it. */
  readonly code?: string;
}

export interface FailedBatch {
  readonly accounts: readonly string[];
  readonly error: string;
  readonly cause: string;
}

export interface DistributedRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The execution's output, or its error. */
  readonly output: unknown;
  readonly error: { readonly name: string; readonly message: string } | undefined;
  readonly durationMs: number;
  readonly stateMachine: string;
  readonly functionStats: Readonly<PoolStats>;
  /** Every target's result, from the batches that finished. */
  readonly targets: readonly TargetOutcome[];
  readonly batches: { readonly succeeded: number; readonly failed: number };
  readonly failedBatches: readonly FailedBatch[];
  /** Accounts the state machine counted as failed targets (the failed-targets metric). */
  readonly countedAsFailed: number;
  /** Where ResultWriter's files are, by the Map's name. */
  readonly resultFiles: ReadonlyMap<string, string>;
  /** The settings of the Map(s), as deployed. */
  readonly maps: readonly MapSettings[];
}

/** The home stack's state machine and its definition, resolved and validated. */
export function stateMachineOf(
  template: CfnTemplate,
  inputs: { homeAccountId: string; region: string },
): { logicalId: string; name: string; arn: string; definition: Definition } {
  const entry = stateMachineEntry(template);
  if (!entry) {
    throw new DistributedModeError(
      'the home stack has no state machine: distributed mode is off (turn it on with --param distributed=true)',
    );
  }
  const [logicalId] = entry;
  const stack = new ResolvedTemplate('the home stack', withBucketNames(template), {
    partition: 'aws',
    accountId: inputs.homeAccountId,
    region: inputs.region,
  });
  const definition = stack.property(logicalId, 'Definition');
  const source = `the state machine ${logicalId}`;
  validateDefinition(definition, source);
  const name = stack.stringProperty(logicalId, 'StateMachineName') ?? logicalId;
  const arn = `arn:aws:states:${inputs.region}:${inputs.homeAccountId}:stateMachine:${name}`;
  return { logicalId, name, arn, definition };
}

/** Every Task state, by name, at any depth (Map processors, Parallel branches). */
function tasksOf(definition: { States: Record<string, State> }, into = new Map<string, State>()) {
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') into.set(name, state);
    const inner = [
      state.ItemProcessor,
      state.Iterator,
      ...((state.Branches as unknown[] | undefined) ?? []),
    ];
    for (const child of inner) {
      if (child) tasksOf(child as { States: Record<string, State> }, into);
    }
  }
  return into;
}

export async function runDistributed(
  options: DistributedRunOptions,
): Promise<DistributedRunResult> {
  const { template } = options;
  const machine = stateMachineOf(template, options);
  const lowered = lowerForInterpreter(machine.definition);
  const fn = template.Resources[FUNCTION]?.Properties ?? {};
  const functionName = String(fn.FunctionName);
  const functionArn = `arn:aws:lambda:${options.region}:${options.homeAccountId}:function:${functionName}`;

  const codeDir = join(options.workDir, 'code');
  for (const [path, bytes] of await readArtefact(options.artefactPath)) {
    mkdirSync(dirname(join(codeDir, path)), { recursive: true });
    writeFileSync(join(codeDir, path), bytes);
  }
  const reserved = fn.ReservedConcurrentExecutions;
  const pool = startFunctionPool({
    codeDir,
    handler: String(fn.Handler),
    env: {
      ...invokeLocalEnv(options),
      ...functionEnvironment(template),
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.MemorySize ?? 128),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    timeoutMs: Number(fn.Timeout ?? 3) * 1000,
    nodeFlags: lambdaNodeFlags(Number(fn.MemorySize ?? 128)),
    concurrency: options.concurrency ?? (typeof reserved === 'number' ? reserved : undefined),
    ...(options.onLogLine ? { onLogLine: options.onLogLine } : {}),
  });

  const records = new Map<string, ChildRecord[]>();
  const resultFiles = new Map<string, string>();
  let countedAsFailed = 0;
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const tasks = tasksOf(lowered.definition);
  for (const [name, task] of tasks) {
    const settings = lowered.maps.get(name);
    if (settings) {
      handlers[name] = async (input) => {
        const children = input as ChildRecord[];
        records.set(settings.state, children);
        const written = writeResults(
          options.resultsDir ?? join(options.workDir, 'results'),
          machine,
          settings,
          children,
        );
        if (written.manifest) resultFiles.set(settings.state, written.manifest);
        const failure = toleranceExceeded(settings, children);
        if (failure) throw failure;
        return written.output;
      };
    } else if (task.Resource === LAMBDA_INVOKE) {
      handlers[name] = (input) => invokeFunction(pool, functionArn, input, name);
    } else if (task.Resource === PUT_METRIC_DATA) {
      handlers[name] = async (input) => {
        const data = (input as { MetricData?: { MetricName?: string; Value?: number }[] })
          .MetricData;
        for (const datum of data ?? [])
          if (datum.MetricName === 'TargetFailed') countedAsFailed += Number(datum.Value ?? 0);
        return {};
      };
    } else {
      throw new DistributedModeError(
        `the task ${name} calls ${String(task.Resource)}, which npm start does not run offline (it runs ${LAMBDA_INVOKE} of this function and ${PUT_METRIC_DATA})`,
      );
    }
  }

  const started = performance.now();
  let output: unknown;
  let error: DistributedRunResult['error'];
  try {
    const stateMachine = new StateMachine(lowered.definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    const wait = options.retryIntervalMs;
    const retryIntervalOverrides =
      wait === undefined ? undefined : Object.fromEntries([...tasks.keys()].map((n) => [n, wait]));
    const execution = stateMachine.run(
      {},
      {
        overrides: {
          taskResourceLocalHandlers: handlers as never,
          ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
        },
      },
    );
    output = await execution.result;
  } catch (caught) {
    const cause = (caught as { cause?: Error }).cause ?? (caught as Error);
    error = { name: cause.name, message: cause.message };
  } finally {
    await pool.close();
  }
  const children = [...records.values()].flat();
  const targets: TargetOutcome[] = [];
  const failedBatches: FailedBatch[] = [];
  for (const child of children) {
    if ('Output' in child) {
      const out = child.Output as {
        results?: (TargetOutcome & { error?: { code?: string } })[];
      };
      for (const r of out.results ?? []) {
        const code = r.error?.code;
        targets.push({ account: r.account, region: r.region, ok: r.ok, ...(code ? { code } : {}) });
      }
    } else {
      failedBatches.push({
        accounts: ((child.Input as { Items?: string[] }).Items ?? []).map(String),
        error: child.Error,
        cause: child.Cause,
      });
    }
  }
  return {
    status: error ? 'FAILED' : 'SUCCEEDED',
    output,
    error,
    durationMs: performance.now() - started,
    stateMachine: machine.name,
    functionStats: pool.stats,
    targets,
    batches: { succeeded: children.length - failedBatches.length, failed: failedBatches.length },
    failedBatches,
    countedAsFailed,
    resultFiles,
    maps: [...lowered.maps.values()],
  };
}

/** The Lambda integration (arn:aws:states:::lambda:invoke) as Step Functions calls it. */
async function invokeFunction(
  pool: FunctionPool,
  functionArn: string,
  input: unknown,
  state: string,
): Promise<unknown> {
  const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
  if (FunctionName !== functionArn) {
    throw new DistributedModeError(
      `the task ${state} invokes ${String(FunctionName)}; offline only the stack's function runs (${functionArn})`,
    );
  }
  const payload = await pool.invoke(Payload);
  return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
}

/** How many items a child held: a batch's items, or the one item. */
function itemsOf(record: ChildRecord, settings: MapSettings): number {
  const items = (record.Input as { Items?: unknown[] } | undefined)?.Items;
  return settings.batchSize !== undefined && Array.isArray(items) ? items.length : 1;
}

/** The Map Run's failure once more items failed than it tolerates, as AWS names it. */
export function toleranceExceeded(
  settings: MapSettings,
  children: readonly ChildRecord[],
): Error | undefined {
  let total = 0;
  let failed = 0;
  for (const child of children) {
    const items = itemsOf(child, settings);
    total += items;
    if ('Error' in child) failed += items;
  }
  if (failed === 0) return undefined;
  const { toleratedFailurePercentage: percent, toleratedFailureCount: count } = settings;
  const overPercent = percent === undefined || (failed / total) * 100 > percent;
  const overCount = count === undefined || failed > count;
  // Either threshold set and not exceeded tolerates the failures; neither set tolerates none.
  if ((percent !== undefined && !overPercent) || (count !== undefined && !overCount))
    return undefined;
  const error = new Error(
    `The Map Run ${settings.state} failed: ${failed} of ${total} item(s) failed, more than its tolerated failure threshold`,
  );
  error.name = 'States.ExceedToleratedFailureThreshold';
  return error;
}

/**
 * ResultWriter's files for one Map Run, as Step Functions writes them to S3: a manifest and the
 * children by status (SUCCEEDED_0.json, FAILED_0.json), each child with its input and its output
 * or error as JSON text. Offline the bucket is a folder.
 */
function writeResults(
  resultsDir: string,
  machine: { name: string; arn: string },
  settings: MapSettings,
  children: readonly ChildRecord[],
): { output: unknown; manifest: string | undefined } {
  if (!settings.resultWriter) return { output: children.map(outputOf), manifest: undefined };
  const runId = randomUUID();
  const mapRunArn = machine.arn
    .replace(':stateMachine:', ':mapRun:')
    .concat(`/${settings.state}:${runId}`);
  const { bucket, prefix } = settings.resultWriter;
  const folder = [prefix.replace(/\/+$/, ''), runId].filter(Boolean).join('/');
  const root = join(resultsDir, bucket);
  const entry = (child: ChildRecord, index: number) => ({
    ExecutionArn: `${machine.arn.replace(':stateMachine:', ':execution:')}/${settings.state}:${index}`,
    Name: String(index),
    StateMachineArn: machine.arn,
    Input: JSON.stringify(child.Input),
    ...('Output' in child
      ? { Status: 'SUCCEEDED', Output: JSON.stringify(child.Output) }
      : { Status: 'FAILED', Error: child.Error, Cause: child.Cause }),
  });
  const files: Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { Key: string; Size: number }[]> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  for (const status of ['SUCCEEDED', 'FAILED'] as const) {
    const entries = children
      .map((child, index) => entry(child, index))
      .filter((e) => e.Status === status);
    if (entries.length === 0) continue;
    const key = `${folder}/${status}_0.json`;
    const text = JSON.stringify(entries);
    mkdirSync(dirname(join(root, key)), { recursive: true });
    writeFileSync(join(root, key), text);
    files[status].push({ Key: key, Size: Buffer.byteLength(text) });
  }
  const manifestKey = `${folder}/manifest.json`;
  writeFileSync(
    join(root, manifestKey),
    JSON.stringify({ DestinationBucket: bucket, MapRunArn: mapRunArn, ResultFiles: files }),
  );
  return {
    output: { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } },
    manifest: join(root, manifestKey),
  };
}

function outputOf(child: ChildRecord): unknown {
  return 'Output' in child ? child.Output : { Error: child.Error, Cause: child.Cause };
}

export type { Lowered };
