// Serverless variable source for the home stack: `${file(./config/params.js):<name>}`.
// Every deploy-time parameter is validated here, while variables resolve, so a bad or missing
// `--param` stops `sls deploy` / `sls package` before anything is built or created, with a message
// that names the parameter and shows how to set it.

const STAGE = /^[a-zA-Z0-9-]{1,20}$/;
const MAX_ROLE_NAME = 64;
// The function's key in serverless.yml (`functions:`); its deployed name is <service>-<stage>-<key>.
const FUNCTION_KEY = 'crossAccount';

// tsx (a dependency of this package) reads the service's job and the core's configuration code as
// they are, so deploy time and run time share one table of parameters (names, variables, defaults,
// schemas, hints) and one validation. sls runs in the service's folder: the job is its job/index.ts.
const { join } = require('node:path');
const { require: requireTs } = require('tsx/cjs/api');
const { job } = requireTs(join(process.cwd(), 'job', 'index.ts'), __filename);
const { loadAllConfig, CORE_PARAMETERS, ROOT_ID, METRIC_NAMESPACE } = requireTs(
  '@cross-account-lambda/core',
  __filename,
);

// The function's parameters: the core's table and the job's, each row naming its variable.
const FUNCTION_PARAMETERS = { ...CORE_PARAMETERS, ...job.params };
for (const name of Object.keys(job.params)) {
  if (name in CORE_PARAMETERS) {
    throw new Error(
      `The job's parameter "${name}" has the name of a core parameter: rename it in the job's params.`,
    );
  }
}
// Distributed mode (distributed-mode.yml): off unless `distributed` is true; the rest tune it.
const DISTRIBUTED_DEFAULTS = {
  distributed: 'false',
  // Accounts per invocation: each of them in every configured region.
  distributedBatchSize: '25',
  // Batches (invocations) at once.
  distributedMaxConcurrency: '10',
  // Failed batches the run tolerates, in percent, before it stops and fails.
  distributedToleratedFailurePercentage: '10',
};
const RESULTS_RETENTION_DAYS = 30;

// The parameters of the stack's other resources: deploy time alone reads them.
const RESOURCE_PARAMETERS = [
  'reservedConcurrency',
  'alarmTopicArn',
  'schedule',
  'codeCache',
  'architecture',
  'runtimeVersionArn',
  ...Object.keys(DISTRIBUTED_DEFAULTS),
];
// Any other name given with --param or under params: is a typo.
const KNOWN = [...Object.keys(FUNCTION_PARAMETERS), ...RESOURCE_PARAMETERS];

// Commands that build the function (and so bake the targets into it), and those that create
// resources in AWS. The rest (info, logs, invoke, remove, metrics, print, ...) work on a deployed
// stack and need no target: the values given at deploy live in the function's environment.
const BUILDS = new Set(['package', 'deploy', 'deploy function', 'invoke local']);
const DEPLOYS = new Set(['deploy', 'deploy function']);
// Placeholder ids used offline and in the docs (111111111111, 222222222222, ..., 123456789012):
// deploying a trust towards one of them would trust whoever owns that account.
const PLACEHOLDER_ACCOUNT = /^(?:(\d)\1{11}|123456789012)$/;
// The stages of `npm start`, `npm run check` and the tests: offline placeholders, never deployed
// (local lists its account, localorg takes them from a modelled organization).
const OFFLINE_STAGES = new Set(['local', 'localorg']);

// The framework prints `error.stack` of a failing variable source; a stack into its own
// resolver helps nobody, so the "stack" of these errors is their message.
class ConfigurationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ConfigurationError';
    this.stack = `${this.name}: ${message}`;
  }
}

class ParameterError extends ConfigurationError {
  constructor(name, problem, example) {
    super(
      `Parameter "${name}" ${problem}. Set it per stage under params: in serverless.yml ` +
        `or on the command line: --param "${name}=${example}".`,
    );
  }
}

/**
 * The sls command being run ("deploy", "invoke local", ...): the framework does not pass it to
 * variable sources, so it is read from the command line the same way the CLI reads it (the words
 * before the first option). An unknown command is treated as one that builds: strict by default.
 */
function commandOf(argv) {
  const words = [];
  for (const arg of argv.slice(2)) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return words.join(' ');
}

const READ_ONLY = new Set([
  'info',
  'logs',
  'invoke',
  'remove',
  'metrics',
  'print',
  'rollback',
  'rollback function',
  'deploy list',
  'deploy list functions',
]);

function builds(command) {
  return BUILDS.has(command) || !READ_ONLY.has(command);
}

function levenshtein(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function nearest(name) {
  const folded = name.toLowerCase();
  // A name given in part (rolename for targetRoleName) is nearest to the shortest that holds it:
  // by edit distance alone a short name of another meaning would win.
  const holding = KNOWN.filter((known) => known.toLowerCase().includes(folded));
  if (holding.length > 0) return holding.sort((x, y) => x.length - y.length)[0];
  return KNOWN.map((known) => ({ known, distance: levenshtein(folded, known.toLowerCase()) })).sort(
    (x, y) => x.distance - y.distance,
  )[0].known;
}

function unknownParameter(name, where) {
  return new ConfigurationError(
    `Unknown parameter "${name}" ${where}; did you mean "${nearest(name)}"? ` +
      `The parameters are: ${KNOWN.join(', ')}.`,
  );
}

/** Every parameter name given on the command line or in serverless.yml must be one of KNOWN. */
async function refuseUnknownNames(options, resolveConfigurationProperty) {
  const given = [options.param ?? []].flat();
  for (const spec of given) {
    const name = String(spec).split('=')[0].trim();
    if (!KNOWN.includes(name)) throw unknownParameter(name, `(--param "${spec}")`);
  }
  const blocks = (await resolveConfigurationProperty(['params'])) ?? {};
  for (const [stage, block] of Object.entries(blocks)) {
    for (const name of Object.keys(block ?? {})) {
      if (!KNOWN.includes(name))
        throw unknownParameter(name, `(params.${stage} in serverless.yml)`);
    }
  }
}

/** A parameter as given: --param, else params.<stage>, else params.default, else empty. */
async function given(name, { options, stage, resolveConfigurationProperty }) {
  const specs = [options.param ?? []]
    .flat()
    .map((spec) => String(spec))
    .filter((spec) => spec.split('=')[0].trim() === name);
  const last = specs[specs.length - 1];
  if (last !== undefined) return last.slice(last.indexOf('=') + 1).trim();
  for (const block of [stage, 'default']) {
    const value = await resolveConfigurationProperty(['params', block, name]);
    if (value !== undefined && value !== null && String(value).trim() !== '')
      return String(value).trim();
  }
  return '';
}

function integer(name, raw, min, max, example) {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new ParameterError(
      name,
      `must be an integer from ${min} to ${max}, got "${raw}"`,
      example,
    );
  }
  return n;
}

/**
 * Reserved concurrency of the function, or null for none. An account's concurrency quota must
 * keep 100 unreserved, so an account still at the new-account quota of 10 refuses any reservation.
 */
function reservedConcurrency(raw) {
  if (raw === '') return null;
  return integer('reservedConcurrency', raw, 1, 1000, '5');
}

const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
// EventBridge schedule expressions: rate(<n> <unit>), singular unit for 1; cron() has 6 fields.
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(\S+( \S+){5}\)$/;

/** Where the failed-targets alarm notifies: an existing SNS topic, or nobody (the console). */
function alarmActions(raw) {
  if (raw === '') return [];
  if (!SNS_TOPIC_ARN.test(raw)) {
    throw new ParameterError(
      'alarmTopicArn',
      `must be empty or the ARN of an SNS topic, got "${raw}"`,
      'arn:aws:sns:us-east-1:111122223333:ops-alerts',
    );
  }
  return [raw];
}

/**
 * The function's EventBridge schedule, off when empty. The scheduled event is replaced by {} (all
 * accounts, all regions, the job's defaults): EventBridge's own envelope has fields the function
 * refuses by name.
 */
function scheduleEvents(raw) {
  if (raw === '') return [];
  const rate = RATE.exec(raw);
  const singular = rate && (rate[1] === '1') === !rate[2].endsWith('s');
  if (!(rate && Number(rate[1]) > 0 && singular) && !CRON.test(raw)) {
    throw new ParameterError(
      'schedule',
      `must be empty (no schedule) or an EventBridge expression such as rate(1 hour), rate(15 minutes) ` +
        `or cron(0 6 * * ? *), got "${raw}"`,
      'rate(1 hour)',
    );
  }
  return [{ schedule: { rate: [raw], input: {} } }];
}

/**
 * Distributed mode's settings and the names of what it deploys; `on` false leaves it out (the
 * schedule then stays the function's own).
 */
async function distributedMode(where, names, schedule) {
  const raw = {};
  for (const [name, fallback] of Object.entries(DISTRIBUTED_DEFAULTS)) {
    raw[name] = (await given(name, where)) || fallback;
  }
  if (!['true', 'false'].includes(raw.distributed)) {
    throw new ParameterError(
      'distributed',
      `must be true (run the targets in batches from a Step Functions Distributed Map) or false, got "${raw.distributed}"`,
      'true',
    );
  }
  const on = raw.distributed === 'true';
  for (const [name, role] of Object.entries(names)) {
    if (name.endsWith('RoleName') && role.length > MAX_ROLE_NAME && on) {
      throw new ConfigurationError(
        `Role name "${role}" is ${role.length} characters; IAM allows ${MAX_ROLE_NAME}. Shorten the service name in serverless.yml or the stage name.`,
      );
    }
  }
  return {
    on,
    resources: on ? 'distributed-mode.yml' : 'no-resources.yml',
    settings: {
      batchSize: integer('distributedBatchSize', raw.distributedBatchSize, 1, 1000, '25'),
      maxConcurrency: integer(
        'distributedMaxConcurrency',
        raw.distributedMaxConcurrency,
        1,
        10000,
        '10',
      ),
      toleratedFailurePercentage: integer(
        'distributedToleratedFailurePercentage',
        raw.distributedToleratedFailurePercentage,
        0,
        100,
        '10',
      ),
      resultsRetentionDays: RESULTS_RETENTION_DAYS,
      schedule,
      ...names,
    },
  };
}

/** Whether the artefact carries the V8 code cache (plugins/ship-code-cache.js): opt-in for now. */
function codeCache(raw) {
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ParameterError(
    'codeCache',
    `must be true (ship the function's V8 code cache with a loader) or false, got "${raw}"`,
    'true',
  );
}

/** Lambda's instruction set for the function (provider.architecture). */
function architecture(raw) {
  if (raw === '' || raw === 'arm64') return 'arm64';
  if (raw === 'x86_64') return 'x86_64';
  throw new ParameterError('architecture', `must be arm64 or x86_64, got "${raw}"`, 'x86_64');
}

/**
 * The function's runtime management: Lambda's default (auto: the runtime is updated when AWS
 * releases one), or, with a runtime version ARN, pinned to that version (manual), so that the Node
 * build a code cache was written for is the one that runs until the ARN is changed.
 */
function runtimeManagement(raw, region) {
  if (raw === '') return 'auto';
  const arn = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+)::runtime:[0-9a-f]{16,}$/.exec(raw);
  if (!arn) {
    throw new ParameterError(
      'runtimeVersionArn',
      `must be a runtime version ARN as the function's INIT_START log line shows it ("Runtime Version ARN: arn:aws:lambda:<region>::runtime:<hex digits>"), got "${raw}"`,
      `arn:aws:lambda:${region}::runtime:<hex digits from INIT_START>`,
    );
  }
  if (arn[1] !== region) {
    throw new ParameterError(
      'runtimeVersionArn',
      `is a runtime version of ${arn[1]}, but this stack deploys to ${region}: take the ARN from the INIT_START line of the function in ${region}`,
      `arn:aws:lambda:${region}::runtime:<hex digits from INIT_START>`,
    );
  }
  return { mode: 'manual', arn: raw };
}

/** Resolves and validates all parameters once per `sls` run. */
async function load({ options = {}, resolveVariable, resolveConfigurationProperty }) {
  await refuseUnknownNames(options, resolveConfigurationProperty);
  const command = commandOf(process.argv);
  const stage = String(await resolveVariable('sls:stage'));
  if (!STAGE.test(stage)) {
    throw new ConfigurationError(
      `Stage "${stage}" must be 1-20 letters, digits or hyphens (it is part of the execution role name).`,
    );
  }
  const service = String(await resolveVariable('self:service'));
  const region = String(await resolveVariable('self:provider.region'));
  const where = { options, stage, resolveConfigurationProperty };

  if (DEPLOYS.has(command) && OFFLINE_STAGES.has(stage)) {
    throw new ConfigurationError(
      `Stage "${stage}" is the offline stage (placeholder accounts, used by npm start, npm run check ` +
        'and the tests) and is never deployed. Deploy a stage of your own with your accounts: ' +
        'npx sls deploy --stage dev --param "targetAccountIds=<your target account id>".',
    );
  }
  // The function's environment: each parameter as given, else its default; none is left empty.
  const environment = {};
  for (const [name, row] of Object.entries(FUNCTION_PARAMETERS)) {
    const value = (await given(name, where)) || row.default;
    if (value) environment[row.variable] = value;
  }
  const { TARGET_ACCOUNT_IDS: listed, TARGET_ORGANIZATIONAL_UNITS: units } = environment;
  if (!listed && !units && !builds(command)) return readOnly(service, stage, region);

  const executionRoleName = `${service}-${stage}-${region}-exec`;
  if (executionRoleName.length > MAX_ROLE_NAME) {
    throw new ConfigurationError(
      `Execution role name "${executionRoleName}" is ${executionRoleName.length} characters; IAM allows ` +
        `${MAX_ROLE_NAME}. Shorten the service name in serverless.yml or the stage name.`,
    );
  }
  // Named here (serverless.yml sets it as the function's name) because the same value is the
  // SourceIdentity the function sends and the one its role may set: one name, three places.
  const functionName = `${service}-${stage}-${FUNCTION_KEY}`;
  const { config } = validateAsTheFunctionWill(environment, region, functionName);

  const readerAccountId = config.discovery ? environment.ORGANIZATION_READER_ACCOUNT_ID : '';
  const placeholder = [...config.accountIds, readerAccountId].find((id) =>
    PLACEHOLDER_ACCOUNT.test(id),
  );
  if (DEPLOYS.has(command) && placeholder) {
    throw new ParameterError(
      config.accountIds.includes(placeholder) ? 'targetAccountIds' : 'organizationReaderAccountId',
      `names ${placeholder}, a placeholder account id of the offline examples, not one of yours: ` +
        'a deployed trust towards it would let whoever owns that account in',
      '<your 12-digit target account id>',
    );
  }

  // Partition-aware, resolved by CloudFormation: the same template deploys to aws, aws-cn, aws-us-gov.
  const roleArn = (account) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:iam::${account}:role/${config.roleName}`,
  });
  const { organizationId, discovery } = config;
  const schedule = await given('schedule', where);
  const events = scheduleEvents(schedule);
  const distributed = await distributedMode(
    where,
    distributedNames(service, stage, region),
    schedule,
  );
  return {
    // Empty: no reservation (null leaves ReservedConcurrentExecutions out of the template).
    reservedConcurrency: reservedConcurrency(await given('reservedConcurrency', where)),
    alarmActions: alarmActions(await given('alarmTopicArn', where)),
    // In distributed mode the schedule starts the state machine, not the function.
    events: distributed.on ? [] : events,
    distributedResources: distributed.resources,
    distributed: distributed.settings,
    codeCache: codeCache(await given('codeCache', where)),
    architecture: architecture(await given('architecture', where)),
    runtimeManagement: runtimeManagement(await given('runtimeVersionArn', where), region),
    metricNamespace: METRIC_NAMESPACE,
    executionRoleName,
    functionName,
    environment,
    // The only permissions the function has beyond its own logs: assume the target role, by exact
    // ARN in each configured account, or (organization mode) by name in accounts of one
    // organization; and stamp those sessions with its own name as SourceIdentity, no other.
    assumeRoleStatements: [
      ...assumeRoleStatements(
        organizationId ? [roleArn('*')] : config.accountIds.map(roleArn),
        organizationId,
        functionName,
        discovery
          ? discovery.organizationalUnits.map((unit) => orgPathOf(organizationId, unit))
          : [],
      ),
      ...(discovery ? readerStatements(discovery.readerRoleArn, functionName) : []),
    ],
  };
}

/** What distributed mode names: the state machine, its role, the schedule and the schedule's role. */
function distributedNames(service, stage, region) {
  return {
    stateMachineName: `${service}-${stage}-distributed`,
    roleName: `${service}-${stage}-${region}-sfn`,
    scheduleName: `${service}-${stage}-distributed-schedule`,
    scheduleRoleName: `${service}-${stage}-${region}-schedule`,
    boundaryName: `${service}-${stage}-${region}-distributed-boundary`,
  };
}

// An account's aws:ResourceOrgPaths is o-<org>/r-<root>/ou-<parent>/.../ou-<its OU>/: an OU at
// any depth is matched by o-<org>/*/<ou>/*, the root by o-<org>/<root>/*.
function orgPathOf(organizationId, unit) {
  return ROOT_ID.test(unit) ? `${organizationId}/${unit}/*` : `${organizationId}/*/${unit}/*`;
}

/**
 * The reader role, by exact ARN: assume it, naming the function as SourceIdentity, nothing else;
 * and only from the function's own code (see assumeRoleStatements).
 */
function readerStatements(readerRoleArn, sourceIdentity) {
  // Partition-aware like the target roles: the partition is CloudFormation's, not the function's.
  const reader = {
    'Fn::Sub': readerRoleArn.replace(/^arn:[^:]+:/, () => 'arn:${AWS::Partition}:'),
  };
  // The SourceIdentity is the function's name (load), so this is the function's own ARN.
  const fromTheFunction = {
    'lambda:SourceFunctionArn': {
      'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${sourceIdentity}`,
    },
  };
  return [
    {
      Sid: 'AssumeTheOrganizationsReader',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: [reader],
      Condition: { ArnEquals: fromTheFunction },
    },
    {
      Sid: 'NameTheFunctionToTheOrganizationsReader',
      Effect: 'Allow',
      Action: 'sts:SetSourceIdentity',
      Resource: [reader],
      Condition: {
        StringEquals: { 'sts:SourceIdentity': sourceIdentity },
        ArnEquals: fromTheFunction,
      },
    },
  ];
}

/**
 * For commands that only read or remove a deployed stack: nothing is built, so the targets are
 * not needed; the function's environment keeps the values given at deploy.
 */
function readOnly(service, stage, region) {
  return {
    reservedConcurrency: null,
    alarmActions: [],
    events: [],
    distributedResources: 'no-resources.yml',
    distributed: {},
    architecture: 'arm64',
    runtimeManagement: 'auto',
    metricNamespace: METRIC_NAMESPACE,
    executionRoleName: `${service}-${stage}-${region}-exec`,
    functionName: `${service}-${stage}-${FUNCTION_KEY}`,
    assumeRoleStatements: assumeRoleStatements([], '', `${service}-${stage}-${FUNCTION_KEY}`),
    environment: {},
  };
}

/**
 * The execution role's statements on the target roles (`resources`, role ARNs); with `orgPaths`,
 * only in accounts under those paths of the organization. Every statement requires
 * lambda:SourceFunctionArn to be this function: Lambda sets that key on every call the function's
 * code makes with the role's credentials, and on no other, so the credentials taken elsewhere (or
 * used by another function given the same role) assume nothing. The key is honoured in identity
 * policies and SCPs only, which is why it is here and not in the target trust.
 */
function assumeRoleStatements(resources, organizationId, sourceIdentity, orgPaths = []) {
  // The SourceIdentity is the function's name (load), so this is the function's own ARN.
  const fromTheFunction = {
    ArnEquals: {
      'lambda:SourceFunctionArn': {
        'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${sourceIdentity}`,
      },
    },
  };
  const inOrganization = organizationId ? { 'aws:ResourceOrgID': organizationId } : {};
  const underUnits =
    orgPaths.length > 0 ? { 'ForAnyValue:StringLike': { 'aws:ResourceOrgPaths': orgPaths } } : {};
  const scoped = (condition) => ({
    Condition: {
      ...(Object.keys(condition).length > 0 ? { StringEquals: condition, ...underUnits } : {}),
      ...fromTheFunction,
    },
  });
  return [
    {
      Sid: 'AssumeTheTargetRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: resources,
      ...scoped(inOrganization),
    },
    {
      Sid: 'NameTheFunctionAsSourceIdentity',
      Effect: 'Allow',
      Action: 'sts:SetSourceIdentity',
      Resource: resources,
      ...scoped({ ...inOrganization, 'sts:SourceIdentity': sourceIdentity }),
    },
  ];
}

/**
 * The function's own cold-start validation (src/config.ts and the job's parameter table), run on
 * the environment this stack gives it: one schema for deploy time and run time, so a value that
 * would fail every cold start stops the deploy instead, with the same message, the parameter
 * named as it is given here.
 */
function validateAsTheFunctionWill(environment, region, functionName) {
  try {
    return loadAllConfig(job, {
      AWS_REGION: region,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      ...environment,
    });
  } catch (error) {
    if (error?.code !== 'ConfigError') throw error;
    throw new ConfigurationError(deployTimeMessage(error));
  }
}

/** A cold-start refusal as deploy time says it: the variable's parameter is the subject. */
function deployTimeMessage(error) {
  const row = Object.values(FUNCTION_PARAMETERS).find((p) => p.variable === error.variable);
  if (row && error.message.startsWith(`${row.variable} `)) {
    return `Parameter "${row.name}"${error.message.slice(row.variable.length)}.`;
  }
  return `The function would refuse this configuration: ${error.message}.`;
}

// Not memoised: the framework calls this in several passes and an early pass may fail only
// because parameters are not resolvable yet.
module.exports = load;
module.exports.deployTimeMessage = deployTimeMessage;
// For esbuild-plugins.js: whether the job needs what the bundle leaves out.
module.exports.job = job;
