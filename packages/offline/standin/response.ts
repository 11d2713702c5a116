// What goes back on the wire: AWS's document shapes for results and errors.
import { randomUUID } from 'node:crypto';
import { cbor } from '@smithy/core/cbor';
import type { AwsServiceError } from './awsErrors';
import { el, root, type XmlElement, xmlDocument } from './xml';

export interface WireResponse {
  readonly status: number;
  /** The AWS error code, for the stand-in's own log line. */
  readonly errorCode?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface RequestIds {
  readonly requestId: string;
  /** S3's x-amz-id-2. */
  readonly hostId: string;
}

export function newRequestIds(): RequestIds {
  const requestId = randomUUID();
  // S3's x-amz-id-2 is an opaque base64 blob; randomUUID draws from a cached pool, which keeps
  // this cheap on the benchmark's hot path.
  return { requestId, hostId: Buffer.from(`${requestId}${randomUUID()}`).toString('base64') };
}

/** S3's request ids are 16 upper-case hex characters. */
export function s3RequestId(ids: RequestIds): string {
  return ids.requestId.replace(/-/g, '').slice(0, 16).toUpperCase();
}

export function xmlResponse(
  status: number,
  top: XmlElement,
  headers: Record<string, string> = {},
): WireResponse {
  return { status, headers: { 'content-type': 'text/xml', ...headers }, body: xmlDocument(top) };
}

export function stsResult(action: string, result: XmlElement[], ids: RequestIds): WireResponse {
  return xmlResponse(
    200,
    root(
      `${action}Response`,
      STS_NAMESPACE,
      el(`${action}Result`, ...result),
      el('ResponseMetadata', el('RequestId', ids.requestId)),
    ),
    { 'x-amzn-requestid': ids.requestId },
  );
}

export function stsErrorResponse(error: AwsServiceError, ids: RequestIds): WireResponse {
  return withCode(
    error,
    xmlResponse(
      error.status,
      root(
        'ErrorResponse',
        STS_NAMESPACE,
        el('Error', el('Type', error.type), el('Code', error.code), el('Message', error.message)),
        el('RequestId', ids.requestId),
      ),
      { 'x-amzn-requestid': ids.requestId },
    ),
  );
}

export function s3Headers(ids: RequestIds): Record<string, string> {
  return { 'x-amz-request-id': s3RequestId(ids), 'x-amz-id-2': ids.hostId };
}

export function s3ErrorResponse(
  error: AwsServiceError,
  ids: RequestIds,
  method: string,
): WireResponse {
  // HEAD answers carry no body; the SDK names the error from the status code.
  if (method === 'HEAD')
    return withCode(error, { status: error.status, headers: s3Headers(ids), body: '' });
  return withCode(
    error,
    xmlResponse(
      error.status,
      el(
        'Error',
        el('Code', error.code),
        el('Message', error.message),
        ...Object.entries(error.details).map(([name, value]) => el(name, value)),
        el('RequestId', s3RequestId(ids)),
        el('HostId', ids.hostId),
      ),
      { ...s3Headers(ids), 'content-type': 'application/xml' },
    ),
  );
}

function withCode(error: AwsServiceError, response: WireResponse): WireResponse {
  return { ...response, errorCode: error.code };
}

/** A bare 503 without a body, as a load balancer or proxy in trouble answers. */
export function bareUnavailable(): WireResponse {
  return { status: 503, headers: {}, body: '', errorCode: 'HTTP503' };
}

/** The JSON protocols' content type: the one the request came with (1.0 or 1.1), else 1.0. */
function jsonContentType(requestContentType: string | undefined, protocol: 'json' | 'rest-json') {
  if (protocol === 'rest-json') return 'application/json';
  return requestContentType?.startsWith('application/x-amz-json-') === true
    ? requestContentType
    : 'application/x-amz-json-1.0';
}

export function jsonResult(
  document: unknown,
  ids: RequestIds,
  protocol: 'json' | 'rest-json',
  requestContentType: string | undefined,
  status = 200,
): WireResponse {
  return {
    status,
    headers: {
      'content-type': jsonContentType(requestContentType, protocol),
      'x-amzn-requestid': ids.requestId,
    },
    body: JSON.stringify(document ?? {}),
  };
}

/**
 * An error of the JSON protocols: the code in `__type` (and in x-amzn-ErrorType, where REST-JSON
 * services put it), the message in `message`; the SDK reads either.
 */
export function jsonErrorResponse(
  error: AwsServiceError,
  ids: RequestIds,
  protocol: 'json' | 'rest-json',
  requestContentType: string | undefined,
): WireResponse {
  return withCode(error, {
    status: error.status,
    headers: {
      'content-type': jsonContentType(requestContentType, protocol),
      'x-amzn-requestid': ids.requestId,
      'x-amzn-errortype': error.code,
    },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  });
}

/**
 * EC2's error document: `Response/Errors/Error/Code` and `RequestID`, not the query protocol's
 * `ErrorResponse` (EC2 API Reference, "Error responses").
 */
export function ec2ErrorResponse(error: AwsServiceError, ids: RequestIds): WireResponse {
  return withCode(
    error,
    xmlResponse(
      error.status,
      el(
        'Response',
        el('Errors', el('Error', el('Code', error.code), el('Message', error.message))),
        el('RequestID', ids.requestId),
      ),
      { 'content-type': 'text/xml;charset=UTF-8' },
    ),
  );
}

/** RPC v2 CBOR: the error as a CBOR map with `__type` and `message`. */
export function cborErrorResponse(error: AwsServiceError, ids: RequestIds): WireResponse {
  return withCode(error, {
    status: error.status,
    headers: {
      'content-type': 'application/cbor',
      'smithy-protocol': 'rpc-v2-cbor',
      'x-amzn-requestid': ids.requestId,
    },
    body: Buffer.from(cbor.serialize({ __type: error.code, message: error.message })),
  });
}
