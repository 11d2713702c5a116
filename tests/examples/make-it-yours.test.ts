// README, "Make it yours", applied to a temporary copy of the project exactly as written: the
// commands, the lines and the YAML come from the README itself, so the walkthrough and this test
// cannot drift apart. Then the real `npm run check` (scripts/check.ts, a real `sls package`) must
// pass on the copy, and fail, naming the case, on a copy whose target stack leaves the grant out.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { copyProject } from '../../offline/projectCopy';
import { PROJECT_ROOT } from '../../offline/synth';

const run = promisify(execFile);

interface Block {
  readonly lang: string;
  readonly body: string;
}

/** The fenced blocks of the README's "Make it yours" section, dedented to their fence. */
function walkthroughBlocks(): Block[] {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Make it yours\n');
  if (start < 0) throw new Error('README.md has no "## Make it yours" section');
  const end = readme.indexOf('\n## ', start + 1);
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

const blocks = walkthroughBlocks();
const texts = blocks.filter((block) => block.lang === 'text').map((block) => block.body.trim());
const [oldLine, newLine] = blocks.filter((block) => block.lang === 'ts').map((b) => b.body.trim());
const [parameterYaml, policiesYaml] = blocks
  .filter((block) => block.lang === 'yaml')
  .map((block) => block.body);
const copyCommand = texts.find((text) => text.startsWith('cp '));
const installCommand = texts.find((text) => text.startsWith('npm install '));
const checkCommand = texts.find((text) => text.startsWith('npm run check'));
const permissionsLine = texts.find((text) => text.startsWith('Permissions: '));
const mismatchOutput = texts.find((text) => text.includes('MISMATCH'));

const TARGET_TEMPLATE = 'resources/cross-account-role.yml';
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

/** Steps 1-3 of the walkthrough in `dir`; `grant: false` removes ReadOneBucket, adds nothing. */
async function applyWalkthrough(dir: string, { grant }: { grant: boolean }) {
  if (!copyCommand || !oldLine || !newLine || !parameterYaml || !policiesYaml) {
    throw new Error('the "Make it yours" section lacks a step this test applies');
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
}

/** `npm run check -- <args>` as the README writes it, run as scripts/check.ts in `dir`. */
async function check(dir: string): Promise<{ code: number; output: string }> {
  const args = (checkCommand ?? '')
    .replace(/^npm run check( --)?/, '')
    .trim()
    .split(/\s+/);
  try {
    const { stdout, stderr } = await run('node_modules/.bin/tsx', ['scripts/check.ts', ...args], {
      cwd: dir,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}\n${stderr}` };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      output: `${failure.stdout ?? ''}\n${failure.stderr ?? ''}`,
    };
  }
}

const copies: string[] = [];
async function copy(name: string): Promise<string> {
  const dir = await copyProject(mkdtempSync(join(tmpdir(), `xacct-make-it-yours-${name}-`)));
  copies.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe('README, "Make it yours": the DynamoDB example as the function\'s job', () => {
  it('has every step this test applies, and the version it installs is the one pinned', () => {
    expect(copyCommand).toBe('cp examples/queryTable.ts job/');
    expect(oldLine).toBe("export { listObjects as job } from './listObjects';");
    expect(newLine).toBe("export { queryTable as job } from './queryTable';");
    expect(parameterYaml).toMatch(/^ {2}TableName:\n/);
    expect(policiesYaml).toMatch(/^ {6}Policies:\n/);
    expect(policiesYaml).toContain('Action: dynamodb:Query');
    expect(checkCommand).toBe('npm run check -- --param targetTable=orders');
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
    const pinned = pkg.devDependencies['@aws-sdk/client-dynamodb'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installCommand).toBe(`npm install --save-exact @aws-sdk/client-dynamodb@${pinned}`);
  });

  it('passes npm run check: dynamodb:Query declared and granted, nothing else', async () => {
    const dir = await copy('granted');
    await applyWalkthrough(dir, { grant: true });
    const { code, output } = await check(dir);
    expect(output).toContain(
      'dynamodb:Query on arn:aws:dynamodb:us-east-1:222222222222:table/orders (the job declares it)',
    );
    expect(output).toMatch(/All \d+ cases match/);
    expect(output).toContain(permissionsLine);
    expect(output).toContain('declares dynamodb:Query; the target stack grants nothing else.');
    expect(code).toBe(0);
  }, 180_000);

  it('fails npm run check, naming the dynamodb:Query case, when the grant is left out', async () => {
    const dir = await copy('no-grant');
    await applyWalkthrough(dir, { grant: false });
    expect(readFileSync(join(dir, TARGET_TEMPLATE), 'utf8')).not.toMatch(/ReadOneBucket|dynamodb/);
    const { code, output } = await check(dir);
    expect(output).toMatch(
      /dynamodb:Query on arn:aws:dynamodb:us-east-1:222222222222:table\/orders \(the job declares it\) +allowed +denied .*MISMATCH/,
    );
    // What the README shows for this case, line by line (its elisions aside).
    for (const line of (mismatchOutput ?? '').split('\n')) {
      for (const part of line.split('…')) {
        if (part.trim()) expect(output).toContain(part.trim());
      }
    }
    expect(code).toBe(1);
  }, 180_000);

  it('typechecks: the function (handlers/, src/, job/, config/, offline/, scripts/) on the new job', async () => {
    const dir = await copy('typecheck');
    await applyWalkthrough(dir, { grant: true });
    // The shipped job's own tests (tests/) test listObjects; the README says to replace them.
    writeFileSync(
      join(dir, 'tsconfig.walkthrough.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        include: ['handlers', 'src', 'job', 'config', 'offline', 'scripts'],
      }),
    );
    await expect(
      run('node_modules/.bin/tsc', ['--noEmit', '-p', 'tsconfig.walkthrough.json'], {
        cwd: dir,
        timeout: 120_000,
      }),
    ).resolves.toBeDefined();
  }, 180_000);
});
