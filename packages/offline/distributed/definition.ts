// Distributed mode's state machine as `npm start` runs it: the definition read from the
// synthesised home stack, validated by asl-validator, and lowered for aws-local-stepfunctions.
//
// That interpreter runs a Map's ItemProcessor, Retry, Catch, intrinsics and task overrides, but
// not the Distributed Map's ItemBatcher, ResultWriter or tolerated failures (it fails the Map on
// the first failed child). No interpreter on npm has them, so the lowering below rewrites them
// into what it does run, state for state, and leaves the rest of the definition as deployed:
//   - ItemBatcher: a Pass state of the Map's name partitions the items with the real intrinsic
//     States.ArrayPartition, and the Map's ItemSelector hands each child {"Items": [...]}, the
//     input AWS gives a batch;
//   - tolerated failures: each child runs inside a Parallel state whose Catch turns its failure
//     into a record ({Items, Error, Cause}), so the others go on as on AWS; a task after the Map
//     (`<map>:results`) applies ToleratedFailurePercentage/Count to the records;
//   - ResultWriter: that same task writes the records as AWS lays them out (manifest.json,
//     SUCCEEDED_n.json, FAILED_n.json) and returns the Map output AWS returns.
import aslValidator = require('asl-validator');

export type State = Record<string, unknown> & { Type: string };

export interface Definition {
  Comment?: string;
  StartAt: string;
  States: Record<string, State>;
}

/** Distributed mode's definition cannot be validated, lowered or run offline. */
export class DistributedModeError extends Error {
  override name = 'DistributedModeError';
}

/** Throws what asl-validator finds wrong with the definition, each error by its path. */
export function validateDefinition(
  definition: unknown,
  source: string,
): asserts definition is Definition {
  const { isValid, errors } = aslValidator(definition as object, {
    checkArn: true,
    checkPaths: true,
  });
  if (isValid) return;
  const problems = errors.map((error) => `  - ${error.Message}`).join('\n');
  throw new DistributedModeError(`${source} is not valid Amazon States Language:\n${problems}`);
}

/** What the lowering took out of a Distributed Map, for the task that stands in for it. */
export interface MapSettings {
  /** The Map state's name in the deployed definition. */
  readonly state: string;
  readonly batchSize: number | undefined;
  readonly toleratedFailurePercentage: number | undefined;
  readonly toleratedFailureCount: number | undefined;
  readonly resultWriter: { readonly bucket: string; readonly prefix: string } | undefined;
  readonly maxConcurrency: number | undefined;
}

export interface Lowered {
  readonly definition: Definition;
  /** By the name of the task after each Map that applies tolerance and writes the results. */
  readonly maps: ReadonlyMap<string, MapSettings>;
}

/** The name of the task that stands in for a Map's ResultWriter and tolerance. */
export const resultsTaskOf = (map: string) => `${map}:results`;

/** Rewrites each top-level Distributed Map for aws-local-stepfunctions (see the file's head). */
export function lowerForInterpreter(definition: Definition): Lowered {
  const states: Record<string, State> = {};
  const maps = new Map<string, MapSettings>();
  for (const [name, state] of Object.entries(definition.States)) {
    const processor = state.ItemProcessor as
      | { ProcessorConfig?: { Mode?: string }; StartAt: string; States: Record<string, State> }
      | undefined;
    if (state.Type !== 'Map' || processor?.ProcessorConfig?.Mode !== 'DISTRIBUTED') {
      states[name] = state;
      continue;
    }
    const refuse = (what: string): never => {
      throw new DistributedModeError(
        `the Distributed Map ${name} uses ${what}, which npm start cannot run offline (it runs ItemBatcher, ResultWriter and tolerated failures over items from ItemsPath)`,
      );
    };
    for (const field of ['ItemReader', 'ResultPath', 'ResultSelector', 'OutputPath', 'Parameters'])
      if (field in state) refuse(field);
    const itemsPath = (state.ItemsPath as string | undefined) ?? '$';
    const batcher = state.ItemBatcher as
      | { MaxItemsPerBatch?: number; BatchInput?: Record<string, unknown> }
      | undefined;
    if (batcher && 'ItemSelector' in state) refuse('ItemSelector with ItemBatcher');
    if (batcher && batcher.MaxItemsPerBatch === undefined)
      refuse('ItemBatcher without MaxItemsPerBatch');
    const writer = state.ResultWriter as
      | { Parameters?: { Bucket?: string; Prefix?: string } }
      | undefined;
    const map: Record<string, unknown> = { ...state };
    for (const field of [
      'ItemBatcher',
      'ResultWriter',
      'ToleratedFailurePercentage',
      'ToleratedFailureCount',
      'Next',
      'End',
    ])
      delete map[field];
    const branch: Record<string, unknown> = { ...processor };
    delete branch.ProcessorConfig;
    const mapName = `${name}:map`;
    const results = resultsTaskOf(name);
    const after = 'Next' in state ? { Next: state.Next } : { End: true };
    if (batcher) {
      states[name] = {
        Type: 'Pass',
        Parameters: {
          'batches.$': `States.ArrayPartition(${itemsPath}, ${batcher.MaxItemsPerBatch})`,
        },
        Next: mapName,
      };
    }
    states[batcher ? mapName : name] = {
      ...(map as State),
      ...(batcher
        ? {
            ItemsPath: '$.batches',
            ItemSelector: {
              'Items.$': '$$.Map.Item.Value',
              ...(batcher.BatchInput ? { BatchInput: batcher.BatchInput } : {}),
            },
          }
        : {}),
      ItemProcessor: recordingEachChild(branch),
      Next: results,
    };
    states[results] = { Type: 'Task', Resource: 'arn:aws:states:::s3:putObject', ...after };
    maps.set(results, {
      state: name,
      batchSize: batcher?.MaxItemsPerBatch,
      toleratedFailurePercentage: state.ToleratedFailurePercentage as number | undefined,
      toleratedFailureCount: state.ToleratedFailureCount as number | undefined,
      resultWriter: writer
        ? {
            bucket: String(writer.Parameters?.Bucket ?? ''),
            prefix: String(writer.Parameters?.Prefix ?? ''),
          }
        : undefined,
      maxConcurrency: state.MaxConcurrency as number | undefined,
    });
  }
  return { definition: { ...definition, States: states }, maps };
}

/** One child's outcome, as the lowered Map returns it. */
export type ChildRecord =
  | { readonly Input: unknown; readonly Output: unknown }
  | { readonly Input: unknown; readonly Error: string; readonly Cause: string };

/**
 * The child workflow inside a Parallel state: its output, or its failure caught, each with the
 * child's input, so that a failed child does not fail the Map.
 */
function recordingEachChild(branch: Record<string, unknown>) {
  return {
    StartAt: 'keep the input',
    States: {
      'keep the input': { Type: 'Pass', Parameters: { 'Input.$': '$' }, Next: 'child' },
      child: {
        Type: 'Parallel',
        Branches: [branch],
        InputPath: '$.Input',
        ResultPath: '$.child',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.child', Next: 'child failed' }],
        Next: 'child succeeded',
      },
      'child succeeded': {
        Type: 'Pass',
        Parameters: { 'Input.$': '$.Input', 'Output.$': '$.child[0]' },
        End: true,
      },
      'child failed': {
        Type: 'Pass',
        Parameters: {
          'Input.$': '$.Input',
          'Error.$': '$.child.Error',
          'Cause.$': '$.child.Cause',
        },
        End: true,
      },
    },
  };
}
