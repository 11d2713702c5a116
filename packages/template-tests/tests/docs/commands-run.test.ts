// The README is an executable specification of the starter as shipped, this job included (its
// Quick start lists this job's bucket): every shell command in its code blocks runs here,
// in a temporary copy of the project, in the order written. Commands that need no AWS must succeed
// (or fail where the README says they do) and print what the README shows; commands that need AWS
// run with no credentials against endpoints that refuse connections and may fail only on the
// credentials or the connection, never on configuration or variable resolution.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyProject } from '@cross-account-lambda/offline/projectCopy';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { noAwsAccessEnv } from '../../support/noAwsAccess';
import { type ReadmeCommand, readmeCommands, shape } from './commands';

type Plan =
  | { kind: 'local'; expectedExit: number }
  | { kind: 'aws'; tool: 'sls' | 'aws' }
  | { kind: 'env' }
  | { kind: 'not run'; reason: string };

// Commands that cannot run here, with the reason. Anything else the README adds must be runnable.
const NOT_RUN: Record<string, string> = {
  'npm ci':
    'installs node_modules: the suite itself runs after `npm ci`, and the copy shares its node_modules',
  'npm test': 'is the suite this test belongs to',
  'npm run format': 'rewrites files; `npm test` runs its read-only twin, `biome check`',
  'gh api':
    "changes the GitHub repository's OIDC subject template: needs GitHub and a repository admin's token",
  'npm run bench':
    'takes minutes (the cost curve alone, up to 5,000 accounts) and exits 1 while a target is missed; CI runs the suite, not the benchmark',
};

function plan(command: ReadmeCommand, hasAwsCli: boolean): Plan {
  const { text } = command;
  const base = Object.keys(NOT_RUN).find((name) => text === name || text.startsWith(`${name} `));
  if (base) return { kind: 'not run', reason: NOT_RUN[base] ?? '' };
  if (/^export \w+=/.test(text)) return { kind: 'env' };
  if (/^npm (start|run)\b/.test(text)) {
    return { kind: 'local', expectedExit: /\bexits? 1\b/.test(command.comment) ? 1 : 0 };
  }
  if (text.startsWith('npx sls ')) return { kind: 'aws', tool: 'sls' };
  if (text.startsWith('aws ')) {
    return hasAwsCli
      ? { kind: 'aws', tool: 'aws' }
      : { kind: 'not run', reason: 'the AWS CLI is not installed on this machine' };
  }
  throw new Error(
    `${(command as { document?: string }).document ?? 'README.md'} line ${command.line}: no rule for running "${text}"; add one to packages/template-tests/tests/docs/commands-run.test.ts`,
  );
}

/** `npm ci && npm start` is two commands. */
function expand(commands: ReadmeCommand[]): ReadmeCommand[] {
  return commands.flatMap((command) =>
    command.text.split(' && ').map((text) => ({ ...command, text: text.trim() })),
  );
}

const hasAwsCli = (() => {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// The README, then the docs with commands, in the order a reader meets them: the deploy section's
// `export`s come first, and the docs' AWS commands use them.
const DOCUMENTS = [
  'README.md',
  'docs/offline.md',
  'docs/check.md',
  'docs/security.md',
  'docs/organizations.md',
  'docs/distributed.md',
  'docs/delivery.md',
];
const commands = DOCUMENTS.flatMap((document) =>
  expand(readmeCommands(readFileSync(join(PROJECT_ROOT, document), 'utf8'))).map((command) => ({
    ...command,
    document,
  })),
);
const planned = commands.map((command) => ({ command, plan: plan(command, hasAwsCli) }));

// What a failure for want of AWS access looks like, from the Serverless CLI and the AWS CLI.
const NO_AWS_ACCESS =
  /credentials not found|profile "?\w+"? doesn't seem to be configured|config profile \(\w+\) could not be found|Unable to locate credentials|ECONNREFUSED|Could not connect to the endpoint/;
const CONFIGURATION_FAILURE =
  /Cannot resolve|ConfigurationError|Parameter "|Unknown parameter|Invalid template|No such file|does not exist|usage:|Unknown options|Detected unrecognized CLI options/i;

let copy: string;
let env: NodeJS.ProcessEnv;
const exported: Record<string, string> = {};

beforeAll(async () => {
  copy = await copyProject(mkdtempSync(join(tmpdir(), 'xacct-readme-')));
  const awsFiles = join(copy, '.aws-none');
  mkdirSync(awsFiles);
  env = noAwsAccessEnv(awsFiles);
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

function runInCopy(text: string): Promise<{ code: number; output: string; stdout: string }> {
  const prefix = Object.entries(exported)
    .map(([name, value]) => `export ${name}='${value}'; `)
    .join('');
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', `${prefix}${text}`],
      { cwd: copy, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}`, stdout });
      },
    );
  });
}

/** Why an AWS command's failure is not the one allowed, or undefined when it is. */
function wrongFailure(code: number, output: string): string | undefined {
  if (code === 0) return 'it succeeded with no credentials and no endpoint';
  if (CONFIGURATION_FAILURE.test(output)) return 'it failed on configuration';
  if (!NO_AWS_ACCESS.test(output))
    return 'it failed, but not for want of credentials or a connection';
  return undefined;
}

describe('the README', () => {
  it('reads every document that has commands', () => {
    const withCommands = readdirSync(join(PROJECT_ROOT, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`)
      .filter((document) => readFileSync(join(PROJECT_ROOT, document), 'utf8').includes('```bash'));
    expect(DOCUMENTS).toEqual(expect.arrayContaining(withCommands));
  });

  it('has commands, and a rule for each of them', () => {
    expect(planned.filter(({ plan }) => plan.kind === 'local').length).toBeGreaterThan(5);
    expect(planned.filter(({ plan }) => plan.kind === 'aws').length).toBeGreaterThan(3);
  });

  it('lists the commands it cannot run, with the reason', () => {
    const notRun = planned.flatMap(({ command, plan }) =>
      plan.kind === 'not run'
        ? [`${command.document}:${command.line}: ${command.text} (${plan.reason})`]
        : [],
    );
    process.stdout.write(`README commands not run:\n  ${notRun.join('\n  ')}\n`);
    for (const line of notRun) expect(line).toMatch(/\(.+\)$/);
  });

  it('would fail on a command that breaks: a misspelled parameter is a configuration failure', async () => {
    const { code, output } = await runInCopy(
      'npx sls deploy --stage dev --region us-east-1 --param targetAccountId=444455556666',
    );
    expect(wrongFailure(code, output)).toBe('it failed on configuration');
  }, 120_000);
});

describe.each(
  planned.map((entry) => [
    `${entry.command.document}:${entry.command.line}: ${entry.command.text}`,
    entry,
  ]),
)('%s', (_, { command, plan }) => {
  if (plan.kind === 'not run') {
    it.skip(`is not run: ${plan.reason}`, () => undefined);
    return;
  }
  if (plan.kind === 'env') {
    it('sets the variables the commands after it use', () => {
      for (const [, name, value] of command.text.matchAll(/(\w+)=(\S+)/g)) {
        if (name && value) exported[name] = value;
      }
      expect(Object.keys(exported).length).toBeGreaterThan(0);
    });
    return;
  }
  if (plan.kind === 'local') {
    it(`runs offline and exits ${plan.expectedExit}${command.shownOutput ? ', printing what the README shows' : ''}`, async () => {
      const { code, output, stdout } = await runInCopy(command.text);
      if (code !== plan.expectedExit) {
        throw new Error(`exit ${code}, expected ${plan.expectedExit}:\n${output.slice(-3000)}`);
      }
      if (/\s--json\b/.test(command.text)) {
        expect(() => JSON.parse(stdout)).not.toThrow();
      }
      const actual = shape(output);
      for (const shown of command.shownOutput ?? []) {
        if (shown.trim() === '' || shown.trim() === '…') continue;
        if (!actual.includes(shape(shown))) {
          throw new Error(
            `the README shows\n  ${shown.trim()}\nbut the command printed no such line:\n${output.slice(-3000)}`,
          );
        }
      }
    }, 180_000);
    return;
  }
  it('fails only for want of AWS credentials or a connection, never on configuration', async () => {
    const { code, output } = await runInCopy(command.text);
    const wrong = wrongFailure(code, output);
    if (wrong) throw new Error(`${wrong}:\n${output.slice(-3000)}`);
  }, 120_000);
});
