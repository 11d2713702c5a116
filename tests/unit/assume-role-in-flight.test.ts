// requestSent() through the SDK's real wire path: an HTTP server on 127.0.0.1 plays STS and
// answers AssumeRole only when the test says so, so "sent" and "answered" are two moments.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTargetSessions } from '../../src/credentials';
import { createLogger } from '../../src/logger';
import { roleArn, TARGET_A } from './fixtures';

const saved = { ...process.env };
let answer: (() => void)[] = [];
let received = 0;
const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  received += 1;
  request.resume();
  answer.push(() => {
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end(
      '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
        '<Credentials><AccessKeyId>ASIAEXAMPLEKEY000001</AccessKeyId>' +
        '<SecretAccessKey>in-flight-test-secret</SecretAccessKey><SessionToken>in-flight-test-token</SessionToken>' +
        `<Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${TARGET_A}:assumed-role/cross-account-demo-target/s</Arn>` +
        '<AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId></AssumedRoleUser></AssumeRoleResult>' +
        '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>',
    );
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEHOME00001',
    AWS_SECRET_ACCESS_KEY: 'in-flight-test-home-secret',
  });
});

afterAll(async () => {
  process.env = saved;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  answer = [];
  received = 0;
});

const session = () =>
  createTargetSessions({
    homeRegion: 'us-east-1',
    externalId: undefined,
    sourceIdentity: 'cross-account-lambda-local-crossAccount',
    sessionDurationSeconds: 900,
    functionName: 'cross-account-lambda-local-crossAccount',
    logger: createLogger({ sink: () => {} }),
  }).get(roleArn(TARGET_A), 'req-1');

const settledYet = async (promise: Promise<unknown>) => {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
};

describe('requestSent(): what may run while AssumeRole is on the wire', () => {
  it('resolves once the AssumeRole request is out, while its answer is still awaited', async () => {
    const target = session();
    const credentials = target.ensureCredentials();
    await target.requestSent();
    expect(await settledYet(credentials)).toBe(false);
    // The server holds the request it was sent; answering it settles the credential.
    while (received === 0) await new Promise((resolve) => setImmediate(resolve));
    for (const respond of answer) respond();
    await expect(credentials).resolves.toBeUndefined();
  });

  it('resolves at once when no AssumeRole is in flight', async () => {
    const target = session();
    const credentials = target.ensureCredentials();
    while (received === 0) await new Promise((resolve) => setImmediate(resolve));
    for (const respond of answer) respond();
    await credentials;
    expect(await settledYet(target.requestSent())).toBe(true);
    expect(received).toBe(1);
  });
});
