// What a call to a service the stand-in does not emulate asks for: the operation (X-Amz-Target
// for the JSON protocols, Action for the query protocol, a declared HTTP route for REST), its
// parameters, and from them the IAM action and the resource ARN the evaluator decides on.
import { cbor } from '@smithy/core/cbor';
import {
  type KnownResource,
  type ResolvedResource,
  ResourceNameError,
  type ResourceScope,
  requestResource,
} from '../iam/awsResources';
import { matchingResourceTypes, sarAction } from '../iam/sar';
import type { Protocol, Service } from './awsErrors';
import type { OperationRule } from './fixtures';
import { decode, parseForm, type ReceivedRequest } from './request';
import {
  queryMembers,
  restOperation,
  type SdkOperation,
  type SdkService,
  sdkService,
} from './sdkServices';

export interface ServiceCall {
  readonly service: Service;
  readonly protocol: Protocol;
  /** The API operation, e.g. `Query`; `Unknown` when nothing tells it (an undeclared REST route). */
  readonly operation: string;
  /** The request's parameters, in the SDK's member names where its client is installed. */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** The job's declaration for this operation, when it made one. */
  readonly rule: OperationRule | undefined;
  /** The SDK's schemas of the service and operation, when its client is installed. */
  readonly sdk: { readonly service: SdkService; readonly operation: SdkOperation } | undefined;
}

const FORM = 'application/x-www-form-urlencoded';
const CBOR_PATH = /^\/service\/([^/]+)\/operation\/([^/]+)$/;

/** Reads the operation of a request signed for `service` (neither STS nor S3). */
export function identifyCall(
  request: ReceivedRequest,
  service: Service,
  rules: readonly OperationRule[],
): ServiceCall {
  const ruleFor = (operation: string) =>
    rules.find((rule) => rule.operation === `${service}:${operation}`);
  const sdk = sdkService(service);
  const sdkOf = (operation: string) => {
    const found = sdk?.operations.get(operation);
    return sdk && found ? { service: sdk, operation: found } : undefined;
  };
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
      sdk: sdkOf(operation),
    };
  }
  const rpc = CBOR_PATH.exec(request.rawPath);
  if (rpc && request.headers['smithy-protocol'] === 'rpc-v2-cbor') {
    const operation = decode(rpc[2] ?? '') || 'Unknown';
    return {
      service,
      protocol: 'cbor',
      operation,
      parameters: cborObject(request.body),
      rule: ruleFor(operation),
      sdk: sdkOf(operation),
    };
  }
  const form = formParameters(request);
  if (form?.Action !== undefined) {
    const found = sdkOf(form.Action);
    return {
      service,
      protocol: sdk?.protocol === 'ec2' ? 'ec2' : 'query',
      operation: form.Action,
      parameters: found ? queryMembers(found.service, found.operation, form) : form,
      rule: ruleFor(form.Action),
      sdk: found,
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
    const operation = rule.operation.slice(service.length + 1);
    return {
      service,
      protocol: xml ? 'rest-xml' : 'rest-json',
      operation,
      parameters: { ...(xml ? {} : jsonObject(request.body)), ...query, ...captures },
      rule,
      sdk: sdkOf(operation),
    };
  }
  // A REST call: the operation whose HTTP binding in the SDK's schemas the request has.
  if (sdk && (sdk.protocol === 'rest-json' || sdk.protocol === 'rest-xml')) {
    const found = restOperation(sdk, request.method, request.rawPath, request.query, matchPath);
    if (found) {
      const name = found.operation.name;
      return {
        service,
        protocol: sdk.protocol,
        operation: name,
        parameters: {
          ...(sdk.protocol === 'rest-json' ? jsonObject(request.body) : {}),
          ...Object.fromEntries(Object.entries(request.query)),
          ...found.captures,
        },
        rule: ruleFor(name),
        sdk: { service: sdk, operation: found.operation },
      };
    }
  }
  // A REST call nobody declared: its errors in REST-JSON, the shape of most REST services.
  return {
    service,
    protocol: sdk?.protocol === 'rest-xml' ? 'rest-xml' : 'rest-json',
    operation: 'Unknown',
    parameters: {},
    rule: undefined,
    sdk: undefined,
  };
}

function cborObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = cbor.deserialize(new Uint8Array(body));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    // Not CBOR: nothing to match a fixture or a resource on; the service would reject it anyway.
    return {};
  }
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

// "Most services use the same name for the IAM service prefix and the endpoint" (Service
// Authorization Reference, "Actions, resources, and condition keys"); these sign under another.
const IAM_PREFIX: Readonly<Record<string, string>> = {
  monitoring: 'cloudwatch',
  email: 'ses',
};

/** `dynamodb:Query`: the IAM action of a call, unless the job's declaration names another. */
export function iamActionOf(call: ServiceCall): string {
  return call.rule?.action ?? `${IAM_PREFIX[call.service] ?? call.service}:${call.operation}`;
}

export type { ResourceScope };

/**
 * The resource ARN the action is decided on. The job's declaration (a template such as
 * `arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${FunctionName}`) wins; otherwise the
 * action's resource types in the Service Authorization Reference, filled from the request as AWS
 * names the resource (awsResources); `*` for an action that acts on none.
 */
export function resourceOf(
  call: ServiceCall,
  scope: ResourceScope,
  known: readonly KnownResource[] = [],
  where = 'the fixture file',
): ResolvedResource {
  const action = iamActionOf(call);
  const sar = sarAction(action);
  if (call.rule?.resource) {
    const arn = fillTemplate(call.rule.resource, call, scope);
    if (sar?.wildcardOnly) return { arn: '*' };
    if (!sar || matchingResourceTypes(sar, arn).length === 0) return { arn };
    try {
      return requestResource(sar, { Declared: arn }, scope, known, where);
    } catch (error) {
      if (error instanceof ResourceNameError) throw new ResourceTemplateError(error.message);
      throw error;
    }
  }
  if (!sar) {
    throw new ResourceTemplateError(
      `${action} is not an IAM action in the Service Authorization Reference, so the stand-in cannot decide ${call.service}:${call.operation}: declare its IAM action as { "operation": "${call.service}:${call.operation}", "action": "<service>:<Action>" } under "operations" in ${where}`,
    );
  }
  try {
    return requestResource(sar, call.parameters, scope, known, where);
  } catch (error) {
    if (error instanceof ResourceNameError) throw new ResourceTemplateError(error.message);
    throw error;
  }
}

/**
 * The placeholders a job's permissions use, `${AWS::Partition}`, `${AWS::Region}`,
 * `${AWS::AccountId}` and `${Name}` (any string parameter of the call, e.g. `${FunctionName}`),
 * and the older `{partition}`, `{region}`, `{accountId}` and `{Name}`.
 */
function fillTemplate(template: string, call: ServiceCall, scope: ResourceScope): string {
  return template.replace(/\$\{([\w:]+)\}|\{(\w+)\}/g, (whole, sub?: string, old?: string) => {
    const name = sub ?? old ?? '';
    const fixed: Record<string, string> = {
      partition: scope.partition,
      region: scope.region,
      accountId: scope.accountId,
      'AWS::Partition': scope.partition,
      'AWS::Region': scope.region,
      'AWS::AccountId': scope.accountId,
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
