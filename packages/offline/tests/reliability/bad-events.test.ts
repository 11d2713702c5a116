// Events written by other people's code: a property-based test throws generated events at the real
// handler (one warm container, against the stand-in, so valid events make real signed calls).
// Every event gets a valid result or an EventValidationError naming a field the event really has;
// never a TypeError or any other unhandled exception; and nothing generated reaches the logs raw.

import type { EventValidationError } from '@cross-account-lambda/core/src/errors';
import { quote } from '@cross-account-lambda/core/src/redact';
import fc from 'fast-check';
import { captureOutput, logRecords } from '../../testing/captureOutput';
import { recordFigure } from '../../testing/runRecord';
import { lambdaContext, type OfflineAws, SYNTH_TIMEOUT_MS, startOfflineAws } from './support';

/** Fixed, so a failure is reproducible; fast-check prints it with the counterexample. */
const SEED = 20_260_601;
const RUNS = 1000;
const TARGET = '222222222222';
/** src/redact.ts ECHO_LIMIT: echoed values are cut to this many characters. */
const ECHO_LIMIT = 64;
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

let aws: OfflineAws;
let container: ReturnType<OfflineAws['coldStart']>;

beforeAll(async () => {
  aws = await startOfflineAws();
  container = aws.coldStart();
  // The first call warms the container (and lets the SDK print its one-off Node version warning),
  // so that every generated event meets the function as a warm invocation does.
  const warmUp = await captureOutput(() => container.handler({}, lambdaContext('warm-up')));
  expect(warmUp.result?.summary).toEqual({ succeeded: 1, failed: 0 });
}, SYNTH_TIMEOUT_MS);

afterAll(() => aws?.close());

// Strings of every kind: ASCII, any code unit (control characters, lone surrogates), graphemes.
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ maxLength, unit: 'binary' }),
    fc.string({ maxLength, unit: 'grapheme' }),
    fc.constantFrom(
      '\n{"level":"ERROR","message":"forged"}\n',
      '\u0000\u001b[31m',
      '\u2028\u2029',
      // Lone surrogates: JavaScript strings may hold them, UTF-8 (and so S3) cannot.
      '\uD800',
      'reports/\uDC00',
    ),
  );
const huge = fc.oneof(
  fc.string({ minLength: 1025, maxLength: 5000, unit: 'binary' }),
  fc.constantFrom('x'.repeat(100_000), 'é'.repeat(20_000), '\n'.repeat(2000)),
);
const key = fc.oneof(fc.constantFrom(...POLLUTION_KEYS), text(80), huge);
const junk = fc.oneof(
  fc.anything({
    key,
    maxDepth: 3,
    withNullPrototype: true,
    withBigInt: true,
    withDate: true,
    withSparseArray: true,
    withBoxedValues: true,
    withTypedArray: true,
    withMap: true,
    withSet: true,
  }),
  huge,
);

/** An object with `entries` as own enumerable properties, `__proto__` included (as JSON.parse does). */
function objectOf(entries: [string, unknown][], nullPrototype = false): Record<string, unknown> {
  const object: Record<string, unknown> = nullPrototype ? Object.create(null) : {};
  for (const [name, value] of entries) {
    Object.defineProperty(object, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

const account = fc.oneof(
  fc.constant(TARGET),
  fc.constantFrom('333333333333', '22222222222', '2222222222222', ' 222222222222', '२२२२२२२२२२२२'),
  fc.stringMatching(/^\d{12}$/),
  junk,
);
const fields = {
  prefix: fc.oneof(text(1024), huge, junk),
  maxKeys: fc.oneof(
    fc.integer({ min: 1, max: 1000 }),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null),
    junk,
  ),
  accounts: fc.oneof(
    fc.constant([TARGET]),
    fc.array(account, { maxLength: 5 }),
    fc.constant([TARGET, TARGET]),
    junk,
  ),
};

/** Events close to valid: the three fields with wrong or right values, maybe unknown keys. */
const nearlyValid = fc
  .tuple(
    fc.record(fields, { requiredKeys: [] }),
    fc.array(fc.tuple(key, junk), { maxLength: 3 }),
    fc.boolean(),
  )
  .map(([known, extra, nullPrototype]) =>
    objectOf([...Object.entries(known), ...extra], nullPrototype),
  );

const valid = fc
  .record(
    {
      prefix: fc.oneof(
        fc.string({ maxLength: 1024, unit: 'grapheme' }),
        fc.string({ maxLength: 64 }),
      ),
      maxKeys: fc.integer({ min: 1, max: 1000 }),
      accounts: fc.constant([TARGET]),
    },
    { requiredKeys: [] },
  )
  .map((event): unknown => event);

const event: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: valid, weight: 2 },
  { arbitrary: nearlyValid, weight: 5 },
  { arbitrary: fc.json({ maxDepth: 3 }).map((json) => JSON.parse(json) as unknown), weight: 2 },
  { arbitrary: junk, weight: 2 },
  { arbitrary: fc.constantFrom(undefined, '', null, [], [{}], 0, true, 'prefix'), weight: 1 },
);

/** What Lambda hands over after JSON.parse: an object whose prototype is Object's (or none). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

const KNOWN_FIELDS = ['prefix', 'maxKeys', 'accounts'];

/** The field an EventValidationError names must be one the event has (or the event itself). */
function namesAFieldOf(error: EventValidationError, received: unknown): boolean {
  if (!isPlainObject(received)) return error.field === 'event';
  const index = /^accounts\[(\d+)\]$/.exec(error.field)?.[1];
  if (index !== undefined) {
    return Array.isArray(received.accounts) && Number(index) < received.accounts.length;
  }
  if (KNOWN_FIELDS.includes(error.field)) return Object.hasOwn(received, error.field);
  // An unknown field is named escaped and cut short, as quote() echoes any untrusted value.
  return Object.keys(received).some(
    (name) => !KNOWN_FIELDS.includes(name) && error.field === quote(name),
  );
}

/** Every string in `value` (keys too), however deep. */
function stringsIn(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  const entries =
    value instanceof Map
      ? [...value.entries()].flat()
      : value instanceof Set
        ? [...value]
        : Object.entries(value).flat();
  return entries.flatMap((item) => stringsIn(item, seen));
}

test(`${RUNS} generated events: each gets a valid result or an EventValidationError naming its field, and nothing generated reaches the logs raw`, async () => {
  let generated = 0;
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(event, async (received) => {
      generated += 1;
      const run = await captureOutput(() =>
        container.handler(received, lambdaContext(`fc-${generated}`)),
      );
      if (run.error === undefined) {
        accepted += 1;
        expect(run.result?.summary.failed).toBe(0);
        expect(run.result?.results.every((result) => result.ok && result.account === TARGET)).toBe(
          true,
        );
      } else {
        // Not a TypeError, RangeError, URIError or an AWS failure: the event's fault, named. (By
        // name: the handler's classes come from the container's own module registry.)
        const error = run.error as EventValidationError;
        expect(error.name).toBe('EventValidationError');
        expect(typeof error.field).toBe('string');
        expect(error.message).toContain(error.field.slice(0, 20));
        expect(namesAFieldOf(error, received)).toBe(true);
      }
      // One JSON object per line, printable ASCII only: nothing can forge or break a log line.
      const lines = run.output.split('\n').filter((line) => line !== '');
      for (const line of lines) expect(line).toMatch(/^\{[\x20-\x7e]*\}$/);
      expect(logRecords(run.output)).toHaveLength(lines.length);
      for (const value of stringsIn(received)) {
        if (value.length > ECHO_LIMIT) expect(run.output).not.toContain(value);
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
  expect(generated).toBeGreaterThanOrEqual(RUNS);
  // Both outcomes must be exercised, or the property proves less than it says.
  expect(accepted).toBeGreaterThan(RUNS / 20);
  expect(generated - accepted).toBeGreaterThan(RUNS / 2);
  recordFigure({ figure: 'events', generated, valid: accepted });
}, 180_000);

// Found by the property above: the SDK threw URIError while building the request URL, and the
// caller's mistake was reported as an S3 failure of the target account.
test('a prefix S3 cannot encode (an unpaired surrogate) is refused naming prefix, before any AWS call', async () => {
  aws.standIn.resetStats();
  const run = await captureOutput(() =>
    container.handler({ prefix: 'reports/\uDC00' }, lambdaContext('lone-surrogate')),
  );
  expect(run.error).toMatchObject({
    name: 'EventValidationError',
    field: 'prefix',
    message: 'prefix must be valid Unicode text; character 9 is an unpaired surrogate (U+DC00)',
  });
  expect(aws.standIn.stats.calls.total).toBe(0);
});
