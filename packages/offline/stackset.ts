// `npm run stackset`: prints the AWS CLI commands that roll resources/cross-account-role.yml out to
// the target accounts as a self-managed StackSet, with the parameters that match the home stack as
// `sls package` synthesises it for the same --stage / --param values. Self-managed, not
// service-managed: service-managed StackSets act through a service-linked role with administrator
// rights in every member account; here CloudFormation acts through the roles of
// docs/organizations/stackset-administration-role.yml and docs/organizations/stackset-execution-role.yml, which may
// deploy this one stack and nothing else.
import { parseArgs } from 'node:util';
import { paramsFrom } from './args';
import { functionEnvironment, SynthesisError, synthesize } from './synth';
import { exitCleanlyOnSignalsAndClosedPipes } from './tempDirs';

const HELP = `Usage: npm run stackset -- --admin-account <id> --execution-role-id <AROA...> [options]

Prints (does not run) the aws cloudformation create-stack-set / create-stack-instances commands
that deploy the target role to every account of targetAccountIds as a self-managed StackSet.

  --admin-account <id>       the StackSet administrator account, where
                             docs/organizations/stackset-administration-role.yml is deployed
  --execution-role-id <id>   the home stack output ExecutionRoleId (AROA...): every target trust
                             is pinned to it (default: $EXECUTION_ROLE_ID)
  --home-account <id>        the account that runs the function (default: $HOME_ACCOUNT_ID)
  --stage, --region, --param name=value   as for sls (targetAccountIds, targetRoleName, externalId...)
  -h, --help                 this help`;

const ACCOUNT = /^\d{12}$/;
const ROLE_ID = /^AROA[A-Z0-9]{16,}$/;

function fail(message: string): never {
  console.error(`${message}\nRun npm run stackset -- --help for usage.`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ou: { type: 'string', multiple: true, default: [] },
      'admin-account': { type: 'string', default: '' },
      'execution-role-id': { type: 'string', default: process.env.EXECUTION_ROLE_ID ?? '' },
      'home-account': { type: 'string', default: process.env.HOME_ACCOUNT_ID ?? '' },
      stage: { type: 'string', default: 'dev' },
      region: { type: 'string', default: 'us-east-1' },
      param: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  if (values.ou.length > 0) {
    fail(
      '--ou targets a service-managed StackSet, whose service-linked role has administrator rights in every member account; this StackSet is self-managed: name the accounts with --param targetAccountIds=<id>,<id>',
    );
  }
  const admin = values['admin-account'];
  if (!ACCOUNT.test(admin)) {
    fail(
      `--admin-account must be the 12-digit StackSet administrator account (where docs/organizations/stackset-administration-role.yml is deployed), got "${admin}".`,
    );
  }
  const home = values['home-account'];
  if (!ACCOUNT.test(home)) {
    fail(
      `--home-account (or $HOME_ACCOUNT_ID) must be the 12-digit home account id, got "${home}".`,
    );
  }
  const roleId = values['execution-role-id'];
  if (!ROLE_ID.test(roleId)) {
    fail(
      `--execution-role-id (or $EXECUTION_ROLE_ID) must be the home stack output ExecutionRoleId (AROA...), got "${roleId}": every target trust is pinned to the execution role's unique id.`,
    );
  }

  let params: Record<string, string>;
  try {
    params = paramsFrom(values.param);
  } catch (error) {
    fail((error as Error).message);
  }
  const accounts = (params.targetAccountIds ?? '').split(',').map((id) => id.trim());
  if (!accounts.every((id) => ACCOUNT.test(id))) {
    fail(
      `--param targetAccountIds must list the 12-digit target accounts (comma-separated), got "${params.targetAccountIds ?? ''}".`,
    );
  }
  const synth = await synthesize({ stage: values.stage, region: values.region, params }).catch(
    (error: unknown) => fail(error instanceof SynthesisError ? error.message : String(error)),
  );
  await synth.dispose();
  const env = functionEnvironment(synth.template);
  const executionRoleName = String(synth.template.Outputs?.ExecutionRoleName?.Value);
  const sourceIdentity = String(synth.template.Outputs?.SourceIdentity?.Value);

  const parameters = [
    ['TrustedAccountId', home],
    ['ExecutionRoleName', executionRoleName],
    ['ExecutionRoleId', roleId],
    ['SourceIdentity', sourceIdentity],
    ['RoleName', env.TARGET_ROLE_NAME],
    ['PermissionsBoundaryPolicyName', `${env.TARGET_ROLE_NAME}-boundary`],
    ['ExternalId', env.TARGET_EXTERNAL_ID],
    ['OrganizationId', env.TARGET_ORGANIZATION_ID],
  ]
    .filter(([, value]) => value)
    .map(([key, value]) => `ParameterKey=${key},ParameterValue=${value}`)
    .join(' \\\n    ');
  const name = `cross-account-target-${values.stage}`;

  console.log(`# 1. Once, from the StackSet administrator account ${admin} (docs/organizations/stackset-administration-role.yml
#    there, docs/organizations/stackset-execution-role.yml in every target account):
aws cloudformation create-stack-set \\
  --stack-set-name ${name} \\
  --template-body file://resources/cross-account-role.yml \\
  --capabilities CAPABILITY_NAMED_IAM \\
  --permission-model SELF_MANAGED \\
  --administration-role-arn arn:aws:iam::${admin}:role/${name}-stackset-admin \\
  --execution-role-name ${name}-stackset-exec \\
  --parameters \\
    ${parameters}

# 2. Deploy to the target accounts. One region only: IAM roles are global, and the demo bucket
#    lives in the first targetRegions entry.
aws cloudformation create-stack-instances \\
  --stack-set-name ${name} \\
  --accounts ${accounts.join(' ')} \\
  --regions ${env.TARGET_REGIONS?.split(',')[0]} \\
  --operation-preferences FailureTolerancePercentage=10,MaxConcurrentPercentage=25,RegionConcurrencyType=PARALLEL`);
}

exitCleanlyOnSignalsAndClosedPipes();
void main();
