// The offline tools are guests in the user's checkout: they never touch its build output, leave no
// temporary folder behind however they end, and do not wait on runs in other checkouts. They run
// the core's own job (packages/template-tests/support/core.ts), so the job the checkout selects does not matter.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyProject } from '@cross-account-lambda/offline/projectCopy';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/synth';
import { coreArgs } from '@cross-account-lambda/template-tests/support/core';

const TSX = join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const TIMEOUT_MS = 120_000;

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'xacct-tools-test-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** A private temp dir for the tool: whatever it leaves there is what it leaves anywhere. */
function toolTmp(): string {
  const dir = join(scratch, 'tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** What is left in the tool's temp dir, but tsx's own cache (tsx-<uid>), which it keeps on purpose. */
function leftBehind(): string[] {
  return readdirSync(toolTmp()).filter((name) => !/^tsx-\d+$/.test(name));
}

function start(script: string, args: string[], cwd = PROJECT_ROOT): ChildProcess {
  return spawn(TSX, [script, ...args], {
    cwd,
    env: { ...process.env, TMPDIR: toolTmp() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string }> {
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdout?.on('error', () => undefined);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

async function whenTempDirAppears(prefix: string): Promise<void> {
  for (let waited = 0; waited < TIMEOUT_MS; waited += 50) {
    if (readdirSync(toolTmp()).some((name) => name.startsWith(prefix))) return;
    await sleep(50);
  }
  throw new Error(`no ${prefix}* folder appeared`);
}

describe('the build output of the user', () => {
  it(
    'is left as it was by npm run check: .serverless/ and .esbuild/ keep their content',
    async () => {
      const checkout = join(scratch, 'checkout');
      mkdirSync(checkout);
      await copyProject(checkout);
      for (const folder of ['.serverless', '.esbuild']) {
        mkdirSync(join(checkout, folder));
        writeFileSync(join(checkout, folder, 'mine.txt'), 'from my own sls package');
      }
      const { code } = await exited(
        start('node_modules/@cross-account-lambda/offline/check.ts', coreArgs(), checkout),
      );
      expect(code).toBe(0);
      for (const folder of ['.serverless', '.esbuild']) {
        expect(readdirSync(join(checkout, folder))).toEqual(['mine.txt']);
        expect(readFileSync(join(checkout, folder, 'mine.txt'), 'utf8')).toBe(
          'from my own sls package',
        );
      }
    },
    TIMEOUT_MS,
  );
});

describe('temporary folders', () => {
  it(
    "are not left by sls package itself (serverless-esbuild's zip copy is removed)",
    async () => {
      const checkout = join(scratch, 'checkout');
      mkdirSync(checkout);
      await copyProject(checkout);
      const sls = spawn(
        join(PROJECT_ROOT, 'node_modules', '.bin', 'sls'),
        ['package', '--stage', 'local'],
        {
          cwd: checkout,
          env: { ...process.env, TMPDIR: toolTmp() },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const { code } = await exited(sls);
      expect(code).toBe(0);
      expect(leftBehind()).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'are all removed after a run that ends normally',
    async () => {
      const { code } = await exited(
        start('node_modules/@cross-account-lambda/offline/check.ts', coreArgs()),
      );
      expect(code).toBe(0);
      expect(leftBehind()).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it(
    'are all removed when the reader of stdout goes away (npm run check | head)',
    async () => {
      const child = start('node_modules/@cross-account-lambda/offline/check.ts', coreArgs());
      child.stdout?.destroy();
      const { code } = await exited(child);
      expect(code).toBe(0);
      expect(leftBehind()).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'are all removed when %s arrives mid-synthesis, and the exit code is %d',
    async (signal, expectedCode) => {
      const child = start('node_modules/@cross-account-lambda/offline/check.ts', coreArgs());
      const done = exited(child);
      await whenTempDirAppears('xacct-synth-');
      child.kill(signal);
      const { code } = await done;
      expect(code).toBe(expectedCode);
      // The killed `sls package` may take a moment to go; nothing of ours may stay.
      await sleep(500);
      expect(leftBehind()).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

describe('runs at the same time', () => {
  it(
    'in two checkouts at once both succeed: no lock, no shared folder',
    async () => {
      const [a, b] = await Promise.all(
        ['a', 'b'].map((name) => {
          const checkout = join(scratch, name);
          mkdirSync(checkout);
          return copyProject(checkout);
        }),
      );
      const runs = await Promise.all(
        [a, b].map((checkout) =>
          exited(
            start(
              'node_modules/@cross-account-lambda/offline/check.ts',
              ['--json', ...coreArgs()],
              checkout ?? '',
            ),
          ),
        ),
      );
      for (const run of runs) {
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
      }
    },
    TIMEOUT_MS,
  );
});
