// The V8 code cache and its loader (code-cache.js), on the shipped bundle and the Node the function
// runs on: V8 takes the cache under Lambda's flags, and refuses one built with other flags, a
// corrupt one or none; each refusal compiles the bundle as before and says so in one line.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArtefact, synthesize } from '@cross-account-lambda/offline/synth';

const { LAMBDA_CODE_FLAGS, writeCodeCache, writeLoader } = require('../code-cache.js') as {
  LAMBDA_CODE_FLAGS: string[];
  writeCodeCache(options: {
    node: string;
    bundlePath: string;
    cachePath: string;
    env: Record<string, string>;
  }): Promise<void>;
  writeLoader(path: string, names: { bundle: string; cache: string }): Promise<void>;
};

// What the function's cold start reads (the offline stage's values).
const FUNCTION_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'cross-account-lambda-local-crossAccount',
  TARGET_ACCOUNT_IDS: '222222222222',
};

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xacct-code-cache-'));
  const synthesis = await synthesize({ stage: 'local' });
  try {
    const files = await readArtefact(synthesis.artefactPath);
    const bundle = files.get('handlers/crossAccount.js');
    if (!bundle) throw new Error('the artefact has no handlers/crossAccount.js');
    writeFileSync(join(dir, 'crossAccount.bundle.js'), bundle);
  } finally {
    await synthesis.dispose();
  }
  await writeLoader(join(dir, 'crossAccount.js'), {
    bundle: 'crossAccount.bundle.js',
    cache: 'crossAccount.cache',
  });
  await writeCodeCache({
    node: process.execPath,
    bundlePath: join(dir, 'crossAccount.bundle.js'),
    cachePath: join(dir, 'crossAccount.cache'),
    env: FUNCTION_ENV,
  });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads the loader as Lambda would (with `flags`); what it printed and the handler's type. */
function load(flags: readonly string[], folder = dir): { lines: string[]; handler: string } {
  const out = execFileSync(
    process.execPath,
    [
      ...flags,
      '-e',
      `const m = require(${JSON.stringify(join(folder, 'crossAccount.js'))}); process.stdout.write('handler:' + typeof m.handler + '\\n');`,
    ],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'us-east-1',
        AWS_LAMBDA_FUNCTION_NAME: 'cross-account-lambda-local-crossAccount',
        TARGET_ACCOUNT_IDS: '222222222222',
      },
    },
  );
  const lines = out.trim().split('\n');
  return {
    lines: lines.filter((line) => !line.startsWith('handler:')),
    handler: lines.find((line) => line.startsWith('handler:'))?.slice('handler:'.length) ?? '',
  };
}

/** A copy of the folder with `edit` applied to it. */
function copyWith(edit: (folder: string) => void): string {
  const folder = mkdtempSync(join(dir, 'copy-'));
  for (const name of ['crossAccount.js', 'crossAccount.bundle.js', 'crossAccount.cache'])
    copyFileSync(join(dir, name), join(folder, name));
  edit(folder);
  return folder;
}

const notUsed = (lines: string[]) =>
  lines.map((line) => JSON.parse(line) as { level: string; message: string; reason: string });

test('is built under Lambda code-affecting flags', () => {
  expect(LAMBDA_CODE_FLAGS).toEqual(['--expose-gc']);
  expect(process.version).toMatch(/^v24\./);
});

test('V8 takes the cache under those flags: the loader says nothing and exports the handler', () => {
  expect(load(LAMBDA_CODE_FLAGS)).toEqual({ lines: [], handler: 'function' });
});

test('V8 refuses it under other flags: the bundle is compiled, and one INFO line says why', () => {
  const { lines, handler } = load([]);
  expect(handler).toBe('function');
  expect(notUsed(lines)).toEqual([
    expect.objectContaining({
      level: 'INFO',
      message: 'code cache not used: the bundle was compiled',
      reason: expect.stringContaining('V8 refused it'),
    }),
  ]);
});

test('a corrupt cache is refused the same way', () => {
  const folder = copyWith((f) => {
    const cache = readFileSync(join(f, 'crossAccount.cache'));
    cache.fill(7, 16, 64);
    writeFileSync(join(f, 'crossAccount.cache'), cache);
  });
  const { lines, handler } = load(LAMBDA_CODE_FLAGS, folder);
  expect(handler).toBe('function');
  expect(notUsed(lines).map((line) => line.reason)).toEqual([
    expect.stringContaining('V8 refused it'),
  ]);
});

describe('sls package --param codeCache=true', () => {
  let shipped: string;
  beforeAll(async () => {
    const synthesis = await synthesize({ stage: 'local', params: { codeCache: 'true' } });
    try {
      const files = await readArtefact(synthesis.artefactPath);
      expect([...files.keys()].sort()).toEqual([
        'handlers/crossAccount.bundle.js',
        'handlers/crossAccount.cache',
        'handlers/crossAccount.js',
      ]);
      shipped = mkdtempSync(join(dir, 'shipped-'));
      for (const [name, data] of files)
        writeFileSync(join(shipped, name.split('/').pop() ?? name), data);
    } finally {
      await synthesis.dispose();
    }
  }, 120_000);

  test('ships the loader under the handler, with a cache V8 takes under Lambda flags', () => {
    expect(readFileSync(join(shipped, 'crossAccount.js'), 'utf8')).toContain(
      'crossAccount.bundle.js',
    );
    expect(load(LAMBDA_CODE_FLAGS, shipped)).toEqual({ lines: [], handler: 'function' });
  });

  test('falls back to compiling, saying so once, where V8 refuses it', () => {
    const { lines, handler } = load([], shipped);
    expect(handler).toBe('function');
    expect(lines).toHaveLength(1);
  });
});

test('without a cache the bundle is compiled, and the line names the missing file', () => {
  const folder = copyWith((f) => unlinkSync(join(f, 'crossAccount.cache')));
  const { lines, handler } = load(LAMBDA_CODE_FLAGS, folder);
  expect(handler).toBe('function');
  expect(notUsed(lines).map((line) => line.reason)).toEqual([
    'no crossAccount.cache beside the bundle',
  ]);
});
