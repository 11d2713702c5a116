// The Serverless Framework plugin of a cross-account service (serverless.yml: plugins:). List it
// after serverless-iam-roles-per-function: its `before:package:finalize` hook must run after that
// plugin has given each function its own role.
const DropUnusedDefaultRole = require('./plugins/drop-unused-default-role');
const RecompressArtifact = require('./plugins/recompress-artifact');
const RemoveZipTempFolder = require('./plugins/remove-zip-temp-folder');
const ShipCodeCache = require('./plugins/ship-code-cache');

// In this order on a shared hook: the code cache joins the artefact before it is recompressed.
const PARTS = [DropUnusedDefaultRole, ShipCodeCache, RecompressArtifact, RemoveZipTempFolder];

class CrossAccountPlugin {
  constructor(serverless, options) {
    this.hooks = {};
    for (const Part of PARTS) {
      for (const [event, hook] of Object.entries(new Part(serverless, options).hooks)) {
        const before = this.hooks[event];
        this.hooks[event] = before
          ? async () => {
              await before();
              return hook();
            }
          : hook;
      }
    }
  }
}

module.exports = CrossAccountPlugin;
