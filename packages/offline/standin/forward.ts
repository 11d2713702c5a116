// Forward mode: an authorised call that is neither emulated nor fixtured goes to an emulator the
// user runs (LocalStack, moto), re-signed with the emulator's credentials for the account the call
// belongs to. The signing is the SDK's own SignatureV4, as for checking signatures.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SignatureV4 } from '@smithy/signature-v4';
import { StandInError } from './errors';
import { NodeSha256 } from './hashing';
import type { ReceivedRequest } from './request';
import type { WireResponse } from './response';
import type { SigningSecret } from './sigv4';

export interface Upstream {
  readonly url: URL;
  /** The upstream's credentials for calls of `accountId`. */
  readonly credentialsFor: (accountId: string) => SigningSecret;
  /** Give up on an answer after this long (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * LocalStack's convention: a 12-digit access key id is the account the call runs in, and the
 * secret is not checked. moto accepts any key.
 */
export function accountKeyCredentials(accountId: string): SigningSecret {
  return { accessKeyId: accountId, secretAccessKey: 'test' };
}

export function upstreamAt(
  url: string,
  credentialsFor: (accountId: string) => SigningSecret = accountKeyCredentials,
): Upstream {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new StandInError(
      `--upstream must be a URL such as http://localhost:4566 (LocalStack) or http://localhost:5000 (moto); got "${url}"`,
      { cause: error },
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new StandInError(`--upstream must be an http:// or https:// URL; got "${url}"`);
  }
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '') {
    throw new StandInError(
      `--upstream takes the emulator's base URL without path, query or user, e.g. http://localhost:4566; got "${url}"`,
    );
  }
  return { url: parsed, credentialsFor };
}

/** Hop-by-hop headers and the client's own signature, which the upstream must not see. */
const NOT_FORWARDED = new Set([
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'expect',
]);
const NOT_RETURNED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
]);

export class UpstreamError extends StandInError {
  override name = 'UpstreamError';
}

export async function forward(
  request: ReceivedRequest,
  signing: { readonly service: string; readonly region: string },
  accountId: string,
  upstream: Upstream,
): Promise<WireResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!NOT_FORWARDED.has(name)) headers[name] = value;
  }
  headers.host = upstream.url.host;
  // moto's server runs a call in the account this header names (LocalStack takes the access key
  // id instead, set below): with both, each target account keeps its own resources upstream.
  headers['x-moto-account-id'] = accountId;
  if (request.body.length > 0) headers['content-length'] = String(request.body.length);
  const signer = new SignatureV4({
    credentials: upstream.credentialsFor(accountId),
    region: signing.region,
    service: signing.service,
    sha256: NodeSha256,
    uriEscapePath: signing.service !== 's3',
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method: request.method,
    protocol: upstream.url.protocol,
    hostname: upstream.url.hostname,
    ...(upstream.url.port ? { port: Number(upstream.url.port) } : {}),
    path: request.rawPath,
    query: { ...request.query } as Record<string, string | string[]>,
    headers,
    body: request.body.length > 0 ? request.body : undefined,
  });
  const rawQuery = queryString(request.query);
  const send = upstream.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<WireResponse>((resolve, reject) => {
    const outgoing = send(
      {
        method: request.method,
        hostname: upstream.url.hostname,
        port: upstream.url.port || undefined,
        path: `${request.rawPath}${rawQuery ? `?${rawQuery}` : ''}`,
        headers: signed.headers,
        timeout: upstream.timeoutMs ?? 10_000,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const returned: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (value !== undefined && !NOT_RETURNED.has(name)) {
              returned[name] = Array.isArray(value) ? value.join(',') : value;
            }
          }
          resolve({
            status: incoming.statusCode ?? 502,
            headers: returned,
            body: Buffer.concat(chunks),
          });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer in time')));
    outgoing.on('error', (error) =>
      reject(
        new UpstreamError(
          `the upstream emulator at ${upstream.url.origin} did not answer: ${error.message}; is it running?`,
          { cause: error },
        ),
      ),
    );
    outgoing.end(request.body);
  });
}

/** The query as received, re-encoded the way SigV4 canonicalises it. */
function queryString(query: ReceivedRequest['query']): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values = value === null ? [null] : Array.isArray(value) ? value : [value];
    for (const one of values) {
      parts.push(one === null ? encode(key) : `${encode(key)}=${encode(one)}`);
    }
  }
  return parts.join('&');
}

function encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
