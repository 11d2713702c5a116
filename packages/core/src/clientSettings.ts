import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Pluggable } from '@smithy/types';
import type { Logger } from './logger';

// The Lambda timeout is 10 s. One attempt may take CONNECTION_TIMEOUT_MS + REQUEST_TIMEOUT_MS;
// three of them plus back-off can exceed what is left, which is why every invocation also carries
// a deadline (SAFETY_MARGIN_MS before Lambda's own) that turns a hang into a clear error.
export const RETRY_MODE = 'standard';
export const MAX_ATTEMPTS = 3;
export const CONNECTION_TIMEOUT_MS = 1000;
export const REQUEST_TIMEOUT_MS = 2500;
export const SAFETY_MARGIN_MS = 1000;

export interface ClientSettings {
  readonly region: string;
  readonly maxAttempts: number;
  readonly retryMode: string;
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    readonly throwOnRequestTimeout: boolean;
    readonly httpAgent: HttpAgent;
    readonly httpsAgent: HttpsAgent;
  };
}

// The SDK's own defaults (keep-alive, 50 sockets per host), but one pool for every client in the
// container instead of one per client: STS and the job's services are the same few regional hosts
// for every target account, so a new account's clients reuse warm connections (and TLS sessions)
// rather than each opening its own. Created on first use so that nothing here runs before the first client.
let agents: { readonly http: HttpAgent; readonly https: HttpsAgent } | undefined;
function sharedAgents() {
  agents ??= {
    http: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
  };
  return agents;
}

/**
 * Retry and timeout settings shared by every client, including the home STS client that calls
 * AssumeRole. Endpoints are deliberately absent: the SDK reads
 * AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_S3 itself, so offline runs need no switch here.
 */
export function clientSettings(region: string): ClientSettings {
  return {
    region,
    maxAttempts: MAX_ATTEMPTS,
    retryMode: RETRY_MODE,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Without this the handler only warns when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      httpAgent: sharedAgents().http,
      httpsAgent: sharedAgents().https,
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a plugin for clients of any service.
type AnyPluggable = Pluggable<any, any>;
// The slice of the SDK's finalizeRequest middleware signature this middleware relies on.
type AttemptArgs = { request: unknown; input: unknown };
type AttemptHandler = (args: AttemptArgs) => Promise<{ output: unknown; response: unknown }>;

const ATTEMPT_HEADER = 'amz-sdk-request';

/**
 * Makes the SDK's own retries visible: one log line per failed attempt and per retry. It sits
 * inside the retry middleware so it sees every attempt, and logs names and status codes only,
 * never the request (its headers carry the signature and the session token).
 */
export function retryLogging(logger: Logger, client: string): AnyPluggable {
  return {
    applyToStack(stack) {
      stack.addRelativeTo(
        (next: AttemptHandler, context: { commandName?: string }) => async (args: AttemptArgs) => {
          const attempt = attemptOf(args.request);
          const fields = { client, operation: context.commandName, ...attempt };
          if (attempt.attempt !== undefined && attempt.attempt > 1) {
            logger.warn('retrying AWS call', fields);
          }
          try {
            return await next(args);
          } catch (error) {
            logger.warn('AWS call attempt failed', { ...fields, ...failureOf(error) });
            throw error;
          }
        },
        {
          name: 'crossAccountRetryLogging',
          relation: 'after',
          toMiddleware: 'retryMiddleware',
          // Applied once per client; override keeps a second application from stacking.
          override: true,
        },
      );
    },
  };
}

function attemptOf(request: unknown): { attempt?: number; maxAttempts?: number } {
  const headers = (request as { headers?: Record<string, string> } | undefined)?.headers;
  const match = /attempt=(\d+); max=(\d+)/.exec(headers?.[ATTEMPT_HEADER] ?? '');
  return match ? { attempt: Number(match[1]), maxAttempts: Number(match[2]) } : {};
}

function failureOf(error: unknown): Record<string, unknown> {
  const shape = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  return {
    errorName: typeof shape?.name === 'string' ? shape.name : 'unknown',
    errorCode: typeof shape?.code === 'string' ? shape.code : undefined,
    httpStatusCode: shape?.$metadata?.httpStatusCode,
  };
}
