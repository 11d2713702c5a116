// The suite and `npm start` prove the function on the Node that Lambda runs it on, or not at all:
// on another major version a passing run says nothing about the runtime that ships. The major
// version comes from serverless.yml's provider.runtime, so the two cannot drift apart; the binary
// comes from the lock file (an optional dependency per platform, no install script), and npm
// puts node_modules/.bin first on every script's PATH.
// Plain CommonJS: jest.config.js loads it before any transform exists.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const { findServiceRoot } = require('./serviceRoot');

const ROOT = findServiceRoot();

/** Lock-file package that carries the Node binary for this platform, if the registry has one. */
function lockedNodePackage(platform = process.platform, arch = process.arch) {
  const name = `node-${platform === 'win32' ? 'win' : platform}-${arch}`;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const version = pkg.optionalDependencies?.[name];
  return version ? { name, version } : undefined;
}

/** Lambda's Node major version, from serverless.yml (`runtime: nodejs24.x`). */
function lambdaNodeMajor() {
  const yml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  const match = /^\s+runtime:\s*nodejs(\d+)\.x\s*$/m.exec(yml);
  if (!match) throw new Error('serverless.yml: no provider.runtime of the form nodejsNN.x');
  return Number(match[1]);
}

/**
 * Why this process may not run the suite or `npm start`, or undefined when it may.
 * `facts` defaults to this process; tests pass others.
 */
function lambdaNodeProblem(facts = {}) {
  const version = facts.version ?? process.version;
  const execPath = facts.execPath ?? process.execPath;
  const platform = facts.platform ?? process.platform;
  const arch = facts.arch ?? process.arch;
  const root = facts.root ?? ROOT;
  const major = lambdaNodeMajor();
  const locked = lockedNodePackage(platform, arch);
  if (Number(/^v(\d+)\./.exec(version)?.[1]) === major) return undefined;
  const installed = locked && existsSync(join(root, 'node_modules', locked.name, 'package.json'));
  const fix = !locked
    ? `package.json has no Node ${major} package for ${platform}-${arch} (the registry has none at the locked version): install Node ${major} yourself (for example \`nvm install ${major}\`) and run with it first on PATH`
    : !installed
      ? `the lock file's ${locked.name}@${locked.version} is not installed: run \`npm ci\` (it needs no install script; an install with --omit=optional leaves it out)`
      : `${locked.name}@${locked.version} is installed but this process was not started by npm: run \`npm test\`, \`npm start\` or \`npm exec -- jest <path>\`, which put node_modules/.bin first on PATH`;
  return (
    `This is Node ${version} (${execPath}), but the function runs on Lambda's nodejs${major}.x ` +
    `(serverless.yml provider.runtime): the suite and npm start run on Node ${major} only. ${fix}.`
  );
}

/** Throws the problem, if any: for jest.config.js and packages/offline/start.ts. */
function requireLambdaNode() {
  const problem = lambdaNodeProblem();
  if (problem) throw new Error(problem);
}

module.exports = { lambdaNodeMajor, lambdaNodeProblem, lockedNodePackage, requireLambdaNode };
