// One AWS request, from bytes to answer: which service and operation it is, the fault switches
// (as a load balancer in front of AWS would act), authentication, then the operation itself.
import type { ServerResponse } from 'node:http';
import { EvaluatorError } from '../iam';
import { authenticate } from './authenticate';
import {
  AwsServiceError,
  emulatedProtocol,
  errorFor,
  type Protocol,
  type Service,
} from './awsErrors';
import type { StandInContext } from './context';
import { maskAccessKeyId } from './credentialStore';
import type { FaultSwitchboard } from './faults';
import { emulatesOrganizations, handleOrganizations } from './organizations';
import { parseForm, type ReceivedRequest } from './request';
import {
  bareUnavailable,
  cborErrorResponse,
  ec2ErrorResponse,
  jsonErrorResponse,
  type RequestIds,
  s3ErrorResponse,
  stsErrorResponse,
  type WireResponse,
} from './response';
import { handleS3, routeS3 } from './s3';
import { identifyCall, type ServiceCall } from './serviceCall';
import { handleService } from './services';
import { scopeServiceOf } from './sigv4';
import { handleSts } from './sts';

export const DROPPED = Symbol('dropped');

/** What is known of a request before it is authenticated. */
export interface CallFacts {
  /** The signing name: sts, s3, or any other service (dynamodb, sqs, ...). */
  readonly service: Service;
  /** Decides the shape of every error answer. */
  readonly protocol: Protocol;
  /** A call to a service other than STS and S3. */
  readonly call: ServiceCall | undefined;
  readonly action: string;
  /** The account the call is about, for fault rules limited to one account. */
  readonly account: string | undefined;
  /** For log lines: the access key id, masked. */
  readonly keyShown: string;
  readonly form: Readonly<Record<string, string>>;
}

export interface PipelineOptions {
  readonly context: StandInContext;
  readonly faults: FaultSwitchboard;
  readonly rejectWithinMsOfExpiry: number;
  readonly log: (line: string) => void;
  /** Waits `ms` or until the client hangs up; true if it is still connected. */
  readonly pause: (ms: number, response: ServerResponse) => Promise<boolean>;
}

export interface Outcome {
  readonly result: WireResponse | typeof DROPPED;
  /** Time spent in an injected delay, not counted as the stand-in's own work. */
  readonly delayedMs: number;
}

export function identify(request: ReceivedRequest, context: StandInContext): CallFacts {
  const service = serviceOf(request);
  const emulated = emulatedProtocol(service);
  const call = emulated ? undefined : identifyCall(request, service, context.fixtures.operations);
  const form = service === 'sts' ? stsParameters(request) : {};
  const action =
    call?.operation ?? (service === 's3' ? routeS3(request).action : (form.Action ?? 'Unknown'));
  const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
  const presented = accessKeyId ? context.credentials.lookup(accessKeyId) : undefined;
  const account =
    action === 'AssumeRole'
      ? /^arn:aws:iam::(\d{12}):/.exec(form.RoleArn ?? '')?.[1]
      : presented?.principal.caller.accountId;
  return {
    service,
    protocol: call?.protocol ?? emulated ?? 'json',
    call,
    action,
    account,
    keyShown: accessKeyId ? maskAccessKeyId(accessKeyId) : 'anonymous',
    form,
  };
}

export async function answer(
  facts: CallFacts,
  request: ReceivedRequest,
  response: ServerResponse,
  ids: RequestIds,
  options: PipelineOptions,
): Promise<Outcome> {
  const { context, faults } = options;
  const { stats } = context;
  const { service, protocol, action, account } = facts;
  const render = (error: AwsServiceError): WireResponse => {
    stats.error(error.code);
    switch (protocol) {
      case 'query':
        // Every query-protocol service writes its errors as STS does (ErrorResponse/Error/Code).
        return stsErrorResponse(error, ids);
      case 'ec2':
        return ec2ErrorResponse(error, ids);
      case 'cbor':
        return cborErrorResponse(error, ids);
      case 'rest-xml':
        return s3ErrorResponse(error, ids, request.method);
      default:
        return jsonErrorResponse(error, ids, protocol, request.headers['content-type']);
    }
  };

  let delayedMs = 0;
  const fault = faults.takeTransportFault({ service, action, account });
  if (fault) {
    stats.fault(fault.kind);
    switch (fault.kind) {
      case 'drop':
        return { result: DROPPED, delayedMs };
      case 'throttle':
        return { result: render(errorFor(service, protocol).throttled()), delayedMs };
      case 'unavailable':
        stats.error('HTTP503');
        return { result: bareUnavailable(), delayedMs };
      default:
        delayedMs = fault.delayMs ?? 0;
        if (!(await options.pause(delayedMs, response))) return { result: DROPPED, delayedMs };
    }
  }

  try {
    const { record, authorization } = await authenticate(
      request,
      service,
      {
        credentials: context.credentials,
        clock: context.clock,
        stats,
        rejectWithinMsOfExpiry: options.rejectWithinMsOfExpiry,
      },
      protocol,
    );
    if (record.kind === 'issued' && faults.takeSessionFault({ service, action, account })) {
      stats.fault('expiredToken');
      throw errorFor(service, protocol).expiredToken();
    }
    const { call } = facts;
    const result = call
      ? emulatesOrganizations(call, context)
        ? await handleOrganizations(call, record, context, ids, request.headers['content-type'])
        : await handleService(call, request, record, authorization, context, ids)
      : service === 'sts'
        ? await handleSts(action, facts.form, record, context, ids)
        : await handleS3(routeS3(request), request, record, authorization.region, context, ids);
    return { result, delayedMs };
  } catch (error) {
    if (error instanceof AwsServiceError) return { result: render(error), delayedMs };
    if (error instanceof EvaluatorError) {
      // Not a deny: the model cannot answer. Say so the way AWS reports its own failures.
      options.log(`${service} ${action}: the IAM evaluator could not decide: ${error.message}`);
      const code = protocol === 'rest-xml' ? 'InternalError' : 'InternalFailure';
      const message = `The offline stand-in could not decide this request: ${error.message}`;
      return { result: render(new AwsServiceError(service, code, 500, message)), delayedMs };
    }
    throw error;
  }
}

/** Every service shares the port: the credential scope names the service a request was signed for. */
function serviceOf(request: ReceivedRequest): Service {
  const scoped = scopeServiceOf(request.headers.authorization);
  if (scoped !== undefined && /^[a-z0-9-]{1,64}$/.test(scoped)) return scoped;
  // Unsigned: an X-Amz-Target names a JSON-protocol service (its prefix says which, not how it
  // signs); a form POST to / is the query protocol.
  if (request.headers['x-amz-target'] !== undefined) return 'unsigned-json';
  const isForm = (request.headers['content-type'] ?? '').startsWith(
    'application/x-www-form-urlencoded',
  );
  return request.method === 'POST' && request.rawPath === '/' && isForm ? 'sts' : 's3';
}

/** The query protocol sends parameters in a form body (POST) or the query string (GET). */
function stsParameters(request: ReceivedRequest): Record<string, string> {
  if (request.method === 'POST') return parseForm(request.body);
  const parameters: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(request.query)) {
    if (typeof value === 'string') parameters[key] = value;
  }
  return parameters;
}
