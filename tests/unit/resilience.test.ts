// Faults over the wire: the real SDK (signing, retry strategy, timeouts) against a look-alike of STS
// and S3 on 127.0.0.1, reached through AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_S3 as offline runs are.
import { MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } from '../../src/clientSettings';
import {
  bucketOf,
  captureOutput,
  coldStartOverTheWire,
  type FakeAws,
  type FakeReply,
  type FakeRequest,
  lambdaContext,
  logRecords,
  SECRETS,
  startFakeAws,
  TARGET_A,
  validEnv,
  xml,
} from './fixtures';

/** Each account's assumed session has its own access key, so STS can tell who is calling. */
const keyOf = (account: string) => `ASIA${account}0000`;
const accountOfRequest = (request: FakeRequest) =>
  /Credential=ASIA(\d{12})0000\//.exec(String(request.headers.authorization))?.[1] ?? 'unknown';

/** A healthy AWS: every target works. Tests override single operations. */
function healthy(request: FakeRequest): FakeReply {
  if (request.action === 'AssumeRole') {
    const account = /iam%3A%3A(\d{12})%3A/.exec(request.body)?.[1] ?? 'unknown';
    return { body: xml.assumeRole({ ...SECRETS, accessKeyId: keyOf(account) }, account) };
  }
  if (request.action === 'GetCallerIdentity')
    return { body: xml.callerIdentity(accountOfRequest(request)) };
  if (request.action === 'ListObjectsV2')
    return { body: xml.listObjects(bucketOf(TARGET_A), ['k1']) };
  return { status: 400, body: xml.s3Error('InvalidRequest', `unexpected ${request.action}`) };
}

let aws: FakeAws;
let override: (request: FakeRequest, count: number) => FakeReply | undefined;
const counts = new Map<string, number>();
const savedEnv = process.env;

beforeEach(async () => {
  counts.clear();
  override = () => undefined;
  aws = await startFakeAws((request) => {
    const count = (counts.get(request.action) ?? 0) + 1;
    counts.set(request.action, count);
    return override(request, count) ?? healthy(request);
  });
  process.env = {
    ...validEnv(),
    AWS_ENDPOINT_URL_STS: aws.url,
    AWS_ENDPOINT_URL_S3: aws.url,
    AWS_ACCESS_KEY_ID: 'AKIAOFFLINEHOME00001',
    AWS_SECRET_ACCESS_KEY: 'offline-home-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
});

afterEach(async () => {
  process.env = savedEnv;
  await aws.close();
});

const callsTo = (action: string) => aws.requests.filter((request) => request.action === action);

async function invoke(remainingMs = 9000) {
  const { handler } = coldStartOverTheWire();
  const run = await captureOutput(() => handler({}, lambdaContext('req-1', remainingMs)));
  return { ...run, records: logRecords(run.output) };
}

describe('transient faults are retried by the SDK and the invocation succeeds', () => {
  it('retries a throttled AssumeRole and logs every retry', async () => {
    override = (request, count) =>
      request.action === 'AssumeRole' && count <= 2
        ? { status: 400, body: xml.stsError('Throttling', 'Rate exceeded') }
        : undefined;
    const { result, records } = await invoke();
    expect(result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(callsTo('AssumeRole')).toHaveLength(3);
    const retries = records.filter((record) => record.message === 'retrying AWS call');
    expect(retries.map((record) => [record.client, record.operation, record.attempt])).toEqual([
      ['STS (AssumeRole)', 'AssumeRoleCommand', 2],
      ['STS (AssumeRole)', 'AssumeRoleCommand', 3],
    ]);
    const failed = records.filter((record) => record.message === 'AWS call attempt failed');
    expect(failed.map((record) => [record.errorName, record.httpStatusCode])).toEqual([
      ['Throttling', 400],
      ['Throttling', 400],
    ]);
  });

  it('retries S3 answering 503', async () => {
    override = (request, count) =>
      request.action === 'ListObjectsV2' && count === 1
        ? { status: 503, body: xml.s3Error('ServiceUnavailable', 'Please retry') }
        : undefined;
    const { result } = await invoke();
    expect(result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(callsTo('ListObjectsV2')).toHaveLength(2);
  });

  it('retries after a dropped connection', async () => {
    override = (request, count) =>
      request.action === 'GetCallerIdentity' && count === 1 ? { drop: true } : undefined;
    const { result, records } = await invoke();
    expect(result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(
      records.some((record) => record.message === 'retrying AWS call' && record.client === 'STS'),
    ).toBe(true);
  });

  it('cuts a hung request at the request timeout and succeeds on the retry', async () => {
    override = (request, count) =>
      request.action === 'ListObjectsV2' && count === 1 ? { hang: true } : undefined;
    const started = Date.now();
    const { result, records } = await invoke();
    expect(result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(records.find((record) => record.message === 'AWS call attempt failed')).toMatchObject({
      client: 'S3',
      errorName: 'TimeoutError',
    });
  });

  it('corrects clock skew reported by S3 and succeeds', async () => {
    const skewed = new Date(Date.now() + 60 * 60_000).toUTCString();
    override = (request, count) =>
      request.action === 'ListObjectsV2' && count === 1
        ? {
            status: 403,
            headers: { date: skewed },
            body: xml.s3Error(
              'RequestTimeTooSkewed',
              'The difference between the request time and the current time is too large.',
            ),
          }
        : undefined;
    const { result } = await invoke();
    expect(result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(callsTo('ListObjectsV2')).toHaveLength(2);
  });

  it('re-assumes exactly once when S3 rejects a session still inside its lifetime', async () => {
    override = (request, count) =>
      request.action === 'ListObjectsV2' && count === 1
        ? { status: 400, body: xml.s3Error('ExpiredToken', 'The provided token has expired.') }
        : undefined;
    const { result } = await invoke();
    expect(result?.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(callsTo('AssumeRole')).toHaveLength(2);
  });
});

describe('lasting faults end in a bounded, actionable failure', () => {
  it(`stops after ${MAX_ATTEMPTS} attempts of a throttled S3 and says what to change`, async () => {
    override = (request) =>
      request.action === 'ListObjectsV2'
        ? { status: 503, body: xml.s3Error('SlowDown', 'Please reduce your request rate.') }
        : undefined;
    const { error } = await invoke();
    expect(callsTo('ListObjectsV2')).toHaveLength(MAX_ATTEMPTS);
    expect((error as Error).message).toMatch(
      /was throttled \(SlowDown\) on all 3 attempts .* Lower --param fanoutConcurrency/,
    );
  });

  it("answers before Lambda's timeout when STS hangs", async () => {
    override = (request) => (request.action === 'AssumeRole' ? { hang: true } : undefined);
    const { handler } = coldStartOverTheWire();
    let elapsed = 0;
    const { error } = await captureOutput(async () => {
      const started = Date.now();
      try {
        // 2200 ms left, a 1000 ms margin: the function must answer after about 1200 ms.
        return await handler({}, lambdaContext('req-1', 2200));
      } finally {
        elapsed = Date.now() - started;
        // The abandoned AssumeRole (a credential refresh takes no abort signal) still has to end
        // before the test does; in Lambda the frozen container would carry it to the next call.
        override = () => undefined;
        aws.release();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    expect(elapsed).toBeGreaterThanOrEqual(1150);
    expect(elapsed).toBeLessThan(2000);
    expect((error as Error).message).toMatch(
      /sts:AssumeRole on .* had not finished when the invocation's time budget \(1200 ms\) ran out/,
    );
  });

  it('reports persistent signature mismatches as clock skew or a wrong secret, without retrying forever', async () => {
    override = (request) =>
      request.action === 'GetCallerIdentity'
        ? {
            status: 403,
            body: xml.stsError(
              'SignatureDoesNotMatch',
              'The request signature we calculated does not match the signature you provided.',
            ),
          }
        : undefined;
    const { error } = await invoke();
    expect(callsTo('GetCallerIdentity').length).toBeLessThanOrEqual(MAX_ATTEMPTS);
    expect((error as Error).message).toMatch(/SignatureDoesNotMatch.*sync it with NTP/);
  });
});
