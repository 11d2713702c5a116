// `npm run check`: the offline proof of the IAM wiring, to run before every deploy. Synthesises
// the home stack with the real `sls package`, resolves resources/cross-account-role.yml for every
// configured account, and asks the IAM simulator what the function may and may not do.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  accountId,
  paramsFrom,
  SLS_OPTIONS,
  TARGET_PARAM_OPTION,
  targetOverridesFrom,
} from './args';
import { checkJob } from './checkJob';
import {
  DEPLOYER_TEMPLATE_PATH,
  EvaluatorError,
  formatReport,
  OFFLINE_HOME_ACCOUNT,
  reportJson,
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
  TARGET_TEMPLATE_PATH,
} from './iam';
import { JobModuleError, loadJobModule } from './jobModule';
import { StandInError } from './standin';
import { SynthesisError, synthesize } from './synth';
import { exitCleanlyOnSignalsAndClosedPipes } from './tempDirs';

const HELP = `Usage: npm run check -- [options]

Proves offline that the function may assume the target role in every configured account and do
exactly what it needs there, and that everything around it is denied.

Options (the first three as for sls):
  --job <module>[#export]             prove this job module instead of the one job/index.ts
                                      selects, e.g. --job examples/queryTable.ts
  --stage <stage>                     stage to synthesise (default: local)
  --region <region>                   region of the home stack (default: us-east-1)
  --param <name=value>                a serverless.yml parameter, repeatable
  --target-param <account:Key=Value>  model the target stack in <account> deployed with Key=Value
                                      (TrustedAccountId, ExecutionRoleName, RoleName, ExternalId,
                                      OrganizationId, BucketName, ...); repeatable. Without it each
                                      target stack gets what the README's deploy command passes.
  --outside-org <account>             organization mode: model <account> outside the organization
  --home-account <id>                 the home account id (default: ${OFFLINE_HOME_ACCOUNT})
  --target-template <path>            target template to model (default resources/cross-account-role.yml)
  --deployer-template <path>          deployer role template to audit (default resources/deployer-role.yml)
  --target-deployer-template <path>   target deployer role template to audit
                                      (default resources/target-deployer-role.yml)
  --stackset-execution-template <path>
                                      StackSet execution role template to audit
                                      (default docs/organizations/stackset-execution-role.yml)
  --json                              print the report as JSON
  -h, --help                          this help

Every * in an Action or Resource of an Allow statement (execution role, target role, deployer
role) must be justified: by its shape (only inside one named resource, e.g. a bucket's objects)
or by the template's Metadata.WildcardJustifications.<Sid>; others are listed by statement.
A * or ? in the Principal or a Condition value of an Allow statement of the target trust policy
always fails: the trust names exactly one principal.

The deploy roles (--deployer-template, --target-deployer-template) are attacked too: each may
deploy its stack, and every escalation (a role without the administrator's boundary, an inline
*:* policy, a trust rewrite, the boundary removed, PassRole elsewhere, a public bucket) and every
OIDC token but the deploy workflow's on the trusted branch must be denied.

Exit status: 0 every case matches and no wildcard is unjustified, 1 some case does not match or
some wildcard is unjustified (one line per cause says what to fix), 2 the stacks could not be
synthesised or modelled.`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      job: { type: 'string' },
      ...SLS_OPTIONS,
      ...TARGET_PARAM_OPTION,
      'outside-org': { type: 'string', multiple: true, default: [] },
      'home-account': { type: 'string', default: OFFLINE_HOME_ACCOUNT },
      'target-template': { type: 'string', default: TARGET_TEMPLATE_PATH },
      'deployer-template': { type: 'string', default: DEPLOYER_TEMPLATE_PATH },
      'target-deployer-template': { type: 'string', default: TARGET_DEPLOYER_TEMPLATE_PATH },
      'stackset-execution-template': { type: 'string', default: STACKSET_EXECUTION_TEMPLATE_PATH },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const params = paramsFrom(values.param);
  const targetOverrides = targetOverridesFrom(values['target-param']);
  const homeAccountId = values['home-account'];
  accountId('--home-account', homeAccountId);
  return {
    job: values.job,
    help: values.help,
    json: values.json,
    stage: values.stage,
    region: values.region,
    params,
    targetOverrides,
    homeAccountId,
    outsideOrg: values['outside-org'],
    targetTemplate: resolve(values['target-template']),
    deployerTemplate: resolve(values['deployer-template']),
    targetDeployerTemplate: resolve(values['target-deployer-template']),
    stackSetExecutionTemplate: resolve(values['stackset-execution-template']),
  };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const jobModule = await loadJobModule(options.job);
  const synthesis = await synthesize({
    stage: options.stage,
    params: options.params,
    ...(options.region ? { region: options.region } : {}),
    ...(options.job ? { job: { path: jobModule.path, exportName: jobModule.exportName } } : {}),
  });
  try {
    const report = await checkJob({
      template: synthesis.template,
      job: jobModule.job,
      jobModule: jobModule.path,
      homeAccountId: options.homeAccountId,
      ...(options.region ? { region: options.region } : {}),
      targetOverrides: options.targetOverrides,
      targetTemplate: options.targetTemplate,
      deployerTemplate: options.deployerTemplate,
      targetDeployerTemplate: options.targetDeployerTemplate,
      stackSetExecutionTemplate: options.stackSetExecutionTemplate,
      stage: options.stage ?? 'local',
      organizations: Object.fromEntries(options.outsideOrg.map((account) => [account, null])),
      // A --job module's own fixture files; else those of job/.
      ...(options.job ? { fixtureFiles: jobModule.fixtures ? [jobModule.fixtures] : [] } : {}),
    });
    process.stdout.write(
      options.json
        ? `${JSON.stringify(reportJson(report), null, 2)}\n`
        : `${formatReport(report)}\n`,
    );
    return report.ok ? 0 : 1;
  } finally {
    await synthesis.dispose();
  }
}

exitCleanlyOnSignalsAndClosedPipes();
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Expected failures are explained by their message; a stack trace would bury it.
    if (
      error instanceof SynthesisError ||
      error instanceof EvaluatorError ||
      error instanceof JobModuleError ||
      error instanceof StandInError
    ) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exitCode = 2;
  },
);
