// Runs the function through success and every kind of failure with recognisable credentials, then
// searches everything it printed, returned or threw for them. Two sets: one shaped like real AWS
// credentials (redaction would also catch those), one that no pattern matches, which proves the
// code never hands credentials to a log line or a message in the first place.
import { inspect } from 'node:util';
import {
  bucketOf,
  captureOutput,
  coldStartOverTheWire,
  type FakeAws,
  type FakeReply,
  type FakeRequest,
  lambdaContext,
  SECRETS,
  type Secrets,
  startFakeAws,
  TARGET_A,
  TARGET_B,
  validEnv,
  xml,
} from './fixtures';

const PATTERNLESS: Secrets = {
  accessKeyId: 'canary-assumed-key-id-7',
  secretAccessKey: 'canary-assumed-secret-7',
  sessionToken: 'canary-assumed-session-token-7',
};
const HOME = {
  accessKeyId: 'canary-home-key-id-7',
  secretAccessKey: 'canary-home-secret-7',
  sessionToken: 'canary-home-session-token-7',
};

type Fault = (request: FakeRequest) => FakeReply | undefined;

const accountOf = (request: FakeRequest) =>
  /iam%3A%3A(\d{12})%3A/.exec(request.body)?.[1] ??
  /demo-(\d{12})-/.exec(request.url)?.[1] ??
  TARGET_A;

// S3 really does echo the access key id, the string to sign and the canonical request (which
// holds the session token) in a SignatureDoesNotMatch error.
const signatureEcho = (secrets: Secrets) =>
  xml.s3Error(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided.',
    `<AWSAccessKeyId>${secrets.accessKeyId}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256 x-amz-security-token:${secrets.sessionToken}</StringToSign><CanonicalRequest>GET / x-amz-security-token=${secrets.sessionToken} ${secrets.secretAccessKey}</CanonicalRequest>`,
  );

const scenarios = (secrets: Secrets): [string, Fault][] => [
  ['success', () => undefined],
  [
    'S3 echoing the credentials in SignatureDoesNotMatch',
    (request) =>
      request.action === 'ListObjectsV2'
        ? { status: 403, body: signatureEcho(secrets) }
        : undefined,
  ],
  [
    'STS echoing the credentials in its error message',
    (request) =>
      request.action === 'GetCallerIdentity'
        ? {
            status: 403,
            body: xml.stsError(
              'IncompleteSignature',
              `bad header X-Amz-Security-Token=${secrets.sessionToken} key ${secrets.accessKeyId}`,
            ),
          }
        : undefined,
  ],
  [
    'S3 denying the listing',
    (request) =>
      request.action === 'ListObjectsV2'
        ? { status: 403, body: xml.s3Error('AccessDenied', 'Access Denied') }
        : undefined,
  ],
  [
    'STS denying AssumeRole',
    (request) =>
      request.action === 'AssumeRole'
        ? {
            status: 403,
            body: xml.stsError(
              'AccessDenied',
              `User: arn:aws:sts::111111111111:assumed-role/exec/crossAccount is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${accountOf(request)}:role/cross-account-demo-target`,
            ),
          }
        : undefined,
  ],
  [
    'an expired session',
    (request) =>
      request.action === 'ListObjectsV2'
        ? { status: 400, body: xml.s3Error('ExpiredToken', 'The provided token has expired.') }
        : undefined,
  ],
  [
    'throttled STS',
    (request) =>
      request.action === 'GetCallerIdentity'
        ? { status: 400, body: xml.stsError('Throttling', 'Rate exceeded') }
        : undefined,
  ],
  [
    'a dropped connection',
    (request) => (request.action === 'ListObjectsV2' ? { drop: true } : undefined),
  ],
];

let aws: FakeAws;
let fault: Fault = () => undefined;
let issued: Secrets = SECRETS;
const savedEnv = process.env;

function healthy(request: FakeRequest): FakeReply {
  const account = accountOf(request);
  if (request.action === 'AssumeRole') return { body: xml.assumeRole(issued, account) };
  if (request.action === 'GetCallerIdentity') return { body: xml.callerIdentity(TARGET_A) };
  return { body: xml.listObjects(bucketOf(account), ['k1']) };
}

beforeAll(async () => {
  aws = await startFakeAws((request) => fault(request) ?? healthy(request));
});

afterAll(async () => {
  await aws.close();
});

beforeEach(() => {
  process.env = {
    ...validEnv({ AWS_LAMBDA_LOG_LEVEL: 'DEBUG' }),
    AWS_ENDPOINT_URL_STS: aws.url,
    AWS_ENDPOINT_URL_S3: aws.url,
    AWS_ACCESS_KEY_ID: HOME.accessKeyId,
    AWS_SECRET_ACCESS_KEY: HOME.secretAccessKey,
    AWS_SESSION_TOKEN: HOME.sessionToken,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
});

afterEach(() => {
  process.env = savedEnv;
});

/** Everything an operator or a caller could see: log lines, responses, thrown errors in full. */
async function everythingVisible(secrets: Secrets): Promise<string[]> {
  issued = secrets;
  const visible: string[] = [];
  for (const [, scenario] of scenarios(secrets)) {
    fault = scenario;
    const { handler } = coldStartOverTheWire();
    // A warm second invocation as well: cached credentials must stay as quiet as fresh ones.
    for (const requestId of ['req-cold', 'req-warm']) {
      const run = await captureOutput(() => handler({}, lambdaContext(requestId)));
      visible.push(run.output, JSON.stringify(run.result ?? null));
      if (run.error !== undefined) {
        visible.push(inspect(run.error, { depth: Number.POSITIVE_INFINITY, showHidden: true }));
        visible.push(JSON.stringify(run.error), String(run.error));
      }
    }
  }
  fault = () => undefined;
  return visible;
}

function found(texts: string[], secrets: Record<string, string>): string[] {
  return Object.entries(secrets).flatMap(([name, value]) =>
    texts.some((text) => text.includes(value)) ? [name] : [],
  );
}

describe('the secret scan', () => {
  it('finds no AWS-shaped credential in anything logged, returned or thrown', async () => {
    const visible = await everythingVisible(SECRETS);
    // The scan must have looked at something: every scenario logs and answers.
    expect(visible.join('\n')).toContain('"message":"assumed role"');
    expect(found(visible, { ...SECRETS })).toEqual([]);
    expect(found(visible, HOME)).toEqual([]);
  });

  it('finds no credential even when its value matches no redaction pattern', async () => {
    const visible = await everythingVisible(PATTERNLESS);
    expect(visible.join('\n')).toContain('"message":"listed target bucket"');
    expect(found(visible, { ...PATTERNLESS })).toEqual([]);
    expect(found(visible, HOME)).toEqual([]);
  });

  it('would notice a leak: the canaries do reach the wire', () => {
    const sent = aws.requests.map((request) => JSON.stringify(request.headers)).join('\n');
    expect(sent).toContain(PATTERNLESS.accessKeyId);
    expect(sent).toContain(PATTERNLESS.sessionToken);
    expect(sent).toContain(HOME.sessionToken);
  });

  it('keeps an event that carries a credential-shaped value out of the logs', async () => {
    const { handler } = coldStartOverTheWire();
    const run = await captureOutput(() =>
      handler({ [SECRETS.secretAccessKey]: SECRETS.sessionToken }, lambdaContext('req-event')),
    );
    const visible = [run.output, inspect(run.error, { depth: Number.POSITIVE_INFINITY })];
    expect(run.error).toMatchObject({ name: 'EventValidationError' });
    expect(found(visible, { ...SECRETS })).toEqual([]);
  });

  it('covers several accounts at once', async () => {
    process.env.TARGET_ACCOUNT_IDS = `${TARGET_A},${TARGET_B}`;
    issued = PATTERNLESS;
    fault = (request) =>
      request.action === 'ListObjectsV2' && request.url.includes(TARGET_B)
        ? { status: 403, body: signatureEcho(PATTERNLESS) }
        : undefined;
    const { handler } = coldStartOverTheWire();
    const run = await captureOutput(() => handler({}, lambdaContext('req-multi')));
    fault = () => undefined;
    expect(run.result?.summary).toEqual({ succeeded: 1, failed: 1 });
    expect(found([run.output, JSON.stringify(run.result)], { ...PATTERNLESS })).toEqual([]);
  });
});
