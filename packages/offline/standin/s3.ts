// S3, path-style (the SDK's choice for an IP endpoint): ListObjectsV2, GetObject, HeadObject and
// PutObject, each decided by the evaluator against the bucket or object ARN.
import type { Decision } from '../iam';
import { s3Error } from './awsErrors';
import type { Bucket, StoredObject } from './buckets';
import type { StandInContext } from './context';
import type { CredentialRecord } from './credentialStore';
import { denialMessage, undeclaredCall } from './declared';
import { firstValue, type ReceivedRequest } from './request';
import {
  type RequestIds,
  S3_NAMESPACE,
  s3Headers,
  type WireResponse,
  xmlResponse,
} from './response';
import { el, root } from './xml';

export interface S3Route {
  /** The S3 API operation, e.g. ListObjectsV2; `Unsupported:<method>` when the stand-in has none. */
  readonly action: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
}

const MAX_KEYS = 1000;

/** Which operation a path-style request is, from its method, path and query. */
export function routeS3(request: ReceivedRequest): S3Route {
  const path = request.rawPath.replace(/^\//, '');
  const slash = path.indexOf('/');
  const bucket = decodePathPart(slash === -1 ? path : path.slice(0, slash)) || undefined;
  const key =
    slash === -1 || slash === path.length - 1 ? undefined : decodePathPart(path.slice(slash + 1));
  const { method, query } = request;
  if (bucket === undefined)
    return { action: method === 'GET' ? 'ListBuckets' : `Unsupported${method}`, bucket, key };
  if (key === undefined) {
    if (method === 'GET' && firstValue(query['list-type']) === '2')
      return { action: 'ListObjectsV2', bucket, key };
    if (method === 'GET') return { action: 'ListObjects', bucket, key };
    if (method === 'HEAD') return { action: 'HeadBucket', bucket, key };
    return { action: `Unsupported${method}Bucket`, bucket, key };
  }
  switch (method) {
    case 'GET':
      return { action: 'GetObject', bucket, key };
    case 'HEAD':
      return { action: 'HeadObject', bucket, key };
    case 'PUT':
      return { action: 'PutObject', bucket, key };
    default:
      return { action: `Unsupported${method}Object`, bucket, key };
  }
}

function decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export async function handleS3(
  route: S3Route,
  request: ReceivedRequest,
  signer: CredentialRecord,
  signingRegion: string,
  context: StandInContext,
  ids: RequestIds,
): Promise<WireResponse> {
  const supported = ['ListObjectsV2', 'GetObject', 'HeadObject', 'PutObject'];
  if (!supported.includes(route.action) || route.bucket === undefined) {
    throw s3Error.notImplemented(`The offline stand-in does not implement ${route.action}.`);
  }
  const bucket = context.buckets.get(route.bucket);
  // S3 reveals that a bucket name is unused before it checks any permission.
  if (!bucket) throw s3Error.noSuchBucket(route.bucket);
  if (signingRegion !== bucket.region) {
    throw s3Error.authorizationHeaderMalformed(
      `The authorization header is malformed; the region '${signingRegion}' is wrong; expecting '${bucket.region}'`,
      { Region: bucket.region },
    );
  }
  const expectedOwner = request.headers['x-amz-expected-bucket-owner'];
  if (expectedOwner !== undefined && expectedOwner !== bucket.accountId)
    throw s3Error.accessDenied();

  const headers = { ...s3Headers(ids), 'x-amz-bucket-region': bucket.region };
  if (route.action === 'ListObjectsV2') {
    await authorize(context, signer, 's3:ListBucket', `arn:aws:s3:::${bucket.name}`);
    return listObjectsV2(bucket, request, context, headers);
  }
  const key = route.key ?? '';
  const objectArn = `arn:aws:s3:::${bucket.name}/${key}`;
  if (route.action === 'PutObject') {
    await authorize(context, signer, 's3:PutObject', objectArn);
    return putObject(bucket, key, request, context, headers);
  }
  await authorize(context, signer, 's3:GetObject', objectArn);
  const object = bucket.objects.get(key);
  if (!object) {
    // Without s3:ListBucket the caller may not learn that the key is missing: AccessDenied.
    const list = await context.decisions.targetCall(
      signer.principal.caller,
      's3:ListBucket',
      `arn:aws:s3:::${bucket.name}`,
    );
    throw list.allowed
      ? s3Error.noSuchKey(key)
      : accessDenied(signer, 's3:GetObject', objectArn, undefined);
  }
  return objectResponse(object, headers, route.action === 'HeadObject');
}

async function authorize(
  context: StandInContext,
  signer: CredentialRecord,
  action: string,
  resourceArn: string,
): Promise<void> {
  refuseUndeclared(context, signer, action);
  const decision = await context.decisions.targetCall(signer.principal.caller, action, resourceArn);
  if (!decision.allowed) throw accessDenied(signer, action, resourceArn, decision);
}

function refuseUndeclared(context: StandInContext, signer: CredentialRecord, action: string): void {
  const refusal = undeclaredCall(context, signer, action);
  if (refusal !== undefined) throw s3Error.undeclaredPermission(refusal);
}

function accessDenied(
  signer: CredentialRecord,
  action: string,
  resourceArn: string,
  decision: Decision | undefined,
) {
  return s3Error.accessDenied(denialMessage(signer, action, resourceArn, decision, true));
}

function listObjectsV2(
  bucket: Bucket,
  request: ReceivedRequest,
  context: StandInContext,
  headers: Record<string, string>,
): WireResponse {
  const { query } = request;
  const maxKeysRaw = firstValue(query['max-keys']);
  let maxKeys = MAX_KEYS;
  if (maxKeysRaw !== undefined) {
    if (!/^\d{1,10}$/.test(maxKeysRaw)) {
      throw s3Error.invalidArgument(
        'Provided max-keys not an integer or within integer range',
        'max-keys',
        maxKeysRaw,
      );
    }
    maxKeys = Math.min(Number(maxKeysRaw), MAX_KEYS);
  }
  const encodingType = firstValue(query['encoding-type']);
  if (encodingType !== undefined && encodingType !== 'url') {
    throw s3Error.invalidArgument(
      'Invalid Encoding Method specified in Request',
      'encoding-type',
      encodingType,
    );
  }
  const prefix = firstValue(query.prefix) ?? '';
  const delimiter = firstValue(query.delimiter) || undefined;
  const startAfter = firstValue(query['start-after']);
  const continuationToken = firstValue(query['continuation-token']);
  const listing = context.buckets.list(bucket, {
    prefix,
    delimiter,
    maxKeys,
    startAfter,
    continuationToken,
  });
  const encode = (text: string) =>
    encodingType === 'url' ? encodeURIComponent(text).replace(/%2F/g, '/') : text;

  return xmlResponse(
    200,
    root(
      'ListBucketResult',
      S3_NAMESPACE,
      el('Name', bucket.name),
      el('Prefix', encode(prefix)),
      startAfter === undefined ? undefined : el('StartAfter', encode(startAfter)),
      continuationToken === undefined ? undefined : el('ContinuationToken', continuationToken),
      listing.nextContinuationToken === undefined
        ? undefined
        : el('NextContinuationToken', listing.nextContinuationToken),
      el('KeyCount', listing.contents.length + listing.commonPrefixes.length),
      el('MaxKeys', maxKeys),
      delimiter === undefined ? undefined : el('Delimiter', encode(delimiter)),
      encodingType === undefined ? undefined : el('EncodingType', encodingType),
      el('IsTruncated', listing.isTruncated),
      ...listing.contents.map((object) =>
        el(
          'Contents',
          el('Key', encode(object.key)),
          el('LastModified', new Date(object.lastModified).toISOString()),
          el('ETag', object.etag),
          el('Size', object.body.length),
          el('StorageClass', 'STANDARD'),
        ),
      ),
      ...listing.commonPrefixes.map((commonPrefix) =>
        el('CommonPrefixes', el('Prefix', encode(commonPrefix))),
      ),
    ),
    { ...headers, 'content-type': 'application/xml' },
  );
}

function objectResponse(
  object: StoredObject,
  headers: Record<string, string>,
  headOnly: boolean,
): WireResponse {
  return {
    status: 200,
    headers: {
      ...headers,
      'content-type': object.contentType,
      'content-length': String(object.body.length),
      etag: object.etag,
      'last-modified': new Date(object.lastModified).toUTCString(),
      'accept-ranges': 'bytes',
      'x-amz-server-side-encryption': 'AES256',
    },
    body: headOnly ? '' : object.body,
  };
}

function putObject(
  bucket: Bucket,
  key: string,
  request: ReceivedRequest,
  context: StandInContext,
  headers: Record<string, string>,
): WireResponse {
  const payload = request.headers['x-amz-content-sha256'] ?? '';
  if (payload.startsWith('STREAMING-')) {
    throw s3Error.notImplemented(
      'The offline stand-in does not accept aws-chunked uploads; send a sized body.',
    );
  }
  const object = context.buckets.put(
    bucket,
    key,
    request.body,
    context.clock.now(),
    request.headers['content-type'],
  );
  return { status: 200, headers: { ...headers, etag: object.etag }, body: '' };
}
