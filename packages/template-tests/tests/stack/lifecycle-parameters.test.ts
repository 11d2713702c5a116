// How `the serverless plugin's params.js` treats each sls command of a stage's life: commands that build the
// function need and validate the targets; commands that work on a deployed stack do not; a deploy
// of the offline stage or of a placeholder account, an unknown parameter name and a bucket name
// the function would refuse all stop before anything is built.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { copyProject } from '@cross-account-lambda/offline/projectCopy';
import { SLS_BIN } from '@cross-account-lambda/offline/synth';
import { noAwsAccessEnv } from '../../support/noAwsAccess';

const run = promisify(execFile);

// No credentials, and every AWS endpoint refuses connections: whatever reaches AWS fails there.
const OFFLINE_ENV = noAwsAccessEnv('/nonexistent');

// A copy of the project, so that what sls may build never lands in the checkout.
let project: string;
beforeAll(async () => {
  project = await copyProject(mkdtempSync(join(tmpdir(), 'xacct-lifecycle-project-')));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

async function sls(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(SLS_BIN, args, {
      cwd: project,
      env: OFFLINE_ENV,
      timeout: 90_000,
    });
    return { code: 0, output: `${stdout}\n${stderr}` };
  } catch (error) {
    const {
      code,
      stdout = '',
      stderr = '',
    } = error as {
      code?: number;
      stdout?: string;
      stderr?: string;
    };
    return { code: typeof code === 'number' ? code : 1, output: `${stdout}\n${stderr}` };
  }
}

const CREDENTIALS_ONLY = /credentials not found|profile "home" doesn't seem to be configured/;
const CONFIGURATION = /Cannot resolve|ConfigurationError|Parameter "/;

describe('commands that work on a deployed stack', () => {
  it.each([
    ['info', ['info', '--stage', 'dev', '--verbose']],
    ['logs', ['logs', '--stage', 'dev', '-f', 'crossAccount']],
    ['invoke', ['invoke', '--stage', 'dev', '-f', 'crossAccount', '--data', '{}']],
    ['remove', ['remove', '--stage', 'dev', '--aws-profile', 'home']],
  ])('%s needs no targetAccountIds: it fails only for want of credentials', async (_, args) => {
    const { code, output } = await sls(args);
    expect(code).not.toBe(0);
    expect(output).toMatch(CREDENTIALS_ONLY);
    expect(output).not.toMatch(CONFIGURATION);
  });
});

describe('commands that build the function', () => {
  it.each([
    ['package', ['package', '--stage', 'dev']],
    ['deploy', ['deploy', '--stage', 'dev']],
    ['invoke local', ['invoke', 'local', '--stage', 'dev', '-f', 'crossAccount']],
  ])('%s without targetAccountIds stops, naming the parameter', async (_, args) => {
    const { code, output } = await sls(args);
    expect(code).not.toBe(0);
    expect(output).toMatch(/Parameter "targetAccountIds" is missing/);
  });
});

describe('refused before anything is built', () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'xacct-lifecycle-'));
  });
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('a deploy of the offline stage local, saying which stage to deploy instead', async () => {
    const { code, output } = await sls(['deploy', '--stage', 'local']);
    expect(code).not.toBe(0);
    expect(output).toMatch(/Stage "local" is the offline stage .* never deployed/);
    expect(output).toMatch(/--stage dev/);
    expect(output).not.toMatch(CREDENTIALS_ONLY);
  });

  it.each(['222222222222', '111111111111', '123456789012', '333333333333,444444444444'])(
    'a deploy whose target is the placeholder account %s',
    async (accounts) => {
      const { code, output } = await sls([
        'deploy',
        '--stage',
        'dev',
        '--param',
        `targetAccountIds=${accounts}`,
      ]);
      expect(code).not.toBe(0);
      expect(output).toMatch(/placeholder account id/);
      expect(output).not.toMatch(CREDENTIALS_ONLY);
    },
  );

  it('but a deploy to a real-looking account gets as far as the credentials', async () => {
    const { output } = await sls([
      'deploy',
      '--stage',
      'dev',
      '--param',
      'targetAccountIds=210987654321',
      '--aws-profile',
      'home',
    ]);
    expect(output).toMatch(CREDENTIALS_ONLY);
    expect(output).not.toMatch(CONFIGURATION);
  });

  it.each([
    ['externalid=abc-123', 'externalid', 'externalId'],
    ['targetAccountId=210987654321', 'targetAccountId', 'targetAccountIds'],
    ['rolename=my-role', 'rolename', 'targetRoleName'],
  ])(
    'an unknown --param %s, naming the nearest and every known name',
    async (param, name, near) => {
      const { code, output } = await sls([
        'package',
        '--stage',
        'local',
        '--param',
        param,
        '--package',
        join(out, 'unknown'),
      ]);
      expect(code).not.toBe(0);
      expect(output).toContain(`Unknown parameter "${name}"`);
      expect(output).toContain(`did you mean "${near}"?`);
      expect(output).toMatch(/The parameters are: targetAccountIds, targetRoleName, externalId/);
    },
  );

  it('and none of these left a package behind', async () => {
    expect(await readdir(out)).toEqual([]);
  });
});
