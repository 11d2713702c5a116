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

// Access key ids are not secret on their own, but they name a credential and are hidden too. The
// shape is exact: a four-letter credential prefix and 16 base32 characters, standing alone. Not
// glued to other capitals or digits: without that, an upper-case hex digest that happens to hold
// `ACCA` 20 characters from its end would lose its tail; real text delimits a key id.
const ACCESS_KEY_ID = /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g;
// `name=value`, `name: value` or `"name": "value"` pairs anywhere in free text (config dumps, ini
// files, HTTP headers such as X-Amz-Security-Token): the name says the value is a credential.
const SECRET_ASSIGNMENT =
  /((?:aws[-_]?)?(?:secret[-_]?access[-_]?key|session[-_]?token|security[-_]?token|access[-_]?key[-_]?id)["']?\s*[:=]\s*["']?)[^\s"',;&]+/gi;
// STS session tokens begin with a fixed serialisation header, so their first base64 characters
// are always the same: `IQoJb3JpZ2lu` (base64 of "!\n\torigin", today's tokens, often read as
// "IQoJorigin") or `FwoGZXIvYXdz` (base64 of "\x17\n\x06er/aws", older ones). A token is the
// prefix and every base64 character after it, also URL-encoded (%2B, %2F, %3D), so a token is
// hidden whole even if nobody registered it.
const SESSION_TOKEN = /(?:IQoJb3JpZ2lu|FwoGZXIvYXdz)(?:[A-Za-z0-9+/=]|%2[BbFf]|%3[Dd])*/g;

// Why there is no pattern for secret access keys: a secret key is 40 characters of the base64
// alphabet with no prefix, checksum or other mark, and so are ordinary strings (a checkout path
// such as `<root>/handlers/crossAccount` at some root lengths, base64 of plain text, ids). Any
// shape-based rule either misses keys or hides things a log line must keep readable. So a secret
// key is hidden EXACTLY: the process registers every secret it holds (src/credentials.ts does for
// each credential AssumeRole returns, and this module for the environment's own credentials), and
// redactText replaces those strings wherever they appear. A secret key the process does not hold
// and that is not named (field name or assignment above) cannot be recognised, and is not.

/** Shorter values are not credentials (a real secret key is 40 characters, a token hundreds). */
const MIN_HELD_LENGTH = 16;
/**
 * Oldest first, bounded so a long-lived container refreshing credentials hourly does not grow it
 * without end: 1024 entries are 256 credentials (secret and token, each raw and URL-encoded), far
 * more than are valid at once even for many target accounts; checking them costs microseconds.
 */
const MAX_HELD = 1024;
const held = new Set<string>();
/** `held` longest first (a secret inside another goes with it), rebuilt when a secret is added. */
let heldLongestFirst: readonly string[] = [];

/**
 * Registers a secret the process holds (a secret access key, a session token): from now on
 * redactText hides it, and its URL-encoded form, wherever it appears.
 */
export function rememberSecret(value: string | undefined): void {
  if (typeof value !== 'string' || value.length < MIN_HELD_LENGTH) return;
  for (const form of new Set([value, encodeURIComponent(value)])) {
    held.delete(form);
    held.add(form);
  }
  while (held.size > MAX_HELD) {
    const oldest = held.values().next().value;
    if (oldest === undefined) break;
    held.delete(oldest);
  }
  heldLongestFirst = [...held].sort((a, b) => b.length - a.length);
}

/** The secrets redactText hides exactly, longest first (so a secret inside another goes too). */
export function heldSecrets(): readonly string[] {
  return heldLongestFirst;
}

// The function's own credentials (in Lambda, the execution role's session) are held from the start.
rememberSecret(process.env.AWS_SECRET_ACCESS_KEY);
rememberSecret(process.env.AWS_SESSION_TOKEN);

const MAX_DEPTH = 8;

export function isSensitiveKey(key: string): boolean {
  const folded = key.toLowerCase().replace(/[^a-z]/g, '');
  return folded === 'token' || SENSITIVE_KEY_PARTS.some((part) => folded.includes(part));
}

export function redactText(text: string): string {
  let clean = text;
  for (const secret of heldLongestFirst) {
    if (clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
  }
  return clean
    .replace(SECRET_ASSIGNMENT, `$1${REDACTED}`)
    .replace(ACCESS_KEY_ID, REDACTED)
    .replace(SESSION_TOKEN, REDACTED);
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
  // Scrubbed before it is cut: a secret cut in two would no longer be recognised.
  const clean = redactText(value);
  const head = clean.length > limit ? clean.slice(0, limit) : clean;
  const suffix = clean.length > limit ? `... (${value.length} chars)` : '';
  const escaped = JSON.stringify(head).replace(
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
