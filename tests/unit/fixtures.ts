// Shared test fixtures: environments, a Lambda context, a cold-start loader for the handler and a
// tiny AWS look-alike on 127.0.0.1 for tests that need the SDK's real wire path.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { Env } from '../../src/config';

export const HOME = '111111111111';
export const TARGET_A = '222222222222';
export const TARGET_B = '333333333333';
export const TARGET_C = '444444444444';
export const EXEC_ROLE = 'cross-account-lambda-local-us-east-1-exec';
export const CALLER_ARN = `arn:aws:sts::${HOME}:assumed-role/${EXEC_ROLE}/crossAccount`;

export const roleArn = (account: string, name = 'cross-account-demo-target') =>
  `arn:aws:iam::${account}:role/${name}`;
export const bucketOf = (account: string, region = 'eu-west-1') =>
  `cross-account-demo-${account}-${region}`;

/** A valid environment as serverless.yml sets it; tests override one variable at a time. */
export function validEnv(overrides: Env = {}): Env {
  return {
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'cross-account-lambda-local-crossAccount',
    TARGET_ACCOUNT_IDS: TARGET_A,
    TARGET_ROLE_NAME: 'cross-account-demo-target',
    TARGET_EXTERNAL_ID: '',
    TARGET_BUCKET: 'cross-account-demo-{accountId}-{region}',
    TARGET_REGION: 'eu-west-1',
    SESSION_DURATION_SECONDS: '900',
    FANOUT_CONCURRENCY: '8',
    TARGET_ORGANIZATION_ID: '',
    ...overrides,
  };
}

export function lambdaContext(requestId: string, remainingMs = 9000): Context {
  return {
    awsRequestId: requestId,
    functionName: 'cross-account-lambda-local-crossAccount',
    getRemainingTimeInMillis: () => remainingMs,
  } as Context;
}

/** Temporary credentials as STS returns them; the values are recognisable on purpose. */
export function assumedCredentials(secrets: Secrets, expiresInMs = 3_600_000) {
  return {
    Credentials: {
      AccessKeyId: secrets.accessKeyId,
      SecretAccessKey: secrets.secretAccessKey,
      SessionToken: secrets.sessionToken,
      Expiration: new Date(Date.now() + expiresInMs),
    },
    AssumedRoleUser: { Arn: 'unused', AssumedRoleId: 'AROAEXAMPLE:session' },
  };
}

export interface Secrets {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

export const SECRETS: Secrets = {
  accessKeyId: 'ASIAQ7CANARYSECRET01',
  secretAccessKey: 'CanarySecretAccessKey+0123456789/abcdefg',
  sessionToken: `IQoJb3JpZ2luX2VjCanarySessionToken${'Zm9vYmFy'.repeat(40)}`,
};

type HandlerModule = typeof import('../../handlers/crossAccount');

/**
 * Loads the handler in a fresh module registry, as a new Lambda container would, with `env` as the
 * process environment. The SDK classes come from the same registry, so mocks of them apply. (Not
 * jest.isolateModules: the SDK requires the nested STS client lazily, after such a callback has
 * returned, and would get it from the outer registry.) Classes the test file imported itself come
 * from the previous registry, so compare errors by name, not with instanceof.
 */
export function coldStart(env: Env) {
  const saved = process.env;
  process.env = { ...env };
  try {
    jest.resetModules();
    return loadWithMocks();
  } finally {
    process.env = saved;
  }
}

/**
 * A new container that talks to whatever AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_S3 say, with no
 * mocks: the SDK's real signing, retries and timeouts. The caller keeps process.env set for as
 * long as the container is used, since the SDK reads it lazily.
 */
export function coldStartOverTheWire(): HandlerModule {
  jest.resetModules();
  return require('../../handlers/crossAccount') as HandlerModule;
}

function loadWithMocks() {
  const nested =
    require('@aws-sdk/nested-clients/sts') as typeof import('@aws-sdk/nested-clients/sts');
  const sts = require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
  const s3 = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  // The handler module is loaded last: a config error must surface here, after the mocks exist.
  const mocks = {
    assumeRole: mockClient(nested.STSClient),
    sts: mockClient(sts.STSClient),
    s3: mockClient(s3.S3Client),
  };
  const sdk = {
    AssumeRoleCommand: nested.AssumeRoleCommand,
    GetCallerIdentityCommand: sts.GetCallerIdentityCommand,
    ListObjectsV2Command: s3.ListObjectsV2Command,
  };
  try {
    const module = require('../../handlers/crossAccount') as HandlerModule;
    return { module, mocks, sdk };
  } catch (error) {
    for (const mock of Object.values(mocks)) mock.restore();
    throw error;
  }
}

/** Captures every line written to stdout/stderr or through console while `work` runs. */
export async function captureOutput<T>(
  work: () => Promise<T>,
): Promise<{ output: string; result: T | undefined; error: unknown }> {
  const chunks: string[] = [];
  const record = (...args: unknown[]) => {
    chunks.push(args.map((arg) => (typeof arg === 'string' ? arg : String(arg))).join(' '));
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      record(String(chunk));
      return true;
    }),
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      record(String(chunk));
      return true;
    }),
    ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((method) =>
      jest.spyOn(console, method).mockImplementation(record),
    ),
  ];
  try {
    const result = await work();
    return { output: chunks.join('\n'), result, error: undefined };
  } catch (error) {
    return { output: chunks.join('\n'), result: undefined, error };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Parses captured output into the JSON records the logger wrote (other lines are ignored). */
export function logRecords(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export interface FakeRequest {
  readonly service: 'sts' | 's3';
  readonly action: string;
  readonly url: string;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

export interface FakeReply {
  readonly status?: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Never answer: the client's own timeouts have to cut the call. */
  readonly hang?: boolean;
  /** Close the connection without an answer. */
  readonly drop?: boolean;
}

export interface FakeAws {
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Answers the requests left hanging, with whatever `reply` says now. */
  release(): void;
  close(): Promise<void>;
}

/**
 * STS (query protocol) and S3 (REST) on one 127.0.0.1 port, for AWS_ENDPOINT_URL_STS and
 * AWS_ENDPOINT_URL_S3. `reply` decides each answer; the requests are recorded.
 */
export async function startFakeAws(reply: (request: FakeRequest) => FakeReply): Promise<FakeAws> {
  const requests: FakeRequest[] = [];
  const hanging: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const action = /(?:^|&)Action=(\w+)/.exec(body)?.[1];
      const request: FakeRequest = {
        service: action ? 'sts' : 's3',
        action: action ?? (req.url?.includes('list-type=2') ? 'ListObjectsV2' : 'unknown'),
        url: req.url ?? '',
        body,
        headers: req.headers,
      };
      requests.push(request);
      const answer = reply(request);
      if (answer.hang) {
        hanging.push(() => send(req, res, { ...reply(request), hang: false }));
        return;
      }
      send(req, res, answer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    release() {
      for (const answer of hanging.splice(0)) answer();
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function send(req: IncomingMessage, res: ServerResponse, answer: FakeReply): void {
  if (answer.drop) {
    req.socket.destroy();
    return;
  }
  res.statusCode = answer.status ?? 200;
  res.setHeader('content-type', 'text/xml');
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  res.end(answer.body ?? '');
}

export const xml = {
  assumeRole(secrets: Secrets, account: string, expiresInMs = 3_600_000): string {
    const expiration = new Date(Date.now() + expiresInMs).toISOString();
    return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId><Arn>arn:aws:sts::${account}:assumed-role/cross-account-demo-target/s</Arn></AssumedRoleUser><Credentials><AccessKeyId>${secrets.accessKeyId}</AccessKeyId><SecretAccessKey>${secrets.secretAccessKey}</SecretAccessKey><SessionToken>${secrets.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>req-assume</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  },
  callerIdentity(account: string): string {
    return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:sts::${account}:assumed-role/cross-account-demo-target/s</Arn><UserId>AROAEXAMPLE:s</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-identity</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
  },
  stsError(code: string, message: string): string {
    return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-sts-error</RequestId></ErrorResponse>`;
  },
  listObjects(bucket: string, keys: readonly string[]): string {
    const contents = keys
      .map((key) => `<Contents><Key>${key}</Key><Size>1</Size></Contents>`)
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><KeyCount>${keys.length}</KeyCount><MaxKeys>50</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
  },
  s3Error(code: string, message: string, extra = ''): string {
    return `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>req-s3-error</RequestId></Error>`;
  },
};
