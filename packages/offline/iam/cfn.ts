// Resolves the CloudFormation constructs the two stacks use (Ref, Fn::Sub, Fn::If, Fn::GetAtt,
// conditions, pseudo parameters, AWS::NoValue) against concrete parameter values, so that the
// policies handed to the simulator are the ones CloudFormation would create.
//
// Why not cfn-resolver-lib: on resources/cross-account-role.yml it leaves `${AWS::Partition}` in
// the two-argument form of Fn::Sub, turns `!Ref DemoBucket` into the string "DemoBucket", cannot
// resolve `${DemoBucket.Arn}`, and replaces any single-key object whose value is a list by the
// list (so `Principal: { AWS: [a, b] }` would become `[a, b]`). Each of those silently changes a
// policy. This resolver covers the small set of functions the templates use, exactly, and throws
// an EvaluatorError naming the template path of anything else.
import { EvaluatorError } from './errors';

/** Marks a value removed by `!Ref AWS::NoValue`. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface StackInputs {
  partition: string;
  accountId: string;
  region: string;
  stackName?: string;
  /** Parameter values as passed to CloudFormation (defaults fill the rest). */
  parameters?: Record<string, string>;
}

interface ParameterDefinition {
  Type?: string;
  Default?: unknown;
  AllowedPattern?: string;
  AllowedValues?: unknown[];
  MinValue?: number;
  MaxValue?: number;
  MinLength?: number;
  MaxLength?: number;
}

export interface TemplateResource {
  Type: string;
  Condition?: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A parsed template (JSON or YAML with CloudFormation tags turned into `Fn::` objects). */
export interface TemplateDocument {
  Parameters?: Record<string, ParameterDefinition>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown }>;
  [key: string]: unknown;
}

/** How CloudFormation names a resource for `Ref` and where `Fn::GetAtt ... Arn` comes from. */
const RESOURCE_NAMES: Record<
  string,
  {
    nameProperty: string;
    arn: (name: string, s: Stack) => string;
    /** `Ref` returns the ARN, not the name (managed policies, OIDC providers). */
    refIsArn?: true;
  }
> = {
  'AWS::IAM::ManagedPolicy': {
    nameProperty: 'ManagedPolicyName',
    arn: (name, s) => `arn:${s.partition}:iam::${s.accountId}:policy/${name}`,
    refIsArn: true,
  },
  'AWS::IAM::OIDCProvider': {
    nameProperty: 'Url',
    arn: (url, s) =>
      `arn:${s.partition}:iam::${s.accountId}:oidc-provider/${url.replace(/^https:\/\//, '')}`,
    refIsArn: true,
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    arn: (name, s) => `arn:${s.partition}:iam::${s.accountId}:role${s.rolePath}${name}`,
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    arn: (name, s) => `arn:${s.partition}:s3:::${name}`,
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    arn: (name, s) => `arn:${s.partition}:lambda:${s.region}:${s.accountId}:function:${name}`,
  },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    arn: (name, s) => `arn:${s.partition}:states:${s.region}:${s.accountId}:stateMachine:${name}`,
    refIsArn: true,
  },
  'AWS::Events::Rule': {
    nameProperty: 'Name',
    arn: (name, s) => `arn:${s.partition}:events:${s.region}:${s.accountId}:rule/${name}`,
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    arn: (name, s) => `arn:${s.partition}:logs:${s.region}:${s.accountId}:log-group:${name}:*`,
  },
};

interface Stack {
  partition: string;
  accountId: string;
  region: string;
  rolePath: string;
}

type Path = string;

function describe(value: unknown): string {
  return JSON.stringify(value)?.slice(0, 120) ?? String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * One template with one set of stack inputs. Resolution is lazy, so a construct this module does
 * not support only fails the load when the proof needs the value that contains it.
 */
export class ResolvedTemplate {
  readonly parameters: Readonly<Record<string, string>>;
  private readonly pseudo: Record<string, string>;
  private readonly conditionCache = new Map<string, boolean>();
  private readonly evaluating = new Set<string>();

  constructor(
    /** Where the template came from, for error messages. */
    readonly source: string,
    readonly template: TemplateDocument,
    private readonly inputs: StackInputs,
  ) {
    this.parameters = this.validateParameters(inputs.parameters ?? {});
    this.pseudo = {
      'AWS::Partition': inputs.partition,
      'AWS::AccountId': inputs.accountId,
      'AWS::Region': inputs.region,
      'AWS::URLSuffix': inputs.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
      'AWS::StackName': inputs.stackName ?? 'offline-stack',
      'AWS::StackId': `arn:${inputs.partition}:cloudformation:${inputs.region}:${inputs.accountId}:stack/${inputs.stackName ?? 'offline-stack'}/offline`,
    };
  }

  fail(path: Path, problem: string, cause?: unknown): never {
    throw new EvaluatorError(`${this.source}: cannot resolve ${path}: ${problem}`, { cause });
  }

  /** The resource ids whose Condition holds, i.e. what the stack would create. */
  existingResources(type?: string): string[] {
    return Object.entries(this.template.Resources ?? {})
      .filter(([, r]) => (type ? r.Type === type : true))
      .filter(([id]) => this.resourceExists(id))
      .map(([id]) => id);
  }

  resourceExists(id: string): boolean {
    const resource = this.template.Resources[id];
    if (!resource) return false;
    return resource.Condition === undefined
      ? true
      : this.condition(resource.Condition, `Resources.${id}.Condition`);
  }

  resource(id: string): TemplateResource {
    const resource = this.template.Resources[id];
    if (!resource) this.fail(`Resources.${id}`, 'no such resource');
    return resource;
  }

  /** The resolved value of one property of a resource (undefined when absent or AWS::NoValue). */
  property(id: string, name: string): unknown {
    const value = this.resource(id).Properties?.[name];
    if (value === undefined) return undefined;
    const resolved = this.resolve(value, `Resources.${id}.Properties.${name}`);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** A property that must resolve to a string. */
  stringProperty(id: string, name: string): string | undefined {
    const value = this.property(id, name);
    if (value !== undefined && typeof value !== 'string') {
      this.fail(`Resources.${id}.Properties.${name}`, `expected a string, got ${describe(value)}`);
    }
    return value;
  }

  output(name: string): unknown {
    const output = this.template.Outputs?.[name];
    if (!output) this.fail(`Outputs.${name}`, 'no such output');
    const value = this.resolve(output.Value, `Outputs.${name}.Value`);
    return value === NO_VALUE ? undefined : value;
  }

  /** Resolves any template value; `NO_VALUE` stands for a removed value. */
  resolve(value: unknown, path: Path): unknown {
    if (Array.isArray(value)) {
      return value
        .map((item, index) => this.resolve(item, `${path}[${index}]`))
        .filter((item) => item !== NO_VALUE);
    }
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(only, value[only], `${path}.${only}`);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.resolve(value[key], `${path}.${key}`);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private resolveString(value: unknown, path: Path): string {
    const resolved = this.resolve(value, path);
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    if (typeof resolved !== 'string')
      this.fail(path, `expected a string, got ${describe(resolved)}`);
    return resolved;
  }

  private resolveList(value: unknown, path: Path): unknown[] {
    const resolved = this.resolve(value, path);
    if (!Array.isArray(resolved)) this.fail(path, `expected a list, got ${describe(resolved)}`);
    return resolved;
  }

  private args(value: unknown, count: number, fn: string, path: Path): unknown[] {
    if (!Array.isArray(value) || value.length !== count) {
      this.fail(path, `${fn} takes a list of ${count}, got ${describe(value)}`);
    }
    return value;
  }

  private intrinsic(fn: string, arg: unknown, path: Path): unknown {
    switch (fn) {
      case 'Ref':
        if (typeof arg !== 'string') this.fail(path, `Ref takes a name, got ${describe(arg)}`);
        return this.ref(arg, path);
      case 'Fn::Sub':
        return this.sub(arg, path);
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = this.args(arg, 3, fn, path);
        if (typeof name !== 'string') this.fail(path, `Fn::If needs a condition name`);
        return this.condition(name, path)
          ? this.resolve(whenTrue, `${path}[1]`)
          : this.resolve(whenFalse, `${path}[2]`);
      }
      case 'Fn::GetAtt': {
        const parts = typeof arg === 'string' ? arg.split('.') : arg;
        const [id, attribute] = this.args(parts, 2, fn, path);
        if (typeof id !== 'string' || typeof attribute !== 'string') {
          this.fail(path, `Fn::GetAtt takes [LogicalId, Attribute], got ${describe(arg)}`);
        }
        return this.getAtt(id, attribute, path);
      }
      case 'Fn::Join': {
        const [delimiter, items] = this.args(arg, 2, fn, path);
        const list = this.resolveList(items, `${path}[1]`);
        return list
          .map((item, i) => this.resolveString(item, `${path}[1][${i}]`))
          .join(String(delimiter));
      }
      case 'Fn::Select': {
        const [index, items] = this.args(arg, 2, fn, path);
        const list = this.resolveList(items, `${path}[1]`);
        const picked = list[Number(this.resolveString(index, `${path}[0]`))];
        if (picked === undefined) this.fail(path, `index ${describe(index)} is outside the list`);
        return picked;
      }
      case 'Fn::Split': {
        const [delimiter, text] = this.args(arg, 2, fn, path);
        return this.resolveString(text, `${path}[1]`).split(String(delimiter));
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = this.args(arg, 3, fn, path).map((part, i) =>
          this.resolveString(part, `${path}[${i}]`),
        );
        const found =
          this.template.Mappings?.[map as string]?.[first as string]?.[second as string];
        if (found === undefined) this.fail(path, `no mapping ${map}.${first}.${second}`);
        return this.resolve(found, path);
      }
      default:
        return this.fail(path, `${fn} is not supported by the offline resolver`);
    }
  }

  private ref(name: string, path: Path): unknown {
    if (name === 'AWS::NoValue') return NO_VALUE;
    const pseudo = this.pseudo[name];
    if (pseudo !== undefined) return pseudo;
    if (name.startsWith('AWS::'))
      this.fail(path, `pseudo parameter ${name} is not modelled offline`);
    const parameter = this.parameters[name];
    if (parameter !== undefined) return parameter;
    const resource = this.template.Resources[name];
    if (resource) {
      const physical = this.resourceName(name, path);
      const naming = RESOURCE_NAMES[resource.Type];
      if (!naming?.refIsArn) return physical;
      const { partition, accountId, region } = this.inputs;
      return naming.arn(physical, { partition, accountId, region, rolePath: '/' });
    }
    return this.fail(path, `Ref ${name}: no parameter, pseudo parameter or resource of that name`);
  }

  /** What `Ref` returns for a resource: its physical name, which must be set in the template. */
  private resourceName(id: string, path: Path): string {
    const resource = this.resource(id);
    if (!this.resourceExists(id)) {
      this.fail(path, `${id} is not created (its condition ${resource.Condition} is false)`);
    }
    const naming = RESOURCE_NAMES[resource.Type];
    if (!naming) this.fail(path, `Ref to a ${resource.Type} is not modelled offline`);
    const name = this.stringProperty(id, naming.nameProperty);
    if (name === undefined) {
      this.fail(path, `${id} has no ${naming.nameProperty}: CloudFormation would generate one`);
    }
    return name;
  }

  private getAtt(id: string, attribute: string, path: Path): string {
    const resource = this.template.Resources[id];
    if (!resource) this.fail(path, `Fn::GetAtt ${id}.${attribute}: no such resource`);
    const naming = RESOURCE_NAMES[resource.Type];
    if (attribute !== 'Arn' || !naming) {
      this.fail(path, `Fn::GetAtt ${id}.${attribute} (${resource.Type}) is not modelled offline`);
    }
    const rolePath =
      resource.Type === 'AWS::IAM::Role' ? this.stringProperty(id, 'Path') : undefined;
    return naming.arn(this.resourceName(id, path), {
      partition: this.inputs.partition,
      accountId: this.inputs.accountId,
      region: this.inputs.region,
      rolePath: rolePath ?? '/',
    });
  }

  private sub(arg: unknown, path: Path): string {
    const [text, vars] = Array.isArray(arg) ? this.args(arg, 2, 'Fn::Sub', path) : [arg, {}];
    if (typeof text !== 'string' || !isRecord(vars)) {
      this.fail(path, `Fn::Sub takes a string or [string, {variables}], got ${describe(arg)}`);
    }
    return text.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
      // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in vars) return this.resolveString(vars[name], `${path}[1].${name}`);
      if (name.includes('.')) {
        const [id = '', ...attribute] = name.split('.');
        return this.getAtt(id, attribute.join('.'), path);
      }
      const value = this.ref(name, path);
      if (typeof value !== 'string') this.fail(path, `\${${name}} is not a string`);
      return value;
    });
  }

  /** Evaluates a named condition from the Conditions section. */
  condition(name: string, path: Path): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) this.fail(path, `no condition named ${name}`);
    if (this.evaluating.has(name)) this.fail(path, `condition ${name} refers to itself`);
    this.evaluating.add(name);
    const value = this.conditionExpression(definition, `Conditions.${name}`);
    this.evaluating.delete(name);
    this.conditionCache.set(name, value);
    return value;
  }

  private conditionExpression(expression: unknown, path: Path): boolean {
    const keys = isRecord(expression) ? Object.keys(expression) : [];
    const fn = keys.length === 1 ? keys[0] : undefined;
    const arg = fn !== undefined && isRecord(expression) ? expression[fn] : undefined;
    const list = (count?: number): unknown[] => {
      if (!Array.isArray(arg) || (count !== undefined && arg.length !== count)) {
        this.fail(path, `${fn} takes a list${count ? ` of ${count}` : ''}, got ${describe(arg)}`);
      }
      return arg;
    };
    switch (fn) {
      case 'Fn::Equals': {
        const [a, b] = list(2).map((side, i) =>
          this.resolveString(side, `${path}.Fn::Equals[${i}]`),
        );
        return a === b;
      }
      case 'Fn::Not':
        return !this.conditionExpression(list(1)[0], `${path}.Fn::Not[0]`);
      case 'Fn::And':
        return list().every((c, i) => this.conditionExpression(c, `${path}.Fn::And[${i}]`));
      case 'Fn::Or':
        return list().some((c, i) => this.conditionExpression(c, `${path}.Fn::Or[${i}]`));
      case 'Condition':
        if (typeof arg !== 'string') this.fail(path, `Condition takes a name`);
        return this.condition(arg, path);
      default:
        return this.fail(path, `not a condition expression: ${describe(expression)}`);
    }
  }

  /**
   * Applies what CloudFormation checks before it creates anything: every parameter is declared,
   * has a value, and meets its constraints. A stack the service would reject is not modelled.
   */
  private validateParameters(given: Record<string, string>): Record<string, string> {
    const declared = this.template.Parameters ?? {};
    const values: Record<string, string> = {};
    for (const name of Object.keys(given)) {
      if (!(name in declared)) {
        throw new EvaluatorError(
          `${this.source}: parameter ${name} is not declared (declared: ${Object.keys(declared).join(', ') || 'none'}); ` +
            `a job's permissions name the target stack's parameters as \${${name}}: add ${name} under Parameters: of the target template, or give the template that has it with --target-template`,
        );
      }
    }
    for (const [name, definition] of Object.entries(declared)) {
      const raw =
        given[name] ?? (definition.Default === undefined ? undefined : String(definition.Default));
      if (raw === undefined) {
        throw new EvaluatorError(`${this.source}: parameter ${name} has no value and no default`);
      }
      const reject = (rule: string): never => {
        throw new EvaluatorError(
          `${this.source}: parameter ${name}=${JSON.stringify(raw)} ${rule}; CloudFormation would reject the stack`,
        );
      };
      if (definition.AllowedPattern && !new RegExp(definition.AllowedPattern).test(raw)) {
        reject(`does not match AllowedPattern ${definition.AllowedPattern}`);
      }
      if (definition.AllowedValues && !definition.AllowedValues.map(String).includes(raw)) {
        reject(`is not one of ${definition.AllowedValues.join(', ')}`);
      }
      if (definition.Type === 'Number') {
        const n = Number(raw);
        if (raw.trim() === '' || Number.isNaN(n)) reject('is not a number');
        if (definition.MinValue !== undefined && n < definition.MinValue)
          reject(`is below ${definition.MinValue}`);
        if (definition.MaxValue !== undefined && n > definition.MaxValue)
          reject(`is above ${definition.MaxValue}`);
      }
      if (definition.MinLength !== undefined && raw.length < definition.MinLength)
        reject('is too short');
      if (definition.MaxLength !== undefined && raw.length > definition.MaxLength)
        reject('is too long');
      values[name] = raw;
    }
    return values;
  }
}
