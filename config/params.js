// Serverless variable source for the home stack: `${file(./config/params.js):<name>}`.
// Every deploy-time parameter is validated here, while variables resolve, so a bad or missing
// `--param` stops `sls deploy` / `sls package` before anything is built or created, with a message
// that names the parameter and shows how to set it.

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const STAGE = /^[a-zA-Z0-9-]{1,20}$/;
const MAX_ROLE_NAME = 64;

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

async function read(resolveVariable, name) {
  const value = await resolveVariable(`self:custom.parameters.${name}`);
  return typeof value === 'string' ? value.trim() : String(value);
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

/** Resolves and validates all parameters once per `sls` run. */
async function load({ resolveVariable }) {
  const stage = String(await resolveVariable('sls:stage'));
  if (!STAGE.test(stage)) {
    throw new ConfigurationError(
      `Stage "${stage}" must be 1-20 letters, digits or hyphens (it is part of the execution role name).`,
    );
  }
  const service = String(await resolveVariable('self:service'));
  const region = String(await resolveVariable('self:provider.region'));

  const accountsRaw = await read(resolveVariable, 'targetAccountIds');
  if (!accountsRaw) {
    throw new ParameterError(
      'targetAccountIds',
      'is missing: name the AWS account(s) that own the role this function assumes',
      '222222222222',
    );
  }
  const accountIds = accountsRaw.split(',').map((id) => id.trim());
  for (const id of accountIds) {
    if (!ACCOUNT_ID.test(id)) {
      throw new ParameterError(
        'targetAccountIds',
        `must be a comma-separated list of 12-digit AWS account ids, got "${id}"`,
        '222222222222,333333333333',
      );
    }
  }
  if (new Set(accountIds).size !== accountIds.length) {
    throw new ParameterError('targetAccountIds', 'lists an account twice', '222222222222');
  }

  const roleName = await read(resolveVariable, 'targetRoleName');
  if (!ROLE_NAME.test(roleName)) {
    throw new ParameterError(
      'targetRoleName',
      `must be an IAM role name (1-64 of letters, digits and +=,.@_-), got "${roleName}"`,
      'cross-account-demo-target',
    );
  }

  const externalId = await read(resolveVariable, 'externalId');
  if (externalId && !EXTERNAL_ID.test(externalId)) {
    throw new ParameterError(
      'externalId',
      "must be empty or 2-1224 of letters, digits and +=,.@:/_- (the same value as the target stack's ExternalId)",
      'my-shared-secret-id',
    );
  }

  const targetRegion = (await read(resolveVariable, 'targetRegion')) || region;
  if (!REGION.test(targetRegion)) {
    throw new ParameterError(
      'targetRegion',
      `must be an AWS region id, got "${targetRegion}"`,
      'eu-west-1',
    );
  }

  const organizationId = await read(resolveVariable, 'organizationId');
  if (organizationId && !ORG_ID.test(organizationId)) {
    throw new ParameterError(
      'organizationId',
      `must be empty or an AWS Organizations id like o-abc123def4, got "${organizationId}"`,
      'o-abc123def4',
    );
  }

  const executionRoleName = `${service}-${stage}-${region}-exec`;
  if (executionRoleName.length > MAX_ROLE_NAME) {
    throw new ConfigurationError(
      `Execution role name "${executionRoleName}" is ${executionRoleName.length} characters; IAM allows ` +
        `${MAX_ROLE_NAME}. Shorten the service name in serverless.yml or the stage name.`,
    );
  }

  // Partition-aware, resolved by CloudFormation: the same template deploys to aws, aws-cn, aws-us-gov.
  const roleArn = (account) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:iam::${account}:role/${roleName}`,
  });

  return {
    accountIds: accountIds.join(','),
    roleName,
    externalId,
    targetBucket:
      (await read(resolveVariable, 'targetBucket')) || 'cross-account-demo-{accountId}-{region}',
    targetRegion,
    sessionDurationSeconds: String(
      integer(
        'sessionDurationSeconds',
        await read(resolveVariable, 'sessionDurationSeconds'),
        900,
        3600,
        '900',
      ),
    ),
    fanoutConcurrency: String(
      integer('fanoutConcurrency', await read(resolveVariable, 'fanoutConcurrency'), 1, 50, '8'),
    ),
    organizationId,
    executionRoleName,
    // The only permission the function has beyond its own logs: assume the target role, by exact
    // ARN in each configured account, or (organization mode) by name in accounts of one organization.
    assumeRoleStatement: organizationId
      ? {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: roleArn('*'),
          Condition: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
        }
      : { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: accountIds.map(roleArn) },
  };
}

// Not memoised: the framework calls this in several passes and an early pass may fail only
// because parameters are not resolvable yet.
module.exports = load;
