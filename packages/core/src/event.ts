import { ACCOUNT_ID, REGION } from './config';
import { EventValidationError } from './errors';
import { describeType, quote } from './redact';

/** The core's part of an event: which accounts and regions; the rest belongs to the job. */
export interface InvocationRequest {
  /** Accounts to visit, in the event's order, or all configured accounts. */
  readonly accounts: readonly string[];
  /** Regions to visit in each account, in the event's order, or all configured regions. */
  readonly regions: readonly string[];
  /** The job's fields (Job.eventFields), own properties only, not yet validated. */
  readonly jobFields: Readonly<Record<string, unknown>>;
  /**
   * `{"listAccounts": true}`: answer with the accounts and regions an empty event would visit,
   * and run nothing. Distributed mode's state machine asks this first, then hands out batches.
   */
  readonly listOnly: boolean;
}

const CORE_FIELDS = ['accounts', 'regions', 'listAccounts'];
const LISTED_ACCOUNTS = 10;

/**
 * Validates an event written by someone else's code. Only own keys are read (Object.keys /
 * Object.hasOwn), so `__proto__` or `constructor` are just unknown fields, never inherited values.
 * Any field that is neither `accounts` nor one of `jobFields` is refused by name.
 */
export function parseEvent(
  event: unknown,
  configuredAccounts: readonly string[],
  jobFields: readonly string[],
  configuredRegions: readonly string[],
): InvocationRequest {
  const fields = [...jobFields, ...CORE_FIELDS];
  // No payload: Lambda passes {}, but `sls invoke local` without --data passes '' (or nothing).
  if (event === undefined || event === '') {
    return {
      accounts: configuredAccounts,
      regions: configuredRegions,
      jobFields: {},
      listOnly: false,
    };
  }
  if (!isPlainObject(event)) {
    throw new EventValidationError(
      'event',
      `The event must be a JSON object with the fields ${fields.join(', ')} (all optional); got ${describeType(event)}`,
    );
  }
  const unknown = Object.keys(event).find((key) => !fields.includes(key));
  if (unknown !== undefined) {
    const field = quote(unknown);
    throw new EventValidationError(
      field,
      `The event has the unknown field ${field}; allowed fields are ${fields.join(', ')}`,
    );
  }
  if (Object.hasOwn(event, 'listAccounts')) {
    const others = Object.keys(event).filter((key) => key !== 'listAccounts');
    if (event.listAccounts !== true || others.length > 0) {
      throw new EventValidationError(
        'listAccounts',
        `listAccounts asks for the target accounts only: send exactly {"listAccounts": true}; got ${
          event.listAccounts !== true
            ? `listAccounts ${shown(event.listAccounts)}`
            : `also ${others.map((key) => quote(key)).join(', ')}`
        }`,
      );
    }
    return {
      accounts: configuredAccounts,
      regions: configuredRegions,
      jobFields: {},
      listOnly: true,
    };
  }
  const own: Record<string, unknown> = {};
  for (const name of jobFields) if (Object.hasOwn(event, name)) own[name] = event[name];
  return {
    accounts: subsetOf(ACCOUNTS, event, configuredAccounts),
    regions: subsetOf(REGIONS, event, configuredRegions),
    jobFields: own,
    listOnly: false,
  };
}

function shown(value: unknown): string {
  return ['boolean', 'number'].includes(typeof value) ? String(value) : quote(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

// The two lists of the envelope, checked alike: which field, what an item is, and the parameter
// that configures the allowed items.
const ACCOUNTS = {
  field: 'accounts',
  item: 'account',
  form: ACCOUNT_ID,
  expected: 'a 12-digit account id',
  param: 'targetAccountIds',
};
const REGIONS = {
  field: 'regions',
  item: 'region',
  form: REGION,
  expected: 'a region id such as us-east-1',
  param: 'targetRegions',
};

function subsetOf(
  list: typeof ACCOUNTS,
  event: Readonly<Record<string, unknown>>,
  configured: readonly string[],
): readonly string[] {
  const { field: name, item: what } = list;
  const value = Object.hasOwn(event, name) ? event[name] : undefined;
  if (value === undefined) return configured;
  if (!Array.isArray(value) || value.length === 0) {
    throw new EventValidationError(
      name,
      `${name} must be a non-empty array of configured ${what} ids (omit it to use all of ` +
        `them); got ${Array.isArray(value) ? 'an empty array' : describeType(value)}`,
    );
  }
  const seen = new Set<string>();
  for (const [index, item] of value.entries()) {
    const field = `${name}[${index}]`;
    if (typeof item !== 'string' || !list.form.test(item)) {
      throw new EventValidationError(
        field,
        `${field} must be ${list.expected}; got ${quote(item)}`,
      );
    }
    if (!configured.includes(item)) {
      throw new EventValidationError(
        field,
        `${field} is ${item}, which is not a configured target ${what} (${listOf(configured)}); ` +
          `add it with --param ${list.param} or leave it out of the event`,
      );
    }
    if (seen.has(item)) {
      throw new EventValidationError(field, `${field} repeats ${item}; list each ${what} once`);
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
