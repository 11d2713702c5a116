// Who signed a request, checked in AWS's order: the access key, its session token, the clock,
// the payload hash, the signature, then whether the credentials are still valid.
import { timingSafeEqual } from 'node:crypto';
import {
  type AwsServiceError,
  emulatedProtocol,
  errorFor,
  jsonError,
  type Protocol,
  type Service,
  s3Error,
  stsError,
} from './awsErrors';
import type { StandInClock } from './clock';
import type { CredentialRecord, CredentialStore } from './credentialStore';
import type { ReceivedRequest } from './request';
import {
  type Authorization,
  contentHashMatches,
  formatAmzDate,
  parseAmzDate,
  parseAuthorization,
  signatureMatches,
} from './sigv4';
import type { StatsRecorder } from './stats';

/** STS (and most services) reject a request dated more than 5 minutes off their clock; S3 allows 15. */
export const MAX_SKEW_MS = { sts: 5 * 60_000, s3: 15 * 60_000 } as const;

function maxSkewMs(service: Service): number {
  return service === 's3' ? MAX_SKEW_MS.s3 : MAX_SKEW_MS.sts;
}

export interface Authenticated {
  readonly record: CredentialRecord;
  readonly authorization: Authorization;
}

export interface AuthenticationOptions {
  readonly credentials: CredentialStore;
  readonly clock: StandInClock;
  readonly stats: StatsRecorder;
  /** Issued credentials count as expired this long before their stated expiry (strict tests). */
  readonly rejectWithinMsOfExpiry: number;
}

export async function authenticate(
  request: ReceivedRequest,
  service: Service,
  options: AuthenticationOptions,
  protocol: Protocol = emulatedProtocol(service) ?? 'json',
): Promise<Authenticated> {
  const errors = errorFor(service, protocol);
  const header = request.headers.authorization;
  if (header === undefined) {
    throw byProtocol(protocol, {
      query: () => stsError.missingAuthenticationToken(),
      xml: () => s3Error.accessDenied(),
      json: () => jsonError(service).missingAuthenticationToken(),
    });
  }
  const authorization = parseAuthorization(header);
  if (!authorization) throw malformed(service, protocol);

  const record = options.credentials.lookup(authorization.accessKeyId);
  if (!record) throw errors.unknownAccessKey();
  if (!sameSecret(request.headers['x-amz-security-token'], record.sessionToken)) {
    throw errors.wrongSessionToken();
  }

  const signedAt = parseAmzDate(request.headers['x-amz-date']);
  if (signedAt === undefined) {
    const missingDate =
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
    throw byProtocol(protocol, {
      query: () => stsError.incompleteSignature(missingDate),
      xml: () =>
        s3Error.accessDenied('AWS authentication requires a valid Date or x-amz-date header'),
      json: () => jsonError(service).incompleteSignature(missingDate),
    });
  }
  checkClock(service, protocol, signedAt, request.headers['x-amz-date'] ?? '', options);
  if (authorization.scopeDate !== formatAmzDate(signedAt).slice(0, 8)) {
    throw errors.signatureDoesNotMatch();
  }

  if (!contentHashMatches(request)) {
    throw protocol === 'rest-xml'
      ? s3Error.contentSha256Mismatch()
      : errors.signatureDoesNotMatch();
  }
  const secret = {
    accessKeyId: record.accessKeyId,
    secretAccessKey: record.secretAccessKey,
    ...(record.sessionToken === undefined ? {} : { sessionToken: record.sessionToken }),
  };
  if (!(await signatureMatches(request, authorization, secret, signedAt))) {
    throw errors.signatureDoesNotMatch();
  }

  if (options.credentials.isRevoked(record)) {
    options.stats.revokedCredentials();
    throw errors.expiredToken();
  }
  if (
    record.expiresAt !== undefined &&
    options.clock.now() >= record.expiresAt - options.rejectWithinMsOfExpiry
  ) {
    options.stats.expiredCredentials();
    throw errors.expiredToken();
  }
  return { record, authorization };
}

/** The query protocol words it as STS does, REST-XML as S3 does, the JSON protocols their way. */
function byProtocol(
  protocol: Protocol,
  errors: { query: () => AwsServiceError; xml: () => AwsServiceError; json: () => AwsServiceError },
): AwsServiceError {
  if (protocol === 'query') return errors.query();
  return protocol === 'rest-xml' ? errors.xml() : errors.json();
}

function malformed(service: Service, protocol: Protocol): AwsServiceError {
  const incomplete =
    "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters in AWS4-HMAC-SHA256 form.";
  return byProtocol(protocol, {
    query: () => stsError.incompleteSignature(incomplete),
    xml: () =>
      s3Error.authorizationHeaderMalformed(
        'The authorization header is malformed; it is not AWS4-HMAC-SHA256.',
      ),
    json: () => jsonError(service).incompleteSignature(incomplete),
  });
}

function checkClock(
  service: Service,
  protocol: Protocol,
  signedAt: number,
  amzDate: string,
  options: AuthenticationOptions,
): void {
  const now = options.clock.now();
  const limit = maxSkewMs(service);
  if (Math.abs(signedAt - now) <= limit) return;
  if (options.clock.current.seconds !== 0) options.stats.fault('clockSkew');
  if (protocol === 'rest-xml') {
    throw s3Error.requestTimeTooSkewed(
      amzDate,
      new Date(options.clock.reportedNow()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      limit,
    );
  }
  // STS words it from its own clock; with the skew hidden, it shows the real time.
  const shown = options.clock.reportedNow();
  const notCurrent =
    protocol === 'query' ? stsError.signatureNotCurrent : jsonError(service).signatureNotCurrent;
  throw signedAt < now
    ? notCurrent(
        `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(shown - limit)} (${formatAmzDate(shown)} - 5 min.)`,
      )
    : notCurrent(
        `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(shown + limit)} (${formatAmzDate(shown)} + 5 min.)`,
      );
}

function sameSecret(presented: string | undefined, expected: string | undefined): boolean {
  if (presented === undefined || expected === undefined) return presented === expected;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
