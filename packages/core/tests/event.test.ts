import { EventValidationError } from '@cross-account-lambda/core/src/errors';
import { parseEvent as parseEnvelope } from '@cross-account-lambda/core/src/event';
import { readFields } from '@cross-account-lambda/core/src/parameters';
import { integer, optional, text } from '@cross-account-lambda/core/src/schemas';

const DEFAULT_MAX_KEYS = 50;
const JOB_FIELDS = {
  prefix: optional(text(1024)),
  maxKeys: optional(integer(1, 1000), DEFAULT_MAX_KEYS),
};
const FIELDS = Object.keys(JOB_FIELDS);

import { TARGET_A, TARGET_B, TARGET_C } from '@cross-account-lambda/offline/testing/fixtures';

function parseEvent(event: unknown, configured: readonly string[]) {
  const { accounts, jobFields } = parseEnvelope(event, configured, FIELDS, ['eu-west-1']);
  return { ...readFields(JOB_FIELDS, jobFields), accounts };
}

const CONFIGURED = [TARGET_A, TARGET_B];

function rejection(event: unknown): EventValidationError {
  try {
    parseEvent(event, CONFIGURED);
  } catch (error) {
    if (error instanceof EventValidationError) return error;
    throw error;
  }
  throw new Error('parseEvent accepted the event');
}

describe('parseEvent accepts', () => {
  it('an empty object as "every configured account, default page size, no prefix"', () => {
    expect(parseEvent({}, CONFIGURED)).toEqual({
      prefix: undefined,
      maxKeys: DEFAULT_MAX_KEYS,
      accounts: CONFIGURED,
    });
    expect(DEFAULT_MAX_KEYS).toBe(50);
  });

  it('no payload at all (sls invoke local without --data passes an empty string)', () => {
    expect(parseEvent(undefined, CONFIGURED).accounts).toEqual(CONFIGURED);
    expect(parseEvent('', CONFIGURED).accounts).toEqual(CONFIGURED);
  });

  it('every field at its limits', () => {
    const prefix = 'p'.repeat(1024);
    expect(parseEvent({ prefix, maxKeys: 1000, accounts: [TARGET_B] }, CONFIGURED)).toEqual({
      prefix,
      maxKeys: 1000,
      accounts: [TARGET_B],
    });
    expect(parseEvent({ maxKeys: 1, prefix: '' }, CONFIGURED)).toMatchObject({
      maxKeys: 1,
      prefix: '',
    });
  });

  it('a subset of accounts in the order the event gives', () => {
    expect(parseEvent({ accounts: [TARGET_B, TARGET_A] }, CONFIGURED).accounts).toEqual([
      TARGET_B,
      TARGET_A,
    ]);
  });

  it('an object without prototype, as some JSON parsers produce', () => {
    const event = Object.assign(Object.create(null) as object, { maxKeys: 5 });
    expect(parseEvent(event, CONFIGURED).maxKeys).toBe(5);
  });
});

const refused: [string, unknown, string, RegExp][] = [
  [
    'null',
    null,
    'event',
    /The event must be a JSON object with the fields prefix, maxKeys, accounts, regions, listAccounts \(all optional\); got null/,
  ],
  ['an array', [{ maxKeys: 1 }], 'event', /must be a JSON object .*; got an array/],
  ['a number', 42, 'event', /got the number 42/],
  ['a non-empty string', '{"maxKeys": 1}', 'event', /got a string/],
  ['a boolean', true, 'event', /got a boolean/],
  ['a class instance', new Date(0), 'event', /must be a JSON object/],
  [
    'a prefix that is not a string',
    { prefix: 7 },
    'prefix',
    /prefix must be a string; got the number 7/,
  ],
  ['a null prefix', { prefix: null }, 'prefix', /prefix must be a string; got null/],
  [
    'a prefix of 1025 characters',
    { prefix: 'p'.repeat(1025) },
    'prefix',
    /prefix must be at most 1024 characters; got 1025/,
  ],
  [
    'a fractional maxKeys',
    { maxKeys: 2.5 },
    'maxKeys',
    /maxKeys must be an integer from 1 to 1000; got the number 2.5/,
  ],
  ['a maxKeys of zero', { maxKeys: 0 }, 'maxKeys', /got the number 0/],
  ['a maxKeys of 1001', { maxKeys: 1001 }, 'maxKeys', /got the number 1001/],
  ['a negative maxKeys', { maxKeys: -1 }, 'maxKeys', /got the number -1/],
  [
    'a maxKeys given as a string',
    { maxKeys: '10' },
    'maxKeys',
    /maxKeys must be an integer from 1 to 1000; got "10"/,
  ],
  ['a NaN maxKeys', { maxKeys: Number.NaN }, 'maxKeys', /got a non-finite number/],
  [
    'an infinite maxKeys',
    { maxKeys: Number.POSITIVE_INFINITY },
    'maxKeys',
    /got a non-finite number/,
  ],
  [
    'accounts that is not an array',
    { accounts: TARGET_A },
    'accounts',
    /accounts must be a non-empty array of configured account ids \(omit it to use all of them\); got a string/,
  ],
  ['an empty accounts array', { accounts: [] }, 'accounts', /got an empty array/],
  [
    'an account id that is a number',
    { accounts: [222222222222] },
    'accounts[0]',
    /accounts\[0\] must be a 12-digit account id; got the number 222222222222/,
  ],
  [
    'an 11-digit account id',
    { accounts: [TARGET_A, '33333333333'] },
    'accounts[1]',
    /accounts\[1\] must be a 12-digit account id; got "33333333333"/,
  ],
  [
    'an account that is not configured',
    { accounts: [TARGET_C] },
    'accounts[0]',
    /accounts\[0\] is 444444444444, which is not a configured target account \(222222222222, 333333333333\); add it with --param targetAccountIds/,
  ],
  [
    'a duplicated account',
    { accounts: [TARGET_A, TARGET_B, TARGET_A] },
    'accounts[2]',
    /accounts\[2\] repeats 222222222222; list each account once/,
  ],
  [
    'an unknown field',
    { maxKeys: 5, bucket: 'other-bucket' },
    '"bucket"',
    /The event has the unknown field "bucket"; allowed fields are prefix, maxKeys, accounts, regions/,
  ],
  ['a misspelt field', { MaxKeys: 5 }, '"MaxKeys"', /unknown field "MaxKeys"/],
  [
    'a constructor field',
    { constructor: { prototype: {} } },
    '"constructor"',
    /unknown field "constructor"/,
  ],
];

describe('parseEvent refuses, naming the field', () => {
  it.each(refused)('refuses %s', (_case, event, field, message) => {
    const error = rejection(event);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(error.code).toBe('EventValidationError');
  });

  it('refuses an event with an own __proto__ key, as JSON.parse produces it', () => {
    const event: unknown = JSON.parse(
      '{"__proto__": {"maxKeys": 1000, "accounts": ["444444444444"]}}',
    );
    const error = rejection(event);
    expect(error.field).toBe('"__proto__"');
    expect(error.message).toMatch(/unknown field "__proto__"/);
  });

  it('does not honour fields inherited through a prototype', () => {
    const event = Object.create({ maxKeys: 1000, accounts: [TARGET_C] }) as object;
    // Not a plain object: its prototype is not Object.prototype.
    expect(rejection(event).field).toBe('event');
  });

  it('leaves Object.prototype untouched', () => {
    rejection(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('lists at most ten configured accounts in its message', () => {
    const many = Array.from({ length: 25 }, (_, index) => String(100000000000 + index));
    expect(() => parseEvent({ accounts: [TARGET_C] }, many)).toThrow(/and 15 more\)/);
  });

  it('escapes and shortens an echoed unknown field name', () => {
    const name = `\u2028evil\u001b[2J${'k'.repeat(100)}`;
    const error = rejection({ [name]: 1 });
    expect(error.message).toContain('"\\u2028evil\\u001b[2J');
    expect(error.message).toContain('... (109 chars)');
    expect(error.message).toMatch(/^[\x20-\x7e]+$/);
  });

  it('escapes an echoed value that is not printable ASCII', () => {
    const error = rejection({ accounts: ['\u0000\u202e12345678901'] });
    expect(error.message).toContain('"\\u0000\\u202e12345678901"');
    expect(error.message).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('{"listAccounts": true}', () => {
  it('asks for the accounts and regions an empty event would visit, and nothing else', () => {
    expect(parseEnvelope({ listAccounts: true }, CONFIGURED, FIELDS, ['eu-west-1'])).toEqual({
      accounts: CONFIGURED,
      regions: ['eu-west-1'],
      jobFields: {},
      listOnly: true,
    });
    expect(parseEnvelope({}, CONFIGURED, FIELDS, ['eu-west-1']).listOnly).toBe(false);
  });

  it.each([
    [{ listAccounts: false }, /got listAccounts false/],
    [{ listAccounts: 'yes' }, /got listAccounts "yes"/],
    [{ listAccounts: true, accounts: [TARGET_A] }, /got also "accounts"/],
    [{ listAccounts: true, maxKeys: 5 }, /got also "maxKeys"/],
  ])('refuses %j, saying to send exactly {"listAccounts": true}', (event, message) => {
    const error = rejection(event);
    expect(error.field).toBe('listAccounts');
    expect(error.message).toMatch(/send exactly \{"listAccounts": true\}/);
    expect(error.message).toMatch(message);
  });
});

describe('the regions of the event', () => {
  const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
  const regionsOf = (event: unknown) => parseEnvelope(event, CONFIGURED, FIELDS, REGIONS).regions;

  it('are every configured region when the event names none', () => {
    expect(regionsOf({})).toEqual(REGIONS);
    expect(regionsOf(undefined)).toEqual(REGIONS);
  });

  it('narrow the fan-out to the regions named, in the event order', () => {
    expect(regionsOf({ regions: ['ap-southeast-2', 'eu-west-1'] })).toEqual([
      'ap-southeast-2',
      'eu-west-1',
    ]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['an empty list', [], 'regions', /regions must be a non-empty array .*got an empty array/],
    ['a string', 'eu-west-1', 'regions', /regions must be a non-empty array .*got a string/],
    ['a malformed id', ['EU'], 'regions[0]', /regions\[0\] must be a region id .*got "EU"/],
    [
      'a region not configured',
      ['eu-west-1', 'sa-east-1'],
      'regions[1]',
      /regions\[1\] is sa-east-1, which is not a configured target region \(eu-west-1, us-east-1, ap-southeast-2\); add it with --param targetRegions/,
    ],
    ['a repeat', ['us-east-1', 'us-east-1'], 'regions[1]', /regions\[1\] repeats us-east-1/],
  ])('refuses %s, naming the field', (_name, regions, field, message) => {
    let error: unknown;
    try {
      regionsOf({ regions });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });
});
