// README, "Make it yours", as data: its fenced blocks, and the walkthrough that replaces this job
// (the shipped S3 job) applied to a temporary copy of the project exactly as written. It lives
// with the job it replaces: step 1 removes it, with the job's other tests.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { copyProject, PROJECT_ROOT } from '@cross-account-lambda/offline/projectCopy';
import { DEPLOYER_TEMPLATES, withBoundaryStatements } from '../../support/targetBoundary';

export const run = promisify(execFile);

interface Block {
  readonly lang: string;
  readonly body: string;
}

/** The fenced blocks of a part of a document (README.md, docs/...), dedented to their fence. */
function blocksOf(document: string, heading: string, next: string): Block[] {
  const readme = readFileSync(join(PROJECT_ROOT, document), 'utf8');
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${document} has no "${heading}" section`);
  const end = readme.indexOf(`\n${next}`, start + 1);
  const lines = readme.slice(start, end < 0 ? undefined : end).split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const fence = /^( *)```(\w+)\s*$/.exec(lines[i] ?? '');
    if (!fence) continue;
    const indent = fence[1]?.length ?? 0;
    const body: string[] = [];
    for (i += 1; i < lines.length && !/^ *```\s*$/.test(lines[i] ?? ''); i += 1) {
      const line = lines[i] ?? '';
      body.push(line.slice(Math.min(indent, line.length - line.trimStart().length)));
    }
    blocks.push({ lang: fence[2] ?? '', body: body.join('\n') });
  }
  return blocks;
}

/** The README's minimal job: the first TypeScript block of "Make it yours". */
export const minimalJob = blocksOf('README.md', '## Make it yours', '## ').find(
  (b) => b.lang === 'ts',
)?.body;

const blocks = blocksOf(
  'docs/walkthrough.md',
  "## Walkthrough: the DynamoDB example as the function's job",
  '## ',
);
export const texts = blocks
  .filter((block) => block.lang === 'text')
  .map((block) => block.body.trim());
export const [oldLine, newLine] = blocks
  .filter((block) => block.lang === 'ts')
  .map((b) => b.body.trim());
export const [parameterYaml, policiesYaml, boundaryYaml, localParamsYaml] = blocks
  .filter((block) => block.lang === 'yaml')
  .map((block) => block.body);
export const copyCommand = texts.find((text) => text.startsWith('cp '));
export const installCommand = texts.find((text) => text.startsWith('npm install '));
export const checkCommand = texts.find((text) => text.startsWith('npm run check'));
export const runCommands = texts.find((text) => text.startsWith('npm start'));
export const permissionsLine = texts.find((text) => text.startsWith('Permissions: '));
export const mismatchOutput = texts.find((text) => text.includes('MISMATCH'));

export const TARGET_TEMPLATE = 'resources/cross-account-role.yml';
// The README: the parameter goes before MaxSessionDuration, the policies replace the role's
// `Policies:` down to the line before DemoBucket.
const PARAMETER_ANCHOR = '  MaxSessionDuration:\n';
const POLICIES_START = '      Policies:\n';
const POLICIES_END = '\n\n  DemoBucket:';

function replaceOnce(text: string, from: string, to: string, what: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1)
    throw new Error(`${what}: expected ${JSON.stringify(from)} once, found ${count}`);
  return text.replace(from, () => to);
}

/**
 * Steps 1-4 of the walkthrough in `dir`; `grant: false` removes ReadOneBucket and adds nothing.
 * Step 4 (npm install) is applied to package.json as npm would write it: the copy shares this
 * checkout's node_modules, where the client is installed already, and must not change it.
 */
export async function applyWalkthrough(dir: string, { grant }: { grant: boolean }) {
  if (
    !copyCommand ||
    !oldLine ||
    !newLine ||
    !parameterYaml ||
    !policiesYaml ||
    !boundaryYaml ||
    !localParamsYaml ||
    !installCommand
  ) {
    throw new Error('the "Make it yours" walkthrough lacks a step this test applies');
  }
  await run('bash', ['-c', copyCommand], { cwd: dir });
  const index = join(dir, 'job/index.ts');
  writeFileSync(index, replaceOnce(readFileSync(index, 'utf8'), oldLine, newLine, 'job/index.ts'));

  const templatePath = join(dir, TARGET_TEMPLATE);
  let template = readFileSync(templatePath, 'utf8');
  template = replaceOnce(
    template,
    PARAMETER_ANCHOR,
    `${parameterYaml.trimEnd()}\n${PARAMETER_ANCHOR}`,
    TARGET_TEMPLATE,
  );
  const start = template.indexOf(POLICIES_START);
  const end = template.indexOf(POLICIES_END, start);
  if (start < 0 || end < 0) throw new Error(`${TARGET_TEMPLATE}: no Policies before DemoBucket`);
  const policies = grant ? `${policiesYaml.trimEnd()}\n` : '';
  template = `${template.slice(0, start)}${policies}${template.slice(end + 1)}`;
  writeFileSync(templatePath, template);
  for (const deployer of DEPLOYER_TEMPLATES) {
    const path = join(dir, deployer);
    writeFileSync(
      path,
      withBoundaryStatements(readFileSync(path, 'utf8'), [boundaryYaml], deployer),
    );
  }

  const servicePath = join(dir, 'serverless.yml');
  const localHead = /^( {2}local:\n {4}targetAccountIds: '\d{12}'\n)/m;
  const service = readFileSync(servicePath, 'utf8');
  if (!localHead.test(service)) throw new Error('serverless.yml: no params.local block to replace');
  writeFileSync(
    servicePath,
    service.replace(localHead, () => `${localParamsYaml.replace(/^\n+/, '').trimEnd()}\n`),
  );

  const [, name, version] = /^npm install --save-exact (\S+)@(\S+)$/.exec(installCommand) ?? [];
  if (!name || !version) throw new Error(`cannot read ${installCommand}`);
  const pkgPath = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  delete pkg.devDependencies[name];
  pkg.dependencies = Object.fromEntries(
    Object.entries({ ...pkg.dependencies, [name]: version }).sort(([a], [b]) => a.localeCompare(b)),
  );
  writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
}

const copies: string[] = [];
export async function copy(name: string): Promise<string> {
  const dir = await copyProject(mkdtempSync(join(tmpdir(), `xacct-make-it-yours-${name}-`)));
  copies.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});
