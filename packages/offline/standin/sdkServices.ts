// Each service's wire knowledge, from the SDK client the job already installs to call it: the
// client names its signing name and protocol, and carries every operation's input and output
// schema; @aws-sdk/core's protocol codecs write a value of a schema in that protocol. So the
// stand-in answers an operation the way the service would, in the protocol the client reads, and
// refuses a fixture whose `output` does not fit the operation's output shape, naming the member.
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { XmlCodec } from '@aws-sdk/core/protocols';
import { NormalizedSchema } from '@smithy/core/schema';
import { PROJECT_ROOT } from '../projectCopy';

/** The protocols the SDK speaks, by the client's protocol shape id. */
export type WireProtocol = 'json' | 'query' | 'ec2' | 'rest-json' | 'rest-xml' | 'cbor';

const PROTOCOLS: Readonly<Record<string, WireProtocol>> = {
  'aws.protocols#awsJson1_0': 'json',
  'aws.protocols#awsJson1_1': 'json',
  'aws.protocols#awsQuery': 'query',
  'aws.protocols#ec2Query': 'ec2',
  'aws.protocols#restJson1': 'rest-json',
  'aws.protocols#restXml': 'rest-xml',
  'smithy.protocols#rpcv2Cbor': 'cbor',
};

type StaticSchema = readonly unknown[];

export interface SdkOperation {
  readonly name: string;
  readonly schema: StaticSchema;
  /** REST operations: [method, URI template, status], e.g. POST /2015-03-31/functions/{FunctionName}/invocations. */
  readonly http: readonly [string, string, number] | undefined;
}

interface ProtocolInstance {
  getShapeId(): string;
  readonly options: {
    readonly xmlNamespace?: string;
    readonly defaultNamespace?: string;
    readonly errorTypeRegistries?: readonly { readonly schemas: ReadonlyMap<string, unknown> }[];
  };
  readonly codec?: { createSerializer(): ShapeSerializer };
}

interface ShapeSerializer {
  write(schema: unknown, value: unknown): void;
  flush(): string | Uint8Array;
}

export interface SdkService {
  readonly signingName: string;
  /** How the SDK names the service (`EC2`, `Secrets Manager`, `CloudFormation`). */
  readonly serviceId: string;
  /** The client package, e.g. `@aws-sdk/client-ec2`. */
  readonly packageName: string;
  readonly protocol: WireProtocol;
  readonly operations: ReadonlyMap<string, SdkOperation>;
  /** The service's access-denied error: its code on the wire and HTTP status. */
  readonly accessDenied: { readonly code: string; readonly status: number };
  readonly instance: ProtocolInstance;
}

const projectRequire = createRequire(join(PROJECT_ROOT, 'package.json'));
const SDK_DIR = join(PROJECT_ROOT, 'node_modules', '@aws-sdk');

let packagesBySigningName: Map<string, string> | undefined;

/** The client's signing name, as its endpoint parameters set it (near the top of its bundle). */
function signingNameOf(packageDir: string): string | undefined {
  const file = join(packageDir, 'dist-cjs', 'index.js');
  const pattern = /defaultSigningName: "([a-z0-9-]+)"/;
  let head = '';
  try {
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(128 * 1024);
      head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
    return pattern.exec(head)?.[1] ?? pattern.exec(readFileSync(file, 'utf8'))?.[1];
  } catch {
    // Not a bundled client (a types-only or older layout): it cannot be served from here.
    return undefined;
  }
}

/** The installed client package of each signing name, found once. */
function clientPackages(): Map<string, string> {
  if (packagesBySigningName) return packagesBySigningName;
  const found = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(SDK_DIR).filter((name) => name.startsWith('client-'));
  } catch {
    // No @aws-sdk clients installed: every service is unknown.
  }
  for (const name of names.sort()) {
    const signing = signingNameOf(join(SDK_DIR, name));
    if (signing && !found.has(signing)) found.set(signing, `@aws-sdk/${name}`);
  }
  packagesBySigningName = found;
  return found;
}

const services = new Map<string, SdkService | undefined>();

const isStaticOperation = (value: unknown): value is StaticSchema =>
  Array.isArray(value) && value[0] === 9 && typeof value[2] === 'string';

/** The SDK's knowledge of the service signed as `signingName`, or undefined if no client is installed. */
export function sdkService(signingName: string): SdkService | undefined {
  if (services.has(signingName)) return services.get(signingName);
  const packageName = clientPackages().get(signingName);
  let service: SdkService | undefined;
  if (packageName) {
    const module = projectRequire(packageName) as Record<string, unknown> & {
      __Client: abstract new (...args: never[]) => unknown;
    };
    const Client = Object.values(module).find(
      (
        value,
      ): value is new (
        config: object,
      ) => { config: { protocol: ProtocolInstance; serviceId?: string } } =>
        typeof value === 'function' && value.prototype instanceof module.__Client,
    );
    const operations = new Map<string, SdkOperation>();
    for (const [key, value] of Object.entries(module)) {
      if (!key.endsWith('$') || !isStaticOperation(value)) continue;
      const traits = value[3];
      const http =
        typeof traits === 'object' && traits !== null
          ? ((traits as { http?: [string, string, number] }).http ?? undefined)
          : undefined;
      operations.set(value[2] as string, { name: value[2] as string, schema: value, http });
    }
    if (Client) {
      // The client is only read for its protocol object; nothing is sent.
      const { config } = new Client({ region: 'us-east-1' });
      const instance = config.protocol;
      const protocol = PROTOCOLS[instance.getShapeId()];
      if (protocol) {
        service = {
          signingName,
          serviceId: config.serviceId ?? signingName,
          packageName,
          protocol,
          operations,
          accessDenied: accessDeniedOf(instance, protocol),
          instance,
        };
      }
    }
  }
  services.set(signingName, service);
  return service;
}

// The access-denied answer of each protocol family where the service models none of its own:
// "AccessDeniedException ... HTTP Status Code: 400" (the JSON services' Common Errors),
// "AccessDenied ... 403" (query services such as STS and IAM, and S3), "UnauthorizedOperation:
// You are not authorized to perform this operation" (EC2 API Reference, Common client error codes).
const DEFAULT_DENIAL: Readonly<Record<WireProtocol, { code: string; status: number }>> = {
  json: { code: 'AccessDeniedException', status: 400 },
  cbor: { code: 'AccessDeniedException', status: 400 },
  'rest-json': { code: 'AccessDeniedException', status: 403 },
  query: { code: 'AccessDenied', status: 403 },
  ec2: { code: 'UnauthorizedOperation', status: 403 },
  'rest-xml': { code: 'AccessDenied', status: 403 },
};

// Error shapes that mean "IAM denied this call"; a service that models one (SNS's
// AuthorizationErrorException, code AuthorizationError, 403) answers with it.
const DENIAL_SHAPES = ['AccessDenied', 'AccessDeniedException', 'AuthorizationErrorException'];

function accessDeniedOf(
  instance: ProtocolInstance,
  protocol: WireProtocol,
): { code: string; status: number } {
  for (const registry of instance.options.errorTypeRegistries ?? []) {
    for (const [id, schema] of registry.schemas) {
      const name = id.slice(id.indexOf('#') + 1);
      if (!DENIAL_SHAPES.includes(name) || !Array.isArray(schema)) continue;
      const traits = (schema[3] ?? {}) as { awsQueryError?: [string, number]; httpError?: number };
      const fallback = DEFAULT_DENIAL[protocol];
      const queryStyle = protocol === 'query' || protocol === 'ec2';
      return {
        code: (queryStyle ? traits.awsQueryError?.[0] : undefined) ?? name,
        status: traits.awsQueryError?.[1] ?? traits.httpError ?? fallback.status,
      };
    }
  }
  return DEFAULT_DENIAL[protocol];
}

/** A fixture's `output` that does not fit the operation's output shape. */
export class OutputShapeError extends Error {
  override name = 'OutputShapeError';
}

const plainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `value` checked against `schema` and turned into what the SDK's serializers take (timestamps as
 * Date, blobs as bytes); throws OutputShapeError naming the path of the first member that does
 * not fit.
 */
function conform(schema: NormalizedSchema, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  const shown = JSON.stringify(value) ?? String(value);
  const wrong = (expected: string) =>
    new OutputShapeError(
      `${path} must be ${expected}, not ${shown.length > 60 ? `${shown.slice(0, 60)}...` : shown}`,
    );
  if (schema.isDocumentSchema()) return value;
  if (schema.isStructSchema() || schema.isUnionSchema()) {
    if (!plainObject(value)) throw wrong(`an object (${schema.getName() ?? 'structure'})`);
    const members = schema.getMemberSchemas();
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      const memberSchema = members[key];
      if (!memberSchema) {
        throw new OutputShapeError(
          `${path}.${key} is not a member of ${schema.getName() ?? 'this structure'} (its members: ${Object.keys(members).join(', ') || 'none'})`,
        );
      }
      out[key] = conform(memberSchema, member, `${path}.${key}`);
    }
    return out;
  }
  if (schema.isListSchema()) {
    if (!Array.isArray(value)) throw wrong('a list');
    return value.map((item, index) => conform(schema.getValueSchema(), item, `${path}[${index}]`));
  }
  if (schema.isMapSchema()) {
    if (!plainObject(value)) throw wrong('a map (an object)');
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        conform(schema.getValueSchema(), item, `${path}.${key}`),
      ]),
    );
  }
  if (schema.isTimestampSchema()) {
    const date =
      typeof value === 'number'
        ? new Date(value * 1000)
        : typeof value === 'string'
          ? new Date(value)
          : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      throw wrong('a timestamp (ISO 8601 text or epoch seconds)');
    }
    return date;
  }
  if (schema.isBlobSchema()) {
    if (typeof value !== 'string') throw wrong('text (a blob, given as its UTF-8 text)');
    return new Uint8Array(Buffer.from(value, 'utf8'));
  }
  if (schema.isBooleanSchema()) {
    if (typeof value !== 'boolean') throw wrong('true or false');
    return value;
  }
  if (schema.isNumericSchema() || schema.isBigIntegerSchema() || schema.isBigDecimalSchema()) {
    if (typeof value !== 'number') throw wrong('a number');
    return value;
  }
  if (schema.isStringSchema()) {
    if (typeof value !== 'string') throw wrong('a string');
    return value;
  }
  return value;
}

/** The output, checked against the operation's output shape; throws OutputShapeError. */
export function conformOutput(service: SdkService, operation: SdkOperation, output: unknown) {
  const schema = NormalizedSchema.of(operation.schema[5] as never);
  try {
    return conform(schema, output ?? {}, 'output');
  } catch (error) {
    if (!(error instanceof OutputShapeError)) throw error;
    throw new OutputShapeError(
      `${error.message}: ${service.signingName}:${operation.name} answers with ${schema.getName()} (${service.packageName})`,
    );
  }
}

export interface SerializedAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

const XML_TIMESTAMPS = { useTrait: true, default: 5 } as const;

function xmlBody(service: SdkService, schema: unknown, value: unknown): string {
  const codec = new XmlCodec({
    timestampFormat: XML_TIMESTAMPS,
    xmlNamespace: service.instance.options.xmlNamespace ?? '',
    serviceNamespace: service.instance.options.defaultNamespace ?? '',
  } as ConstructorParameters<typeof XmlCodec>[0]);
  const serializer = codec.createSerializer();
  serializer.write(schema as never, value);
  return String(serializer.flush());
}

/** The children of the document's root element (the serializer names the root after the shape). */
function innerXml(document: string): string {
  const body = document.replace(/^<\?xml[^>]*\?>/, '');
  const open = /^<([A-Za-z0-9_:.-]+)[^>]*?(\/?)>/.exec(body);
  if (!open || open[2] === '/') return '';
  const close = `</${open[1]}>`;
  return body.slice(open[0].length, body.lastIndexOf(close));
}

/**
 * `output` (SDK member names, conformed) written as the service writes the operation's result:
 * JSON documents for the JSON protocols, `<Op>Response/<Op>Result` for query, EC2's unwrapped
 * `<Op>Response` with its lower-case names and `item` lists, REST bindings (status, headers,
 * payload) for REST-JSON and REST-XML, CBOR for RPC v2.
 */
export function serializeOutput(
  service: SdkService,
  operation: SdkOperation,
  output: unknown,
  requestId: string,
): SerializedAnswer {
  const schemaRef = operation.schema[5];
  const value = conformOutput(service, operation, output) as Record<string, unknown> | undefined;
  const name = operation.name;
  switch (service.protocol) {
    case 'query': {
      const xmlns = service.instance.options.xmlNamespace ?? '';
      const inner = innerXml(xmlBody(service, schemaRef, value ?? {}));
      return {
        status: 200,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<${name}Response xmlns="${xmlns}"><${name}Result>${inner}</${name}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>`,
      };
    }
    case 'ec2': {
      const xmlns = service.instance.options.xmlNamespace ?? '';
      const inner = innerXml(xmlBody(service, schemaRef, value ?? {}));
      return {
        status: 200,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body: `<${name}Response xmlns="${xmlns}"><requestId>${requestId}</requestId>${inner}</${name}Response>`,
      };
    }
    case 'json':
    case 'cbor': {
      const serializer = service.instance.codec?.createSerializer();
      if (!serializer) throw new OutputShapeError(`${service.packageName} has no codec`);
      serializer.write(schemaRef, value ?? {});
      const body = bytesOf(serializer.flush());
      return {
        status: 200,
        headers:
          service.protocol === 'cbor'
            ? { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' }
            : { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
        body,
      };
    }
    default:
      return restAnswer(service, operation, value ?? {}, requestId);
  }
}

function restAnswer(
  service: SdkService,
  operation: SdkOperation,
  value: Record<string, unknown>,
  requestId: string,
): SerializedAnswer {
  const schema = NormalizedSchema.of(operation.schema[5] as never);
  const headers: Record<string, string> = { 'x-amzn-requestid': requestId };
  let status = operation.http?.[2] ?? 200;
  const inBody: Record<string, unknown> = {};
  let payload: string | Uint8Array | undefined;
  for (const [member, memberSchema] of schema.structIterator()) {
    const item = value[member];
    if (item === undefined) continue;
    const traits = memberSchema.getMergedTraits() as Record<string, unknown>;
    if (traits.httpResponseCode) status = Number(item);
    else if (typeof traits.httpHeader === 'string') {
      headers[traits.httpHeader.toLowerCase()] =
        item instanceof Date ? item.toUTCString() : String(item);
    } else if (traits.httpPayload) {
      if (item instanceof Uint8Array || typeof item === 'string') payload = item;
      else {
        payload = codecWrite(service, memberSchema, item);
        headers['content-type'] =
          service.protocol === 'rest-xml' ? 'application/xml' : 'application/json';
      }
    } else if (!traits.httpQuery && !traits.httpLabel && !traits.httpPrefixHeaders) {
      inBody[member] = item;
    }
  }
  if (payload === undefined) {
    payload = codecWrite(service, operation.schema[5], inBody);
    headers['content-type'] =
      service.protocol === 'rest-xml' ? 'application/xml' : 'application/json';
  }
  return { status, headers, body: payload };
}

function codecWrite(service: SdkService, schema: unknown, value: unknown): string {
  if (service.protocol === 'rest-xml') return xmlBody(service, schema, value);
  const serializer = service.instance.codec?.createSerializer();
  if (!serializer) throw new OutputShapeError(`${service.packageName} has no codec`);
  serializer.write(schema, value);
  return bytesOf(serializer.flush()).toString('utf8');
}

/**
 * What a codec's flush gives (text, or bytes that also pretend to be text) as plain bytes, read
 * through the buffer so that the pretence is never called on.
 */
function bytesOf(flushed: string | Uint8Array): Buffer {
  return typeof flushed === 'string'
    ? Buffer.from(flushed, 'utf8')
    : Buffer.from(flushed.buffer, flushed.byteOffset, flushed.byteLength);
}

/**
 * A query-protocol request read back into the SDK's member names: the inverse of the SDK's
 * QueryShapeSerializer (@aws-sdk/core), which names a member by its xmlName (EC2: ec2QueryName,
 * else the xmlName capitalised), numbers list items from 1 under `member` (EC2 and flattened
 * lists: directly), and map entries under `entry.N.key` / `entry.N.value`. Numbers and booleans
 * come back typed; timestamps and blobs as the text sent. Form keys the schema does not know are
 * kept as sent, so nothing the request carried is hidden from a fixture's `input`.
 */
export function queryMembers(
  service: SdkService,
  operation: SdkOperation,
  form: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const schema = NormalizedSchema.of(operation.schema[4] as never);
  const ec2 = service.protocol === 'ec2';
  const decoded = schema.isStructSchema() ? readQuery(schema, form, '', ec2) : undefined;
  return { ...form, ...(plainObject(decoded) ? decoded : {}) };
}

function queryKey(
  name: string,
  traits: { xmlName?: string; ec2QueryName?: string },
  ec2: boolean,
  source: 'struct' | 'item',
): string {
  if (ec2 && traits.ec2QueryName) return traits.ec2QueryName;
  const key = traits.xmlName ?? name;
  return ec2 && source === 'struct' ? (key[0]?.toUpperCase() ?? '') + key.slice(1) : key;
}

function readQuery(
  schema: NormalizedSchema,
  form: Readonly<Record<string, string>>,
  key: string,
  ec2: boolean,
): unknown {
  const at = (suffix: string) => (key === '' ? suffix : `${key}.${suffix}`);
  // Only where the form has keys: a recursive shape is read as deep as the request went.
  const sent = key === '' || Object.keys(form).some((k) => k === key || k.startsWith(`${key}.`));
  if (!sent) return undefined;
  if (schema.isStructSchema()) {
    const out: Record<string, unknown> = {};
    for (const [name, member] of schema.structIterator()) {
      const traits = member.getMergedTraits() as { xmlName?: string; ec2QueryName?: string };
      const value = readQuery(member, form, at(queryKey(name, traits, ec2, 'struct')), ec2);
      if (value !== undefined) out[name] = value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (schema.isListSchema()) {
    const item = schema.getValueSchema();
    const traits = item.getMergedTraits() as { xmlName?: string; ec2QueryName?: string };
    const flat =
      ec2 || Boolean((schema.getMergedTraits() as { xmlFlattened?: unknown }).xmlFlattened);
    const items: unknown[] = [];
    for (let index = 1; ; index += 1) {
      const itemKey = flat
        ? at(String(index))
        : at(`${queryKey('member', traits, ec2, 'item')}.${index}`);
      const value = readQuery(item, form, itemKey, ec2);
      if (value === undefined) break;
      items.push(value);
    }
    return items.length > 0 ? items : form[key] === '' ? [] : undefined;
  }
  if (schema.isMapSchema()) {
    const flat = Boolean((schema.getMergedTraits() as { xmlFlattened?: unknown }).xmlFlattened);
    const keyName = queryKey('key', schema.getKeySchema().getMergedTraits() as never, ec2, 'item');
    const valueName = queryKey(
      'value',
      schema.getValueSchema().getMergedTraits() as never,
      ec2,
      'item',
    );
    const out: Record<string, unknown> = {};
    for (let index = 1; ; index += 1) {
      const entry = flat ? at(String(index)) : at(`entry.${index}`);
      const name = form[`${entry}.${keyName}`];
      if (name === undefined) break;
      out[name] = readQuery(schema.getValueSchema(), form, `${entry}.${valueName}`, ec2);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  const raw = form[key];
  if (raw === undefined) return undefined;
  if (schema.isBooleanSchema()) return raw === 'true';
  if (schema.isNumericSchema()) return Number(raw);
  return raw;
}

/**
 * REST: the operation whose HTTP binding (method, URI template, required query) the request has;
 * of several, the most specific, as a router picks (more required query keys, then more literal
 * path: `GET /{Bucket}?list-type=2` over `GET /{Bucket}`).
 */
export function restOperation(
  service: SdkService,
  method: string,
  rawPath: string,
  query: Readonly<Record<string, unknown>>,
  matchPath: (template: string, path: string) => Record<string, string> | undefined,
): { operation: SdkOperation; captures: Record<string, string> } | undefined {
  let best:
    | { operation: SdkOperation; captures: Record<string, string>; keys: number; literal: number }
    | undefined;
  for (const operation of service.operations.values()) {
    if (!operation.http || operation.http[0] !== method) continue;
    const [pathTemplate = '', literalQuery = ''] = operation.http[1].split('?');
    const required = [...new URLSearchParams(literalQuery)];
    const fits = required.every(
      ([key, wanted]) => key in query && (wanted === '' || query[key] === wanted),
    );
    if (!fits) continue;
    const captures = matchPath(pathTemplate, rawPath);
    if (!captures) continue;
    const keys = required.length;
    const literal = pathTemplate.replace(/\{[^}]+\}/g, '').length;
    const better = !best || keys > best.keys || (keys === best.keys && literal > best.literal);
    if (better) best = { operation, captures, keys, literal };
  }
  return best && { operation: best.operation, captures: best.captures };
}
