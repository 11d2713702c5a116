// Last line of defence between credentials and anything printed or returned. The code is written so
// that credentials never reach a log call or a message; these patterns catch the day it does.

const REDACTED = '[REDACTED]';

// Field names whose values are credentials or material derived from them (S3 echoes AWSAccessKeyId,
// StringToSign and CanonicalRequest in SignatureDoesNotMatch errors; the last two carry the token).
const SENSITIVE_KEY_PARTS = [
  'accesskey',
  'secret',
  'sessiontoken',
  'securitytoken',
  'credential',
  'authorization',
  'password',
  'signature',
  'stringtosign',
  'canonicalrequest',
];

const ACCESS_KEY_ID = /(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g;
// `name=value` or `"name": "value"` pairs anywhere in free text (config dumps, ini files, headers).
const SECRET_ASSIGNMENT =
  /((?:aws_?)?(?:secret_?access_?key|session_?token|security_?token|access_?key_?id)["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi;
// A secret access key is 40 characters of base64 alphabet; requiring both letter cases keeps hex
// digests (SHA-1, 40 lowercase characters) and similar identifiers intact.
const SECRET_KEY_CANDIDATE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
// Session tokens are several hundred standard-base64 characters (no '-' or '_'), so a long
// hyphenated assumed-role ARN, which must stay readable, never matches.
const LONG_TOKEN = /[A-Za-z0-9/+=]{100,}/g;

const MAX_DEPTH = 8;

export function isSensitiveKey(key: string): boolean {
  const folded = key.toLowerCase().replace(/[^a-z]/g, '');
  return folded === 'token' || SENSITIVE_KEY_PARTS.some((part) => folded.includes(part));
}

export function redactText(text: string): string {
  return text
    .replace(SECRET_ASSIGNMENT, `$1${REDACTED}`)
    .replace(ACCESS_KEY_ID, REDACTED)
    .replace(LONG_TOKEN, REDACTED)
    .replace(SECRET_KEY_CANDIDATE, (candidate) =>
      /[a-z]/.test(candidate) && /[A-Z]/.test(candidate) ? REDACTED : candidate,
    );
}

/** A copy of `value` that is safe to serialise: sensitive fields dropped, strings scrubbed. */
export function redactValue(value: unknown): unknown {
  return redactAt(value, 0, new WeakSet());
}

function redactAt(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactAt(item, depth + 1, seen));
  if (value instanceof Error) return redactAt(describeError(value), depth, seen);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    copy[redactText(key)] = isSensitiveKey(key)
      ? REDACTED
      : redactAt((value as Record<string, unknown>)[key], depth + 1, seen);
  }
  return copy;
}

// Only named, known-harmless properties of an error are printed: SDK errors carry extra response
// fields (AWSAccessKeyId, StringToSign, ...) as own properties, so spreading one would leak them.
function describeError(error: Error): Record<string, unknown> {
  const metadata = (error as { $metadata?: Record<string, unknown> }).$metadata;
  const described: Record<string, unknown> = { name: error.name, message: error.message };
  for (const key of ['code', 'step', 'account', 'field', 'variable'] as const) {
    const field = (error as unknown as Record<string, unknown>)[key];
    if (typeof field === 'string') described[key] = field;
  }
  if (metadata) {
    described.httpStatusCode = metadata.httpStatusCode;
    described.requestId = metadata.requestId;
    described.attempts = metadata.attempts;
  }
  if (error.stack) described.stack = error.stack;
  if (error.cause !== undefined) {
    described.cause = error.cause instanceof Error ? error.cause : String(error.cause);
  }
  return described;
}

const ECHO_LIMIT = 64;

/**
 * Echoes an untrusted value inside a message: JSON-quoted, non-printable and non-ASCII characters
 * escaped (nothing can break a log line or fake one), capped in length, scrubbed of secrets.
 */
export function quote(value: unknown, limit = ECHO_LIMIT): string {
  if (typeof value !== 'string') return describeType(value);
  const head = value.length > limit ? value.slice(0, limit) : value;
  const suffix = value.length > limit ? `... (${value.length} chars)` : '';
  const escaped = JSON.stringify(redactText(head)).replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${escaped}${suffix}`;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number')
    return Number.isFinite(value) ? `the number ${value}` : 'a non-finite number';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
