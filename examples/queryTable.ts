// Example job: Query one DynamoDB table in each target account, by partition key. It proves the
// job seam with a service of another protocol family (DynamoDB speaks AWS JSON 1.0, S3 REST-XML)
// and is not what the function runs: README, "Make it yours", copies it to job/queryTable.ts and
// points job/index.ts at it. It lives directly under examples/, a sibling of job/ and src/, so its
// imports (`../src/...`) are the same here and there: the walkthrough is a plain `cp`, and
// `npm run typecheck`, Biome and the unit tests cover this very file.
import { type AttributeValue, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ConfigError, EventValidationError } from '../src/errors';
import { integerField, isWellFormedText, refuseUnpairedSurrogate } from '../src/event';
import { defineJob, type JobTarget } from '../src/job';
import { describeType, quote } from '../src/redact';

export interface QueryTableConfig {
  /** TARGET_TABLE: the table's name, the same in every target account. */
  readonly table: string;
  /** TARGET_PARTITION_KEY: the name of the table's partition key attribute. */
  readonly partitionKey: string;
}

export interface QueryRequest {
  /** The partition key value (a string attribute). */
  readonly key: string;
  readonly limit: number;
}

export interface QueryResult {
  readonly table: string;
  /** The items as DynamoDB returns them (AttributeValue maps, e.g. `{ "pk": { "S": "a" } }`). */
  readonly items: Record<string, AttributeValue>[];
  readonly count: number;
  /** True when DynamoDB stopped before the end of the partition (LastEvaluatedKey was set). */
  readonly truncated: boolean;
}

export const DEFAULT_TABLE = 'cross-account-demo';
export const DEFAULT_PARTITION_KEY = 'pk';
export const DEFAULT_LIMIT = 25;
const LIMIT_MAX = 100;
/** DynamoDB's limit on a partition key value, in bytes of UTF-8. */
const KEY_BYTES_MAX = 2048;
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const ATTRIBUTE_NAME_MAX = 255;

const TARGET_TABLE_HINT = `set --param targetTable=<table name> (default ${DEFAULT_TABLE})`;
const TARGET_PARTITION_KEY_HINT = `set --param targetPartitionKey=<attribute name> (default ${DEFAULT_PARTITION_KEY})`;

export const queryTable = defineJob<
  QueryTableConfig,
  QueryRequest,
  { dynamodb: DynamoDBClient },
  QueryResult
>({
  name: 'queried target table',
  parameters: {
    targetTable: { variable: 'TARGET_TABLE', default: DEFAULT_TABLE, hint: TARGET_TABLE_HINT },
    targetPartitionKey: {
      variable: 'TARGET_PARTITION_KEY',
      default: DEFAULT_PARTITION_KEY,
      hint: TARGET_PARTITION_KEY_HINT,
    },
  },
  loadConfig(env) {
    return {
      table: tableOf(env.TARGET_TABLE?.trim() || undefined),
      partitionKey: partitionKeyOf(env.TARGET_PARTITION_KEY?.trim() || undefined),
    };
  },

  eventFields: ['key', 'limit'],
  parseEvent(fields) {
    return { key: keyOf(fields.key), limit: limitOf(fields.limit) };
  },

  // Query is authorised by dynamodb:Query on the table; the job makes no other call.
  permissions: [
    {
      action: 'dynamodb:Query',
      resource: 'arn:{partition}:dynamodb:{region}:{accountId}:table/{table}',
    },
  ],
  resourceNames: (config) => ({ table: config.table }),
  targetStackParameters: (config) => ({ TableName: config.table }),

  clients: (factory) => ({ dynamodb: factory.client(DynamoDBClient) }),

  async run({ target, config, request, clients, abortSignal, step }) {
    const { table } = config;
    const answer = await step(
      {
        name: 'query-table',
        action: 'dynamodb:Query',
        resource: tableArn(target, table),
        describe: `table ${table}`,
      },
      () =>
        clients.dynamodb.send(
          new QueryCommand({
            TableName: table,
            // Placeholders, so that any attribute name works (reserved words included).
            KeyConditionExpression: '#k = :v',
            ExpressionAttributeNames: { '#k': config.partitionKey },
            ExpressionAttributeValues: { ':v': { S: request.key } },
            Limit: request.limit,
          }),
          { abortSignal },
        ),
    );
    const items = answer.Items ?? [];
    return {
      table,
      items,
      count: answer.Count ?? items.length,
      truncated: answer.LastEvaluatedKey !== undefined,
    };
  },

  explain(error, _step, { target, config }) {
    const { table } = config;
    if (error.name === 'ResourceNotFoundException') {
      return {
        code: 'TableNotFound',
        message:
          `Table ${table} does not exist in account ${target.account} in ${target.region} (or is ` +
          `not active yet). Create it there, set --param targetTable to a table that account ` +
          'owns, or set --param targetRegions to the region of the table.',
      };
    }
    if (error.name === 'AccessDeniedException') {
      return {
        code: 'TargetAccessDenied',
        message:
          `${target.roleArn} may not dynamodb:Query table ${table} in account ${target.account}. ` +
          "The target role's permission policy covers only the table named by the target " +
          "stack's TableName parameter; this function queries --param targetTable=" +
          `${table}. Deploy the target stack with TableName=${table} (or change the parameter), ` +
          'and check any SCP, RCP or resource policy of the table in the target account.',
      };
    }
    return undefined;
  },

  summarize: (result) => ({ items: result.count, truncated: result.truncated }),
});

function tableArn(target: JobTarget, table: string): string {
  return `arn:${target.partition}:dynamodb:${target.region}:${target.account}:table/${table}`;
}

function tableOf(value: string | undefined): string {
  if (value === undefined) {
    throw new ConfigError('TARGET_TABLE', `TARGET_TABLE is missing; ${TARGET_TABLE_HINT}`);
  }
  if (!TABLE_NAME.test(value)) {
    const problem = value.startsWith('arn:')
      ? 'a table name, not an ARN'
      : '3 to 255 of the characters a-z, A-Z, 0-9, underscore, hyphen and dot';
    throw new ConfigError(
      'TARGET_TABLE',
      `TARGET_TABLE must be ${problem}; got ${quote(value, 128)}; ${TARGET_TABLE_HINT}`,
    );
  }
  return value;
}

function partitionKeyOf(value: string | undefined): string {
  if (value === undefined) {
    throw new ConfigError(
      'TARGET_PARTITION_KEY',
      `TARGET_PARTITION_KEY is missing; ${TARGET_PARTITION_KEY_HINT}`,
    );
  }
  if (value.length > ATTRIBUTE_NAME_MAX || !isWellFormedText(value)) {
    throw new ConfigError(
      'TARGET_PARTITION_KEY',
      `TARGET_PARTITION_KEY must be an attribute name of 1 to ${ATTRIBUTE_NAME_MAX} characters; ` +
        `got ${quote(value, 128)}; ${TARGET_PARTITION_KEY_HINT}`,
    );
  }
  return value;
}

function keyOf(value: unknown): string {
  if (value === undefined) {
    throw new EventValidationError(
      'key',
      'key is required: the partition key value to query, a string',
    );
  }
  if (typeof value !== 'string') {
    throw new EventValidationError('key', `key must be a string; got ${describeType(value)}`);
  }
  if (value === '') {
    throw new EventValidationError('key', 'key must not be empty');
  }
  refuseUnpairedSurrogate('key', value);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > KEY_BYTES_MAX) {
    throw new EventValidationError(
      'key',
      `key must be at most ${KEY_BYTES_MAX} bytes of UTF-8 (DynamoDB's limit on a partition key); got ${bytes}`,
    );
  }
  return value;
}

function limitOf(value: unknown): number {
  return integerField('limit', value, { fallback: DEFAULT_LIMIT, min: 1, max: LIMIT_MAX });
}
