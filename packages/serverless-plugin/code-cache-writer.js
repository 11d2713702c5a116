// Child of code-cache.js, run by the function's Node with Lambda's code-affecting flags: compiles
// the bundle as the loader does, runs it (and with a warm-up event, its handler once), then writes
// V8's code cache of everything compiled so far.
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

async function main() {
  const { bundlePath, cachePath, head, tail, warmUp, mark, header } = JSON.parse(
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
  const cache = script.createCachedData();
  writeFileSync(cachePath, cache);
  // The header layout the loader relies on: a one-line script's cache, from this process, agrees
  // with the bundle's where V8 keeps its build and flags, and differs where it keeps the source's.
  const own = new Script('0').createCachedData();
  const part = (buffer, [from, to]) => buffer.subarray(from, to);
  const layoutHolds =
    header.same.every((range) => part(own, range).equals(part(cache, range))) &&
    !part(own, header.source).equals(part(cache, header.source));
  process.stdout.write(
    `\n${mark}${process.version} ${process.platform}-${process.arch} (V8 ${process.versions.v8})${layoutHolds ? ' | header-check' : ''}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
