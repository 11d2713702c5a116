import { EventValidationError } from './errors';
import { describeType, quote } from './redact';

export interface InvocationRequest {
  readonly prefix: string | undefined;
  readonly maxKeys: number;
  /** Accounts to visit, in the event's order, or all configured accounts. */
  readonly accounts: readonly string[];
}

const FIELDS = ['prefix', 'maxKeys', 'accounts'];
export const DEFAULT_MAX_KEYS = 50;
const MAX_KEYS_LIMIT = 1000;
const PREFIX_LIMIT = 1024;
const ACCOUNT_ID = /^\d{12}$/;
const LISTED_ACCOUNTS = 10;
// A high surrogate without its low half, or a low one without its high half.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Validates an event written by someone else's code. Only own keys are read (Object.keys /
 * Object.hasOwn), so `__proto__` or `constructor` are just unknown fields, never inherited values.
 */
export function parseEvent(
  event: unknown,
  configuredAccounts: readonly string[],
): InvocationRequest {
  // No payload: Lambda passes {}, but `sls invoke local` without --data passes '' (or nothing).
  if (event === undefined || event === '')
    return { prefix: undefined, maxKeys: DEFAULT_MAX_KEYS, accounts: configuredAccounts };
  if (!isPlainObject(event)) {
    throw new EventValidationError(
      'event',
      `The event must be a JSON object such as {"maxKeys": 10}; got ${describeType(event)}`,
    );
  }
  const unknown = Object.keys(event).find((key) => !FIELDS.includes(key));
  if (unknown !== undefined) {
    const field = quote(unknown);
    throw new EventValidationError(
      field,
      `The event has the unknown field ${field}; allowed fields are ${FIELDS.join(', ')}`,
    );
  }
  const field = (name: string) => (Object.hasOwn(event, name) ? event[name] : undefined);
  return {
    prefix: prefixOf(field('prefix')),
    maxKeys: maxKeysOf(field('maxKeys')),
    accounts: accountsOf(field('accounts'), configuredAccounts),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function prefixOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new EventValidationError('prefix', `prefix must be a string; got ${describeType(value)}`);
  }
  if (value.length > PREFIX_LIMIT) {
    throw new EventValidationError(
      'prefix',
      `prefix must be at most ${PREFIX_LIMIT} characters; got ${value.length}`,
    );
  }
  // S3 keys are UTF-8, which cannot encode a lone surrogate: the SDK would fail to build the
  // request URL (URIError) and the caller's mistake would read as an S3 failure.
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    throw new EventValidationError(
      'prefix',
      `prefix must be valid Unicode text; character ${lone.index + 1} is an unpaired surrogate (U+${code})`,
    );
  }
  return value;
}

function maxKeysOf(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_KEYS;
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > MAX_KEYS_LIMIT
  ) {
    throw new EventValidationError(
      'maxKeys',
      `maxKeys must be an integer from 1 to ${MAX_KEYS_LIMIT}; got ${quote(value)}`,
    );
  }
  return value;
}

function accountsOf(value: unknown, configured: readonly string[]): readonly string[] {
  if (value === undefined) return configured;
  if (!Array.isArray(value) || value.length === 0) {
    throw new EventValidationError(
      'accounts',
      'accounts must be a non-empty array of configured account ids (omit it to use all of ' +
        `them); got ${Array.isArray(value) ? 'an empty array' : describeType(value)}`,
    );
  }
  const seen = new Set<string>();
  for (const [index, item] of value.entries()) {
    const field = `accounts[${index}]`;
    if (typeof item !== 'string' || !ACCOUNT_ID.test(item)) {
      throw new EventValidationError(
        field,
        `${field} must be a 12-digit account id; got ${quote(item)}`,
      );
    }
    if (!configured.includes(item)) {
      throw new EventValidationError(
        field,
        `${field} is ${item}, which is not a configured target account (${listOf(configured)}); ` +
          'add it with --param targetAccountIds or leave it out of the event',
      );
    }
    if (seen.has(item)) {
      throw new EventValidationError(field, `${field} repeats ${item}; list each account once`);
    }
    seen.add(item);
  }
  return [...seen];
}

function listOf(accounts: readonly string[]): string {
  const shown = accounts.slice(0, LISTED_ACCOUNTS).join(', ');
  const more = accounts.length - LISTED_ACCOUNTS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}
