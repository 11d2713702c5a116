// `npm run check`: the offline proof of the IAM wiring, to run before every deploy. Synthesises
// the home stack with the real `sls package`, resolves resources/cross-account-role.yml for every
// configured account, and asks the IAM simulator what the function may and may not do.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  auditDeployerActions,
  auditWildcards,
  buildDeployerCases,
  DEPLOYER_TEMPLATE_PATH,
  EvaluatorError,
  findWildcards,
  formatReport,
  loadCheckModel,
  OFFLINE_HOME_ACCOUNT,
  readTemplate,
  reportJson,
  rolePolicies,
  runCheck,
  runDeployerCheck,
  STACKSET_ADMINISTRATION_TEMPLATE_PATH,
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
  TARGET_TEMPLATE_PATH,
  withDeployerActions,
  withDeployers,
  withWildcards,
} from '../offline/iam';
import { asTemplate } from '../offline/iam/templates';
import { SynthesisError, synthesize } from '../offline/synth';
import { exitCleanlyOnSignalsAndClosedPipes } from '../offline/tempDirs';
import {
  accountId,
  paramsFrom,
  SLS_OPTIONS,
  TARGET_PARAM_OPTION,
  targetOverridesFrom,
} from './args';

const HELP = `Usage: npm run check -- [options]

Proves offline that the function may assume the target role in every configured account and do
exactly what it needs there, and that everything around it is denied.

Options (the first three as for sls):
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
      ...SLS_OPTIONS,
      ...TARGET_PARAM_OPTION,
      'outside-org': { type: 'string', multiple: true, default: [] },
      'home-account': { type: 'string', default: OFFLINE_HOME_ACCOUNT },
      'target-template': { type: 'string', default: TARGET_TEMPLATE_PATH },
      'deployer-template': { type: 'string', default: DEPLOYER_TEMPLATE_PATH },
      'target-deployer-template': { type: 'string', default: TARGET_DEPLOYER_TEMPLATE_PATH },
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
  const synthesis = await synthesize({
    stage: options.stage,
    params: options.params,
    ...(options.region ? { region: options.region } : {}),
  });
  try {
    const model = await loadCheckModel({
      template: synthesis.template,
      homeAccountId: options.homeAccountId,
      ...(options.region ? { region: options.region } : {}),
      targetOverrides: options.targetOverrides,
      targetTemplate: options.targetTemplate,
      organizations: Object.fromEntries(options.outsideOrg.map((account) => [account, null])),
    });
    const stage = options.stage ?? 'local';
    const deployers = await runDeployerCheck(
      buildDeployerCases(model, {
        deployerTemplate: options.deployerTemplate,
        targetDeployerTemplate: options.targetDeployerTemplate,
        stackSetTemplates: {
          administration: STACKSET_ADMINISTRATION_TEMPLATE_PATH,
          execution: STACKSET_EXECUTION_TEMPLATE_PATH,
        },
        stage,
      }),
    );
    // Each deploy role against the stack it deploys, resolved for the home and first target account.
    const homeInputs = {
      partition: model.partition,
      accountId: model.homeAccountId,
      region: model.region,
      parameters: { Stage: stage, GitHubOwner: 'owner', GitHubRepo: 'repo' },
    };
    const targetInputs = {
      partition: model.partition,
      accountId: model.configuredTargets[0] ?? model.homeAccountId,
      region: model.targetRegion,
      parameters: {
        GitHubOwner: 'owner',
        GitHubRepo: 'repo',
        TargetRoleName: model.targetRoleName,
      },
    };
    const targetStack = readTemplate(options.targetTemplate);
    const actions = [
      auditDeployerActions(
        options.deployerTemplate,
        'DeployerRole',
        asTemplate(synthesis.template, 'synthesised home stack'),
        homeInputs,
      ),
      auditDeployerActions(
        options.targetDeployerTemplate,
        'TargetDeployerRole',
        targetStack,
        targetInputs,
      ),
      auditDeployerActions(STACKSET_EXECUTION_TEMPLATE_PATH, 'StackSetExecutionRole', targetStack, {
        ...targetInputs,
        parameters: {
          Stage: stage,
          AdministratorAccountId: model.homeAccountId,
          TargetRoleName: model.targetRoleName,
        },
      }),
    ];
    const report = withDeployerActions(
      withDeployers(
        withWildcards(await runCheck(model), [
          ...auditWildcards(model, {
            targetTemplate: options.targetTemplate,
            deployerTemplate: options.deployerTemplate,
            targetDeployerTemplate: options.targetDeployerTemplate,
            stage,
          }),
          // The StackSet's roles, as the README deploys them.
          ...findWildcards([
            rolePolicies(STACKSET_ADMINISTRATION_TEMPLATE_PATH, {
              ...homeInputs,
              parameters: {
                Stage: stage,
                GitHubOwner: 'owner',
                GitHubRepo: 'repo',
                GitHubEnvironment: stage,
                OidcProviderArn: `arn:aws:iam::${model.homeAccountId}:oidc-provider/token.actions.githubusercontent.com`,
              },
            }),
            rolePolicies(STACKSET_EXECUTION_TEMPLATE_PATH, {
              ...targetInputs,
              parameters: { Stage: stage, AdministratorAccountId: model.homeAccountId },
            }),
          ]),
        ]),
        deployers,
      ),
      actions,
    );
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
    if (error instanceof SynthesisError || error instanceof EvaluatorError) {
      process.stderr.write(`${error.message}\n`);
    } else {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    }
    process.exitCode = 2;
  },
);
