// The REST-XML writer, through the SDK's own reader: S3's client (the one REST-XML client installed;
// S3 itself is emulated, so this goes through a bare HTTP server) reads what serializeOutput wrote
// for an operation with a header binding and an XML body.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { sdkService, serializeOutput } from '@cross-account-lambda/offline/standin/sdkServices';

let server: Server;
let answer: { status: number; headers: Record<string, string>; body: string | Uint8Array };

beforeAll(async () => {
  server = createServer((_, response) => {
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('writes REST-XML bindings: a member bound to a header, the rest in the XML body', async () => {
  const s3 = sdkService('s3');
  const operation = s3?.operations.get('GetObjectTagging');
  if (!s3 || !operation) throw new Error('@aws-sdk/client-s3 has no GetObjectTagging');
  expect(s3.protocol).toBe('rest-xml');
  answer = serializeOutput(
    s3,
    operation,
    { VersionId: 'v-7', TagSet: [{ Key: 'team', Value: 'data' }] },
    'req-1',
  );
  expect(answer.headers['x-amz-version-id']).toBe('v-7');
  const { port } = server.address() as AddressInfo;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    maxAttempts: 1,
  });
  const read = await client.send(new GetObjectTaggingCommand({ Bucket: 'b', Key: 'k' }));
  expect(read.VersionId).toBe('v-7');
  expect(read.TagSet).toEqual([{ Key: 'team', Value: 'data' }]);
});
