// serverless-esbuild zips each artefact from a copy it makes in the temporary directory
// (`<service>-<pid>-<time>-<random>`) and means to remove it afterwards, but its clean-up removes
// the folder without `recursive`, which fails on a non-empty folder and is ignored, so every
// `sls package` / `sls deploy` left one behind. This removes the folders this process made,
// once packaging is done (or has failed), and nothing else: the pid in the name is this one's.
const { readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

class RemoveZipTempFolder {
  constructor(serverless) {
    const remove = () => {
      const service = serverless.service.service;
      const mine = new RegExp(
        `^${service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${process.pid}-\\d+-[0-9a-f]{8}$`,
      );
      let names;
      try {
        names = readdirSync(tmpdir());
      } catch {
        return;
      }
      for (const name of names) {
        if (mine.test(name)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
    };
    this.hooks = {
      'after:package:createDeploymentArtifacts': remove,
      'after:package:finalize': remove,
      'after:deploy:function:packageFunction': remove,
    };
    process.once('exit', remove);
  }
}

module.exports = RemoveZipTempFolder;
