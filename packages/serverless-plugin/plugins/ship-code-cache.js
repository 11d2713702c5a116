// With `--param codeCache=true`: the artefact carries the function's V8 code cache (code-cache.js).
// The bundle the handler names becomes <name>.bundle.js, the cache <name>.cache beside it, and the
// handler's own file the loader that runs one with the other. V8 takes a cache only from the same
// Node build on the same architecture, so it is written by the lock's node-linux-<arch> of the
// function's architecture and runtime, on a machine of that architecture, after one warm-up
// invocation against the offline stand-in (so the functions a first call compiles are in it).
const { mkdtemp, readFile, rename, rm, writeFile } = require('node:fs/promises');
const { existsSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { isAbsolute, join } = require('node:path');
const { LAMBDA_CODE_FLAGS, NODE_ARCH, loaderSource, writeCodeCache } = require('../code-cache');
const { readZip, writeZip } = require('./recompress-artifact');

class CodeCacheError extends Error {
  name = 'CodeCacheError';
}

/**
 * The Node binary the function runs on, for `runtime` (nodejsNN.x) on `architecture` (arm64 or
 * x86_64): the lock's node-linux-<arch> of that major version, else this process's Node if it is
 * that one. Throws, saying how to fix it, when this machine cannot run it: a cache written on
 * another architecture or system is refused by the function's V8 (measured: arm64 refuses x64's).
 * (@cross-account-lambda/offline's lambdaNode.js finds the same package for the tools; this plugin
 * is installed to deploy and must not depend on the dev-only offline package.)
 */
function runtimeNode(root, runtime, architecture, host = process) {
  const major = /^nodejs(\d+)\.x$/.exec(runtime ?? '')?.[1];
  const arch = NODE_ARCH[architecture ?? 'x86_64'];
  const off = `codeCache=true: the cache must be written by the Node the function runs on (${runtime} on linux-${arch})`;
  if (!major || !arch) {
    throw new CodeCacheError(
      `${off}, but runtime "${runtime}" / architecture "${architecture}" is not a Node runtime of Lambda`,
    );
  }
  if (host.platform !== 'linux' || host.arch !== arch) {
    throw new CodeCacheError(
      `${off}, and this machine is ${host.platform}-${host.arch}: V8 refuses a code cache written on another system or architecture. ` +
        `Package on linux-${arch} (for example a CI runner of that architecture), ` +
        `or deploy the function as ${host.arch === 'x64' ? 'x86_64' : 'arm64'} (--param architecture=${host.arch === 'x64' ? 'x86_64' : 'arm64'}), or leave codeCache off`,
    );
  }
  const name = `node-linux-${arch}`;
  const manifest = join(root, 'node_modules', name, 'package.json');
  if (existsSync(manifest)) {
    const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
    const binary = join(root, 'node_modules', name, 'bin', 'node');
    if (String(version).split('.')[0] === major && existsSync(binary)) return binary;
  }
  if (host.versions.node.split('.')[0] === major) return host.execPath;
  throw new CodeCacheError(
    `${off}, but node_modules has no ${name} of Node ${major} and this is Node ${host.versions.node}: run npm ci (package.json's optionalDependencies pin it)`,
  );
}

/**
 * The warm-up's AWS endpoints: the offline stand-in of the stage being packaged, when the dev-only
 * @cross-account-lambda/offline is installed; else endpoints that refuse every call at once, so
 * that the request path is compiled but not what an answer runs.
 */
function warmUpWorld(serverless, root) {
  let offline;
  try {
    const { require: requireTs } = require('tsx/cjs/api');
    const path = require.resolve('@cross-account-lambda/offline/codeCacheWarmUp.ts', {
      paths: [root],
    });
    offline = requireTs(path, __filename);
  } catch (error) {
    if (error?.code !== 'MODULE_NOT_FOUND') throw error;
  }
  const options = serverless.processedInput?.options ?? {};
  if (offline) {
    return offline.warmUpWorld({
      stage: String(options.stage ?? serverless.service.provider.stage ?? 'dev'),
      region: serverless.service.provider.region,
      params: [options.param ?? []].flat().map(String),
    });
  }
  const refused = 'http://127.0.0.1:9';
  return {
    source: 'refused endpoints (@cross-account-lambda/offline is not installed)',
    env: {
      AWS_ACCESS_KEY_ID: 'AKIAWARMUPONLY000000',
      AWS_SECRET_ACCESS_KEY: 'warm-up-only-not-a-secret',
      AWS_ENDPOINT_URL: refused,
      AWS_ENDPOINT_URL_STS: refused,
      AWS_ENDPOINT_URL_S3: refused,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
    },
    answered: () => '',
    close: async () => {},
  };
}

class ShipCodeCache {
  constructor(serverless, options = {}) {
    const run = async () => {
      const service = serverless.service;
      if (service.custom?.params?.codeCache !== true) return;
      const root = serverless.serviceDir ?? process.cwd();
      const functions = service
        .getAllFunctions()
        .map((name) => service.getFunction(name))
        .map((fn) => ({ fn, artefact: fn.package?.artifact ?? service.package?.artifact }))
        .filter(({ artefact }) => typeof artefact === 'string' && artefact.endsWith('.zip'))
        .map(({ fn, artefact }) => ({
          fn,
          path: isAbsolute(artefact) ? artefact : join(root, artefact),
          // Refused here, before the warm-up's synthesis, on a machine that cannot write it.
          node: runtimeNode(
            root,
            fn.runtime ?? service.provider.runtime,
            fn.architecture ?? service.provider.architecture,
          ),
        }));
      if (functions.length === 0) return;
      const world = await warmUpWorld(serverless, root);
      try {
        for (const { fn, path, node } of functions) {
          const timeout = Number(fn.timeout ?? service.provider.timeout ?? 6);
          const builtBy = await shipWith(path, fn.handler, node, timeout * 1000, {
            // As serverless.yml resolves it (the stand-in's world carries the template's, the same).
            ...functionEnvironment(service, fn),
            ...world.env,
            AWS_REGION: service.provider.region,
            AWS_LAMBDA_FUNCTION_NAME: fn.name,
          });
          const answered = world.answered();
          serverless.cli?.log?.(
            `codeCache: ${fn.handler} ships its V8 code cache, written by ${builtBy} after a warm-up invocation against ${world.source}${answered ? ` (answered: ${answered})` : ''}`,
          );
        }
      } finally {
        await world.close();
      }
    };
    // sls invoke local (npm start) runs serverless-esbuild's build in this process: it gets the
    // same loader, with a cache for this process's Node and flags, so a broken cache path fails
    // offline first. (Written after loading only: the invocation that follows is the one run.)
    const runLocal = async () => {
      const service = serverless.service;
      if (service.custom?.params?.codeCache !== true || !options.function) return;
      const fn = service.getFunction(options.function);
      const dir = serverless.config.servicePath ?? serverless.serviceDir ?? process.cwd();
      const builtBy = await shipInFolder(dir, fn.handler, {
        node: process.execPath,
        // The flags of this process (npm start passes Lambda's), which V8 matches the cache to.
        flags: typeof globalThis.gc === 'function' ? LAMBDA_CODE_FLAGS : [],
        env: {
          ...process.env,
          ...functionEnvironment(service, fn),
          AWS_LAMBDA_FUNCTION_NAME: fn.name,
        },
      });
      serverless.cli?.log?.(
        `codeCache: sls invoke local runs ${fn.handler} through the code cache loader (cache written by ${builtBy}, after loading only)`,
      );
    };
    const withCleanErrors = (hook) => async () => {
      try {
        await hook();
      } catch (error) {
        // The framework's own error class prints the message without a stack trace.
        if (!(error instanceof CodeCacheError) || !serverless.classes?.Error) throw error;
        throw new serverless.classes.Error(error.message);
      }
    };
    this.hooks = {
      'after:package:createDeploymentArtifacts': withCleanErrors(run),
      'before:invoke:local:invoke': withCleanErrors(runLocal),
    };
  }
}

/** The function's environment variables that serverless.yml gives as plain strings. */
function functionEnvironment(service, fn) {
  const env = { ...service.provider.environment, ...fn.environment };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => typeof value === 'string'));
}

/**
 * The files a handler (`handlers/crossAccount.handler`) becomes: the loader under the file it
 * names, the bundle and the cache beside it; paths relative to the code's root.
 */
function handlerFiles(handler) {
  const dot = handler.lastIndexOf('.');
  const file = `${handler.slice(0, dot)}.js`;
  const slash = file.lastIndexOf('/');
  const dir = file.slice(0, slash + 1);
  const base = file.slice(slash + 1, -'.js'.length);
  return {
    file,
    exportName: handler.slice(dot + 1),
    bundle: `${dir}${base}.bundle.js`,
    cache: `${dir}${base}.cache`,
    // As the loader names them, beside itself.
    names: { bundle: `${base}.bundle.js`, cache: `${base}.cache` },
  };
}

/**
 * Rewrites the zip at `path`: the loader under the handler's file, the bundle and its cache
 * beside. Resolves to the build that wrote the cache.
 */
async function shipWith(path, handler, node, timeoutMs, env) {
  const files = handlerFiles(handler);
  const entries = await readZip(await readFile(path));
  const entry = entries.find((e) => e.name === files.file);
  if (!entry)
    throw new CodeCacheError(`codeCache: ${path} has no ${files.file}, the file the handler names`);
  const work = await mkdtemp(join(tmpdir(), 'xacct-code-cache-'));
  try {
    const bundlePath = join(work, files.names.bundle);
    const cachePath = join(work, files.names.cache);
    await writeFile(bundlePath, entry.data);
    const { builtBy, headerCheck } = await writeCodeCache({
      node,
      bundlePath,
      cachePath,
      warmUp: { export: files.exportName, event: {}, timeoutMs },
      env,
    });
    const shipped = [
      { ...entry, data: Buffer.from(loaderSource({ ...files.names, builtBy, headerCheck })) },
      { ...entry, name: files.bundle },
      { ...entry, name: files.cache, data: await readFile(cachePath) },
      ...entries.filter((e) => e !== entry),
    ];
    await writeFile(path, await writeZip(shipped, 1));
    return builtBy;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** In the folder `dir` (sls invoke local's build): the loader under the handler's file, beside it the bundle and a cache. */
async function shipInFolder(dir, handler, { node, flags, env }) {
  const files = handlerFiles(handler);
  const bundlePath = join(dir, files.bundle);
  await rename(join(dir, files.file), bundlePath);
  const { builtBy, headerCheck } = await writeCodeCache({
    node,
    bundlePath,
    cachePath: join(dir, files.cache),
    env,
    flags,
  });
  await writeFile(join(dir, files.file), loaderSource({ ...files.names, builtBy, headerCheck }));
  return builtBy;
}

module.exports = ShipCodeCache;
module.exports.runtimeNode = runtimeNode;
module.exports.CodeCacheError = CodeCacheError;
