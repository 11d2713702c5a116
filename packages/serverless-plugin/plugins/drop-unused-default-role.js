// The framework always compiles a shared default role (IamRoleLambdaExecution). Every function here
// has its own role from serverless-iam-roles-per-function, so the shared one would be an unused
// role with log permissions. Drop it when nothing references it. Listed after that plugin in
// serverless.yml so its `before:package:finalize` hook runs first.

const DEFAULT_ROLE = 'IamRoleLambdaExecution';

function references(value, logicalId) {
  if (value === logicalId) return true;
  if (Array.isArray(value)) return value.some((v) => references(v, logicalId));
  if (value && typeof value === 'object') {
    return Object.values(value).some((v) => references(v, logicalId));
  }
  return false;
}

class DropUnusedDefaultRole {
  constructor(serverless) {
    this.hooks = {
      'before:package:finalize': () => {
        const template = serverless.service.provider.compiledCloudFormationTemplate;
        const { [DEFAULT_ROLE]: role, ...others } = template.Resources;
        if (!role) return;
        const inUse =
          references(others, DEFAULT_ROLE) || references(template.Outputs ?? {}, DEFAULT_ROLE);
        if (!inUse) delete template.Resources[DEFAULT_ROLE];
      },
    };
  }
}

module.exports = DropUnusedDefaultRole;
