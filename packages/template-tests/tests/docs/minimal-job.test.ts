// README, "Make it yours": the minimal job is examples/readSecret.ts, at most 30 lines, and with
// the grant the README shows it passes the real `npm run check` and runs under the real
// `npm start` (answered from its fixtures); the grant without the secret's suffix fails the check.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGET_TEMPLATE_PATH } from '@cross-account-lambda/offline/iam';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/projectCopy';
import { withoutUnusedParameters, withPolicies } from '../../support/coreTarget';
import { runTool } from '../../support/runTool';
import { DEPLOYER_TEMPLATES, withBoundaryStatements } from '../../support/targetBoundary';

const README = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
const section = README.slice(
  README.indexOf('\n## Make it yours\n'),
  README.indexOf('\n## ', README.indexOf('\n## Make it yours\n') + 1),
);
const fenced = (lang: string) =>
  [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map(
    (m) => m[1] ?? '',
  );
const [job = ''] = fenced('ts');
const [parameter = '', policies = '', boundary = ''] = fenced('yaml');
const MODULE = 'examples/readSecret.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xacct-minimal-job-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The target template as the README says to edit it, with `policy` as the role's Policies (and
 * without another job's parameters that only its grant used).
 */
function template(name: string, policy: string): string {
  const shipped = readFileSync(TARGET_TEMPLATE_PATH, 'utf8');
  const anchor = '  MaxSessionDuration:\n';
  const path = join(dir, `${name}.yml`);
  writeFileSync(
    path,
    withoutUnusedParameters(
      withPolicies(
        shipped.replace(anchor, () => `${parameter}${anchor}`),
        policy,
      ),
    ),
  );
  return path;
}

/** A deploy role's template with the README's statement first in TargetRoleBoundary's Statement. */
function widened(shipped: string): string {
  const path = join(dir, `widened-${shipped.split('/').pop()}`);
  const text = readFileSync(join(PROJECT_ROOT, shipped), 'utf8');
  writeFileSync(path, withBoundaryStatements(text, [boundary], shipped));
  return path;
}

function tool(script: 'check' | 'start', targetTemplate: string, deployers = true) {
  const args = [
    '--job',
    MODULE,
    '--target-template',
    targetTemplate,
    '--param',
    'secretName=prod/db',
    ...(script === 'check' && deployers
      ? [
          '--target-deployer-template',
          widened('resources/target-deployer-role.yml'),
          '--stackset-execution-template',
          widened('docs/organizations/stackset-execution-role.yml'),
        ]
      : []),
  ];
  return runTool(
    'node_modules/.bin/tsx',
    [`node_modules/@cross-account-lambda/offline/${script}.ts`, ...args],
    {
      cwd: PROJECT_ROOT,
      timeout: 150_000,
    },
  );
}

test('the README shows examples/readSecret.ts as it is, in at most 30 lines', () => {
  const shipped = readFileSync(join(PROJECT_ROOT, MODULE), 'utf8');
  expect(shipped.trim().split('\n').slice(1).join('\n')).toBe(
    job.trim().split('\n').slice(1).join('\n'),
  );
  expect(job.trim().split('\n').length).toBeLessThanOrEqual(30);
});

test('npm run check passes with the grant the README shows', async () => {
  const { code, output } = await tool('check', template('granted', policies));
  expect(output).toContain(
    'secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:222222222222:secret:prod/db-?????? (the job declares it)',
  );
  expect(output).toContain(
    `Permissions: the job (${MODULE}) declares secretsmanager:GetSecretValue; the target stack grants nothing else.`,
  );
  expect(code).toBe(0);
}, 180_000);

test("npm run check fails while the deploy roles' boundary leaves the secret out, printing the README's statement", async () => {
  const { code, output } = await tool('check', template('shipped-boundary', policies), false);
  expect(code).toBe(1);
  for (const deployer of DEPLOYER_TEMPLATES) {
    expect(output).toContain(
      `BOUNDARY: ${deployer} TargetRoleBoundary does not allow secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:222222222222:secret:prod/db-??????; add:\n${boundary.trimEnd()}\n`,
    );
  }
}, 180_000);

test('npm run check fails on a grant without the suffix AWS appends to every secret ARN', async () => {
  const { code, output } = await tool(
    'check',
    template('no-suffix', policies.replace('-??????', '')),
  );
  expect(code).toBe(1);
  expect(output).toMatch(/six/);
}, 180_000);

test('npm start runs it, answered from its fixtures', async () => {
  const { code, output } = await tool('start', template('start', policies));
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  expect(output).toContain('"versionId": "c1f2e3d4-0000-4000-8000-000000000001"');
  expect(output).toContain('fixtures examples/readSecret.fixtures.json');
  expect(output).not.toContain('offline-example-not-a-secret');
}, 180_000);
