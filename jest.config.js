// The service's own tests: the job's, beside it, and the service's in tests/. Lambda's Node only
// (serverless.yml provider.runtime), from the lock file: see @cross-account-lambda/offline.
require('@cross-account-lambda/offline/lambdaNode').requireLambdaNode();

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/job', '<rootDir>/tests'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // The kit's packages are TypeScript sources, installed (or linked) under node_modules.
  transformIgnorePatterns: ['/node_modules/(?!@cross-account-lambda/)'],
  testTimeout: 60000,
};
