// serverless-esbuild zips the artefact with archiver's defaults, and archiver's zip writer
// (compress-commons) then deflates at zlib level 1, best speed. The function's code is uploaded once
// and fetched and unpacked on every cold start, so this writes the same entries again at level 9:
// the same names, contents, dates and modes, fewer bytes. Runs once packaging is done, for the
// service's artefact and each function's own (package.individually, `sls deploy function`).
const { readFile, writeFile } = require('node:fs/promises');
const { isAbsolute, join } = require('node:path');
const archiver = require('archiver');
const yauzl = require('yauzl');

const LEVEL = 9;

/** Every file entry of a zip: name, contents, date and mode, in the zip's order. */
async function readZip(buffer) {
  const zip = await yauzl.fromBufferPromise(buffer, { lazyEntries: true });
  const entries = [];
  await new Promise((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', async (entry) => {
      try {
        if (!entry.fileName.endsWith('/')) {
          const chunks = [];
          for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk);
          entries.push({
            name: entry.fileName,
            data: Buffer.concat(chunks),
            date: entry.getLastModDate(),
            mode: entry.externalFileAttributes >>> 16 || undefined,
          });
        }
        zip.readEntry();
      } catch (error) {
        reject(error);
      }
    });
    zip.readEntry();
  });
  return entries;
}

/** A zip of `entries`, written as serverless-esbuild writes one, deflated at `level`. */
async function writeZip(entries, level = LEVEL) {
  const archive = archiver('zip', { zlib: { level } });
  const chunks = [];
  archive.on('data', (chunk) => chunks.push(chunk));
  const ended = new Promise((resolve, reject) => {
    archive.on('end', resolve);
    archive.on('error', reject);
  });
  for (const { name, data, date, mode } of entries) archive.append(data, { name, date, mode });
  await archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** Rewrites the zip at `path` at `level`, when that makes it smaller. */
async function recompress(path, level = LEVEL) {
  const before = await readFile(path);
  const after = await writeZip(await readZip(before), level);
  if (after.length < before.length) await writeFile(path, after);
  return { before: before.length, after: Math.min(after.length, before.length) };
}

class RecompressArtifact {
  constructor(serverless) {
    const run = async () => {
      const service = serverless.service;
      const paths = [service.package?.artifact];
      for (const name of service.getAllFunctions()) {
        paths.push(service.getFunction(name).package?.artifact);
      }
      const root = serverless.serviceDir ?? process.cwd();
      for (const path of new Set(paths.filter((path) => typeof path === 'string'))) {
        if (path.endsWith('.zip')) await recompress(isAbsolute(path) ? path : join(root, path));
      }
    };
    this.hooks = {
      'after:package:createDeploymentArtifacts': run,
      'after:deploy:function:packageFunction': run,
    };
  }
}

module.exports = RecompressArtifact;
module.exports.readZip = readZip;
module.exports.writeZip = writeZip;
module.exports.recompress = recompress;
