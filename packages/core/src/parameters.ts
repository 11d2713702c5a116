// Deploy-time parameters and event fields, declared as schemas. One table shape serves the core
// (src/config.ts) and every job: a parameter's name is its `--param`, and the table says which
// environment variable carries it, its default and how to set it. The schemas are Standard Schema
// (valibot here; zod or any other library that implements it works too), so one declaration gives
// the TypeScript type, the validation at cold start, the same validation at deploy time
// (the serverless plugin's params.js) and the message that names the variable and the fix.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ConfigError, EventValidationError } from './errors';

/** A synchronous Standard Schema (valibot, zod, ...) from `Input` to `Output`. */
export type Schema<Input = unknown, Output = unknown> = StandardSchemaV1<Input, Output>;

/** What a schema gives when it accepts a value. */
export type OutputOf<S> = S extends StandardSchemaV1<infer _I, infer O> ? O : never;

/** A parameter as a job writes it: a schema of the text, or the schema with how to set it. */
export type ParameterEntry =
  | Schema<string | undefined>
  | {
      readonly schema: Schema<string | undefined>;
      /** Default: the name in CONSTANT_CASE (targetBucket -> TARGET_BUCKET). */
      readonly variable?: string;
      /** What to write after `--param <name>=` in the fix, e.g. `<bucket name>`. */
      readonly hint?: string;
    };

/** A row of a parameter table, everything filled in. */
export interface Parameter<T = unknown> {
  readonly name: string;
  readonly variable: string;
  readonly schema: Schema<string | undefined, T>;
  /** The value used when none is given (the schema's own default), as text. */
  readonly default: string | undefined;
  /** The fix shown with every refusal: `set --param <name>=<hint> (default ...)`. */
  readonly hint: string;
}

export type ParameterTable = Readonly<Record<string, Parameter>>;

type EntryOutput<E> = E extends { readonly schema: infer S } ? OutputOf<S> : OutputOf<E>;

/** The config a table of entries gives: each parameter's name with its schema's output. */
export type ConfigOf<P> = { readonly [K in keyof P]: EntryOutput<P[K]> };

/** The table `parameterTable` makes of entries, each row typed by its schema. */
export type TableOf<P> = { readonly [K in keyof P]: Parameter<EntryOutput<P[K]>> };

/** The values `readParameters` reads with a table. */
export type ValuesOf<T> = { readonly [K in keyof T]: T[K] extends Parameter<infer O> ? O : never };

/** The event fields a table of schemas gives. */
export type FieldsOf<E> = { readonly [K in keyof E]: OutputOf<E[K]> };

function isSchema(entry: ParameterEntry): entry is Schema<string | undefined> {
  return '~standard' in entry;
}

const constantCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/**
 * The default of a schema, where its library exposes one (valibot's `optional(schema, default)`,
 * zod's `.default()`): Standard Schema itself has no way to ask.
 */
function defaultOf(schema: Schema<string | undefined>): string | undefined {
  const candidate = schema as unknown as { default?: unknown; def?: { defaultValue?: unknown } };
  const value = candidate.default ?? candidate.def?.defaultValue;
  const resolved = typeof value === 'function' ? (value as () => unknown)() : value;
  return typeof resolved === 'string' ? resolved : undefined;
}

/** Fills in every row: variable, default and hint. */
export function parameterTable<const P extends Readonly<Record<string, ParameterEntry>>>(
  entries: P,
): TableOf<P> {
  const table: Record<string, Parameter> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const { schema, variable, hint } = isSchema(entry) ? { schema: entry } : entry;
    const fallback = defaultOf(schema);
    const shown =
      fallback === undefined ? '' : ` (default ${fallback === '' ? 'empty' : fallback})`;
    table[name] = {
      name,
      variable: variable ?? constantCase(name),
      schema,
      default: fallback,
      hint: `set --param ${name}=${hint ?? '<value>'}${shown}`,
    };
  }
  return table as TableOf<P>;
}

type Issue = StandardSchemaV1.Issue;

/** A synchronous Standard Schema's verdict on `value`: its value, or its first issue. */
export function validate(schema: Schema, value: unknown): { value: unknown } | { issue: Issue } {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    throw new TypeError(
      'an asynchronous schema cannot validate at cold start: use a synchronous one',
    );
  }
  const issue = result.issues?.[0];
  return issue ? { issue } : { value: (result as { value: unknown }).value };
}

// A schema's own message reads after the name ("TARGET_TABLE must be ..."); a library's default
// message ("Invalid type: ...") is quoted as the reason instead.
const READS_AFTER_NAME = /^(must|may|is|are|has|lists|includes|names|needs|repeats) /;
function problemOf(issue: Issue, missing: boolean): string {
  if (missing) return 'is missing';
  return READS_AFTER_NAME.test(issue.message) ? issue.message : `is invalid: ${issue.message}`;
}

/** Reads and validates every parameter of `table` from the environment (empty = not given). */
export function readParameters<T extends ParameterTable>(
  table: T,
  env: Readonly<Record<string, string | undefined>>,
): ValuesOf<T> {
  const values: Record<string, unknown> = {};
  for (const parameter of Object.values(table)) {
    const raw = env[parameter.variable]?.trim() || undefined;
    const result = validate(parameter.schema, raw);
    if ('issue' in result) {
      const problem = problemOf(result.issue, raw === undefined);
      throw new ConfigError(
        parameter.variable,
        `${parameter.variable} ${problem}; ${parameter.hint}`,
      );
    }
    values[parameter.name] = result.value;
  }
  return values as ValuesOf<T>;
}

/** Validates the job's event fields (own properties, already picked by the core). */
export function readFields<T extends Readonly<Record<string, Schema>>>(
  table: T,
  fields: Readonly<Record<string, unknown>>,
): FieldsOf<T> {
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(table)) {
    const given = fields[name];
    const result = validate(schema, given);
    if ('issue' in result) {
      const problem = given === undefined ? 'is required' : problemOf(result.issue, false);
      throw new EventValidationError(name, `${name} ${problem}`);
    }
    values[name] = result.value;
  }
  return values as FieldsOf<T>;
}
