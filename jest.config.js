// Refuses to run on any Node but Lambda's (serverless.yml provider.runtime): see the file.
require('@cross-account-lambda/offline/lambdaNode').requireLambdaNode();

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // The project's tests, and each job's own beside it (they go away with the job).
  roots: ['<rootDir>/tests', '<rootDir>/job', '<rootDir>/examples'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  // Every line the suite prints is captured, scanned for credentials by the reporter (the run
  // fails on a find) and counted into the reliability figures printed at the end.
  setupFilesAfterEnv: ['<rootDir>/tests/support/captureRun.ts'],
  reporters: ['default', '<rootDir>/tests/support/reliabilityReporter.js'],
};
