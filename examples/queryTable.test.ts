// The example DynamoDB job (examples/queryTable.ts) run by the real core (createHandler) with
// mocked STS and DynamoDB clients: its configuration, its event, the Query it sends and how it
// explains DynamoDB's failures.
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type CrossAccountResponse,
  createHandler,
  loadAllConfig,
} from '@cross-account-lambda/core';
import {
  assumedCredentials,
  captureOutput,
  lambdaContext,
  logRecords,
  roleArn,
  SECRETS,
  TARGET_A,
  TARGET_B,
  validEnv,
} from '@cross-account-lambda/offline/testing/fixtures';
import { mockClient } from 'aws-sdk-client-mock';
import { queryTable } from './queryTable';

const sts = mockClient(STSClient);
const dynamodb = mockClient(DynamoDBClient);

afterEach(() => {
  sts.reset();
  dynamodb.reset();
});

afterAll(() => {
  sts.restore();
  dynamodb.restore();
});

/** The environment serverless.yml sets for this job: no TARGET_BUCKET, the table's variables. */
function queryEnv(overrides: Record<string, string | undefined> = {}) {
  return validEnv({
    TARGET_BUCKET: undefined,
    TARGET_ACCOUNT_IDS: `${TARGET_A},${TARGET_B}`,
    TARGET_TABLE: 'orders',
    TARGET_PARTITION_KEY: 'customerId',
    ...overrides,
  });
}

const awsError = (name: string, message: string, httpStatusCode = 400) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode, attempts: 1 } });

function answerAssumeRole() {
  sts.on(AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
    const account = /iam::(\d{12}):/.exec(input.RoleArn)?.[1] ?? 'unknown';
    return assumedCredentials(
      { ...SECRETS, accessKeyId: `ASIA${account}0000` },
      undefined,
      account,
    );
  });
}

async function invoke(event: unknown, env = queryEnv()) {
  const { handler } = createHandler(queryTable, env);
  return captureOutput(() => handler(event, lambdaContext('req-1')));
}

function configErrorOf(env: Record<string, string | undefined>) {
  try {
    createHandler(queryTable, queryEnv(env));
  } catch (error) {
    return error as Error & { code?: string; variable?: string };
  }
  throw new Error('the cold start accepted the configuration');
}

describe('the DynamoDB example job: configuration (cold start)', () => {
  it('defaults to the table cross-account-demo and the partition key pk', () => {
    expect(queryTable.params.targetTable).toMatchObject({
      variable: 'TARGET_TABLE',
      default: 'cross-account-demo',
    });
    expect(queryTable.params.targetPartitionKey).toMatchObject({
      variable: 'TARGET_PARTITION_KEY',
      default: 'pk',
    });
  });

  it.each([
    ['too short', 'ab', /3 to 255 of a-z/],
    ['too long', 'a'.repeat(256), /3 to 255 of a-z/],
    ['with a slash', 'orders/2024', /3 to 255 of a-z/],
    ['an ARN', 'arn:aws:dynamodb:us-east-1:222222222222:table/orders', /not an ARN/],
  ])('refuses a TARGET_TABLE that is %s, naming the variable', (_case, value, problem) => {
    const error = configErrorOf({ TARGET_TABLE: value });
    expect(error.name).toBe('ConfigError');
    expect(error.variable).toBe('TARGET_TABLE');
    expect(error.message).toMatch(problem);
    expect(error.message).toContain('--param targetTable=');
  });

  it('accepts a table name of 3 to 255 of [a-zA-Z0-9_.-]', () => {
    for (const table of ['abc', 'My_Table.v2-prod', 'a'.repeat(255)]) {
      expect(() => createHandler(queryTable, queryEnv({ TARGET_TABLE: table }))).not.toThrow();
    }
  });

  it.each([
    ['a lone surrogate', '\uD800', /unpaired surrogate/],
    ['too long', 'k'.repeat(256), /at most 255 characters/],
  ])('refuses a TARGET_PARTITION_KEY that is %s, naming the variable', (_case, value, problem) => {
    const error = configErrorOf({ TARGET_PARTITION_KEY: value });
    expect(error.name).toBe('ConfigError');
    expect(error.variable).toBe('TARGET_PARTITION_KEY');
    expect(error.message).toMatch(problem);
    expect(error.message).toContain('--param targetPartitionKey=');
  });
});

describe('the DynamoDB example job: the event', () => {
  it.each([
    ['no key', {}, 'key', /key is required/],
    ['a key that is not a string', { key: 42 }, 'key', /key must be a string; got the number 42/],
    ['an empty key', { key: '' }, 'key', /must not be empty/],
    ['a key over 2048 bytes', { key: 'é'.repeat(1025) }, 'key', /at most 2048 bytes.*got 2050/],
    ['a lone surrogate in the key', { key: 'a\uD800' }, 'key', /unpaired surrogate/],
    ['a limit of 0', { key: 'a', limit: 0 }, 'limit', /integer from 1 to 100; got the number 0/],
    ['a limit of 101', { key: 'a', limit: 101 }, 'limit', /integer from 1 to 100/],
    ['a fractional limit', { key: 'a', limit: 2.5 }, 'limit', /integer from 1 to 100/],
    ['a limit given as text', { key: 'a', limit: '10' }, 'limit', /integer from 1 to 100/],
  ])('refuses %s, naming the field', async (_case, event, field, problem) => {
    answerAssumeRole();
    const { error } = await invoke(event);
    expect(error).toMatchObject({ name: 'EventValidationError', field });
    expect((error as Error).message).toMatch(problem);
    expect(sts.calls()).toHaveLength(0);
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it('has the core refuse a field the job does not declare, listing the allowed ones', async () => {
    const { error } = await invoke({ key: 'a', prefix: 'x/' });
    expect(error).toMatchObject({ name: 'EventValidationError', field: '"prefix"' });
    expect((error as Error).message).toContain('allowed fields are key, limit, accounts');
  });
});

describe('the DynamoDB example job: the Query', () => {
  it('queries the table by partition key in every account, with the assumed credentials', async () => {
    answerAssumeRole();
    dynamodb.on(QueryCommand).resolves({
      Items: [{ customerId: { S: 'c-1' }, orderId: { S: 'o-1' }, total: { N: '12.5' } }],
      Count: 1,
      LastEvaluatedKey: { customerId: { S: 'c-1' }, orderId: { S: 'o-1' } },
    });
    const { result, error } = await invoke({ key: 'c-1', limit: 10 });
    expect(error).toBeUndefined();
    const response = result as CrossAccountResponse;
    expect(response.summary).toEqual({ succeeded: 2, failed: 0 });
    expect(response.results[0]).toEqual({
      account: TARGET_A,
      region: 'eu-west-1',
      ok: true,
      assumedRoleArn: `arn:aws:sts::${TARGET_A}:assumed-role/cross-account-demo-target/session`,
      table: 'orders',
      items: [{ customerId: { S: 'c-1' }, orderId: { S: 'o-1' }, total: { N: '12.5' } }],
      count: 1,
      truncated: true,
    });
    const queries = dynamodb.commandCalls(QueryCommand);
    expect(queries).toHaveLength(2);
    for (const call of queries) {
      expect(call.args[0].input).toEqual({
        TableName: 'orders',
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': 'customerId' },
        ExpressionAttributeValues: { ':v': { S: 'c-1' } },
        Limit: 10,
      });
    }
    // Each account's Query signs with that account's credentials, in the target region.
    const keyIds = await Promise.all(
      queries.map(async (call) => {
        const client = call.thisValue as DynamoDBClient;
        expect(await client.config.region()).toBe('eu-west-1');
        return (await client.config.credentials()).accessKeyId;
      }),
    );
    expect(keyIds.sort()).toEqual([`ASIA${TARGET_A}0000`, `ASIA${TARGET_B}0000`]);
    expect(sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleArn)).toEqual([
      roleArn(TARGET_A),
      roleArn(TARGET_B),
    ]);
  });

  it('asks for 25 items by default and reports an untruncated, empty answer', async () => {
    answerAssumeRole();
    dynamodb.on(QueryCommand).resolves({ Items: [], Count: 0 });
    const { result, output } = await invoke({ key: 'nobody', accounts: [TARGET_B] });
    expect(dynamodb.commandCalls(QueryCommand)[0]?.args[0].input.Limit).toBe(25);
    expect((result as CrossAccountResponse).results).toEqual([
      expect.objectContaining({
        account: TARGET_B,
        table: 'orders',
        items: [],
        count: 0,
        truncated: false,
      }),
    ]);
    // summarize: the log line counts items, it never carries them.
    const logged = logRecords(output).find((record) => record.message === 'target account done');
    expect(logged).toMatchObject({ account: TARGET_B, items: 0, truncated: false });
  });

  it('declares exactly dynamodb:Query on the table, as the target template writes it, and TableName', () => {
    const { targets, jobConfig, namesOf } = loadAllConfig(queryTable, queryEnv());
    const [target] = targets;
    if (!target) throw new Error('no target');
    expect(queryTable.permissions).toEqual({
      query: {
        action: 'dynamodb:Query',
        resource:
          'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}',
      },
    });
    const names = namesOf(target);
    expect(names).toMatchObject({ TableName: 'orders' });
    expect(queryTable.targetStack(jobConfig, target, names)).toEqual({ TableName: 'orders' });
  });
});

describe('the DynamoDB example job: failures', () => {
  async function failureOf(error: Error) {
    answerAssumeRole();
    dynamodb.on(QueryCommand).rejects(error);
    const { error: thrown } = await invoke({ key: 'c-1', accounts: [TARGET_A] });
    expect(thrown).toMatchObject({ name: 'AllTargetsFailedError' });
    const [failure] = (thrown as { failures: { code: string; message: string; step: string }[] })
      .failures;
    return failure;
  }

  it('explains a missing table: which table, account and region, and --param targetTable', async () => {
    const failure = await failureOf(
      awsError('ResourceNotFoundException', 'Requested resource not found'),
    );
    expect(failure).toMatchObject({ code: 'TableNotFound', step: 'query' });
    expect(failure?.message).toContain(
      `Table orders does not exist in account ${TARGET_A} in eu-west-1`,
    );
    expect(failure?.message).toContain('--param targetTable');
  });

  it("explains a denied Query: the role, the action, the table and the target stack's TableName", async () => {
    const failure = await failureOf(
      awsError(
        'AccessDeniedException',
        `User: arn:aws:sts::${TARGET_A}:assumed-role/cross-account-demo-target/s is not authorized to perform: dynamodb:Query`,
      ),
    );
    expect(failure).toMatchObject({ code: 'TargetAccessDenied', step: 'query' });
    expect(failure?.message).toContain(
      `${roleArn(TARGET_A)} may not dynamodb:Query on arn:aws:dynamodb:eu-west-1:${TARGET_A}:table/orders`,
    );
    expect(failure?.message).toContain('resources/cross-account-role.yml');
  });

  it('leaves any other DynamoDB failure to the core', () => {
    const target = {
      account: TARGET_A,
      roleArn: roleArn(TARGET_A),
      region: 'eu-west-1',
      partition: 'aws',
    };
    const config = { targetTable: 'orders', targetPartitionKey: 'pk' };
    const step = { name: 'query', action: 'dynamodb:Query', resource: 'arn' };
    expect(
      queryTable.explain?.(
        { name: 'ValidationException', message: 'bad key', httpStatusCode: 400 },
        step,
        { target, config, names: { TableName: 'orders' } },
      ),
    ).toBeUndefined();
  });
});
