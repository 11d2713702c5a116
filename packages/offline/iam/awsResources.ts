// Resources as AWS names them. The resource types an action acts on and their ARN formats come
// from the Service Authorization Reference (./sar); what the reference cannot say (how a call
// that names a resource by name, URL or alias becomes the ARN IAM decides on, and parts of an ARN
// that AWS generates) is written here, one rule per service, each with the AWS documentation
// sentence it encodes. The check (declared permissions) and the stand-in (requests) share it.
import { createHash } from 'node:crypto';
import type { PolicyDocument } from './policy';
import { arnVariables, matchingResourceTypes, type SarAction, type SarResourceType } from './sar';

/** A resource the offline world answers for, named in full (a fixture file's `resources`). */
export interface KnownResource {
  /** Its ARN as AWS gives it, generated parts included (`secret:db-AbCdEf`, `key/<id>`). */
  readonly arn: string;
  /** KMS: the aliases that point at this key (`alias/orders`). */
  readonly aliases?: readonly string[];
  /**
   * Its resource-based policy (a key policy, a queue or secret policy), decided with the caller's
   * policies as AWS does: a KMS key without one trusts no IAM policy.
   */
  readonly policy?: PolicyDocument;
  /** Where it was declared, for messages. */
  readonly source: string;
}

export interface ResourceScope {
  readonly partition: string;
  /** The region the request was signed for. */
  readonly region: string;
  /** The caller's account: where a resource named without an ARN lives. */
  readonly accountId: string;
}

/** The ARN a call is decided on, and, where a rule changed what the caller named, why. */
export interface ResolvedResource {
  readonly arn: string;
  readonly note?: string;
}

/** The request names no resource this can turn into an ARN, or names one nobody declared. */
export class ResourceNameError extends Error {
  override name = 'ResourceNameError';
}

// Secrets Manager: "Secrets Manager constructs the ARN for a secret with Region, account, secret
// name, and then a hyphen and six random characters" (User Guide, "Secret ARNs"); a policy that
// names the ARN without them matches no secret, hence `-??????` in a grant.
const SECRET_ARN = /^(arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:)(.+)$/;
const SECRET_SUFFIX_WILDCARD = /-\?{6}$|\*$/;

/** Six characters standing for the random ones Secrets Manager appends; stable per secret. */
export function generatedSecretSuffix(arnWithoutSuffix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const digest = createHash('sha256').update(arnWithoutSuffix).digest();
  let suffix = '';
  for (let index = 0; index < 6; index += 1) {
    suffix += alphabet[(digest[index] ?? 0) % alphabet.length];
  }
  return suffix;
}

const SUFFIX_NOTE = (named: string, full: string) =>
  `Secrets Manager names a secret's ARN with a hyphen and six random characters after the name (${full}): a policy naming ${named} matches no secret; grant ${named}-?????? (or the full ARN)`;

/** The full ARN of the secret `partial` (an ARN without the suffix) names. */
function fullSecretArn(
  partial: string,
  known: readonly KnownResource[],
  where: string,
  inPolicy: boolean,
): ResolvedResource {
  const found = known.find(
    (resource) =>
      resource.arn.startsWith(`${partial}-`) && resource.arn.length === partial.length + 7,
  );
  const arn = found?.arn ?? `${partial}-${generatedSecretSuffix(partial)}`;
  // A policy's literal ARN that ends like a suffix may be the full ARN: only a declaration can say.
  const maybeFull =
    inPolicy && GENERATED_SUFFIX.test(partial)
      ? ` (if ${partial} is already a secret's full ARN, name it under "resources" in ${where})`
      : '';
  return { arn, note: `${SUFFIX_NOTE(partial, arn)}${maybeFull}` };
}

const GENERATED_SUFFIX = /-[A-Za-z0-9]{6}$/;

// CloudFormation: a stack's ARN is arn:...:stack/<name>/<unique id>, the id generated when the
// stack is created ("StackId: Unique identifier of the stack", API Reference, Stack), while calls
// name the stack by name; a grant on stack/<name> without /* matches no stack.
const GENERATED_ID = '\u0000generated-id\u0000';

/** A UUID standing for the one CloudFormation gives a stack; stable per stack. */
function generatedStackId(arnWithoutId: string): string {
  const hex = createHash('sha256').update(arnWithoutId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The ARN of the stack a name points to: the one the offline world knows, else a generated id. */
function withStackId(arn: string, known: readonly KnownResource[]): string {
  const prefix = arn.slice(0, arn.indexOf(GENERATED_ID));
  const found = known.find(
    (resource) =>
      resource.arn.startsWith(prefix) && !resource.arn.slice(prefix.length).includes('/'),
  );
  return found?.arn ?? `${prefix}${generatedStackId(prefix)}`;
}

// KMS: "Aliases ... In a policy, you cannot use an alias to control access to the KMS key it
// refers to": a cryptographic call that names a key by alias is authorized on the key's ARN
// (Developer Guide, "Using aliases to control access"). Which key that is, only the account knows.
function keyOfAlias(aliasArn: string, known: readonly KnownResource[], where: string): string {
  const name = aliasArn.slice(aliasArn.indexOf(':alias/') + 1);
  const prefix = aliasArn.slice(0, aliasArn.indexOf(':alias/'));
  const key = known.find(
    (resource) => resource.arn.startsWith(`${prefix}:key/`) && resource.aliases?.includes(name),
  );
  if (key) return key.arn;
  throw new ResourceNameError(
    `KMS decides a call naming ${name} on the key that alias points to, and the offline world does not know which key that is: add { "arn": "${prefix}:key/<key id>", "aliases": ["${name}"] } to "resources" in ${where}`,
  );
}

/**
 * An ARN named in a request (as an ARN, or filled from a name) or a policy, as AWS decides on it
 * for `action`. A secret ARN a request gives that ends in a hyphen and six characters is taken as
 * full, as Secrets Manager takes it ("if your
 * secret name ends with a hyphen followed by six characters ... Secrets Manager might not find it
 * by partial ARN", User Guide); a policy's literal is full only when the offline world says so.
 */
function canonicalArn(
  action: SarAction,
  arn: string,
  known: readonly KnownResource[],
  where: string,
  from: 'arn' | 'name' | 'policy',
): ResolvedResource {
  const secret = SECRET_ARN.exec(arn);
  if (secret && action.action.startsWith('secretsmanager:')) {
    const exact = known.find((resource) => resource.arn === arn);
    if (exact || SECRET_SUFFIX_WILDCARD.test(arn)) return { arn };
    if (from === 'arn' && GENERATED_SUFFIX.test(arn)) return { arn };
    return fullSecretArn(arn, known, where, from === 'policy');
  }
  // Systems Manager: the ARN of /app/db is ...:parameter/app/db (see variableFrom); one written
  // with two slashes names no parameter, so a policy that says so matches nothing.
  const doubled = /^(arn:[^:]+:ssm:[^:]*:[^:]*:parameter\/)\/+(.*)$/.exec(arn);
  if (doubled && from === 'policy') {
    const single = `${doubled[1]}${doubled[2]}`;
    return {
      arn: single,
      note: `Systems Manager names a parameter's ARN with one slash before its path (${single}): a policy naming ${arn} matches no parameter; grant ${single}`,
    };
  }
  if (/^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(arn)) {
    const onKeys = action.resourceTypes.some((type) => /:key\/\$\{/.test(type.arn));
    const onAliases = action.resourceTypes.some((type) => /:alias\/\$\{/.test(type.arn));
    if (onKeys && !onAliases) {
      const key = keyOfAlias(arn, known, where);
      return {
        arn: key,
        note: `KMS decided the call naming ${arn} on the key it points to, ${key}`,
      };
    }
  }
  return { arn };
}

type Parameters = Readonly<Record<string, unknown>>;

const text = (parameters: Parameters, name: string): string | undefined => {
  const key = Object.keys(parameters).find((k) => k.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : parameters[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * A variable of an ARN format from the request: a parameter of the same name, else the service's
 * rule for a resource it names otherwise.
 */
function variableFrom(
  service: string,
  variable: string,
  parameters: Parameters,
): { value: string; account?: string; region?: string } | undefined {
  // SQS: "The URL of an Amazon SQS queue is https://sqs.<region>.amazonaws.com/<account>/<name>"
  // (Developer Guide, "Queue and message identifiers"); the ARN takes its account and name.
  if (service === 'sqs' && variable === 'QueueName') {
    const url = text(parameters, 'QueueUrl');
    const match = url ? /^https?:\/\/([^/]+)\/(\d{12})\/([^/?#]+)/.exec(url) : undefined;
    if (match?.[2] && match[3]) {
      const region = /^sqs\.([a-z0-9-]+)\./.exec(match[1] ?? '')?.[1];
      return { value: match[3], account: match[2], ...(region ? { region } : {}) };
    }
  }
  // Systems Manager: a parameter named with a leading slash (a path, "/app/db") has the ARN
  // arn:...:parameter/app/db, one slash (User Guide, "Working with parameter hierarchies").
  if (service === 'ssm' && variable === 'ParameterNameWithoutLeadingSlash') {
    const name = text(parameters, 'Name') ?? text(parameters, 'Path');
    return name === undefined || name.startsWith('arn:')
      ? undefined
      : { value: name.replace(/^\//, '') };
  }
  if (service === 'cloudformation' && variable === 'Id') {
    const name = text(parameters, 'StackName');
    return name === undefined || name.startsWith('arn:') ? undefined : { value: GENERATED_ID };
  }
  const value = text(parameters, variable);
  return value === undefined || value.startsWith('arn:') ? undefined : { value };
}

function fill(
  service: string,
  type: SarResourceType,
  parameters: Parameters,
  scope: ResourceScope,
): string | undefined {
  const values: Record<string, string> = {
    Partition: scope.partition,
    Region: scope.region,
    Account: scope.accountId,
  };
  for (const variable of arnVariables(type.arn)) {
    if (variable in values) continue;
    const found = variableFrom(service, variable, parameters);
    if (!found) return undefined;
    values[variable] = found.value;
    if (found.account) values.Account = found.account;
    if (found.region) values.Region = found.region;
  }
  return type.arn.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, name: string) => values[name] ?? '');
}

/**
 * The ARN AWS decides a request on: `*` for an action without resource types; an ARN the request
 * carries in a parameter, where it has the format of one of the action's resource types; else
 * the format filled from the request's parameters (the most specific one that fills). Then the
 * service's rules: a secret's generated suffix, a key named by alias.
 */
export function requestResource(
  action: SarAction,
  parameters: Parameters,
  scope: ResourceScope,
  known: readonly KnownResource[],
  where: string,
): ResolvedResource {
  if (action.wildcardOnly) return { arn: '*' };
  // Members that identify a resource first (TopicArn, SecretId, FunctionName), then any other: a
  // message body that happens to be an ARN names nothing.
  const identifying = (name: string) => /(Arn|Id|Name|Identifier)$/.test(name);
  const ordered = Object.entries(parameters).sort(
    ([a], [b]) => Number(identifying(b)) - Number(identifying(a)),
  );
  for (const [, value] of ordered) {
    if (typeof value !== 'string' || !value.startsWith('arn:')) continue;
    if (matchingResourceTypes(action, value).length > 0) {
      return canonicalArn(action, value, known, where, 'arn');
    }
  }
  const [service = ''] = action.action.split(':');
  // KMS: "To specify a KMS key, use its key ID, key ARN, alias name, or alias ARN. When using an
  // alias name, prefix it with "alias/"" (API Reference, KeyId): an alias name is the alias ARN.
  const keyId = text(parameters, 'KeyId');
  if (service === 'kms' && keyId?.startsWith('alias/')) {
    const aliasArn = `arn:${scope.partition}:kms:${scope.region}:${scope.accountId}:${keyId}`;
    return canonicalArn(action, aliasArn, known, where, 'name');
  }
  const candidates = action.resourceTypes
    .map((type) => ({ type, arn: fill(service, type, parameters, scope) }))
    .filter((candidate): candidate is { type: SarResourceType; arn: string } =>
      Boolean(candidate.arn),
    )
    // The most specific format that fills (a table's index over the table, when IndexName is set).
    .sort((a, b) => arnVariables(b.type.arn).length - arnVariables(a.type.arn).length);
  const [best] = candidates;
  if (best?.arn.includes(GENERATED_ID)) {
    return canonicalArn(action, withStackId(best.arn, known), known, where, 'name');
  }
  if (best) return canonicalArn(action, best.arn, known, where, 'name');
  throw new ResourceNameError(
    `cannot tell which resource ${action.action} acts on from this request: the Service Authorization Reference gives ${action.resourceTypes
      .map((type) => `${type.name} (${type.arn})`)
      .join(', ')}, and none fills from its parameters (${
      Object.keys(parameters).join(', ') || 'none'
    }). Declare { "operation": "<service>:<Operation>", "resource": "<ARN template>" } under "operations" in ${where}`,
  );
}

/** IAM's wildcards in a policy's resource: `*` any run of characters, `?` one character. */
export function policyPattern(resource: string): RegExp {
  const escaped = resource.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replaceAll('*', '.*').replaceAll('?', '.')}$`);
}

/** How a declared permission's resource stands against the action's resource types. */
export type DeclaredResource =
  /** A concrete resource it covers, as AWS names it, to ask the evaluator about. */
  | { readonly kind: 'sample'; readonly arn: string; readonly note?: string }
  /** The action acts on no resource type: only `*` is ever matched. */
  | { readonly kind: 'wildcard-only'; readonly declared: string }
  /** The declared resource has none of the action's ARN formats: no request ever matches it. */
  | { readonly kind: 'no-resource-type'; readonly declared: string; readonly formats: string[] }
  /** No rule can say which resource it stands for (an alias nobody declared, say). */
  | { readonly kind: 'unresolved'; readonly declared: string; readonly why: string };

/** A concrete resource inside a declared one (`*` → `example`, `?` → `x`). */
export function sampleResource(resource: string): string {
  return resource.replaceAll('*', 'example').replaceAll('?', 'x');
}

/**
 * The resource a declared permission means, as AWS would name it in a request: a known resource
 * the declaration covers (the offline world's), else a sample inside it with the service's
 * generated parts; for an action that acts on no resource type, only `*`.
 */
export function declaredResource(
  action: SarAction,
  declared: string,
  known: readonly KnownResource[],
  where: string,
  scope: ResourceScope,
): DeclaredResource {
  if (action.wildcardOnly) {
    return declared === '*' ? { kind: 'sample', arn: '*' } : { kind: 'wildcard-only', declared };
  }
  const sample = declared === '*' ? undefined : sampleResource(declared);
  const fits = (arn: string) => matchingResourceTypes(action, arn).length > 0;
  if (sample !== undefined && !fits(sample)) {
    return {
      kind: 'no-resource-type',
      declared,
      formats: action.resourceTypes.map((type) => type.arn),
    };
  }
  const pattern = policyPattern(declared);
  const covered = known.find((resource) => pattern.test(resource.arn) && fits(resource.arn));
  if (covered) return { kind: 'sample', arn: covered.arn };
  if (sample === undefined) {
    // `*`: a resource of the first type the action acts on, in the target account and region.
    const [type] = action.resourceTypes;
    const fixed: Record<string, string> = {
      Partition: scope.partition,
      Region: scope.region,
      Account: scope.accountId,
    };
    const arn = (type?.arn ?? '*').replace(
      /\$\{([A-Za-z0-9]+)\}/g,
      (_, name: string) => fixed[name] ?? 'example',
    );
    return { kind: 'sample', arn };
  }
  // A declaration that already leaves the suffix to a wildcard stands for the secret as named.
  if (SECRET_ARN.test(declared) && SECRET_SUFFIX_WILDCARD.test(declared)) {
    return { kind: 'sample', arn: sample };
  }
  try {
    return { kind: 'sample', ...canonicalArn(action, sample, known, where, 'policy') };
  } catch (error) {
    if (!(error instanceof ResourceNameError)) throw error;
    return { kind: 'unresolved', declared, why: error.message };
  }
}

/**
 * Why a resource written by name has none of the action's ARN formats, where a service rule above
 * says: a KMS alias (decided on its key), a stack without the id CloudFormation gives it. Empty
 * when no rule applies.
 */
export function namingHint(action: string, resource: string): string {
  if (action.startsWith('kms:') && /:alias\//.test(resource)) {
    return "; KMS decides a call that names an alias on the key the alias points to, so declare and grant the key's ARN";
  }
  if (action.startsWith('cloudformation:') && /:stack\/[^/]+$/.test(resource)) {
    return `; CloudFormation names a stack's ARN with the unique id it generates after the name, so declare and grant ${resource}/*`;
  }
  return '';
}
