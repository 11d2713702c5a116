// For a job's own tests: placeholder accounts and environments, a Lambda context, assumed-role
// credentials for a mocked STS, and the capture of what the function logs.
export {
  assumedCredentials,
  bucketOf,
  CALLER_ARN,
  captureOutput,
  EXEC_ROLE,
  HOME,
  lambdaContext,
  logRecords,
  roleArn,
  SECRETS,
  type Secrets,
  TARGET_A,
  TARGET_B,
  TARGET_C,
  validEnv,
} from './fixtures';
