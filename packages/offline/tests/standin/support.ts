// Shared set-up for the stand-in tests: the policy model of the real synthesised home stack, and
// SDK clients pointed at a stand-in the way the function's are (AWS_ENDPOINT_URL_* variables).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import type { AnyJob } from '@cross-account-lambda/core/src/job';
import type { LoadPolicyModelOptions, PolicyModel } from '@cross-account-lambda/offline/iam';
import type { StandIn } from '@cross-account-lambda/offline/standin';
import type { CfnTemplate } from '@cross-account-lambda/offline/synth';
import {
  coreJob,
  loadCoreModel,
  synthesizeCore,
} from '@cross-account-lambda/template-tests/support/core';
import { coreTargetTemplateText } from '@cross-account-lambda/template-tests/support/coreTarget';
import { queryTable } from '../../../../examples/queryTable';

export const HOME = '111111111111';
export const TARGET = '222222222222';
export const REGION = 'us-east-1';
export const ROLE_ARN = `arn:aws:iam::${TARGET}:role/cross-account-demo-target`;
export const DEMO_BUCKET = `cross-account-demo-${TARGET}-${REGION}`;
export const EXECUTION_ROLE = 'cross-account-lambda-local-us-east-1-exec';
export const HOME_SESSION_ARN = `arn:aws:sts::${HOME}:assumed-role/${EXECUTION_ROLE}/crossAccount`;
/** `sls package` takes seconds: a test file synthesises once, in beforeAll. */
export const SYNTH_TIMEOUT_MS = 90_000;

export async function synthesizedTemplate(
  params: Record<string, string> = {},
): Promise<CfnTemplate> {
  const synthesis = await synthesizeCore({ stage: 'local', params });
  try {
    return synthesis.template;
  } finally {
    await synthesis.dispose();
  }
}

/**
 * The model the stand-in tests run against: by default that of a job that reads objects too
 * (OBJECT_READER_JOB below), so every S3 operation the stand-in answers can be exercised.
 */
export function modelOf(
  template: CfnTemplate,
  options: Omit<LoadPolicyModelOptions, 'template'> = {},
): Promise<PolicyModel> {
  return loadCoreModel({
    template,
    job: OBJECT_READER_JOB,
    targetTemplate: objectReaderTemplate(),
    ...options,
  });
}

/**
 * The stand-in's S3 answers more than the core's job asks (GetObject, HeadObject, PutObject). To
 * exercise them, a job that also reads objects, declared as such, and a target stack that grants
 * it: the core's job and stack, one permission and one statement more.
 */
export const OBJECT_READER_JOB: AnyJob = {
  ...coreJob,
  permissions: {
    ...coreJob.permissions,
    getObject: { action: 's3:GetObject', resource: 'arn:${AWS::Partition}:s3:::${Bucket}/*' },
  },
};

const editedTemplates = new Map<string, string>();
let editedDir: string | undefined;
// Removed with the test file that made them (a jest worker may end without an 'exit' event).
afterAll(() => {
  if (editedDir) rmSync(editedDir, { recursive: true, force: true });
  editedDir = undefined;
  editedTemplates.clear();
});

/** The shipped target template with `edit` applied, written once per test file under `name`. */
function editedTemplate(name: string, edit: (original: string) => string): string {
  const known = editedTemplates.get(name);
  if (known) return known;
  editedDir ??= mkdtempSync(join(tmpdir(), 'xacct-edited-template-'));
  // Named as the shipped one, in its own folder: messages name the template by its file.
  mkdirSync(join(editedDir, name));
  const path = join(editedDir, name, 'cross-account-role.yml');
  writeFileSync(path, edit(coreTargetTemplateText()));
  editedTemplates.set(name, path);
  return path;
}

export function objectReaderTemplate(): string {
  return editedTemplate('object-reader', (original) => {
    const statement = `              - Sid: ListTheBucket`;
    if (!original.includes(statement)) throw new Error('ListTheBucket not found in the template');
    return original.replace(
      statement,
      `              - Sid: ReadItsObjects
                Effect: Allow
                Action: s3:GetObject
                Resource: !Sub
                  - 'arn:\${AWS::Partition}:s3:::\${Bucket}/*'
                  - Bucket: !If [CreateDemoBucket, !Ref DemoBucket, !Ref BucketName]
${statement}`,
    );
  });
}

type Credentials = NonNullable<STSClientConfig['credentials']>;

/** What the function does: no endpoint in code, the SDK reads AWS_ENDPOINT_URL_STS / _S3. */
export function pointSdkAt(standIn: StandIn): void {
  process.env.AWS_ENDPOINT_URL_STS = standIn.url;
  process.env.AWS_ENDPOINT_URL_S3 = standIn.url;
}

export function stsClient(
  credentials: Credentials,
  config: Partial<STSClientConfig> = {},
): STSClient {
  return new STSClient({ region: REGION, credentials, maxAttempts: 1, ...config });
}

/** The role's credentials as the stand-in issues them to `caller` (sent with the model's SourceIdentity). */
export async function assumedCredentials(
  caller: Credentials,
  request: { roleArn: string; sessionName: string; sourceIdentity: string },
): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const { Credentials } = await stsClient(caller).send(
    new AssumeRoleCommand({
      RoleArn: request.roleArn,
      RoleSessionName: request.sessionName,
      SourceIdentity: request.sourceIdentity,
    }),
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) {
    throw new Error(`AssumeRole on ${request.roleArn} returned no credentials`);
  }
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    sessionToken: Credentials.SessionToken,
  };
}

export function s3Client(credentials: Credentials, config: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ region: REGION, credentials, maxAttempts: 1, ...config });
}

export interface AwsFailure {
  name: string;
  message: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** The error a call rejects with; fails the test if it resolves. */
export async function failureOf(call: Promise<unknown>): Promise<AwsFailure> {
  try {
    await call;
  } catch (error) {
    return error as AwsFailure;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * The DynamoDB example job's set-up, as README "Make it yours" makes it: the home stack's
 * function configured for table `orders`, and a target stack that grants dynamodb:Query on the
 * table named by its TableName parameter (default `orders`; a test overrides it to deny).
 */
export async function tableModelOf(
  template: CfnTemplate,
  targetParameters: Record<string, string> = {},
): Promise<PolicyModel> {
  const patched = structuredClone(template) as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  for (const resource of Object.values(patched.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const environment = resource.Properties?.Environment as { Variables: Record<string, string> };
    environment.Variables.TARGET_TABLE = 'orders';
    environment.Variables.TARGET_PARTITION_KEY = 'customerId';
  }
  return loadCoreModel({
    template: patched,
    job: queryTable,
    jobModule: 'examples/queryTable.ts',
    targetTemplate: tableTemplate(),
    targetParameters: () => targetParameters,
  });
}

function tableTemplate(): string {
  return editedTemplate('table-reader', (original) => {
    const parameter = '  MaxSessionDuration:\n';
    const statement = '              - Sid: ListTheBucket';
    if (!original.includes(parameter) || !original.includes(statement)) {
      throw new Error('MaxSessionDuration or ListTheBucket not found in the template');
    }
    return original
      .replace(parameter, `  TableName:\n    Type: String\n    Default: orders\n${parameter}`)
      .replace(
        statement,
        `              - Sid: QueryTheTable
                Effect: Allow
                Action: dynamodb:Query
                Resource: !Sub 'arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/\${TableName}'
${statement}`,
      );
  });
}

/**
 * The shipped target template with more Allow statements in the role's policy (YAML list items
 * at the statements' indentation), written once per test file under `name`.
 */
export function templateGranting(name: string, statements: string): string {
  return editedTemplate(name, (original) => {
    const statement = '              - Sid: ListTheBucket';
    if (!original.includes(statement)) throw new Error('ListTheBucket not found in the template');
    return original.replace(statement, `${statements.trimEnd()}\n${statement}`);
  });
}
