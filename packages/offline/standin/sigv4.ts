// Checks AWS Signature Version 4 the way AWS does: recompute the signature of the received
// request with the secret of the presented access key, using the SDK's own signer, and compare.
import { timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256, sha256Hex } from './hashing';
import type { ReceivedRequest } from './request';

export interface Authorization {
  readonly accessKeyId: string;
  /** YYYYMMDD of the credential scope. */
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

export interface SigningSecret {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** The Authorization header's parts, or undefined when it is absent or not SigV4. */
export function parseAuthorization(header: string | undefined): Authorization | undefined {
  const match = header === undefined ? null : AUTHORIZATION.exec(header.trim());
  if (!match) return undefined;
  const [, accessKeyId, scopeDate, region, service, signedHeaders, signature] = match;
  if (!accessKeyId || !scopeDate || !region || !service || !signedHeaders || !signature) {
    return undefined;
  }
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders: signedHeaders.split(';'),
    signature,
  };
}

/** The scope's service, read without validating anything else: it routes the request. */
export function scopeServiceOf(header: string | undefined): string | undefined {
  return header === undefined
    ? undefined
    : /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(header)?.[1];
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Epoch milliseconds of an X-Amz-Date value (20261130T050056Z), or undefined. */
export function parseAmzDate(value: string | undefined): number | undefined {
  const match = value === undefined ? null : AMZ_DATE.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const time = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0);
  return Number.isNaN(time) ? undefined : time;
}

export function formatAmzDate(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

const UNSIGNED_PAYLOADS = new Set([
  'UNSIGNED-PAYLOAD',
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);

/**
 * False when x-amz-content-sha256 names a hash that is not the body's. S3 answers that with its
 * own error; for other services the recomputed signature simply does not match.
 */
export function contentHashMatches(request: ReceivedRequest): boolean {
  const declared = request.headers['x-amz-content-sha256'];
  if (declared === undefined || UNSIGNED_PAYLOADS.has(declared)) return true;
  return declared.toLowerCase() === sha256Hex(request.body);
}

/**
 * True when `authorization.signature` is what `secret` produces for this request. The request is
 * rebuilt from the headers the client listed as signed, and the SDK's SignatureV4 signs it again
 * with the same date, region and service; S3 signs its path as sent, other services normalise it.
 */
export async function signatureMatches(
  request: ReceivedRequest,
  authorization: Authorization,
  secret: SigningSecret,
  signingDate: number,
): Promise<boolean> {
  const headers: Record<string, string> = {};
  for (const name of authorization.signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: secret,
    region: authorization.region,
    service: authorization.service,
    sha256: NodeSha256,
    uriEscapePath: authorization.service !== 's3',
    // Only what the client sent and signed is part of the canonical request.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: request.rawPath,
      query: { ...request.query } as Record<string, string | string[]>,
      headers,
      body: request.body.length > 0 ? request.body : undefined,
    },
    {
      signingDate: new Date(signingDate),
      signableHeaders: new Set(authorization.signedHeaders),
    },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? '')?.[1];
  const expectedList = /SignedHeaders=([^,]+)/.exec(signed.headers.authorization ?? '')?.[1];
  if (!expected || expectedList !== authorization.signedHeaders.join(';')) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(authorization.signature, 'hex'));
}
