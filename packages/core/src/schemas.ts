// Schemas for what jobs and the core declare most often, with messages that read after the name
// ("maxKeys must be an integer from 1 to 1000; got 0"). Each is a Standard Schema, so a job may
// mix them with valibot's or zod's. Written here, not taken from valibot: each is one test and one
// message, and valibot's issue machinery costs the function about 1.8 KiB zipped, which its
// 100 KiB budget cannot take (npm run bench); a job that wants valibot pays that, no more.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { validate } from './parameters';
import { quote } from './redact';

/** A value, or what is wrong with it (a sentence that reads after the name). */
type Verdict<O> = { readonly value: O } | { readonly problem: string };

/** A synchronous Standard Schema, with the default `optional` gave it, when it did. */
export interface KitSchema<I, O> extends StandardSchemaV1<I, O> {
  readonly default?: I;
}

function schema<I, O>(read: (value: unknown) => Verdict<O>, fallback?: I): KitSchema<I, O> {
  return {
    ...(fallback === undefined ? {} : { default: fallback }),
    '~standard': {
      version: 1,
      vendor: 'cross-account-lambda',
      validate(value) {
        const verdict = read(value);
        return 'problem' in verdict
          ? { issues: [{ message: verdict.problem }] }
          : { value: verdict.value };
      },
    },
  };
}

const run = <O>(inner: StandardSchemaV1<unknown, O>, value: unknown): Verdict<O> => {
  const result = validate(inner, value);
  return 'issue' in result ? { problem: result.issue.message } : { value: result.value as O };
};

/** Absent (undefined) is allowed: the default when one is given, else undefined. */
export function optional<I, O>(
  inner: StandardSchemaV1<I, O>,
): KitSchema<I | undefined, O | undefined>;
export function optional<I, O>(
  inner: StandardSchemaV1<I, O>,
  fallback: I,
): KitSchema<I | undefined, O>;
export function optional<I, O>(inner: StandardSchemaV1<I, O>, fallback?: I) {
  return schema<I | undefined, O | undefined>(
    (value) =>
      value === undefined
        ? fallback === undefined
          ? { value: undefined }
          : run(inner as StandardSchemaV1<unknown, O>, fallback)
        : run(inner as StandardSchemaV1<unknown, O>, value),
    fallback,
  );
}

/** Text, checked by `problem` (undefined: fine), then turned into what `parse` makes of it. */
export function textSchema<O = string>(
  problem: (value: string) => string | undefined,
  parse: (value: string) => O = (value) => value as unknown as O,
): KitSchema<string, O> {
  return schema<string, O>((value) => {
    if (typeof value !== 'string') return { problem: `must be a string; got ${quote(value)}` };
    const wrong = problem(value);
    return wrong === undefined ? { value: parse(value) } : { problem: wrong };
  });
}

// A high surrogate without its low half, or a low one without its high half.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `value` is text that UTF-8 can encode (no unpaired surrogate). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** An event field: a whole number from `min` to `max`. */
export function integer(min: number, max: number): KitSchema<number, number> {
  return schema<number, number>((value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? { value }
      : { problem: `must be an integer from ${min} to ${max}; got ${quote(value)}` },
  );
}

/** A parameter: a whole number from `min` to `max`, written in decimal digits. */
export function integerText(min: number, max: number): KitSchema<string, number> {
  return textSchema(
    (value) =>
      /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max
        ? undefined
        : `must be an integer from ${min} to ${max}; got ${quote(value)}`,
    Number,
  );
}

/**
 * Text of at most `max` characters that UTF-8 can encode: an unpaired surrogate would make an AWS
 * request carry something else than was asked, or the SDK fail to build it.
 */
export function text(max: number, { min = 0 }: { min?: number } = {}): KitSchema<string, string> {
  return textSchema((value) => {
    if (value.length < min) {
      return value.length === 0
        ? 'must not be empty'
        : `must be at least ${min} characters; got ${value.length}`;
    }
    if (value.length > max) return `must be at most ${max} characters; got ${value.length}`;
    const lone = LONE_SURROGATE.exec(value);
    if (!lone) return undefined;
    const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
    return `must be valid Unicode text; character ${lone.index + 1} is an unpaired surrogate (U+${code})`;
  });
}

/** Text that matches `pattern`, refused with `must <what>; got "<value>"`. */
export function matching(pattern: RegExp, what: string): KitSchema<string, string> {
  return textSchema((value) =>
    pattern.test(value) ? undefined : `must ${what}; got ${quote(value, 128)}`,
  );
}
