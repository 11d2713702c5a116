// Any service besides STS and S3: the call is decided by the evaluator like any other (declared
// by the job, allowed by the policies of both stacks), then answered from the job's fixtures, or
// forwarded to the upstream emulator, or refused with a message naming the file to add one to.
import type { Decision } from '../iam';
import { AwsServiceError, jsonError, s3Error, stsError } from './awsErrors';
import type { StandInContext } from './context';
import type { CredentialRecord } from './credentialStore';
import { denialMessage, undeclaredCall } from './declared';
import { type Fixture, findFixture } from './fixtures';
import { forward, UpstreamError } from './forward';
import type { ReceivedRequest } from './request';
import { jsonResult, type RequestIds, type WireResponse, xmlResponse } from './response';
import { iamActionOf, ResourceTemplateError, resourceOf, type ServiceCall } from './serviceCall';
import type { Authorization } from './sigv4';
import { el, root, type XmlChild } from './xml';

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
        `REST operations need a route. Add { "operation": "${call.service}:<Operation>", "http": { "method": "${request.method}", "path": "<route>" } } ` +
        `to "operations" in ${context.fixtures.addTo}.`,
    );
  }
  const { caller } = signer.principal;
  const action = iamActionOf(call);
  let resource: string;
  try {
    resource = resourceOf(call, {
      partition: context.model.partition,
      region: authorization.region,
      accountId: caller.accountId,
    });
  } catch (error) {
    if (!(error instanceof ResourceTemplateError)) throw error;
    throw failure(
      call.service,
      'InvalidOperationDeclaration',
      400,
      `${error.message} (${call.rule?.source}).`,
    );
  }
  const refusal = undeclaredCall(context, signer, action);
  if (refusal !== undefined) {
    throw failure(call.service, 'UndeclaredPermission', 403, refusal);
  }
  const decision = await context.decisions.targetCall(caller, action, resource);
  if (!decision.allowed) throw denied(call, signer, action, resource, decision);

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
      '(README, "Offline: any service"), or run npm start -- --upstream <emulator URL> to forward it.',
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

function denied(
  call: ServiceCall,
  signer: CredentialRecord,
  action: string,
  resource: string,
  decision: Decision,
): AwsServiceError {
  const message = denialMessage(signer, action, resource, decision, false);
  switch (call.protocol) {
    case 'query':
      return stsError.accessDenied(message);
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
  if (call.protocol === 'json' || call.protocol === 'rest-json') {
    const answer = jsonResult(
      fixture.output,
      ids,
      call.protocol,
      request.headers['content-type'],
      status,
    );
    return { ...answer, headers: { ...answer.headers, ...extra } };
  }
  if (call.protocol === 'query') {
    const answer = xmlResponse(
      status,
      root(
        `${call.operation}Response`,
        `https://${call.service}.amazonaws.com/doc/`,
        el(`${call.operation}Result`, ...toXml(fixture.output)),
        el('ResponseMetadata', el('RequestId', ids.requestId)),
      ),
      { 'x-amzn-requestid': ids.requestId, ...extra },
    );
    return answer;
  }
  throw new AwsServiceError(
    call.service,
    'InvalidFixture',
    400,
    `Fixture ${fixture.source} answers a REST-XML operation: give its response as "body" (the XML document), not "output".`,
  );
}

/** The query protocol's result: members as elements, lists as <member> items. */
function toXml(value: unknown): XmlChild[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map((item) => el('member', ...toXml(item)));
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([key, member]) =>
      el(key, ...toXml(member)),
    );
  }
  return [String(value)];
}
