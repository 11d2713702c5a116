// Any service besides STS and S3: the call is decided by the evaluator like any other (declared
// by the job, allowed by the policies of both stacks), then answered from the job's fixtures, or
// forwarded to the upstream emulator, or refused with a message naming the file to add one to.
import { createHash } from 'node:crypto';
import type { Decision } from '../iam';
import { AwsServiceError, jsonError, s3Error, stsError } from './awsErrors';
import type { StandInContext } from './context';
import type { CredentialRecord } from './credentialStore';
import { denialMessage, undeclaredCall } from './declared';
import { type Fixture, findFixture } from './fixtures';
import { forward, UpstreamError } from './forward';
import type { ReceivedRequest } from './request';
import type { RequestIds, WireResponse } from './response';
import { OutputShapeError, serializeOutput } from './sdkServices';
import { iamActionOf, ResourceTemplateError, resourceOf, type ServiceCall } from './serviceCall';
import type { Authorization } from './sigv4';

export async function handleService(
  call: ServiceCall,
  request: ReceivedRequest,
  signer: CredentialRecord,
  authorization: Authorization,
  context: StandInContext,
  ids: RequestIds,
): Promise<WireResponse> {
  const qualified = `${call.service}:${call.operation}`;
  if (call.operation === 'Unknown') {
    throw failure(
      call.service,
      'UnknownOperation',
      400,
      `The offline stand-in cannot tell which ${call.service} operation ${request.method} ${request.rawPath} is: ` +
        `no installed SDK client of signing name ${call.service} has that route, and no declaration names it. Install the client the job calls it with, or add { "operation": "${call.service}:<Operation>", "http": { "method": "${request.method}", "path": "<route>" } } ` +
        `to "operations" in ${context.fixtures.addTo}.`,
    );
  }
  const { caller } = signer.principal;
  const action = iamActionOf(call);
  let resource: string;
  let note: string | undefined;
  try {
    const resolved = resourceOf(
      call,
      {
        partition: context.model.partition,
        region: authorization.region,
        accountId: caller.accountId,
      },
      context.fixtures.resources,
      context.fixtures.addTo,
    );
    resource = resolved.arn;
    note = resolved.note;
  } catch (error) {
    if (!(error instanceof ResourceTemplateError)) throw error;
    throw failure(
      call.service,
      'InvalidOperationDeclaration',
      400,
      call.rule ? `${error.message} (${call.rule.source}).` : `${error.message}.`,
    );
  }
  const refusal = undeclaredCall(context, signer, action);
  if (refusal !== undefined) {
    throw failure(call.service, 'UndeclaredPermission', 403, refusal);
  }
  const decision = await context.decisions.targetCall(caller, action, resource);
  if (!decision.allowed) {
    // AWS's answer names only the ARN; why it is not the one granted is the stand-in's to say.
    if (note) context.stats.note(`${action} was denied on ${resource}: ${note}`);
    throw denied(call, signer, action, resource, decision);
  }

  // Another emulated service (as STS and S3 are) would answer here: decided like any call above,
  // before the job's fixtures.
  const fixture = findFixture(context.fixtures, {
    operation: qualified,
    account: caller.accountId,
    resource,
    parameters: call.parameters,
  });
  if (fixture) return answerWith(fixture, call, request, ids);
  if (context.upstream) {
    try {
      return await forward(request, authorization, caller.accountId, context.upstream);
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      // 502: the SDK retries it as the transient failure it probably is.
      throw failure(
        call.service,
        'UpstreamUnavailable',
        502,
        `The offline stand-in forwards ${qualified}, but ${error.message}`,
      );
    }
  }
  throw failure(
    call.service,
    'NoOfflineFixture',
    400,
    `The offline stand-in has no fixture for ${qualified} on ${resource} (account ${caller.accountId}). ` +
      `Add one to ${context.fixtures.addTo}: { "operation": "${qualified}", "resource": "${resource}", "output": { ... } } ` +
      '(docs/offline.md, "Offline: any service"), or run npm start -- --upstream <emulator URL> to forward it.',
  );
}

/**
 * A stand-in's own refusal; the pipeline writes it in the shape of the call's protocol. HTTP 400:
 * the job's fixture file needs a change, so the SDK must not retry it as a service outage, and the
 * core's diagnosis passes its message on.
 */
function failure(service: string, code: string, status: number, message: string): AwsServiceError {
  return new AwsServiceError(service, code, status, message);
}

/**
 * The service's own denial: its modelled access-denied error where the SDK's schemas have one
 * (SNS's AuthorizationError), else its protocol family's (sdkServices), in AWS's wording. EC2
 * opens its message with its own sentence.
 */
function denied(
  call: ServiceCall,
  signer: CredentialRecord,
  action: string,
  resource: string,
  decision: Decision,
): AwsServiceError {
  const message = denialMessage(signer, action, resource, decision, false);
  const known = call.sdk?.service.accessDenied;
  if (known) {
    const text =
      call.protocol === 'ec2'
        ? `You are not authorized to perform this operation. ${message}`
        : message;
    return new AwsServiceError(call.service, known.code, known.status, text);
  }
  switch (call.protocol) {
    case 'query':
      return stsError.accessDenied(message);
    case 'ec2':
      return new AwsServiceError(
        call.service,
        'UnauthorizedOperation',
        403,
        `You are not authorized to perform this operation. ${message}`,
      );
    case 'rest-xml':
      return s3Error.accessDenied(message);
    case 'rest-json':
      return new AwsServiceError(call.service, 'AccessDeniedException', 403, message);
    default:
      return jsonError(call.service).accessDenied(message);
  }
}

function answerWith(
  fixture: Fixture,
  call: ServiceCall,
  request: ReceivedRequest,
  ids: RequestIds,
): WireResponse {
  if (fixture.error) {
    const { code, message, status = 400 } = fixture.error;
    throw new AwsServiceError(call.service, code, status, message);
  }
  const status = fixture.status ?? 200;
  const extra = fixture.headers ?? {};
  if (fixture.body !== undefined) {
    return { status, headers: { 'x-amzn-requestid': ids.requestId, ...extra }, body: fixture.body };
  }
  if (call.sdk) {
    // Written with the operation's output schema in its protocol; checked when the file loaded.
    let answer: ReturnType<typeof serializeOutput>;
    try {
      answer = serializeOutput(
        call.sdk.service,
        call.sdk.operation,
        withServiceDigests(call, fixture.output),
        ids.requestId,
      );
    } catch (error) {
      if (!(error instanceof OutputShapeError)) throw error;
      throw new AwsServiceError(
        call.service,
        'InvalidFixture',
        400,
        `Fixture ${fixture.source}: ${error.message}`,
      );
    }
    const headers =
      call.protocol === 'json'
        ? { ...answer.headers, 'content-type': jsonContentTypeOf(request.headers['content-type']) }
        : answer.headers;
    return {
      status: fixture.status ?? answer.status,
      headers: { ...headers, ...extra },
      body: typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body),
    };
  }
  throw new AwsServiceError(
    call.service,
    'NoSdkClient',
    400,
    `Fixture ${fixture.source} answers ${call.service}:${call.operation} with "output", which the stand-in writes with the operation's schema from the service's SDK client, and none is installed for signing name ${call.service}: install the client the job uses to call it (npm i -E @aws-sdk/client-<service>), or give the response as "body".`,
  );
}

/** The JSON protocols answer in the version the request used (1.0 or 1.1). */
function jsonContentTypeOf(requestContentType: string | undefined): string {
  return requestContentType?.startsWith('application/x-amz-json-') === true
    ? requestContentType
    : 'application/x-amz-json-1.0';
}

/**
 * What the service computes from the request and the SDK checks, which a fixture written before
 * the call cannot know. SQS: MD5OfMessageBody is "an MD5 digest of the non-URL-encoded message
 * body string", which the SQS client compares with the body it sent and fails on a mismatch
 * (API Reference, SendMessage); the stand-in fills it in when the fixture leaves it out.
 */
function withServiceDigests(call: ServiceCall, output: unknown): unknown {
  if (call.service !== 'sqs' || call.operation !== 'SendMessage') return output;
  if (typeof output !== 'object' || output === null || 'MD5OfMessageBody' in output) return output;
  const body = call.parameters.MessageBody;
  if (typeof body !== 'string') return output;
  return { ...output, MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex') };
}
