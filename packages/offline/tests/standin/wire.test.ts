// Any service the job calls, answered as that service answers: the real SDK clients (EC2's query
// protocol, Secrets Manager's JSON 1.1, SNS's query protocol) talk HTTP to the stand-in, which
// decides each call on the ARN AWS would use and writes the fixture's output, given in SDK member
// names, with the operation's schema from the client, and denials with the service's own code.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { AnyJob } from '@cross-account-lambda/core/src/job';
import { loadPolicyModel, type PolicyModel } from '@cross-account-lambda/offline/iam';
import {
  type FixtureSet,
  HOME_CREDENTIALS,
  loadFixtureFiles,
  type StandIn,
  StandInError,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import type { CfnTemplate } from '@cross-account-lambda/offline/synth';
import { coreJob } from '@cross-account-lambda/template-tests/support/core';
import {
  assumedCredentials,
  failureOf,
  pointSdkAt,
  REGION,
  ROLE_ARN,
  SYNTH_TIMEOUT_MS,
  synthesizedTemplate,
  TARGET,
  templateGranting,
} from './support';

const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${TARGET}:secret:db-password-AbCdEf`;
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ARN = `arn:aws:kms:${REGION}:${TARGET}:key/${KEY_ID}`;

/** A job that also lists instances, reads a secret by name and publishes to a topic. */
// Named p0, p1, ... as a job names its permissions.
const named = (permissions: { action: string; resource: string }[]) =>
  Object.fromEntries(permissions.map((p, index) => [`p${index}`, p]));

const JOB: AnyJob = {
  ...coreJob,
  permissions: {
    ...coreJob.permissions,
    ...named([
      { action: 'ec2:DescribeInstances', resource: '*' },
      {
        action: 'secretsmanager:GetSecretValue',
        resource:
          'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:db-password-??????',
      },
      {
        action: 'sns:Publish',
        resource: 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:alerts',
      },
      {
        action: 'sqs:SendMessage',
        resource: 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs',
      },
      {
        action: 'kms:Decrypt',
        resource: 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*',
      },
      {
        action: 'ssm:GetParameter',
        resource: 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/*',
      },
      {
        action: 'lambda:InvokeFunction',
        resource: 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:report',
      },
    ]),
  },
};

/** Every other service the job calls, granted as declared. */
const OTHERS = [
  ['Publish', 'sns:Publish', 'sns:${AWS::Region}:${AWS::AccountId}:alerts'],
  ['Send', 'sqs:SendMessage', 'sqs:${AWS::Region}:${AWS::AccountId}:jobs'],
  ['Decrypt', 'kms:Decrypt', 'kms:${AWS::Region}:${AWS::AccountId}:key/*'],
  ['Parameters', 'ssm:GetParameter', 'ssm:${AWS::Region}:${AWS::AccountId}:parameter/app/*'],
  ['Invoke', 'lambda:InvokeFunction', 'lambda:${AWS::Region}:${AWS::AccountId}:function:report'],
]
  .map(
    ([sid, action, resource]) => `              - Sid: ${sid}
                Effect: Allow
                Action: ${action}
                Resource: !Sub 'arn:\${AWS::Partition}:${resource}'`,
  )
  .join('\n');

const secretGrant = (resource: string) => `              - Sid: ReadTheSecret
                Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Sub 'arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:${resource}'`;
const DESCRIBE_ON_STAR = `              - Sid: DescribeInstances
                Effect: Allow
                Action: ec2:DescribeInstances
                Resource: '*'`;
const DESCRIBE_ON_INSTANCES = `              - Sid: DescribeInstances
                Effect: Allow
                Action: ec2:DescribeInstances
                Resource: !Sub 'arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:instance/*'`;

const FIXTURES = {
  resources: [
    { arn: SECRET_ARN },
    {
      arn: KEY_ARN,
      aliases: ['alias/orders'],
      // KMS's default key policy: IAM policies of the account decide.
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'EnableIamPolicies',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${TARGET}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      },
    },
    // A key whose policy trusts no IAM policy (none declared): granted or not, KMS denies.
    { arn: KEY_ARN.replace('1234abcd', '9999abcd'), aliases: ['alias/locked'] },
  ],
  // Lambda's REST route comes from its SDK client; only its IAM action differs from the operation.
  operations: [{ operation: 'lambda:Invoke', action: 'lambda:InvokeFunction' }],
  fixtures: [
    // `input` in SDK member names too, read back from the query form (lists, maps, numbers).
    {
      operation: 'sns:Publish',
      input: {
        Subject: 'paged',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'alert' } },
      },
      output: { MessageId: 'm-2' },
    },
    { operation: 'sns:Publish', output: { MessageId: 'm-1' } },
    {
      operation: 'ec2:DescribeInstances',
      input: {
        InstanceIds: ['i-0def'],
        Filters: [{ Name: 'tag:team', Values: ['data', 'ml'] }],
        MaxResults: 5,
      },
      output: { Reservations: [{ ReservationId: 'r-2', Instances: [{ InstanceId: 'i-0def' }] }] },
    },
    {
      operation: 'sqs:SendMessage',
      resource: `arn:aws:sqs:*:${TARGET}:jobs`,
      output: { MessageId: 'q-1', MD5OfMessageBody: '49f68a5c8493ec2c0bf489821c21fc3b' },
    },
    {
      operation: 'kms:Decrypt',
      resource: KEY_ARN,
      output: { KeyId: KEY_ARN, Plaintext: 'plain text', EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    },
    {
      operation: 'ssm:GetParameter',
      output: { Parameter: { Name: '/app/db', Type: 'String', Value: 'db.internal', Version: 3 } },
    },
    {
      operation: 'lambda:Invoke',
      resource: '*:function:report',
      output: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: '{"ok":true}' },
    },
    {
      operation: 'ec2:DescribeInstances',
      output: {
        Reservations: [
          {
            ReservationId: 'r-1',
            Instances: [
              {
                InstanceId: 'i-0abc',
                InstanceType: 't3.micro',
                LaunchTime: '2026-01-02T03:04:05Z',
                State: { Code: 16, Name: 'running' },
                Tags: [{ Key: 'Name', Value: 'web' }],
              },
            ],
          },
        ],
      },
    },
    {
      operation: 'secretsmanager:GetSecretValue',
      resource: 'arn:aws:secretsmanager:*:*:secret:db-password-*',
      output: { ARN: SECRET_ARN, Name: 'db-password', SecretString: 'not-a-real-password' },
    },
  ],
};

let template: CfnTemplate;
let dir: string;
const running: StandIn[] = [];

beforeAll(async () => {
  template = await synthesizedTemplate();
  dir = mkdtempSync(join(tmpdir(), 'xacct-wire-'));
}, SYNTH_TIMEOUT_MS);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(running.splice(0).map((standIn) => standIn.close()));
});

function fixtureFile(name: string, document: unknown): FixtureSet {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(document));
  return loadFixtureFiles([{ path, shown: `job/${name}` }]);
}

async function standInGranting(name: string, statements: string) {
  const model: PolicyModel = await loadPolicyModel({
    template,
    job: JOB,
    targetTemplate: templateGranting(name, statements),
  });
  const standIn = await startStandIn({
    model,
    fixtures: fixtureFile('wire.fixtures.json', FIXTURES),
  });
  running.push(standIn);
  pointSdkAt(standIn);
  const credentials = await assumedCredentials(HOME_CREDENTIALS, {
    roleArn: ROLE_ARN,
    sessionName: 'wire-test',
    sourceIdentity: model.sourceIdentity,
  });
  const config = { region: REGION, credentials, endpoint: standIn.url, maxAttempts: 1 };
  return {
    standIn,
    ec2: new EC2Client(config),
    secrets: new SecretsManagerClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    kms: new KMSClient(config),
    ssm: new SSMClient(config),
    lambda: new LambdaClient(config),
  };
}

const SESSION = `arn:aws:sts::${TARGET}:assumed-role/cross-account-demo-target/wire-test`;

describe('the granted calls, answered in each operation wire format', () => {
  it(
    'EC2 DescribeInstances (on "*") gets its reservations in EC2 query XML, not an empty list',
    async () => {
      const { ec2 } = await standInGranting(
        'on-star',
        `${DESCRIBE_ON_STAR}\n${secretGrant('secret:db-password-??????')}`,
      );
      const answer = await ec2.send(new DescribeInstancesCommand({}));
      const [instance] = answer.Reservations?.[0]?.Instances ?? [];
      expect(instance).toMatchObject({
        InstanceId: 'i-0abc',
        InstanceType: 't3.micro',
        State: { Code: 16, Name: 'running' },
        Tags: [{ Key: 'Name', Value: 'web' }],
      });
      expect(instance?.LaunchTime).toEqual(new Date('2026-01-02T03:04:05Z'));
      const chosen = await ec2.send(
        new DescribeInstancesCommand({
          InstanceIds: ['i-0def'],
          Filters: [{ Name: 'tag:team', Values: ['data', 'ml'] }],
          MaxResults: 5,
        }),
      );
      expect(chosen.Reservations?.[0]?.Instances?.[0]?.InstanceId).toBe('i-0def');
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'Secrets Manager GetSecretValue by name is decided on the full ARN, which secret:NAME-?????? grants',
    async () => {
      const { secrets, standIn } = await standInGranting(
        'on-star',
        `${DESCRIBE_ON_STAR}\n${secretGrant('secret:db-password-??????')}`,
      );
      const answer = await secrets.send(new GetSecretValueCommand({ SecretId: 'db-password' }));
      expect(answer).toMatchObject({ ARN: SECRET_ARN, SecretString: 'not-a-real-password' });
      expect(standIn.stats.notes).toEqual({});
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('each protocol the SDK uses, and resources named by URL, alias and path', () => {
  it(
    'SNS (query XML), SQS by queue URL (JSON 1.0), KMS by alias (JSON 1.1), SSM by path, Lambda (REST-JSON)',
    async () => {
      const clients = await standInGranting('others', `${DESCRIBE_ON_STAR}\n${OTHERS}`);
      const published = await clients.sns.send(
        new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${TARGET}:alerts`, Message: 'hi' }),
      );
      expect(published.MessageId).toBe('m-1');
      const paged = await clients.sns.send(
        new PublishCommand({
          TopicArn: `arn:aws:sns:${REGION}:${TARGET}:alerts`,
          Message: 'hi',
          Subject: 'paged',
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'alert' } },
        }),
      );
      expect(paged.MessageId).toBe('m-2');
      const sent = await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: `https://sqs.${REGION}.amazonaws.com/${TARGET}/jobs`,
          MessageBody: 'hi',
        }),
      );
      expect(sent.MessageId).toBe('q-1');
      const decrypted = await clients.kms.send(
        new DecryptCommand({ KeyId: 'alias/orders', CiphertextBlob: new Uint8Array([1, 2, 3]) }),
      );
      expect(decrypted.KeyId).toBe(KEY_ARN);
      expect(Buffer.from(decrypted.Plaintext ?? []).toString('utf8')).toBe('plain text');
      const parameter = await clients.ssm.send(new GetParameterCommand({ Name: '/app/db' }));
      expect(parameter.Parameter).toMatchObject({
        Name: '/app/db',
        Value: 'db.internal',
        Version: 3,
      });
      const invoked = await clients.lambda.send(new InvokeCommand({ FunctionName: 'report' }));
      expect(invoked.StatusCode).toBe(200);
      expect(invoked.ExecutedVersion).toBe('$LATEST');
      expect(Buffer.from(invoked.Payload ?? []).toString('utf8')).toBe('{"ok":true}');
      expect(clients.standIn.stats.calls.byAction).toMatchObject({
        'sns:Publish': 2,
        'sqs:SendMessage': 1,
        'kms:Decrypt': 1,
        'ssm:GetParameter': 1,
        'lambda:Invoke': 1,
      });
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'a queue in another account (its URL names it), a parameter outside the granted path, a key its policy locks are denied',
    async () => {
      const clients = await standInGranting('others', `${DESCRIBE_ON_STAR}\n${OTHERS}`);
      const otherQueue = await failureOf(
        clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: `https://sqs.${REGION}.amazonaws.com/333333333333/jobs`,
            MessageBody: 'hi',
          }),
        ),
      );
      expect(otherQueue.message).toContain(`on resource: arn:aws:sqs:${REGION}:333333333333:jobs `);
      const otherParameter = await failureOf(
        clients.ssm.send(new GetParameterCommand({ Name: '/other/db' })),
      );
      expect(otherParameter.name).toBe('AccessDeniedException');
      expect(otherParameter.message).toContain(
        `on resource: arn:aws:ssm:${REGION}:${TARGET}:parameter/other/db `,
      );
      const locked = await failureOf(
        clients.kms.send(
          new DecryptCommand({ KeyId: 'alias/locked', CiphertextBlob: new Uint8Array([1]) }),
        ),
      );
      expect(locked.name).toBe('AccessDeniedException');
      expect(locked.message).toContain(`on resource: ${KEY_ARN.replace('1234abcd', '9999abcd')} `);
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('denials, as each service sends them', () => {
  it(
    'a grant of secret:NAME (no suffix) matches no secret: AccessDeniedException on the full ARN, and why',
    async () => {
      const { secrets, standIn } = await standInGranting(
        'no-suffix',
        `${DESCRIBE_ON_STAR}\n${secretGrant('secret:db-password')}`,
      );
      const failure = await failureOf(
        secrets.send(new GetSecretValueCommand({ SecretId: 'db-password' })),
      );
      expect(failure.name).toBe('AccessDeniedException');
      expect(failure.message).toBe(
        `User: ${SESSION} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${SECRET_ARN} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
      );
      expect(Object.keys(standIn.stats.notes).join('\n')).toMatch(
        /hyphen and six random characters .* grant arn:aws:secretsmanager:us-east-1:222222222222:secret:db-password-\?\?\?\?\?\?/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'EC2 answers UnauthorizedOperation (HTTP 403, its own document) when DescribeInstances is granted on instances only',
    async () => {
      const { ec2 } = await standInGranting('on-instances', DESCRIBE_ON_INSTANCES);
      const failure = await failureOf(ec2.send(new DescribeInstancesCommand({})));
      expect(failure.name).toBe('UnauthorizedOperation');
      expect(failure.$metadata?.httpStatusCode).toBe(403);
      expect(failure.message).toBe(
        `You are not authorized to perform this operation. User: ${SESSION} is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action`,
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'SNS answers AuthorizationError, the error its schema models, with HTTP 403',
    async () => {
      const { sns } = await standInGranting('describe-only', DESCRIBE_ON_STAR);
      const failure = await failureOf(
        sns.send(
          new PublishCommand({ TopicArn: `arn:aws:sns:${REGION}:${TARGET}:alerts`, Message: 'hi' }),
        ),
      );
      expect(failure.name).toBe('AuthorizationErrorException');
      expect(failure.$metadata?.httpStatusCode).toBe(403);
      expect(failure.message).toContain(
        `is not authorized to perform: sns:Publish on resource: arn:aws:sns:${REGION}:${TARGET}:alerts`,
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});

describe('a fixture output that does not fit the operation', () => {
  it('is refused when the file loads, naming the member, the shape and the operation', () => {
    const load = () =>
      fixtureFile('bad.fixtures.json', {
        fixtures: [
          {
            operation: 'ec2:DescribeInstances',
            output: { Reservations: [{ Instances: [{ InstanceID: 'i-1' }] }] },
          },
        ],
      });
    expect(load).toThrow(StandInError);
    expect(load).toThrow(
      /job\/bad\.fixtures\.json#fixtures\[0\]: output\.Reservations\[0\]\.Instances\[0\]\.InstanceID is not a member of Instance \(its members: .*InstanceId.*\): ec2:DescribeInstances answers with DescribeInstancesResult \(@aws-sdk\/client-ec2\)/,
    );
  });

  it('is refused for a wrong type, and for an operation the client does not have', () => {
    expect(() =>
      fixtureFile('type.fixtures.json', {
        fixtures: [{ operation: 'secretsmanager:GetSecretValue', output: { SecretString: 42 } }],
      }),
    ).toThrow(/output\.SecretString must be a string, not 42: secretsmanager:GetSecretValue/);
    expect(() =>
      fixtureFile('op.fixtures.json', {
        fixtures: [{ operation: 'ec2:DescribeInstance', output: {} }],
      }),
    ).toThrow(/@aws-sdk\/client-ec2 has no operation DescribeInstance/);
  });
});
