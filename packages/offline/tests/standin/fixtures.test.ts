// The fixture file format and the reading of a call to a non-emulated service: what a job ships
// as data, checked with messages that name the file, the entry and the field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandInError } from '@cross-account-lambda/offline/standin';
import {
  findFixture,
  loadFixtureFiles,
  parseFixtureDocument,
} from '@cross-account-lambda/offline/standin/fixtures';
import type { ReceivedRequest } from '@cross-account-lambda/offline/standin/request';
import {
  iamActionOf,
  identifyCall,
  matchPath,
  resourceOf,
} from '@cross-account-lambda/offline/standin/serviceCall';

const SCOPE = { partition: 'aws', region: 'eu-west-1', accountId: '222222222222' };

function request(parts: Partial<ReceivedRequest> & { body?: Buffer }): ReceivedRequest {
  return { method: 'POST', rawPath: '/', query: {}, headers: {}, body: Buffer.alloc(0), ...parts };
}

describe('fixture files', () => {
  it.each([
    [[], 'must hold an object'],
    [{ fixture: [] }, 'unknown field(s) fixture'],
    [{ fixtures: {} }, '"fixtures" must be an array'],
    [
      { fixtures: [{ operation: 'Query', output: {} }] },
      'f.json#fixtures[0].operation must be "<service>:<Operation>"',
    ],
    [
      { fixtures: [{ operation: 'dynamodb:Query' }] },
      'f.json#fixtures[0] must have exactly one of "output"',
    ],
    [
      {
        fixtures: [{ operation: 'dynamodb:Query', output: {}, error: { code: 'X', message: 'y' } }],
      },
      'exactly one of',
    ],
    [
      { fixtures: [{ operation: 'dynamodb:Query', error: { code: 'X' } }] },
      '.error must be { "code"',
    ],
    [
      { fixtures: [{ operation: 'dynamodb:Query', output: {}, account: '2222' }] },
      '.account must be a 12-digit',
    ],
    [
      { fixtures: [{ operation: 'dynamodb:Query', output: {}, Resource: '*' }] },
      'unknown field(s) Resource',
    ],
    [
      { operations: [{ operation: 'lambda:Invoke', http: { method: 'SEND', path: '/x' } }] },
      'f.json#operations[0].http.method must be GET',
    ],
    [
      { operations: [{ operation: 'lambda:Invoke', action: 'Invoke' }] },
      '.action must be an IAM action',
    ],
    [
      { resources: [{ arn: 'arn:aws:secretsmanager:us-east-1:222222222222:secret:db-*' }] },
      "f.json#resources[0].arn must be the resource's full ARN as AWS gives it, without wildcards",
    ],
    [
      { resources: [{ arn: 'arn:aws:kms:us-east-1:222222222222:key/k', aliases: ['orders'] }] },
      'f.json#resources[0].aliases must be a list of KMS alias names such as "alias/orders"',
    ],
    [
      { resources: [{ arn: 'arn:aws:kms:us-east-1:222222222222:key/k', policy: {} }] },
      "f.json#resources[0].policy must be the resource's policy document",
    ],
  ])('refuses %j, naming the entry and the field', (document, message) => {
    expect(() => parseFixtureDocument(document, 'f.json')).toThrow(StandInError);
    expect(() => parseFixtureDocument(document, 'f.json')).toThrow(message);
  });

  it('names a file that is not JSON, and the file to add fixtures to', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xacct-fixtures-test-'));
    try {
      const path = join(dir, 'broken.fixtures.json');
      writeFileSync(path, '{ "fixtures": [ }');
      expect(() => loadFixtureFiles([{ path, shown: 'job/broken.fixtures.json' }])).toThrow(
        /^job\/broken\.fixtures\.json is not JSON/,
      );
      writeFileSync(path, '{ "fixtures": [] }');
      expect(loadFixtureFiles([{ path, shown: 'job/broken.fixtures.json' }]).addTo).toBe(
        'job/broken.fixtures.json',
      );
      expect(loadFixtureFiles([]).addTo).toBe('job/fixtures.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows the resources named in full, in "resources" and as the resource of a fixture', () => {
    const secret = 'arn:aws:secretsmanager:us-east-1:222222222222:secret:db-AbCdEf';
    const other = 'arn:aws:secretsmanager:us-east-1:222222222222:secret:api-XyZ123';
    const { resources } = parseFixtureDocument(
      {
        resources: [{ arn: secret }],
        fixtures: [
          { operation: 'secretsmanager:GetSecretValue', resource: other, output: {} },
          { operation: 'secretsmanager:GetSecretValue', resource: '*:secret:x-*', output: {} },
        ],
      },
      'f.json',
    );
    expect(resources.map((r) => [r.arn, r.source])).toEqual([
      [secret, 'f.json#resources[0]'],
      [other, 'f.json#fixtures[0]'],
    ]);
  });

  it('refuses an output for a service without an installed SDK client, saying what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xacct-fixtures-test-'));
    try {
      const path = join(dir, 'x.fixtures.json');
      writeFileSync(
        path,
        JSON.stringify({ fixtures: [{ operation: 'nosuchsvc:Get', output: {} }] }),
      );
      expect(() => loadFixtureFiles([{ path, shown: 'job/x.fixtures.json' }])).toThrow(
        /job\/x\.fixtures\.json#fixtures\[0\]: "output" is written with nosuchsvc:Get's output schema from the SDK client of signing name nosuchsvc, and none is installed: install the client/,
      );
      // A raw body needs no schema.
      writeFileSync(
        path,
        JSON.stringify({ fixtures: [{ operation: 'nosuchsvc:Get', body: 'x' }] }),
      );
      expect(loadFixtureFiles([{ path, shown: 'job/x.fixtures.json' }]).fixtures).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches operation, resource wildcards, account and a subset of the input, first match first', () => {
    const { fixtures, operations } = parseFixtureDocument(
      {
        fixtures: [
          {
            operation: 'dynamodb:Query',
            resource: 'arn:aws:dynamodb:*:*:table/orders',
            input: { ExpressionAttributeValues: { ':v': { S: 'c-1' } } },
            output: { Count: 1 },
          },
          { operation: 'dynamodb:Query', account: '333333333333', output: { Count: 3 } },
          { operation: 'dynamodb:Query', resource: '*:table/ord?rs', output: { Count: 0 } },
        ],
      },
      'f.json',
    );
    const set = { fixtures, operations, resources: [], files: ['f.json'], addTo: 'f.json' };
    const call = (account: string, table: string, key: string) =>
      findFixture(set, {
        operation: 'dynamodb:Query',
        account,
        resource: `arn:aws:dynamodb:eu-west-1:${account}:table/${table}`,
        parameters: { TableName: table, ExpressionAttributeValues: { ':v': { S: key } }, Limit: 5 },
      })?.output;
    expect(call('222222222222', 'orders', 'c-1')).toEqual({ Count: 1 });
    expect(call('222222222222', 'orders', 'c-2')).toEqual({ Count: 0 });
    expect(call('333333333333', 'invoices', 'c-1')).toEqual({ Count: 3 });
    expect(call('222222222222', 'invoices', 'c-1')).toBeUndefined();
  });
});

describe('reading a call to a service the stand-in does not emulate', () => {
  it('takes a JSON-protocol operation from X-Amz-Target and the table from TableName', () => {
    const call = identifyCall(
      request({
        headers: { 'x-amz-target': 'DynamoDB_20120810.Query' },
        body: Buffer.from(JSON.stringify({ TableName: 'orders' })),
      }),
      'dynamodb',
      [],
    );
    expect(call).toMatchObject({ protocol: 'json', operation: 'Query' });
    expect(iamActionOf(call)).toBe('dynamodb:Query');
    expect(resourceOf(call, SCOPE).arn).toBe(
      'arn:aws:dynamodb:eu-west-1:222222222222:table/orders',
    );
  });

  it('takes a query-protocol operation from Action, and an SQS queue from its URL', () => {
    const call = identifyCall(
      request({
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: Buffer.from(
          `Action=SendMessage&QueueUrl=${encodeURIComponent('https://sqs.eu-west-1.amazonaws.com/333333333333/jobs')}`,
        ),
      }),
      'sqs',
      [],
    );
    expect(call).toMatchObject({ protocol: 'query', operation: 'SendMessage' });
    expect(resourceOf(call, SCOPE).arn).toBe('arn:aws:sqs:eu-west-1:333333333333:jobs');
  });

  it('reads a REST operation from its declared route (else the SDK schemas), and fills its IAM action and resource from it', () => {
    const { operations } = parseFixtureDocument(
      {
        operations: [
          {
            operation: 'lambda:Invoke',
            action: 'lambda:InvokeFunction',
            resource: 'arn:{partition}:lambda:{region}:{accountId}:function:{FunctionName}',
            http: { method: 'POST', path: '/2015-03-31/functions/{FunctionName}/invocations' },
          },
        ],
      },
      'f.json',
    );
    const invoke = request({ rawPath: '/2015-03-31/functions/report%2Dv2/invocations' });
    const call = identifyCall(invoke, 'lambda', operations);
    expect(call).toMatchObject({ protocol: 'rest-json', operation: 'Invoke' });
    expect(iamActionOf(call)).toBe('lambda:InvokeFunction');
    expect(resourceOf(call, SCOPE).arn).toBe(
      'arn:aws:lambda:eu-west-1:222222222222:function:report-v2',
    );
    // Written as a job writes its permissions, the template fills the same.
    const written = parseFixtureDocument(
      {
        operations: [
          {
            operation: 'lambda:Invoke',
            action: 'lambda:InvokeFunction',
            resource:
              'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}',
          },
        ],
      },
      'f.json',
    ).operations;
    expect(resourceOf(identifyCall(invoke, 'lambda', written), SCOPE).arn).toBe(
      'arn:aws:lambda:eu-west-1:222222222222:function:report-v2',
    );
    // Without a declaration, the route comes from the HTTP binding in the SDK client's schemas.
    expect(identifyCall(invoke, 'lambda', [])).toMatchObject({
      protocol: 'rest-json',
      operation: 'Invoke',
      parameters: { FunctionName: 'report-v2' },
    });
    expect(identifyCall({ ...invoke, method: 'GET' }, 'lambda', operations).operation).toBe(
      'Unknown',
    );
  });

  it('asks for the IAM action where it is not <prefix>:<Operation>, and for the resource where no format fills', () => {
    const invoke = identifyCall(
      request({ rawPath: '/2015-03-31/functions/report/invocations' }),
      'lambda',
      [],
    );
    expect(() => resourceOf(invoke, SCOPE, [], 'job/x.fixtures.json')).toThrow(
      'lambda:Invoke is not an IAM action in the Service Authorization Reference, so the stand-in cannot decide lambda:Invoke: declare its IAM action as { "operation": "lambda:Invoke", "action": "<service>:<Action>" } under "operations" in job/x.fixtures.json',
    );
    const noTable = identifyCall(
      request({ headers: { 'x-amz-target': 'DynamoDB_20120810.Query' } }),
      'dynamodb',
      [],
    );
    expect(() => resourceOf(noTable, SCOPE, [], 'job/x.fixtures.json')).toThrow(
      /cannot tell which resource dynamodb:Query acts on from this request: the Service Authorization Reference gives .*table \(arn:\$\{Partition\}:dynamodb:\$\{Region\}:\$\{Account\}:table\/\$\{TableName\}\).* none fills from its parameters \(none\)/,
    );
  });

  it('matches {Name} within one path segment and {Name+} across segments', () => {
    expect(matchPath('/things/{Id}', '/things/a/b')).toBeUndefined();
    expect(matchPath('/things/{Key+}', '/things/a/b')).toEqual({ Key: 'a/b' });
  });

  it('decides an action without a known resource on *', () => {
    const call = identifyCall(
      request({ headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' } }),
      'dynamodb',
      [],
    );
    expect(resourceOf(call, SCOPE).arn).toBe('*');
  });
});
