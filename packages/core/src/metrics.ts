// Per-target outcome metrics in CloudWatch embedded metric format (EMF): one JSON line per target
// on stdout, which CloudWatch Logs turns into metrics with no API call and no permission. Written
// here rather than with Powertools for AWS Lambda's Metrics because the zipped bundle must stay
// within 100 KiB and Powertools' Metrics (with its commons and the Lambda-context helpers) costs
// several KiB of it (docs/operate.md has the measurement); the format needs only these lines.
import { type LogSink, processSink } from './logger';

/** CloudWatch namespace of the function's own metrics (the alarm in serverless.yml reads it). */
export const METRIC_NAMESPACE = 'CrossAccountLambda';

/** What became of one account in one region. */
export interface TargetOutcome {
  readonly account: string;
  readonly region: string;
  /** undefined when it worked; the error code of the response otherwise. */
  readonly errorCode: string | undefined;
  readonly durationMs: number;
}

export interface Metrics {
  target(outcome: TargetOutcome, requestId: string): void;
}

export interface MetricsOptions {
  /** Deployed function name: the `Function` dimension. */
  readonly functionName: string;
  readonly sink?: LogSink;
  readonly now?: () => number;
}

const METRICS = [
  { Name: 'TargetSucceeded', Unit: 'Count' },
  { Name: 'TargetFailed', Unit: 'Count' },
  { Name: 'TargetDuration', Unit: 'Milliseconds' },
];

export function createMetrics(options: MetricsOptions): Metrics {
  const sink = options.sink ?? processSink;
  const now = options.now ?? Date.now;
  return {
    target({ account, region, errorCode, durationMs }, requestId) {
      const failed = errorCode !== undefined;
      // Account and region are properties, not dimensions: a dimension per account x region
      // would be one billed custom metric each (600 for 200 accounts in 3 regions); as
      // properties they stay searchable in Logs Insights. The error code is a bounded set, so
      // failures also count per ErrorCode.
      const record = {
        _aws: {
          Timestamp: now(),
          CloudWatchMetrics: [
            {
              Namespace: METRIC_NAMESPACE,
              Dimensions: failed ? [['Function'], ['Function', 'ErrorCode']] : [['Function']],
              Metrics: METRICS,
            },
          ],
        },
        Function: options.functionName,
        ...(failed ? { ErrorCode: errorCode } : {}),
        TargetSucceeded: failed ? 0 : 1,
        TargetFailed: failed ? 1 : 0,
        TargetDuration: Math.round(durationMs),
        account,
        region,
        requestId,
        message: 'target outcome',
      };
      // Always written, whatever the log level: the metrics are not a log. Nothing in the record
      // is free text, so it needs no redaction.
      sink(JSON.stringify(record), 'INFO');
    },
  };
}
