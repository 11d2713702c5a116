// One AWS request, from bytes to answer: which service and operation it is, the fault switches
// (as a load balancer in front of AWS would act), authentication, then the operation itself.
import type { ServerResponse } from 'node:http';
import { EvaluatorError } from '../iam';
import { authenticate } from './authenticate';
import { AwsServiceError, errorFor, type Service } from './awsErrors';
import type { StandInContext } from './context';
import { maskAccessKeyId } from './credentialStore';
import type { FaultSwitchboard } from './faults';
import { parseForm, type ReceivedRequest } from './request';
import {
  bareUnavailable,
  type RequestIds,
  s3ErrorResponse,
  stsErrorResponse,
  type WireResponse,
} from './response';
import { handleS3, routeS3 } from './s3';
import { scopeServiceOf } from './sigv4';
import { handleSts } from './sts';

export const DROPPED = Symbol('dropped');

/** What is known of a request before it is authenticated. */
export interface CallFacts {
  readonly service: Service;
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
  const form = service === 'sts' ? stsParameters(request) : {};
  const action = service === 's3' ? routeS3(request).action : (form.Action ?? 'Unknown');
  const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
  const presented = accessKeyId ? context.credentials.lookup(accessKeyId) : undefined;
  const account =
    action === 'AssumeRole'
      ? /^arn:aws:iam::(\d{12}):/.exec(form.RoleArn ?? '')?.[1]
      : presented?.principal.caller.accountId;
  return {
    service,
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
  const { service, action, account } = facts;
  const render = (error: AwsServiceError): WireResponse => {
    stats.error(error.code);
    return service === 'sts'
      ? stsErrorResponse(error, ids)
      : s3ErrorResponse(error, ids, request.method);
  };

  let delayedMs = 0;
  const fault = faults.takeTransportFault({ service, action, account });
  if (fault) {
    stats.fault(fault.kind);
    switch (fault.kind) {
      case 'drop':
        return { result: DROPPED, delayedMs };
      case 'throttle':
        return { result: render(errorFor(service).throttled()), delayedMs };
      case 'unavailable':
        stats.error('HTTP503');
        return { result: bareUnavailable(), delayedMs };
      default:
        delayedMs = fault.delayMs ?? 0;
        if (!(await options.pause(delayedMs, response))) return { result: DROPPED, delayedMs };
    }
  }

  try {
    const { record, authorization } = await authenticate(request, service, {
      credentials: context.credentials,
      clock: context.clock,
      stats,
      rejectWithinMsOfExpiry: options.rejectWithinMsOfExpiry,
    });
    if (record.kind === 'issued' && faults.takeSessionFault({ service, action, account })) {
      stats.fault('expiredToken');
      throw errorFor(service).expiredToken();
    }
    const result =
      service === 'sts'
        ? await handleSts(action, facts.form, record, context, ids)
        : await handleS3(routeS3(request), request, record, authorization.region, context, ids);
    return { result, delayedMs };
  } catch (error) {
    if (error instanceof AwsServiceError) return { result: render(error), delayedMs };
    if (error instanceof EvaluatorError) {
      // Not a deny: the model cannot answer. Say so the way AWS reports its own failures.
      options.log(`${service} ${action}: the IAM evaluator could not decide: ${error.message}`);
      const code = service === 'sts' ? 'InternalFailure' : 'InternalError';
      const message = `The offline stand-in could not decide this request: ${error.message}`;
      return { result: render(new AwsServiceError(service, code, 500, message)), delayedMs };
    }
    throw error;
  }
}

/** STS and S3 share the port: the credential scope names the service a request was signed for. */
function serviceOf(request: ReceivedRequest): Service {
  const scoped = scopeServiceOf(request.headers.authorization);
  if (scoped === 'sts' || scoped === 's3') return scoped;
  // Unsigned or signed for something else: a form POST to / is the query protocol.
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
