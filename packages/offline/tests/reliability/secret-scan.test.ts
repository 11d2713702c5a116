// The run's secret scan (packages/template-tests/support/reliabilityReporter.js) must be able to fail: these feed it
// leaks and show that it finds them, says where, never repeats the secret, and fails the run.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@cross-account-lambda/core/src/logger';
import {
  findSecrets,
  fragmentHashes,
  indexSecrets,
  RUN_DIR_VARIABLE,
} from '../../testing/secretScanner';

// Built at run time, so this file holds no literal a scanner of the repository would flag.
const accessKeyId = `ASIA${'Q'.repeat(12)}TEST`;
// Shaped as STS issues them: the base64 of "IQoJorigin" first.
const token = `IQoJb3JpZ2lu${randomBytes(120).toString('base64')}`;
const secret = randomBytes(30).toString('base64');
const index = () =>
  indexSecrets([
    { label: 'a session token issued by the stand-in', length: 24, hashes: fragmentHashes(token) },
    {
      label: 'a secret access key issued by the stand-in',
      length: 24,
      hashes: fragmentHashes(secret),
    },
    { label: 'a short canary', length: 12, hashes: fragmentHashes('canary-short') },
  ]);

describe('findSecrets', () => {
  test('finds access key ids by their shape, and names the published offline home key as such', () => {
    expect(findSecrets(`{"key":"${accessKeyId}"}`, index())).toEqual([
      'an AWS access key id (AKIA/ASIA + 16)',
    ]);
    expect(findSecrets('signed with AKIAOFFLINEHOME00001', index())).toEqual([
      'the offline home access key id (a published fake that no code path may print)',
    ]);
  });

  test('finds a recorded secret whole, cut to 24 characters, or URL-encoded', () => {
    expect(findSecrets(`token=${token}`, index())).toContain(
      'a session token issued by the stand-in',
    );
    expect(findSecrets(`...${token.slice(50, 74)}...`, index())).toEqual([
      'a session token issued by the stand-in',
    ]);
    expect(findSecrets(encodeURIComponent(secret), index())).toEqual([
      'a secret access key issued by the stand-in',
    ]);
    expect(findSecrets('id canary-short here', index())).toEqual(['a short canary']);
  });

  test('finds a session token it was not told about by its STS prefix, old or new', () => {
    for (const prefix of ['IQoJb3JpZ2lu', 'FwoGZXIvYXdz']) {
      expect(findSecrets(`${prefix}${randomBytes(90).toString('base64')}`, index())).toEqual([
        'a session token (by its STS prefix)',
      ]);
    }
  });

  test('leaves ordinary output alone: ARNs, digests, request ids, paths, a 23-character piece', () => {
    const ordinary = [
      '{"level":"INFO","message":"assumed role","roleArn":"arn:aws:iam::222222222222:role/cross-account-demo-target"}',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-request-id: 9f3c1f7e-2b9a-4c6e-8d1f-0a1b2c3d4e5f',
      '/work/main/node_modules/@aws-sdk/client-s3/dist-cjs/index.js:1234',
      // Long runs of the base64 alphabet that are no token: a deep checkout path, base64 text.
      `    at handler (/${'Ab1'.repeat(40)}/handlers/crossAccount.ts:12:34)`,
      Buffer.from(
        'an ordinary sentence, long enough to be over a hundred characters once it is encoded as base64',
      ).toString('base64'),
      token.slice(0, 23),
    ].join('\n');
    expect(findSecrets(ordinary, index())).toEqual([]);
  });
});

type Reporter = {
  onRunStart(): void;
  onRunComplete(contexts: unknown, results: unknown): void;
  getLastError(): Error | undefined;
  dir: string;
};

const folders: string[] = [];
// A failed scan keeps its folder for inspection; these are the test's own.
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A reporter with its own folder; the real run's folder stays the one this worker writes to. */
function reporter(): Reporter {
  const Reporter =
    require('@cross-account-lambda/template-tests/support/reliabilityReporter') as new (
      config: unknown,
    ) => Reporter;
  const scan = new Reporter({ rootDir: '/project' });
  const saved = process.env[RUN_DIR_VARIABLE];
  try {
    scan.onRunStart();
  } finally {
    process.env[RUN_DIR_VARIABLE] = saved;
  }
  folders.push(scan.dir);
  return scan;
}

function runOf(dir: string, file: string, outputs: string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'files-1-1.jsonl'), `${JSON.stringify({ file })}\n`);
  writeFileSync(
    join(dir, 'output-1-1.jsonl'),
    outputs
      .map((text) => `${JSON.stringify({ file, test: 'leaks', source: 'stdout', text })}\n`)
      .join(''),
  );
  writeFileSync(
    join(dir, 'secrets-1-1.jsonl'),
    `${JSON.stringify({ label: 'a session token issued by the stand-in', length: 24, hashes: fragmentHashes(token) })}\n`,
  );
}

const results = (file: string) => ({ testResults: [{ testFilePath: `/project/${file}` }] });

function printed(work: () => void): string {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    work();
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

describe('the reliability reporter', () => {
  test('fails the run on a leak and names the file, test and stream, never the secret', () => {
    const scan = reporter();
    runOf(scan.dir, 'tests/leaky.test.ts', [`{"token":"${token}"}`, `key ${accessKeyId}`]);
    const report = printed(() => scan.onRunComplete([], results('tests/leaky.test.ts')));
    // The token counts twice: as the recorded secret and by its STS prefix.
    expect(scan.getLastError()?.message).toMatch(/^secret scan: 3 secret\(s\) in the test output/);
    expect(report).toContain('secrets found    3');
    expect(report).toContain(
      'a session token issued by the stand-in in tests/leaky.test.ts > leaks (stdout)',
    );
    expect(report).toContain(
      'an AWS access key id (AKIA/ASIA + 16) in tests/leaky.test.ts > leaks (stdout)',
    );
    expect(report).not.toContain(token.slice(0, 24));
    expect(report).not.toContain(accessKeyId);
  });

  test('passes a clean run and prints the figures', () => {
    const scan = reporter();
    runOf(scan.dir, 'tests/clean.test.ts', ['{"level":"INFO","message":"listed target bucket"}']);
    const report = printed(() => scan.onRunComplete([], results('tests/clean.test.ts')));
    expect(scan.getLastError()).toBeUndefined();
    expect(report).toMatch(/Reliability figures\n {2}faults injected {2}0 in 0 scenarios/);
    expect(report).toContain('secrets found    0');
  });

  test('fails the run when a test file ran without the capture setup', () => {
    const scan = reporter();
    runOf(scan.dir, 'tests/captured.test.ts', []);
    printed(() => scan.onRunComplete([], results('tests/not-captured.test.ts')));
    expect(scan.getLastError()?.message).toMatch(/test files ran without capture/);
  });
});

describe('the capture the scan reads', () => {
  test('records the lines the logger writes straight to descriptors 1 and 2', () => {
    const dir = process.env[RUN_DIR_VARIABLE];
    if (!dir) throw new Error(`${RUN_DIR_VARIABLE} is not set: the reporter did not run`);
    const marker = `capture-check-${randomBytes(6).toString('hex')}`;
    // Printed for real (one line each): the capture copies output, it does not swallow it.
    createLogger().info(marker);
    createLogger().warn(marker);
    const recorded = readdirSync(dir)
      .filter((name) => name.startsWith('output-'))
      .flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n'))
      .filter((line) => line.includes(marker))
      .map((line) => JSON.parse(line) as { source: string; text: string });
    expect(recorded.map((record) => record.source).sort()).toEqual(['stderr', 'stdout']);
    for (const record of recorded)
      expect(JSON.parse(record.text)).toMatchObject({ message: marker });
  });
});
