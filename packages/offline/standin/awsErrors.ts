// AWS's error answers, with the codes, messages and HTTP statuses the real services use, so the
// SDK raises the same exception classes offline as it would against AWS.

/**
 * The service a request was signed for (the SigV4 scope's signing name): `sts` and `s3` are
 * emulated, any other (`dynamodb`, `sqs`, ...) is answered from fixtures or forwarded.
 */
export type Service = string;

/**
 * AWS's wire protocol families, which differ in how an error is written: the query protocol and
 * REST-XML as XML documents, the JSON protocols (X-Amz-Target) and REST-JSON as JSON with
 * `__type` / x-amzn-ErrorType.
 */
export type Protocol = 'query' | 'ec2' | 'rest-xml' | 'json' | 'rest-json' | 'cbor';

/** The protocol of the emulated services; any other service's is read from the request. */
export function emulatedProtocol(service: Service): Protocol | undefined {
  if (service === 'sts') return 'query';
  if (service === 's3') return 'rest-xml';
  return undefined;
}

/** A request the stand-in answers with an AWS error document; thrown inside the pipeline. */
export class AwsServiceError extends Error {
  override name = 'AwsServiceError';

  constructor(
    readonly service: Service,
    readonly code: string,
    readonly status: number,
    message: string,
    /** S3 adds elements such as BucketName or Key to its error document. */
    readonly details: Readonly<Record<string, string>> = {},
    /** STS's Error/Type: Sender for the caller's mistakes, Receiver for the service's own. */
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided.';

export const stsError = {
  accessDenied: (message: string) => new AwsServiceError('sts', 'AccessDenied', 403, message),
  expiredToken: () =>
    new AwsServiceError(
      'sts',
      'ExpiredToken',
      400,
      'The security token included in the request is expired',
    ),
  invalidClientTokenId: () =>
    new AwsServiceError(
      'sts',
      'InvalidClientTokenId',
      403,
      'The security token included in the request is invalid.',
    ),
  signatureDoesNotMatch: () =>
    new AwsServiceError(
      'sts',
      'SignatureDoesNotMatch',
      403,
      `${SIGNATURE_MISMATCH} Check your AWS Secret Access Key and signing method. Consult the service documentation for details.`,
    ),
  /** STS reports a stale or future X-Amz-Date as SignatureDoesNotMatch with this wording. */
  signatureNotCurrent: (message: string) =>
    new AwsServiceError('sts', 'SignatureDoesNotMatch', 403, message),
  incompleteSignature: (message: string) =>
    new AwsServiceError('sts', 'IncompleteSignature', 400, message),
  missingAuthenticationToken: () =>
    new AwsServiceError(
      'sts',
      'MissingAuthenticationToken',
      403,
      'Request is missing Authentication Token',
    ),
  validation: (message: string) => new AwsServiceError('sts', 'ValidationError', 400, message),
  invalidAction: (action: string) =>
    new AwsServiceError(
      'sts',
      'InvalidAction',
      400,
      `Could not find operation ${action} for version 2011-06-15`,
    ),
  notImplemented: (message: string) => new AwsServiceError('sts', 'NotImplemented', 400, message),
  throttling: () => new AwsServiceError('sts', 'Throttling', 400, 'Rate exceeded'),
};

export const s3Error = {
  accessDenied: (message = 'Access Denied') =>
    new AwsServiceError('s3', 'AccessDenied', 403, message),
  // Not an AWS error: the stand-in's answer to a call the job's code makes without declaring it.
  undeclaredPermission: (message: string) =>
    new AwsServiceError('s3', 'UndeclaredPermission', 403, message),
  noSuchBucket: (bucket: string) =>
    new AwsServiceError('s3', 'NoSuchBucket', 404, 'The specified bucket does not exist', {
      BucketName: bucket,
    }),
  noSuchKey: (key: string) =>
    new AwsServiceError('s3', 'NoSuchKey', 404, 'The specified key does not exist.', { Key: key }),
  // S3 echoes the token (Token-0) in this document; the stand-in leaves it out on purpose.
  expiredToken: () =>
    new AwsServiceError('s3', 'ExpiredToken', 400, 'The provided token has expired.'),
  invalidAccessKeyId: () =>
    new AwsServiceError(
      's3',
      'InvalidAccessKeyId',
      403,
      'The AWS Access Key Id you provided does not exist in our records.',
    ),
  invalidToken: () =>
    new AwsServiceError(
      's3',
      'InvalidToken',
      400,
      'The provided token is malformed or otherwise invalid.',
    ),
  signatureDoesNotMatch: () =>
    new AwsServiceError(
      's3',
      'SignatureDoesNotMatch',
      403,
      `${SIGNATURE_MISMATCH} Check your key and signing method.`,
    ),
  requestTimeTooSkewed: (requestTime: string, serverTime: string, maxSkewMs: number) =>
    new AwsServiceError(
      's3',
      'RequestTimeTooSkewed',
      403,
      'The difference between the request time and the current time is too large.',
      {
        RequestTime: requestTime,
        ServerTime: serverTime,
        MaxAllowedSkewMilliseconds: String(maxSkewMs),
      },
    ),
  authorizationHeaderMalformed: (message: string, details: Record<string, string> = {}) =>
    new AwsServiceError('s3', 'AuthorizationHeaderMalformed', 400, message, details),
  invalidArgument: (message: string, name: string, value: string) =>
    new AwsServiceError('s3', 'InvalidArgument', 400, message, {
      ArgumentName: name,
      ArgumentValue: value,
    }),
  contentSha256Mismatch: () =>
    new AwsServiceError(
      's3',
      'XAmzContentSHA256Mismatch',
      400,
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ),
  notImplemented: (
    message = 'A header or query you provided implies functionality that is not implemented.',
  ) => new AwsServiceError('s3', 'NotImplemented', 501, message),
  slowDown: () => new AwsServiceError('s3', 'SlowDown', 503, 'Please reduce your request rate.'),
};

/**
 * The JSON-protocol services' answers (DynamoDB, Lambda, ...): AWS's coral codes, which the SDK
 * maps to the same exception classes (and retry and clock-skew handling) as online.
 */
export function jsonError(service: Service) {
  const make = (code: string, status: number, message: string) =>
    new AwsServiceError(service, code, status, message);
  return {
    accessDenied: (message: string) => make('AccessDeniedException', 400, message),
    // Not an AWS error: see s3Error.undeclaredPermission.
    undeclaredPermission: (message: string) => make('UndeclaredPermission', 403, message),
    expiredToken: () =>
      make('ExpiredTokenException', 400, 'The security token included in the request is expired'),
    unrecognizedClient: () =>
      make(
        'UnrecognizedClientException',
        400,
        'The security token included in the request is invalid.',
      ),
    signatureDoesNotMatch: () =>
      make(
        'InvalidSignatureException',
        400,
        `${SIGNATURE_MISMATCH} Check your AWS Secret Access Key and signing method. Consult the service documentation for details.`,
      ),
    /** A stale or future X-Amz-Date, in the words of the JSON services. */
    signatureNotCurrent: (message: string) => make('InvalidSignatureException', 400, message),
    incompleteSignature: (message: string) => make('IncompleteSignatureException', 400, message),
    missingAuthenticationToken: () =>
      make('MissingAuthenticationTokenException', 400, 'Request is missing Authentication Token'),
    throttling: () => make('ThrottlingException', 400, 'Rate exceeded'),
  };
}

/** The error for the same situation in each protocol family, where they differ only in wording. */
export function errorFor(
  service: Service,
  protocol: Protocol = emulatedProtocol(service) ?? 'json',
) {
  if (protocol === 'json' || protocol === 'rest-json' || protocol === 'cbor') {
    const json = jsonError(service);
    return {
      expiredToken: json.expiredToken,
      unknownAccessKey: json.unrecognizedClient,
      wrongSessionToken: json.unrecognizedClient,
      signatureDoesNotMatch: json.signatureDoesNotMatch,
      throttled: json.throttling,
    };
  }
  return protocol === 'query' || protocol === 'ec2'
    ? {
        expiredToken: stsError.expiredToken,
        unknownAccessKey: stsError.invalidClientTokenId,
        wrongSessionToken: stsError.invalidClientTokenId,
        signatureDoesNotMatch: stsError.signatureDoesNotMatch,
        throttled: stsError.throttling,
      }
    : {
        expiredToken: s3Error.expiredToken,
        unknownAccessKey: s3Error.invalidAccessKeyId,
        wrongSessionToken: s3Error.invalidToken,
        signatureDoesNotMatch: s3Error.signatureDoesNotMatch,
        throttled: s3Error.slowDown,
      };
}
