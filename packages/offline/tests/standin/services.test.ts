// Services the stand-in does not emulate (here DynamoDB, AWS JSON 1.0, and a query-protocol
// service): every call authenticated and decided by the shared evaluator like STS and S3, then
// answered from the job's fixtures (examples/queryTable.fixtures.json), with AWS's error shapes.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { PolicyModel } from '@cross-account-lambda/offline/iam';
import {
  HOME_CREDENTIALS,
  type StandIn,
  type StandInOptions,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import { loadFixtureFiles } from '@cross-account-lambda/offline/standin/fixtures';
import { upstreamAt } from '@cross-account-lambda/offline/standin/forward';
import { NodeSha256 } from '@cross-account-lambda/offline/standin/hashing';
import { readRequest } from '@cross-account-lambda/offline/standin/request';
import { parseAuthorization, signatureMatches } from '@cross-account-lambda/offline/standin/sigv4';
import { type CfnTemplate, PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  assumedCredentials,
  failureOf,
  pointSdkAt,
  REGION,
  ROLE_ARN,
  SYNTH_TIMEOUT_MS,
  synthesizedTemplate,
  TARGET,
  tableModelOf,
} from './support';

const FIXTURE_FILE = 'examples/queryTable.fixtures.json';
const fixtures = loadFixtureFiles([
  { path: join(PROJECT_ROOT, FIXTURE_FILE), shown: FIXTURE_FILE },
]);
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${TARGET}:table/orders`;

let template: CfnTemplate;
let model: PolicyModel;
const running: StandIn[] = [];

beforeAll(async () => {
  template = await synthesizedTemplate();
  model = await tableModelOf(template);
}, SYNTH_TIMEOUT_MS);

afterEach(async () => {
  await Promise.all(running.splice(0).map((standIn) => standIn.close()));
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
});

async function standInWith(options: Partial<StandInOptions> = {}): Promise<StandIn> {
  const standIn = await startStandIn({ model, fixtures, ...options });
  running.push(standIn);
  pointSdkAt(standIn);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = standIn.url;
  return standIn;
}

const targetCredentials = () =>
  assumedCredentials(HOME_CREDENTIALS, {
    roleArn: ROLE_ARN,
    sessionName: 'fixture-test',
    sourceIdentity: model.sourceIdentity,
  });

function dynamodb(credentials: DynamoDBClientConfig['credentials'], maxAttempts = 1) {
  return new DynamoDBClient({ region: REGION, credentials, maxAttempts });
}

const query = (table: string, key: string) =>
  new QueryCommand({
    TableName: table,
    KeyConditionExpression: '#k = :v',
    ExpressionAttributeNames: { '#k': 'customerId' },
    ExpressionAttributeValues: { ':v': { S: key } },
  });

describe('DynamoDB through the stand-in: decided, then answered from the fixtures', () => {
  it('answers an allowed Query with the fixture that matches the table and the key', async () => {
    const standIn = await standInWith();
    const answer = await dynamodb(await targetCredentials()).send(query('orders', 'c-1'));
    expect(answer.Count).toBe(2);
    expect(answer.Items?.map((item) => item.orderId?.S)).toEqual(['o-1', 'o-2']);
    const other = await dynamodb(await targetCredentials()).send(query('orders', 'nobody'));
    expect(other).toMatchObject({ Count: 0, Items: [] });
    expect(standIn.stats.calls.byAction['dynamodb:Query']).toBe(2);
    expect(standIn.stats.calls.byService.dynamodb).toBe(2);
  });

  it('denies a Query on a table the target role is not granted, as AWS words it', async () => {
    await standInWith();
    const failure = await failureOf(
      dynamodb(await targetCredentials()).send(query('invoices', 'c-1')),
    );
    expect(failure.name).toBe('AccessDeniedException');
    expect(failure.$metadata?.httpStatusCode).toBe(400);
    expect(failure.message).toBe(
      `User: arn:aws:sts::${TARGET}:assumed-role/cross-account-demo-target/fixture-test is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:${REGION}:${TARGET}:table/invoices because no identity-based policy allows the dynamodb:Query action`,
    );
  });

  it('denies the home session: the execution role may only assume target roles', async () => {
    await standInWith();
    const failure = await failureOf(dynamodb(HOME_CREDENTIALS).send(query('orders', 'c-1')));
    expect(failure.name).toBe('AccessDeniedException');
    // A table named without an ARN is the caller's own account's, as in AWS.
    expect(failure.message).toContain(
      `assumed-role/cross-account-lambda-local-us-east-1-exec/crossAccount is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:${REGION}:111111111111:table/orders`,
    );
  });

  it(
    'denies the Query when the target stack grants another table (TableName)',
    async () => {
      const other = await tableModelOf(template, { TableName: 'invoices' });
      await standInWith({ model: other });
      const failure = await failureOf(
        dynamodb(await targetCredentials()).send(query('orders', 'c-1')),
      );
      expect(failure.name).toBe('AccessDeniedException');
    },
    SYNTH_TIMEOUT_MS,
  );

  it('refuses an operation the job does not declare, naming the action to declare', async () => {
    const standIn = await standInWith();
    const failure = await failureOf(
      dynamodb(await targetCredentials()).send(
        new GetItemCommand({ TableName: 'orders', Key: { customerId: { S: 'c-1' } } }),
      ),
    );
    expect(failure.name).toBe('UndeclaredPermission');
    expect(failure.message).toContain('The job called dynamodb:GetItem, which it does not declare');
    expect(standIn.stats.undeclared).toEqual({ 'dynamodb:GetItem': 1 });
  });

  it('says which operation has no fixture and which file to add it to', async () => {
    await standInWith({ fixtures: { ...fixtures, fixtures: [] } });
    const failure = await failureOf(
      dynamodb(await targetCredentials()).send(query('orders', 'c-1')),
    );
    expect(failure.name).toBe('NoOfflineFixture');
    expect(failure.message).toContain(`no fixture for dynamodb:Query on ${TABLE_ARN}`);
    expect(failure.message).toContain(`Add one to ${FIXTURE_FILE}`);
  });

  it('answers an error fixture with that AWS error', async () => {
    const missing = loadFixtureFiles([]);
    await standInWith({
      fixtures: {
        ...missing,
        fixtures: [
          {
            operation: 'dynamodb:Query',
            error: {
              code: 'ResourceNotFoundException',
              message: 'Requested resource not found',
              status: 400,
            },
            source: 'test',
          },
        ],
      },
    });
    const failure = await failureOf(
      dynamodb(await targetCredentials()).send(query('orders', 'c-1')),
    );
    expect(failure.name).toBe('ResourceNotFoundException');
    expect(failure.message).toBe('Requested resource not found');
  });

  it('checks the signature: a wrong secret is InvalidSignatureException, an unknown key UnrecognizedClientException', async () => {
    await standInWith();
    const real = await targetCredentials();
    const wrongSecret = await failureOf(
      dynamodb({ ...real, secretAccessKey: `${real.secretAccessKey}x` }).send(
        query('orders', 'c-1'),
      ),
    );
    expect(wrongSecret.name).toBe('InvalidSignatureException');
    const unknown = await failureOf(
      dynamodb({ accessKeyId: 'ASIAUNKNOWNKEY000000', secretAccessKey: 'x' }).send(
        query('orders', 'c-1'),
      ),
    );
    expect(unknown.name).toBe('UnrecognizedClientException');
  });

  it('applies faults to DynamoDB: a throttled Query is retried by the SDK and then answered', async () => {
    const standIn = await standInWith();
    standIn.faults.add({ kind: 'throttle', service: 'dynamodb', action: 'Query', count: 2 });
    const answer = await dynamodb(await targetCredentials(), 3).send(query('orders', 'c-1'));
    expect(answer.Count).toBe(2);
    expect(answer.$metadata.attempts).toBe(3);
    expect(standIn.stats.errors).toEqual({ ThrottlingException: 2 });
    expect(standIn.stats.faultsInjected.throttle).toBe(2);
  });

  it('applies expiredToken faults to DynamoDB sessions', async () => {
    const standIn = await standInWith();
    standIn.faults.add({ kind: 'expiredToken', service: 'dynamodb' });
    const failure = await failureOf(
      dynamodb(await targetCredentials()).send(query('orders', 'c-1')),
    );
    expect(failure.name).toBe('ExpiredTokenException');
  });
});

describe('a query-protocol service (SNS), signed by hand', () => {
  async function publish(
    standIn: StandIn,
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  ) {
    const url = new URL(standIn.url);
    const body = `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(`arn:aws:sns:${REGION}:${TARGET}:alerts`)}&Message=hi`;
    const signer = new SignatureV4({
      credentials,
      region: REGION,
      service: 'sns',
      sha256: NodeSha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const response = await fetch(standIn.url, { method: 'POST', headers: signed.headers, body });
    return { status: response.status, text: await response.text() };
  }

  it('refuses an undeclared sns:Publish with an XML ErrorResponse, and a forged one as InvalidClientTokenId', async () => {
    const standIn = await standInWith();
    const refused = await publish(standIn, await targetCredentials());
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('<Code>UndeclaredPermission</Code>');
    expect(refused.text).toContain('The job called sns:Publish');
    const forged = await publish(standIn, {
      accessKeyId: 'ASIAUNKNOWNKEY000000',
      secretAccessKey: 'x',
    });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('<Code>InvalidClientTokenId</Code>');
  });
});

describe('forward mode: authorised calls without a fixture go to the upstream emulator', () => {
  interface Received {
    readonly target: string | undefined;
    readonly accessKeyId: string | undefined;
    readonly validSignature: boolean;
    readonly securityToken: string | undefined;
    readonly motoAccount: string | undefined;
    readonly body: string;
  }

  async function recordingUpstream() {
    const received: Received[] = [];
    const server = createServer((incoming: IncomingMessage, response) => {
      readRequest(incoming, 1024 * 1024).then(async (request) => {
        const authorization = parseAuthorization(request.headers.authorization);
        const amzDate = request.headers['x-amz-date'] ?? '';
        const signedAt = Date.UTC(
          Number(amzDate.slice(0, 4)),
          Number(amzDate.slice(4, 6)) - 1,
          Number(amzDate.slice(6, 8)),
          Number(amzDate.slice(9, 11)),
          Number(amzDate.slice(11, 13)),
          Number(amzDate.slice(13, 15)),
        );
        received.push({
          target: request.headers['x-amz-target'],
          accessKeyId: authorization?.accessKeyId,
          // The upstream's own credentials: the account id as key, LocalStack's `test` secret.
          validSignature:
            authorization !== undefined &&
            (await signatureMatches(
              { ...request, headers: { ...request.headers } },
              authorization,
              { accessKeyId: authorization.accessKeyId, secretAccessKey: 'test' },
              signedAt,
            )),
          securityToken: request.headers['x-amz-security-token'],
          motoAccount: request.headers['x-moto-account-id'],
          body: request.body.toString('utf8'),
        });
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ Items: [{ customerId: { S: 'from-upstream' } }], Count: 1 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      received,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('re-signs with the upstream credentials of the target account; a denied call never reaches it', async () => {
    const upstream = await recordingUpstream();
    try {
      await standInWith({ fixtures: loadFixtureFiles([]), upstream: upstreamAt(upstream.url) });
      const credentials = await targetCredentials();
      const answer = await dynamodb(credentials).send(query('orders', 'c-1'));
      expect(answer.Items).toEqual([{ customerId: { S: 'from-upstream' } }]);
      const denied = await failureOf(dynamodb(credentials).send(query('invoices', 'c-1')));
      expect(denied.name).toBe('AccessDeniedException');
      expect(upstream.received).toHaveLength(1);
      const [call] = upstream.received;
      expect(call).toMatchObject({
        target: 'DynamoDB_20120810.Query',
        accessKeyId: TARGET,
        validSignature: true,
        securityToken: undefined,
        motoAccount: TARGET,
      });
      expect(JSON.parse(call?.body ?? '{}')).toMatchObject({ TableName: 'orders' });
      // The function's session credentials never reach the emulator.
      expect(JSON.stringify(upstream.received)).not.toContain(credentials.accessKeyId);
    } finally {
      await upstream.close();
    }
  });

  it('serves a fixture before forwarding, and says so clearly when the upstream is down', async () => {
    const upstream = await recordingUpstream();
    await standInWith({ upstream: upstreamAt(upstream.url) });
    const credentials = await targetCredentials();
    expect((await dynamodb(credentials).send(query('orders', 'c-1'))).Count).toBe(2);
    expect(upstream.received).toHaveLength(0);
    await upstream.close();
    await standInWith({ fixtures: loadFixtureFiles([]), upstream: upstreamAt(upstream.url) });
    const failure = await failureOf(
      dynamodb(await targetCredentials()).send(query('orders', 'c-1')),
    );
    expect(failure.name).toBe('UpstreamUnavailable');
    expect(failure.message).toContain(`the upstream emulator at ${upstream.url} did not answer`);
  });

  it('refuses an upstream that is not a base URL', () => {
    expect(() => upstreamAt('localhost:4566')).toThrow(/--upstream must be/);
    expect(() => upstreamAt('http://localhost:4566/path')).toThrow(/without path/);
  });
});
