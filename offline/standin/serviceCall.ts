// What a call to a service the stand-in does not emulate asks for: the operation (X-Amz-Target
// for the JSON protocols, Action for the query protocol, a declared HTTP route for REST), its
// parameters, and from them the IAM action and the resource ARN the evaluator decides on.
import type { Protocol, Service } from './awsErrors';
import type { OperationRule } from './fixtures';
import { decode, parseForm, type ReceivedRequest } from './request';

export interface ServiceCall {
  readonly service: Service;
  readonly protocol: Protocol;
  /** The API operation, e.g. `Query`; `Unknown` when nothing tells it (an undeclared REST route). */
  readonly operation: string;
  /** The request's parameters: the JSON body, the form, or a REST route's path captures + query + body. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** The job's declaration for this operation, when it made one. */
  readonly rule: OperationRule | undefined;
}

const FORM = 'application/x-www-form-urlencoded';

/** Reads the operation of a request signed for `service` (neither STS nor S3). */
export function identifyCall(
  request: ReceivedRequest,
  service: Service,
  rules: readonly OperationRule[],
): ServiceCall {
  const ruleFor = (operation: string) =>
    rules.find((rule) => rule.operation === `${service}:${operation}`);
  const target = request.headers['x-amz-target'];
  if (target !== undefined) {
    // "DynamoDB_20120810.Query": the operation is the part after the last dot.
    const operation = target.slice(target.lastIndexOf('.') + 1) || 'Unknown';
    return {
      service,
      protocol: 'json',
      operation,
      parameters: jsonObject(request.body),
      rule: ruleFor(operation),
    };
  }
  const form = formParameters(request);
  if (form?.Action !== undefined) {
    return {
      service,
      protocol: 'query',
      operation: form.Action,
      parameters: form,
      rule: ruleFor(form.Action),
    };
  }
  for (const rule of rules) {
    if (!rule.http || !rule.operation.startsWith(`${service}:`)) continue;
    if (rule.http.method !== request.method) continue;
    const captures = matchPath(rule.http.path, request.rawPath);
    if (!captures) continue;
    const query: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(request.query)) query[key] = value;
    const xml = rule.http.protocol === 'rest-xml';
    return {
      service,
      protocol: xml ? 'rest-xml' : 'rest-json',
      operation: rule.operation.slice(service.length + 1),
      parameters: { ...(xml ? {} : jsonObject(request.body)), ...query, ...captures },
      rule,
    };
  }
  // A REST call nobody declared: its errors in REST-JSON, the shape of most REST services.
  return { service, protocol: 'rest-json', operation: 'Unknown', parameters: {}, rule: undefined };
}

function jsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    // Not JSON: nothing to match a fixture or a resource on; the service would reject it anyway.
    return {};
  }
}

function formParameters(request: ReceivedRequest): Record<string, string> | undefined {
  if (request.method === 'POST') {
    return (request.headers['content-type'] ?? '').startsWith(FORM)
      ? parseForm(request.body)
      : undefined;
  }
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.query)) {
    if (typeof value === 'string') parameters[key] = value;
  }
  return parameters;
}

/** `/2015-03-31/functions/{FunctionName}/invocations` against a raw path; `{Name+}` spans slashes. */
export function matchPath(template: string, rawPath: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template
    .split(/(\{[A-Za-z0-9_]+\+?\})/)
    .map((part) => {
      const placeholder = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(part);
      if (!placeholder?.[1]) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(placeholder[1]);
      return placeholder[2] ? '(.+)' : '([^/]+)';
    })
    .join('');
  const match = new RegExp(`^${pattern}$`).exec(rawPath);
  if (!match) return undefined;
  const captures: Record<string, string> = {};
  names.forEach((name, index) => {
    captures[name] = decode(match[index + 1] ?? '');
  });
  return captures;
}

/**
 * Signing names whose IAM prefix differs; every other service's IAM prefix is its signing name
 * (dynamodb, sqs, sns, lambda, kms, ssm, secretsmanager, ...).
 */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  monitoring: 'cloudwatch',
  email: 'ses',
  'execute-api': 'execute-api',
};

/** `dynamodb:Query`: the IAM action of a call, unless the job's declaration names another. */
export function iamActionOf(call: ServiceCall): string {
  return call.rule?.action ?? `${IAM_PREFIX[call.service] ?? call.service}:${call.operation}`;
}

export interface ResourceScope {
  readonly partition: string;
  /** The region the request was signed for. */
  readonly region: string;
  /** The caller's account: where a resource named without an ARN lives. */
  readonly accountId: string;
}

/**
 * The resource ARN the action is decided on. The job's declaration (a template such as
 * `arn:{partition}:lambda:{region}:{accountId}:function:{FunctionName}`) wins; otherwise the
 * well-known parameters of common services; otherwise `*`, as for actions without a resource.
 */
export function resourceOf(call: ServiceCall, scope: ResourceScope): string {
  if (call.rule?.resource) return fillTemplate(call.rule.resource, call, scope);
  const text = (name: string) => {
    const value = call.parameters[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const arnOr = (value: string | undefined, build: (name: string) => string) =>
    value === undefined ? undefined : value.startsWith('arn:') ? value : build(value);
  const { partition, region, accountId } = scope;
  const base = (service: string) => `arn:${partition}:${service}:${region}:${accountId}`;
  const known: Record<string, () => string | undefined> = {
    dynamodb: () =>
      arnOr(
        text('TableName') ?? text('TableArn') ?? text('ResourceArn'),
        (name) => `${base('dynamodb')}:table/${name}`,
      ),
    sqs: () => {
      const url = text('QueueUrl');
      const path = url === undefined ? undefined : /\/(\d{12})\/([^/?]+)/.exec(url);
      return path ? `arn:${partition}:sqs:${region}:${path[1]}:${path[2]}` : undefined;
    },
    sns: () => text('TopicArn') ?? text('TargetArn'),
    secretsmanager: () =>
      arnOr(text('SecretId'), (name) => `${base('secretsmanager')}:secret:${name}`),
    kms: () =>
      arnOr(text('KeyId'), (id) =>
        id.startsWith('alias/') ? `${base('kms')}:${id}` : `${base('kms')}:key/${id}`,
      ),
    ssm: () => arnOr(text('Name'), (name) => `${base('ssm')}:parameter/${name.replace(/^\//, '')}`),
  };
  return known[call.service]?.() ?? '*';
}

/** `{partition}`, `{region}`, `{accountId}` and any string parameter of the call, e.g. `{TableName}`. */
function fillTemplate(template: string, call: ServiceCall, scope: ResourceScope): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const fixed: Record<string, string> = {
      partition: scope.partition,
      region: scope.region,
      accountId: scope.accountId,
    };
    const value = fixed[name] ?? call.parameters[name];
    if (typeof value === 'string') return value;
    throw new ResourceTemplateError(
      `the resource ${template} declared for ${call.service}:${call.operation} needs ${whole}, which this request does not carry`,
    );
  });
}

/** A declared resource template that this request cannot fill: the declaration is wrong. */
export class ResourceTemplateError extends Error {
  override name = 'ResourceTemplateError';
}
