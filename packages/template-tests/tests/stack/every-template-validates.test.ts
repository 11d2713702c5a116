// Every template the project ships passes AWS's offline CloudFormation validator without an error
// or an unexplained warning: the home stack as `sls package` synthesises it, and every template in
// resources/ and docs/organizations/ (each also has its own test, with parameter sets of its own).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CelEngine, TemplateFile } from '@aws/cloudformation-validate';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { synthesizeCore } from '../../support/core';

const engine = new CelEngine();
afterAll(() => engine.free());

// Parameters without a default, with values of the right form: the validator resolves the rest.
const REQUIRED: Record<string, Record<string, string>> = {
  'cross-account-role.yml': { TrustedAccountId: '111122223333', ExecutionRoleName: 'exec-role' },
  'organizations-reader-role.yml': {
    TrustedAccountId: '111122223333',
    ExecutionRoleName: 'exec-role',
    OrganizationId: 'o-a1b2c3d4e5',
  },
  'deployer-role.yml': { GitHubOwner: 'octo-org', GitHubRepo: 'cross-account-lambda' },
  'target-deployer-role.yml': { GitHubOwner: 'octo-org', GitHubRepo: 'cross-account-lambda' },
  'stackset-administration-role.yml': {
    GitHubOwner: 'octo-org',
    GitHubRepo: 'cross-account-lambda',
    GitHubEnvironment: 'dev',
    OidcProviderArn: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com',
  },
  'stackset-execution-role.yml': { AdministratorAccountId: '111122223333' },
};

function problems(path: string, parameterOverrides: Record<string, string> = {}) {
  const report = engine.validateStandard(new TemplateFile(path), { parameterOverrides });
  return report.diagnostics.filter((d) => d.severity !== 'INFO' && d.severity !== 'DEBUG');
}

const FOLDERS = ['resources', join('docs', 'organizations')];
const shipped = FOLDERS.flatMap((folder) =>
  readdirSync(join(PROJECT_ROOT, folder))
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(folder, name)),
);
const nameOf = (path: string) => path.split(/[\\/]/).pop() ?? path;

describe('every template in resources/ and docs/organizations/', () => {
  it('is one this test knows the required parameters of', () => {
    expect(shipped.map(nameOf).sort()).toEqual(Object.keys(REQUIRED).sort());
  });

  it.each(shipped)('%s has no error and no warning', (path) => {
    expect(problems(join(PROJECT_ROOT, path), REQUIRED[nameOf(path)])).toEqual([]);
  });
});

// Warnings about resources the framework and its plugins generate, each with why it stays. Matched
// by rule and logical id prefix; anything else fails.
const EXPLAINED_HOME_WARNINGS: { ruleId: string; logicalId: RegExp; why: string }[] = [
  {
    ruleId: 'W3005',
    logicalId: /^CrossAccountLambdaFunction$/,
    why:
      'serverless-iam-roles-per-function adds DependsOn on the role the function already names ' +
      'with Fn::GetAtt; redundant, harmless, and generated (serverless.yml cannot remove it)',
  },
  {
    ruleId: 'W3011',
    logicalId: /^CrossAccountLambdaVersion/,
    why:
      'the framework retains old function versions (DeletionPolicy Retain) so a rollback has ' +
      'them; a version is never updated in place, so no UpdateReplacePolicy is needed',
  },
];

describe('the home stack as synthesised', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has no error and no warning', async () => {
    const synthesis = await synthesizeCore({ stage: 'local' });
    dir = mkdtempSync(join(tmpdir(), 'xacct-home-template-'));
    const path = join(dir, 'home.json');
    try {
      writeFileSync(path, JSON.stringify(synthesis.template));
    } finally {
      await synthesis.dispose();
    }
    const unexplained = problems(path).filter((d) => {
      const id = String((d as { entity?: { logicalId?: string } }).entity?.logicalId ?? '');
      const rule = String((d as { ruleId?: string }).ruleId ?? '');
      return !(
        d.severity === 'WARN' &&
        EXPLAINED_HOME_WARNINGS.some((w) => w.ruleId === rule && w.logicalId.test(id))
      );
    });
    expect(unexplained).toEqual([]);
  }, 120_000);
});
