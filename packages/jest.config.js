// The kit's suites: each package's tests/, the template's own (packages/template-tests) and the
// examples' (npm run test:kit; CI runs it after the service's npm test).
require('@cross-account-lambda/offline/lambdaNode').requireLambdaNode();

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testTimeout: 30000,
  // Every line the suite prints is captured, scanned for credentials by the reporter (the run
  // fails on a find) and counted into the reliability figures printed at the end.
  setupFilesAfterEnv: ['<rootDir>/packages/template-tests/support/captureRun.ts'],
  reporters: ['default', '<rootDir>/packages/template-tests/support/reliabilityReporter.js'],
};
