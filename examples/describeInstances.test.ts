// The EC2 example (examples/describeInstances.ts) as the README's "Make it yours" says to use it:
// the real `npm run check` and `npm start` on the module as it stands, with the target template
// granting ec2:DescribeInstances on "*", in two target regions; its grant and near misses are
// proven in packages/offline/tests/corpus/ec2.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
} from '@cross-account-lambda/offline/iam';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/projectCopy';
import { targetTemplateText } from '@cross-account-lambda/offline/tests/corpus/harness';
import { runTool } from '@cross-account-lambda/template-tests/support/runTool';
import { withBoundaryStatements } from '@cross-account-lambda/template-tests/support/targetBoundary';

const MODULE = 'examples/describeInstances.ts';
const STATEMENTS = `
              - Sid: DescribeInstances
                Effect: Allow
                Action: ec2:DescribeInstances
                Resource: '*'`;

// What npm run check prints for the deploy roles' boundary, added as an administrator would.
const BOUNDARY = `          - Sid: BoundaryDescribeInstances
            Effect: Allow
            Action: ec2:DescribeInstances
            Resource: '*'`;

let template: string;
let dir: string;
const deployers: string[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xacct-ec2-example-'));
  template = join(dir, 'cross-account-role.yml');
  writeFileSync(template, targetTemplateText({}, STATEMENTS));
  for (const [flag, shipped] of [
    ['--target-deployer-template', TARGET_DEPLOYER_TEMPLATE_PATH],
    ['--stackset-execution-template', STACKSET_EXECUTION_TEMPLATE_PATH],
  ] as const) {
    const path = join(dir, flag.slice(2));
    writeFileSync(path, withBoundaryStatements(readFileSync(shipped, 'utf8'), [BOUNDARY]));
    deployers.push(flag, path);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tool = (script: 'check' | 'start') =>
  runTool(
    'node_modules/.bin/tsx',
    [
      `node_modules/@cross-account-lambda/offline/${script}.ts`,
      '--job',
      MODULE,
      '--target-template',
      template,
      '--param',
      'targetRegions=us-east-1,eu-west-1',
      ...(script === 'check' ? deployers : []),
    ],
    { cwd: PROJECT_ROOT, timeout: 150_000 },
  );

test('npm run check passes: declared and granted on "*", nothing else granted', async () => {
  const { code, output } = await tool('check');
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  expect(output).toContain('as the role: ec2:DescribeInstances on * (the job declares it)');
  expect(output).toContain(
    `Permissions: the job (${MODULE}) declares ec2:DescribeInstances; the target stack grants nothing else.`,
  );
}, 180_000);

test('npm start lists both pages of instances in each region, answered in EC2 query XML', async () => {
  const { code, output } = await tool('start');
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  expect(output.match(/"id": "i-0000000000000000c"/g)).toHaveLength(2);
  expect(output).toContain('"region": "eu-west-1"');
  expect(output).toContain('fixtures examples/describeInstances.fixtures.json');
  expect(output).toMatch(/EC2 4 calls \(DescribeInstances 4\)/);
}, 180_000);
