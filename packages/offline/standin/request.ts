import type { IncomingMessage } from 'node:http';

/** One HTTP request as received, in the form the signature check and the operations read. */
export interface ReceivedRequest {
  readonly method: string;
  /** The path exactly as sent, still percent-encoded: S3 signs it that way. */
  readonly rawPath: string;
  /** Decoded query parameters; a parameter without `=` has the value null, as the SDK models it. */
  readonly query: Readonly<Record<string, string | string[] | null>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export class RequestTooLargeError extends Error {
  override name = 'RequestTooLargeError';
}

export async function readRequest(
  incoming: IncomingMessage,
  maxBodyBytes: number,
): Promise<ReceivedRequest> {
  const url = incoming.url ?? '/';
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    method: incoming.method ?? 'GET',
    rawPath,
    query: parseQuery(rawQuery),
    headers,
    body: await readBody(incoming, maxBodyBytes),
  };
}

export function parseQuery(raw: string): Record<string, string | string[] | null> {
  const query: Record<string, string | string[] | null> = Object.create(null);
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const key = decode(equals === -1 ? part : part.slice(0, equals));
    const value = equals === -1 ? null : decode(part.slice(equals + 1));
    if (!(key in query)) {
      query[key] = value;
    } else {
      const previous = query[key];
      const list = Array.isArray(previous) ? previous : [previous ?? ''];
      query[key] = [...list, value ?? ''];
    }
  }
  return query;
}

/** Form bodies (STS's query protocol) encode spaces as `+`; URIs do not. */
export function parseForm(body: Buffer): Record<string, string> {
  const form: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) form[key] = value;
  return form;
}

/** decodeURIComponent, or the text as it is when it holds a malformed escape. */
export function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape cannot have been produced by the SDK; keep it verbatim so the
    // signature check, not a crash, rejects the request.
    return text;
  }
}

function readBody(incoming: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new RequestTooLargeError(`request body exceeds ${maxBytes} bytes`));
        incoming.destroy();
        return;
      }
      chunks.push(chunk);
    });
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

export function firstValue(value: string | string[] | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : value;
}
