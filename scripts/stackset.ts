// `npm run stackset`: prints the AWS CLI commands that roll resources/cross-account-role.yml out to
// every account of an organizational unit as a service-managed StackSet, with the parameters that
// match the home stack as `sls package` synthesises it for the same --stage / --param values.
import { parseArgs } from 'node:util';
import { functionEnvironment, SynthesisError, synthesize } from '../offline/synth';
import { exitCleanlyOnSignalsAndClosedPipes } from '../offline/tempDirs';
import { paramsFrom } from './args';

const HELP = `Usage: npm run stackset -- --ou <ou-id> [--ou <ou-id> ...] [options]

Prints (does not run) the aws cloudformation create-stack-set / create-stack-instances commands
that deploy the target role to every account in the organizational unit(s).

  --ou <id>             organizational unit (ou-xxxx-xxxxxxxx) or root (r-xxxx); repeatable
  --home-account <id>   the account that runs the function (default: $HOME_ACCOUNT_ID, or a placeholder)
  --stage, --region, --param name=value   as for sls (targetRoleName, externalId, organizationId...)
  -h, --help            this help`;

const OU = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;

function fail(message: string): never {
  console.error(`${message}\nRun npm run stackset -- --help for usage.`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ou: { type: 'string', multiple: true, default: [] },
      'home-account': {
        type: 'string',
        default: process.env.HOME_ACCOUNT_ID ?? '<HOME_ACCOUNT_ID>',
      },
      stage: { type: 'string', default: 'dev' },
      region: { type: 'string', default: 'us-east-1' },
      param: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  if (values.ou.length === 0) fail('Name at least one organizational unit with --ou.');
  for (const ou of values.ou)
    if (!OU.test(ou)) fail(`--ou "${ou}" is not an OU id (ou-…) or root id (r-…).`);
  const home = values['home-account'];
  if (!/^\d{12}$|^<HOME_ACCOUNT_ID>$/.test(home))
    fail(`--home-account must be 12 digits, got "${home}".`);

  let params: Record<string, string>;
  try {
    params = paramsFrom(values.param);
  } catch (error) {
    fail((error as Error).message);
  }
  // Accounts come from the OU, not from this list; a placeholder keeps the home stack valid.
  params.targetAccountIds ??= '000000000000';
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
    ['SourceIdentity', sourceIdentity],
    ['RoleName', env.TARGET_ROLE_NAME],
    ['ExternalId', env.TARGET_EXTERNAL_ID],
    ['OrganizationId', env.TARGET_ORGANIZATION_ID],
  ]
    .filter(([, value]) => value)
    .map(([key, value]) => `ParameterKey=${key},ParameterValue=${value}`)
    .join(' \\\n    ');
  const name = `cross-account-target-${values.stage}`;

  console.log(`# 1. Once, from the organization's management (or delegated administrator) account:
aws cloudformation create-stack-set \\
  --stack-set-name ${name} \\
  --template-body file://resources/cross-account-role.yml \\
  --capabilities CAPABILITY_NAMED_IAM \\
  --permission-model SERVICE_MANAGED \\
  --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \\
  --parameters \\
    ${parameters}

# 2. Deploy to every account in the OU(s); new accounts get it automatically (auto-deployment).
#    One region only: IAM roles are global, and the demo bucket lives in the first targetRegions entry.
aws cloudformation create-stack-instances \\
  --stack-set-name ${name} \\
  --deployment-targets OrganizationalUnitIds=${values.ou.join(',')} \\
  --regions ${env.TARGET_REGIONS?.split(',')[0]} \\
  --operation-preferences FailureTolerancePercentage=10,MaxConcurrentPercentage=25,RegionConcurrencyType=PARALLEL

# 3. Point the function at the accounts (or use organization mode, --param organizationId=o-…):
#    npx sls deploy --stage ${values.stage} --param "targetAccountIds=<id>,<id>,…"`);
}

exitCleanlyOnSignalsAndClosedPipes();
void main();
