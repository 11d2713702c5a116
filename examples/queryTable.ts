// Example job: Query one DynamoDB table in each target account, by partition key (AWS JSON
// protocol, where the shipped S3 job is REST-XML). README, "Make it yours", switches to it.
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  defineJob,
  integer,
  isWellFormedText,
  matching,
  optional,
  quote,
  text,
} from '@cross-account-lambda/core';
import * as v from 'valibot';

export const queryTable = defineJob({
  params: {
    targetTable: optional(
      matching(/^[\w.-]{3,255}$/, 'be a table name (3 to 255 of a-z, A-Z, 0-9, _ - .), not an ARN'),
      'cross-account-demo',
    ),
    targetPartitionKey: optional(text(255, { min: 1 }), 'pk'),
  },
  event: {
    // Any Standard Schema library works beside the kit's: valibot here. DynamoDB takes at most
    // 2048 bytes of UTF-8 in a partition key.
    key: v.pipe(
      v.string((issue) => `must be a string; got ${quote(issue.input)}`),
      v.minLength(1, 'must not be empty'),
      v.check(isWellFormedText, 'must be valid Unicode text (it has an unpaired surrogate)'),
      v.check(
        (key) => Buffer.byteLength(key) <= 2048,
        (issue) => `must be at most 2048 bytes of UTF-8; got ${Buffer.byteLength(issue.input)}`,
      ),
    ),
    limit: optional(integer(1, 100), 25),
  },
  permissions: {
    query: {
      action: 'dynamodb:Query',
      resource:
        'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}',
    },
  },
  names: ({ targetTable }) => ({ TableName: targetTable }),

  async run({ config, event, client, step, abortSignal }) {
    const dynamodb = client(DynamoDBClient);
    const answer = await step('query', () =>
      dynamodb.send(
        new QueryCommand({
          TableName: config.targetTable,
          // Placeholders, so that any attribute name works (reserved words included).
          KeyConditionExpression: '#k = :v',
          ExpressionAttributeNames: { '#k': config.targetPartitionKey },
          ExpressionAttributeValues: { ':v': { S: event.key } },
          Limit: event.limit,
        }),
        { abortSignal },
      ),
    );
    const items = answer.Items ?? [];
    return {
      table: config.targetTable,
      items,
      count: answer.Count ?? items.length,
      truncated: answer.LastEvaluatedKey !== undefined,
    };
  },

  explain(error, _step, { target, config }) {
    if (error.name !== 'ResourceNotFoundException') return undefined;
    return {
      code: 'TableNotFound',
      message: `Table ${config.targetTable} does not exist in account ${target.account} in ${target.region} (or is not active yet). Create it there, set --param targetTable to a table that account owns, or set --param targetRegions to the region of the table.`,
    };
  },
  summarize: (result) => ({ items: result.count, truncated: result.truncated }),
});
