// Child of code-cache.js, run by the function's Node with Lambda's code-affecting flags: compiles
// the bundle as the loader does, runs it (and with a warm-up event, its handler once), then writes
// V8's code cache of everything compiled so far.
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

async function main() {
  const { bundlePath, cachePath, head, tail, warmUp, mark } = JSON.parse(
    process.env.XACCT_CODE_CACHE,
  );
  delete process.env.XACCT_CODE_CACHE;
  const script = new Script(head + readFileSync(bundlePath, 'utf8') + tail, {
    filename: bundlePath,
  });
  const loaded = { exports: {} };
  script.runInThisContext()(
    loaded.exports,
    createRequire(bundlePath),
    loaded,
    bundlePath,
    dirname(bundlePath),
  );
  if (warmUp) {
    const handler = loaded.exports[warmUp.export];
    const deadline = Date.now() + warmUp.timeoutMs;
    try {
      await handler(warmUp.event, {
        awsRequestId: 'code-cache-warm-up',
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      });
    } catch {
      // A failed warm-up still compiled what it ran; the cache is as good as what ran.
    }
  }
  writeFileSync(cachePath, script.createCachedData());
  process.stdout.write(
    `\n${mark}${process.version} ${process.platform}-${process.arch} (V8 ${process.versions.v8})\n`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
