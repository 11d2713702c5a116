// The function through success and every kind of failure, against the stand-in, cold and warm:
// nothing it logs, returns or throws holds a credential. The home credentials are deliberately
// shaped like nothing (no shape rule of src/redact.ts matches them), and the run also shows that
// redaction never had anything to catch: the code never hands a credential to a log line or a
// message in the first place, so the absence of secrets does not depend on a regular expression.
import { inspect } from 'node:util';
import type { CredentialRecord } from '@cross-account-lambda/offline/standin/credentialStore';
import { CredentialStore } from '@cross-account-lambda/offline/standin/credentialStore';
import { captureOutput } from '../../testing/captureOutput';
import { recordSecret } from '../../testing/runRecord';
import {
  invoke,
  lambdaContext,
  type OfflineAws,
  SYNTH_TIMEOUT_MS,
  startOfflineAws,
} from './support';

const TARGET = '222222222222';
/** Has no target stack, so the execution role may not assume a role there. */
const NO_TARGET_STACK = '333333333333';
const FORBIDDEN_BUCKET = `not-granted-${TARGET}`;
const HOME = {
  accessKeyId: 'canary-home-key-id-7',
  secretAccessKey: 'canary-home-secret-7',
  sessionToken: 'canary-home-session-token-7',
};

interface Scenario {
  readonly name: string;
  readonly env?: Record<string, string>;
  readonly event?: Record<string, unknown>;
  readonly arrange?: (aws: OfflineAws) => void;
  readonly budgetMs?: number;
}

const SCENARIOS: Scenario[] = [
  { name: 'success' },
  {
    name: 'AssumeRole denied in one of two accounts',
    env: { TARGET_ACCOUNT_IDS: `${TARGET},${NO_TARGET_STACK}` },
  },
  { name: 'S3 denying the listing', event: { bucket: FORBIDDEN_BUCKET } },
  {
    name: 'the session revoked throughout',
    arrange: (aws) => aws.standIn.faults.add({ kind: 'expiredToken', service: 's3', always: true }),
  },
  {
    name: 'STS throttled throughout',
    arrange: (aws) => aws.standIn.faults.add({ kind: 'throttle', service: 'sts', always: true }),
  },
  {
    name: 'S3 connections dropped throughout',
    arrange: (aws) => aws.standIn.faults.add({ kind: 'drop', service: 's3', always: true }),
  },
  {
    name: 'S3 hung past the invocation budget',
    arrange: (aws) =>
      aws.standIn.faults.add({ kind: 'delay', service: 's3', delayMs: 20_000, always: true }),
    budgetMs: 4000,
  },
  {
    name: 'clock skew STS cannot correct',
    arrange: (aws) => aws.standIn.setClockSkew(600, { revealServerTime: false }),
  },
  { name: 'a wrong home secret', env: { AWS_SECRET_ACCESS_KEY: 'canary-wrong-secret-7' } },
];

// The whole run's scan (packages/template-tests/support/reliabilityReporter.js) looks for them too.
recordSecret('the home canary secret of quiet-about-secrets', HOME.secretAccessKey);
recordSecret('the home canary session token of quiet-about-secrets', HOME.sessionToken);

let aws: OfflineAws;
// Calls through: the stand-in issues as always, the test sees what it issued.
const issue = jest.spyOn(CredentialStore.prototype, 'issue');
const issued = (): CredentialRecord[] => issue.mock.results.map((result) => result.value);

beforeAll(async () => {
  aws = await startOfflineAws({
    standIn: {
      homeCredentials: HOME,
      extraBuckets: [{ name: FORBIDDEN_BUCKET, accountId: TARGET }],
    },
  });
}, SYNTH_TIMEOUT_MS);

afterAll(() => aws?.close());

/** Everything an operator or a caller could see of one invocation. */
async function visibleOf(
  scenario: Scenario,
  requestId: string,
  module: ReturnType<OfflineAws['coldStart']>,
): Promise<string> {
  const run = await invoke(module, {
    requestId,
    ...(scenario.event ? { event: scenario.event } : {}),
    ...(scenario.budgetMs ? { budgetMs: scenario.budgetMs } : {}),
  });
  const visible = [JSON.stringify(run.records), JSON.stringify(run.result ?? null)];
  if (run.error !== undefined) {
    visible.push(
      inspect(run.error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
      JSON.stringify(run.error),
      String(run.error),
    );
  }
  return visible.join('\n');
}

async function everythingVisible(): Promise<string> {
  const visible: string[] = [];
  for (const scenario of SCENARIOS) {
    aws.reset();
    scenario.arrange?.(aws);
    const saved = { ...process.env };
    Object.assign(process.env, scenario.env);
    try {
      const container = aws.coldStart();
      // A warm second invocation too: cached credentials must stay as quiet as fresh ones.
      for (const requestId of ['req-cold', 'req-warm']) {
        visible.push(await visibleOf(scenario, requestId, container));
      }
    } finally {
      process.env = saved;
    }
  }
  aws.reset();
  return visible.join('\n');
}

function credentialsIn(text: string): string[] {
  const values = {
    'home access key id': HOME.accessKeyId,
    'home secret': HOME.secretAccessKey,
    'home session token': HOME.sessionToken,
  };
  const found = Object.entries(values).flatMap(([name, value]) =>
    text.includes(value) ? [name] : [],
  );
  for (const record of issued()) {
    if (text.includes(record.accessKeyId)) found.push('an issued access key id');
    if (text.includes(record.secretAccessKey)) found.push('an issued secret');
    if (record.sessionToken && text.includes(record.sessionToken))
      found.push('an issued session token');
  }
  return found;
}

let visible = '';

describe('under success and every kind of failure, cold and warm', () => {
  beforeAll(async () => {
    visible = await everythingVisible();
  }, 120_000);

  test('the scan looked at real runs: the home canaries signed accepted requests, sessions were issued, every failure happened', () => {
    expect(visible).toContain('"message":"target account done"');
    // The stand-in issues credentials only to a request correctly signed with the home canaries.
    expect(issued().length).toBeGreaterThan(0);
    for (const failure of [
      'AssumeRole was denied',
      'may not s3:ListBucket on arn:aws:s3:::not-granted-222222222222',
      'even after the role was assumed again',
      'was throttled',
      "had not finished when the invocation's time budget",
      'was rejected with SignatureDoesNotMatch',
    ]) {
      expect(visible).toContain(failure);
    }
  });

  test('no credential appears in any log line, response or thrown error', () => {
    expect(credentialsIn(visible)).toEqual([]);
  });

  test('redaction never had anything to catch: no log line, response or error holds [REDACTED]', () => {
    expect(visible).not.toContain('[REDACTED]');
  });
});

test('an event carrying a live credential is rejected without echoing it', async () => {
  const container = aws.coldStart();
  expect((await invoke(container)).result?.summary).toEqual({ succeeded: 1, failed: 0 });
  const live = issued().at(-1);
  if (!live?.sessionToken) throw new Error('no credential was issued');
  const run = await captureOutput(() =>
    container.handler({ [live.secretAccessKey]: live.sessionToken }, lambdaContext('req-event')),
  );
  expect(run.error).toMatchObject({ name: 'EventValidationError' });
  const shown = [
    run.output,
    inspect(run.error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
  ];
  expect(credentialsIn(shown.join('\n'))).toEqual([]);
});
