// The environment a benchmark process runs the handler in: what Lambda would set for the function
// (its variables from the synthesised template, region, name, the execution role's credentials
// in env vars), pointed at the stand-in on 127.0.0.1, and nothing from the developer's shell.
import { join } from 'node:path';
import type { StandIn } from '@cross-account-lambda/offline/standin';
import type { CfnTemplate } from '@cross-account-lambda/offline/synth';

const FUNCTION_RESOURCE = 'CrossAccountLambdaFunction';
export const REGION = 'us-east-1';
export const DEPLOYED_FUNCTION_NAME = 'cross-account-lambda-local-crossAccount';

export function functionEnvironment(template: CfnTemplate): Record<string, string> {
  const properties = template.Resources[FUNCTION_RESOURCE]?.Properties as
    | { Environment?: { Variables?: Record<string, unknown> } }
    | undefined;
  const variables = properties?.Environment?.Variables;
  if (!variables) throw new Error(`the template has no environment for ${FUNCTION_RESOURCE}`);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value !== 'string') {
      throw new Error(`${name} is not a plain string in the template: ${JSON.stringify(value)}`);
    }
    env[name] = value;
  }
  return env;
}

export function lambdaEnvironment(
  functionEnv: Readonly<Record<string, string>>,
  standIn: Pick<StandIn, 'url' | 'homeCredentials'>,
  workDir: string,
): Record<string, string> {
  const { homeCredentials } = standIn;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...functionEnv,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_LAMBDA_FUNCTION_NAME: DEPLOYED_FUNCTION_NAME,
    AWS_ACCESS_KEY_ID: homeCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: homeCredentials.secretAccessKey,
    ...(homeCredentials.sessionToken ? { AWS_SESSION_TOKEN: homeCredentials.sessionToken } : {}),
    AWS_ENDPOINT_URL_STS: standIn.url,
    AWS_ENDPOINT_URL_S3: standIn.url,
    // Account discovery (the OU-mode fan-out); no other variant makes an Organizations call.
    AWS_ENDPOINT_URL_ORGANIZATIONS: standIn.url,
    // No ~/.aws files and no instance metadata: every variant sees the same, Lambda-like world.
    AWS_CONFIG_FILE: join(workDir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // Lambda runs Node 24; the SDK's notice for older versions would only add noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The function's memory (MB) as the template sets it: Lambda derives Node's heap flags from it. */
export function memorySize(template: CfnTemplate): number {
  const properties = template.Resources[FUNCTION_RESOURCE]?.Properties as
    | { MemorySize?: unknown }
    | undefined;
  const memory = Number(properties?.MemorySize);
  if (!Number.isInteger(memory))
    throw new Error(`the template sets no MemorySize for ${FUNCTION_RESOURCE}`);
  return memory;
}

/** The flags Lambda's Node bootstrap passes for that memory (code-cache.js of the plugin). */
export const lambdaNodeFlags = (
  require('@cross-account-lambda/serverless-plugin/code-cache') as {
    lambdaNodeFlags(memorySize: number): string[];
  }
).lambdaNodeFlags;
