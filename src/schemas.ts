// Schemas for what jobs and the core declare most often, with messages that read after the name
// ("maxKeys must be an integer from 1 to 1000; got 0"). Plain valibot works as well: these only
// save writing the same message twice.
import * as v from 'valibot';
import { quote } from './redact';

// A high surrogate without its low half, or a low one without its high half.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `value` is text that UTF-8 can encode (no unpaired surrogate). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** An event field: a whole number from `min` to `max`. */
export function integer(min: number, max: number) {
  const message = (issue: v.BaseIssue<unknown>) =>
    `must be an integer from ${min} to ${max}; got ${quote(issue.input)}`;
  return v.pipe(
    v.number(message),
    v.integer(message),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
}

/** A parameter: a whole number from `min` to `max`, written in decimal digits. */
export function integerText(min: number, max: number) {
  // After the transform the input is a number: quoted as the text it was given as.
  const message = (issue: v.BaseIssue<unknown>) =>
    `must be an integer from ${min} to ${max}; got ${quote(String(issue.input))}`;
  return v.pipe(
    v.string(),
    v.regex(/^\d+$/, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
}

/**
 * Text of at most `max` characters that UTF-8 can encode: an unpaired surrogate would make an AWS
 * request carry something else than was asked, or the SDK fail to build it.
 */
export function text(max: number, { min = 0 }: { min?: number } = {}) {
  const length = (issue: v.BaseIssue<unknown>) => (issue.input as string).length;
  return v.pipe(
    v.string((issue) => `must be a string; got ${quote(issue.input)}`),
    v.check(
      (value) => value.length >= min,
      (issue) =>
        length(issue) === 0
          ? 'must not be empty'
          : `must be at least ${min} characters; got ${length(issue)}`,
    ),
    v.check(
      (value) => value.length <= max,
      (issue) => `must be at most ${max} characters; got ${length(issue)}`,
    ),
    v.check(isWellFormedText, (issue) => {
      const lone = LONE_SURROGATE.exec(issue.input as string);
      const code = lone?.[0].charCodeAt(0).toString(16).toUpperCase();
      return `must be valid Unicode text; character ${(lone?.index ?? 0) + 1} is an unpaired surrogate (U+${code})`;
    }),
  );
}

/** Text that matches `pattern`, refused with `must <what>; got "<value>"`. */
export function matching(pattern: RegExp, what: string) {
  return v.pipe(
    v.string(),
    v.regex(pattern, (issue) => `must ${what}; got ${quote(issue.input, 128)}`),
  );
}
