// Fixtures: the answers a job ships, as data, for the calls it makes to services the stand-in does
// not emulate (anything but STS and S3). A fixture says which operation, on which resource (and,
// optionally, with which parameters), gets which response; a call still has to pass the same IAM
// decision as any other before its fixture is served.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KnownResource } from '../iam/awsResources';
import type { PolicyDocument } from '../iam/policy';
import { StandInError } from './errors';
import { conformOutput, OutputShapeError, sdkService } from './sdkServices';

/** How the job tells the stand-in about an operation it cannot read from the request alone. */
export interface OperationRule {
  /** `<signing name>:<Operation>`, e.g. `lambda:Invoke`. */
  readonly operation: string;
  /** The IAM action, when it is not `<service>:<Operation>` (e.g. `lambda:InvokeFunction`). */
  readonly action?: string;
  /** The resource ARN, with `${AWS::Partition}`, `${AWS::Region}`, `${AWS::AccountId}` and `${<Parameter>}` (as a job writes its permissions; `{partition}` and the like also do). */
  readonly resource?: string;
  /** REST services: the route, e.g. POST `/2015-03-31/functions/{FunctionName}/invocations`. */
  readonly http?: {
    readonly method: string;
    readonly path: string;
    /** Default rest-json; rest-xml for the XML REST services (CloudFront, Route 53). */
    readonly protocol?: 'rest-json' | 'rest-xml';
  };
  readonly source: string;
}

export interface Fixture {
  /** `<signing name>:<Operation>`, e.g. `dynamodb:Query`. */
  readonly operation: string;
  /** Only calls signed by a session of this account. */
  readonly account?: string;
  /** Only calls on this resource; `*` and `?` as in IAM. */
  readonly resource?: string;
  /** Only calls whose parameters include these (objects compared member by member). */
  readonly input?: Readonly<Record<string, unknown>>;
  /** The answer: `output` (the result document, JSON protocols) or `body` (raw text). */
  readonly output?: unknown;
  readonly body?: string;
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Or an AWS error, e.g. `{ "code": "ResourceNotFoundException", "message": "..." }`. */
  readonly error?: { readonly code: string; readonly message: string; readonly status?: number };
  /** `<file>#fixtures[<n>]`, for log lines. */
  readonly source: string;
}

export interface FixtureSet {
  readonly fixtures: readonly Fixture[];
  readonly operations: readonly OperationRule[];
  /**
   * The resources the offline world answers for, named in full as AWS names them (a secret's ARN
   * with its suffix, a key with its aliases): the `resources` of each file, and every fixture's
   * `resource` without wildcards. A call naming one by name is decided on this ARN.
   */
  readonly resources: readonly KnownResource[];
  /** The files they came from. */
  readonly files: readonly string[];
  /** The file a missing fixture should be added to, as messages name it. */
  readonly addTo: string;
}

export const NO_FIXTURES: FixtureSet = {
  fixtures: [],
  operations: [],
  resources: [],
  files: [],
  addTo: 'job/fixtures.json',
};

const OPERATION = /^[a-z0-9-]{2,64}:[A-Za-z0-9]{1,128}$/;

/** Reads and checks fixture files; a mistake is a StandInError naming the file and the entry. */
export function loadFixtureFiles(
  files: readonly { readonly path: string; readonly shown: string }[],
  addTo?: string,
): FixtureSet {
  const fixtures: Fixture[] = [];
  const operations: OperationRule[] = [];
  const resources: KnownResource[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file.path, 'utf8');
    } catch (error) {
      throw new StandInError(`cannot read the fixture file ${file.shown}`, { cause: error });
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new StandInError(`${file.shown} is not JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const parsed = parseFixtureDocument(document, file.shown);
    fixtures.push(...parsed.fixtures);
    operations.push(...parsed.operations);
    resources.push(...parsed.resources);
  }
  for (const fixture of fixtures) checkOutput(fixture);
  return {
    fixtures,
    operations,
    resources,
    files: files.map((file) => file.shown),
    addTo: addTo ?? files[0]?.shown ?? NO_FIXTURES.addTo,
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function refuseUnknown(entry: Record<string, unknown>, allowed: string[], where: string): void {
  const unknown = Object.keys(entry).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new StandInError(
      `${where} has unknown field(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  }
}

function optionalString(entry: Record<string, unknown>, key: string, where: string) {
  const value = entry[key];
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new StandInError(`${where}.${key} must be a non-empty string`);
  }
  return value as string | undefined;
}

function operationOf(entry: Record<string, unknown>, where: string): string {
  const { operation } = entry;
  if (typeof operation !== 'string' || !OPERATION.test(operation)) {
    throw new StandInError(
      `${where}.operation must be "<service>:<Operation>" with the service's signing name, e.g. "dynamodb:Query"`,
    );
  }
  return operation;
}

/** One fixture file's content: `{ "fixtures": [...], "operations": [...], "resources": [...] }`. */
export function parseFixtureDocument(
  document: unknown,
  source: string,
): { fixtures: Fixture[]; operations: OperationRule[]; resources: KnownResource[] } {
  if (!isObject(document)) {
    throw new StandInError(`${source} must hold an object with "fixtures" (and "operations")`);
  }
  refuseUnknown(document, ['$comment', 'fixtures', 'operations', 'resources'], source);
  const list = (key: 'fixtures' | 'operations' | 'resources') => {
    const value = document[key] ?? [];
    if (!Array.isArray(value)) throw new StandInError(`${source}: "${key}" must be an array`);
    return value as unknown[];
  };
  const fixtures = list('fixtures').map((entry, index) =>
    parseFixture(entry, `${source}#fixtures[${index}]`),
  );
  return {
    fixtures,
    operations: list('operations').map((entry, index) =>
      parseRule(entry, `${source}#operations[${index}]`),
    ),
    resources: [
      ...list('resources').map((entry, index) =>
        parseResource(entry, `${source}#resources[${index}]`),
      ),
      // A fixture on one resource named in full tells which resource the world has, too.
      ...fixtures.flatMap((fixture) =>
        fixture.resource?.startsWith('arn:') && !/[*?]/.test(fixture.resource)
          ? [{ arn: fixture.resource, source: fixture.source }]
          : [],
      ),
    ],
  };
}

function parseResource(entry: unknown, where: string): KnownResource {
  if (!isObject(entry)) throw new StandInError(`${where} must be an object`);
  refuseUnknown(entry, ['$comment', 'arn', 'aliases', 'policy'], where);
  const { arn, aliases, policy } = entry;
  if (
    typeof arn !== 'string' ||
    !/^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+/.test(arn) ||
    /[*?]/.test(arn)
  ) {
    throw new StandInError(
      `${where}.arn must be the resource's full ARN as AWS gives it, without wildcards (e.g. arn:aws:secretsmanager:us-east-1:222222222222:secret:db-password-AbCdEf)`,
    );
  }
  if (
    aliases !== undefined &&
    (!Array.isArray(aliases) ||
      aliases.some((a) => typeof a !== 'string' || !a.startsWith('alias/')))
  ) {
    throw new StandInError(
      `${where}.aliases must be a list of KMS alias names such as "alias/orders"`,
    );
  }
  if (policy !== undefined && (!isObject(policy) || !Array.isArray(policy.Statement))) {
    throw new StandInError(
      `${where}.policy must be the resource's policy document, { "Version": "2012-10-17", "Statement": [ ... ] }`,
    );
  }
  return {
    arn,
    ...(aliases === undefined ? {} : { aliases: aliases as string[] }),
    ...(policy === undefined ? {} : { policy: policy as unknown as PolicyDocument }),
    source: where,
  };
}

/**
 * A fixture's `output` must fit the operation's output shape in the service's SDK client: a
 * member it does not have would vanish on the wire, and the job would read an empty answer.
 */
function checkOutput(fixture: Fixture): void {
  if (fixture.output === undefined) return;
  const [service = '', name = ''] = fixture.operation.split(':');
  const sdk = sdkService(service);
  if (!sdk) {
    throw new StandInError(
      `${fixture.source}: "output" is written with ${fixture.operation}'s output schema from the SDK client of signing name ${service}, and none is installed: install the client the job calls it with (npm i -E @aws-sdk/client-<service>), check the signing name, or give the answer as "body"`,
    );
  }
  const operation = sdk.operations.get(name);
  if (!operation) {
    throw new StandInError(
      `${fixture.source}: ${sdk.packageName} has no operation ${name}: use the operation's name as in the API reference (the SDK command without "Command")`,
    );
  }
  try {
    conformOutput(sdk, operation, fixture.output);
  } catch (error) {
    if (!(error instanceof OutputShapeError)) throw error;
    throw new StandInError(`${fixture.source}: ${error.message}`);
  }
}

/** Every job/*.fixtures.json (the job's own answers), then `extra` files. */
export function jobFixtureFiles(
  projectRoot: string,
  extra: readonly { readonly path: string; readonly shown: string }[] = [],
  /** The job's own files (a --job module's), relative to the project; default job/*.fixtures.json. */
  own?: readonly string[],
): { path: string; shown: string }[] {
  const shipped = (
    own ??
    readdirSync(join(projectRoot, 'job'))
      .filter((name) => name.endsWith('.fixtures.json'))
      .sort()
      .map((name) => `job/${name}`)
  ).map((shown) => ({ path: join(projectRoot, shown), shown }));
  return [...shipped, ...extra];
}

function parseFixture(entry: unknown, where: string): Fixture {
  if (!isObject(entry)) throw new StandInError(`${where} must be an object`);
  refuseUnknown(
    entry,
    [
      '$comment',
      'operation',
      'account',
      'resource',
      'input',
      'output',
      'body',
      'status',
      'headers',
      'error',
    ],
    where,
  );
  const operation = operationOf(entry, where);
  const account = optionalString(entry, 'account', where);
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    throw new StandInError(`${where}.account must be a 12-digit account id`);
  }
  const { input, output, body, status, headers, error } = entry;
  if (input !== undefined && !isObject(input)) {
    throw new StandInError(`${where}.input must be an object of request parameters`);
  }
  if (body !== undefined && typeof body !== 'string') {
    throw new StandInError(`${where}.body must be a string`);
  }
  if (
    status !== undefined &&
    (!Number.isInteger(status) || Number(status) < 200 || Number(status) > 599)
  ) {
    throw new StandInError(`${where}.status must be an HTTP status from 200 to 599`);
  }
  if (
    headers !== undefined &&
    (!isObject(headers) || Object.values(headers).some((value) => typeof value !== 'string'))
  ) {
    throw new StandInError(`${where}.headers must be an object of header names to strings`);
  }
  const answers = [output, body, error].filter((value) => value !== undefined).length;
  if (answers !== 1) {
    throw new StandInError(
      `${where} must have exactly one of "output" (the result document), "body" (raw text) or "error" ({ "code", "message" })`,
    );
  }
  let parsedError: Fixture['error'];
  if (error !== undefined) {
    if (
      !isObject(error) ||
      typeof error.code !== 'string' ||
      !/^[A-Za-z][A-Za-z0-9.]{0,127}$/.test(error.code) ||
      typeof error.message !== 'string'
    ) {
      throw new StandInError(
        `${where}.error must be { "code": "<AWS error code>", "message": "<text>", "status"?: <HTTP status> }`,
      );
    }
    const errorStatus = error.status ?? 400;
    if (!Number.isInteger(errorStatus) || Number(errorStatus) < 400 || Number(errorStatus) > 599) {
      throw new StandInError(`${where}.error.status must be an HTTP status from 400 to 599`);
    }
    parsedError = { code: error.code, message: error.message, status: Number(errorStatus) };
  }
  return {
    operation,
    ...(account === undefined ? {} : { account }),
    ...(optionalString(entry, 'resource', where) === undefined
      ? {}
      : { resource: entry.resource as string }),
    ...(input === undefined ? {} : { input }),
    ...(output === undefined ? {} : { output }),
    ...(body === undefined ? {} : { body }),
    ...(status === undefined ? {} : { status: Number(status) }),
    ...(headers === undefined ? {} : { headers: headers as Record<string, string> }),
    ...(parsedError === undefined ? {} : { error: parsedError }),
    source: where,
  };
}

function parseRule(entry: unknown, where: string): OperationRule {
  if (!isObject(entry)) throw new StandInError(`${where} must be an object`);
  refuseUnknown(entry, ['$comment', 'operation', 'action', 'resource', 'http'], where);
  const operation = operationOf(entry, where);
  const action = optionalString(entry, 'action', where);
  if (action !== undefined && !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(action)) {
    throw new StandInError(`${where}.action must be an IAM action such as lambda:InvokeFunction`);
  }
  const resource = optionalString(entry, 'resource', where);
  const { http } = entry;
  let route: OperationRule['http'];
  if (http !== undefined) {
    if (!isObject(http)) throw new StandInError(`${where}.http must be { "method", "path" }`);
    refuseUnknown(http, ['method', 'path', 'protocol'], `${where}.http`);
    const { method, path, protocol } = http;
    if (typeof method !== 'string' || !/^(GET|PUT|POST|DELETE|PATCH|HEAD)$/.test(method)) {
      throw new StandInError(`${where}.http.method must be GET, PUT, POST, DELETE, PATCH or HEAD`);
    }
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new StandInError(
        `${where}.http.path must be the route as in the service's API reference, e.g. "/2015-03-31/functions/{FunctionName}/invocations"`,
      );
    }
    if (protocol !== undefined && protocol !== 'rest-json' && protocol !== 'rest-xml') {
      throw new StandInError(`${where}.http.protocol must be "rest-json" or "rest-xml"`);
    }
    route = { method, path, ...(protocol === undefined ? {} : { protocol }) };
  }
  return {
    operation,
    ...(action === undefined ? {} : { action }),
    ...(resource === undefined ? {} : { resource }),
    ...(route === undefined ? {} : { http: route }),
    source: where,
  };
}

export interface FixtureQuery {
  readonly operation: string;
  readonly account: string;
  readonly resource: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** The first fixture, in file order, that matches the call. */
export function findFixture(set: FixtureSet, call: FixtureQuery): Fixture | undefined {
  return set.fixtures.find(
    (fixture) =>
      fixture.operation === call.operation &&
      (fixture.account === undefined || fixture.account === call.account) &&
      (fixture.resource === undefined || arnPattern(fixture.resource).test(call.resource)) &&
      (fixture.input === undefined || includes(call.parameters, fixture.input)),
  );
}

function arnPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replaceAll('*', '.*').replaceAll('?', '.')}$`);
}

/** Whether `actual` has every member of `expected` (objects recursively; arrays and values equal). */
function includes(actual: unknown, expected: unknown): boolean {
  if (isObject(expected)) {
    return (
      isObject(actual) &&
      Object.entries(expected).every(([key, value]) => includes(actual[key], value))
    );
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}
