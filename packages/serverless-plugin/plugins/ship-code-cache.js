// With `--param codeCache=true`: the artefact carries the function's V8 code cache (code-cache.js).
// The bundle the handler names becomes <name>.bundle.js, the cache <name>.cache beside it, and the
// handler's own file the loader that runs one with the other. The cache is written by the Node the
// function runs on (the lock's node-<platform>-<arch> of provider.runtime's major version) after
// one warm-up invocation, so that the functions a first invocation compiles are in it too.
const { mkdtemp, readFile, rm, writeFile } = require('node:fs/promises');
const { existsSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { isAbsolute, join } = require('node:path');
const { loaderSource, writeCodeCache } = require('../code-cache');
const { readZip, writeZip } = require('./recompress-artifact');

/**
 * The Node binary of the runtime's major version: the lock's, else this one if it is that major.
 * (@cross-account-lambda/offline's lambdaNode.js finds the same package for the tools; this plugin
 * is installed to deploy and must not depend on the dev-only offline package.)
 */
function runtimeNode(root, runtime) {
  const major = /^nodejs(\d+)\.x$/.exec(runtime ?? '')?.[1];
  const name = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const manifest = join(root, 'node_modules', name, 'package.json');
  if (existsSync(manifest)) {
    const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
    const binary = join(root, 'node_modules', name, 'bin', 'node');
    if (String(version).split('.')[0] === major && existsSync(binary)) return binary;
  }
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  return undefined;
}

class ShipCodeCache {
  constructor(serverless) {
    const run = async () => {
      const service = serverless.service;
      if (service.custom?.params?.codeCache !== true) return;
      const root = serverless.serviceDir ?? process.cwd();
      const node = runtimeNode(root, service.provider.runtime);
      if (!node) {
        serverless.cli?.log?.(
          `codeCache: no Node ${service.provider.runtime} in node_modules: the artefact ships without a code cache (the function compiles its bundle)`,
        );
        return;
      }
      for (const name of service.getAllFunctions()) {
        const fn = service.getFunction(name);
        const artefact = fn.package?.artifact ?? service.package?.artifact;
        if (typeof artefact !== 'string' || !artefact.endsWith('.zip')) continue;
        const path = isAbsolute(artefact) ? artefact : join(root, artefact);
        // The function's environment as serverless.yml resolves it (the template is not compiled yet).
        const env = { ...service.provider.environment, ...fn.environment };
        await shipWith(path, fn.handler, node, {
          ...Object.fromEntries(
            Object.entries(env).filter(([, value]) => typeof value === 'string'),
          ),
          AWS_REGION: service.provider.region,
          AWS_LAMBDA_FUNCTION_NAME: fn.name,
        });
      }
    };
    this.hooks = { 'after:package:createDeploymentArtifacts': run };
  }
}

/** Rewrites the zip at `path`: the loader under the handler's file, the bundle and its cache beside. */
async function shipWith(path, handler, node, env) {
  const dot = handler.lastIndexOf('.');
  const file = `${handler.slice(0, dot)}.js`;
  const base = file.slice(file.lastIndexOf('/') + 1, -'.js'.length);
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  const entries = await readZip(await readFile(path));
  const entry = entries.find((e) => e.name === file);
  if (!entry) throw new Error(`codeCache: ${path} has no ${file}, the file the handler names`);
  const work = await mkdtemp(join(tmpdir(), 'xacct-code-cache-'));
  try {
    const bundlePath = join(work, `${base}.bundle.js`);
    const cachePath = join(work, `${base}.cache`);
    await writeFile(bundlePath, entry.data);
    await writeCodeCache({
      node,
      bundlePath,
      cachePath,
      // An invocation whose calls are refused at once, on this machine: what it runs is compiled.
      warmUp: { export: handler.slice(dot + 1), event: {}, timeoutMs: 3000 },
      env: {
        ...env,
        AWS_ACCESS_KEY_ID: 'AKIAWARMUPONLY000000',
        AWS_SECRET_ACCESS_KEY: 'warm-up-only-not-a-secret',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_MAX_ATTEMPTS: '1',
      },
    });
    const names = { bundle: `${base}.bundle.js`, cache: `${base}.cache` };
    const rest = entries.filter((e) => e !== entry);
    const shipped = [
      { ...entry, data: Buffer.from(loaderSource(names)) },
      { ...entry, name: `${dir}${names.bundle}` },
      { ...entry, name: `${dir}${names.cache}`, data: await readFile(cachePath) },
      ...rest,
    ];
    await writeFile(path, await writeZip(shipped, 1));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

module.exports = ShipCodeCache;
module.exports.runtimeNode = runtimeNode;
