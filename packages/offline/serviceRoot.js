// The service the offline tools work on: the nearest folder, from the working directory up, that
// holds a serverless.yml. npm runs every script in the service's own folder, so the tools, the
// tests and a copy made by the tools each find their own service, wherever the kit is installed.
// Plain CommonJS: jest.config.js loads it (through lambdaNode.js) before any transform exists.
const { existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

/** The folder of the nearest serverless.yml at or above `from`. */
function findServiceRoot(from = process.cwd()) {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'serverless.yml'))) return dir;
    if (dirname(dir) === dir) {
      throw new Error(
        `No serverless.yml in ${resolve(from)} or any folder above it: run the command from the service's folder (where serverless.yml is).`,
      );
    }
  }
}

module.exports = { findServiceRoot };
