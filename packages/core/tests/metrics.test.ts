// Per-target outcome metrics: the EMF lines CloudWatch turns into TargetSucceeded, TargetFailed
// and TargetDuration, checked against the format's rules (every dimension and metric named in
// _aws has a top-level value), and as the handler writes them.
import { createMetrics, METRIC_NAMESPACE } from '@cross-account-lambda/core/src/metrics';
import {
  captureOutput,
  lambdaContext,
  logRecords,
  roleArn,
  TARGET_A,
  TARGET_B,
  validEnv,
} from '@cross-account-lambda/offline/testing/fixtures';
import { coldStart } from '@cross-account-lambda/template-tests/support/coldStart';

interface Emf {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  [key: string]: unknown;
}

function recorded() {
  const lines: string[] = [];
  const metrics = createMetrics({
    functionName: 'cross-account-lambda-dev-crossAccount',
    sink: (line) => lines.push(line),
    now: () => 1_767_225_600_000,
  });
  return { metrics, records: () => lines.map((line) => JSON.parse(line) as Emf) };
}

/** The rules of the embedded metric format that CloudWatch enforces when it extracts. */
function expectValidEmf(record: Emf) {
  expect(Number.isInteger(record._aws.Timestamp)).toBe(true);
  for (const directive of record._aws.CloudWatchMetrics) {
    expect(directive.Namespace).toBe(METRIC_NAMESPACE);
    for (const set of directive.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const name of set) expect(typeof record[name]).toBe('string');
    }
    for (const metric of directive.Metrics) expect(typeof record[metric.Name]).toBe('number');
  }
}

describe('createMetrics', () => {
  it('counts a success under the Function dimension, account and region as properties', () => {
    const { metrics, records } = recorded();
    metrics.target(
      { account: TARGET_A, region: 'eu-west-1', errorCode: undefined, durationMs: 41.6 },
      'req-1',
    );
    const [record] = records();
    if (!record) throw new Error('no record');
    expectValidEmf(record);
    expect(record).toMatchObject({
      Function: 'cross-account-lambda-dev-crossAccount',
      TargetSucceeded: 1,
      TargetFailed: 0,
      TargetDuration: 42,
      account: TARGET_A,
      region: 'eu-west-1',
      requestId: 'req-1',
    });
    expect(record._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Function']]);
    expect(record).not.toHaveProperty('ErrorCode');
  });

  it('counts a failure per function and per error code', () => {
    const { metrics, records } = recorded();
    metrics.target(
      { account: TARGET_B, region: 'us-east-1', errorCode: 'AssumeRoleDenied', durationMs: 7 },
      'req-2',
    );
    const [record] = records();
    if (!record) throw new Error('no record');
    expectValidEmf(record);
    expect(record).toMatchObject({
      TargetSucceeded: 0,
      TargetFailed: 1,
      ErrorCode: 'AssumeRoleDenied',
    });
    expect(record._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ['Function'],
      ['Function', 'ErrorCode'],
    ]);
  });
});

describe('the handler writes one outcome line per account and region', () => {
  it('at any log level, with the failed target counted once', async () => {
    const container = coldStart(
      validEnv({
        TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}`,
        TARGET_REGIONS: 'eu-west-1,us-east-1',
        AWS_LAMBDA_LOG_LEVEL: 'ERROR',
      }),
    );
    try {
      const { mocks, sdk } = container;
      mocks.assumeRole.on(sdk.AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
        if (input.RoleArn === roleArn(TARGET_B)) {
          throw Object.assign(new Error('denied'), {
            name: 'AccessDenied',
            $metadata: { httpStatusCode: 403 },
          });
        }
        return {
          Credentials: {
            AccessKeyId: 'ASIAEXAMPLEKEY000001',
            SecretAccessKey: 's',
            SessionToken: 't',
            Expiration: new Date(Date.now() + 3_600_000),
          },
          AssumedRoleUser: {
            Arn: `arn:aws:sts::${TARGET_A}:assumed-role/r/s`,
            AssumedRoleId: 'A:s',
          },
        };
      });
      mocks.s3.on(sdk.ListObjectsV2Command).resolves({ Contents: [] });
      const { output, result } = await captureOutput(() =>
        container.module.handler({}, lambdaContext('req-9')),
      );
      expect(result?.summary).toEqual({ succeeded: 2, failed: 2 });
      const outcomes = logRecords(output).filter((record) => '_aws' in record) as Emf[];
      for (const record of outcomes) expectValidEmf(record);
      expect(
        outcomes
          .map((r) => `${r.account} ${r.region} ${r.TargetFailed} ${r.ErrorCode ?? '-'}`)
          .sort(),
      ).toEqual([
        `${TARGET_A} eu-west-1 0 -`,
        `${TARGET_A} us-east-1 0 -`,
        `${TARGET_B} eu-west-1 1 AssumeRoleDenied`,
        `${TARGET_B} us-east-1 1 AssumeRoleDenied`,
      ]);
      // Nothing but the metrics at ERROR level: the two WARN lines of the failures are filtered.
      expect(logRecords(output).filter((record) => !('_aws' in record))).toEqual([]);
    } finally {
      for (const mock of Object.values(container.mocks)) mock.restore();
    }
  });
});
