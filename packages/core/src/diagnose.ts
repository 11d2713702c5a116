// Turns what an AWS call threw into the TargetError that tells the user what to change, and keeps
// only a scrubbed summary of the SDK error as its cause (SDK errors can carry credentials).
import {
  CONNECTION_TIMEOUT_MS,
  MAX_ATTEMPTS,
  REQUEST_TIMEOUT_MS,
  RETRY_MODE,
  SAFETY_MARGIN_MS,
} from './clientSettings';
import type { Config, TargetSpec } from './config';
import {
  AssumeRoleDeniedError,
  ClockSkewError,
  CredentialsRejectedError,
  DeadlineExceededError,
  ExpiredSessionError,
  HomeCredentialsError,
  JobStepError,
  RoleChainingLimitError,
  ServiceUnavailableError,
  SessionDurationExceededError,
  StsRegionDisabledError,
  TargetAccessDeniedError,
  TargetError,
  TargetTimeoutError,
  ThrottledError,
  UnexpectedAwsError,
} from './errors';

import type { AwsErrorSummary, JobFailure, JobStep } from './job';
import { redactText } from './redact';

/**
 * What is kept of an SDK error as `cause`: its name, request metadata and, where safe, its message.
 * The SDK error itself carries response fields (S3 echoes AWSAccessKeyId and a StringToSign holding
 * the session token), so it is never attached to anything that may be logged or returned.
 */
export class AwsCallFailure extends Error {
  readonly httpStatusCode: number | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;

  constructor(source: AwsErrorShape) {
    super(
      awsText(source) ?? `${source.name} (message withheld: errors about signing may quote it)`,
    );
    this.name = source.name;
    this.httpStatusCode = source.httpStatusCode;
    this.requestId = source.requestId;
    this.attempts = source.attempts;
    this.stack = `${this.name}: ${this.message}`;
  }
}

interface AwsErrorShape {
  readonly name: string;
  readonly message: string;
  readonly nodeCode: string | undefined;
  readonly httpStatusCode: number | undefined;
  readonly requestId: string | undefined;
  readonly attempts: number | undefined;
}

function shapeOf(error: unknown): AwsErrorShape {
  const candidate = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  const metadata = (candidate.$metadata ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
  return {
    name: text(candidate.name) ?? 'Error',
    message: text(candidate.message) ?? String(error),
    nodeCode: text(candidate.code),
    httpStatusCode: number(metadata.httpStatusCode),
    requestId: text(metadata.requestId),
    attempts: number(metadata.attempts),
  };
}

// Errors about signatures, tokens and keys may quote the request's Authorization header or security
// token in their text (IncompleteSignature does); their messages are never copied anywhere.
const ABOUT_SIGNING = /sign|token|credential|auth|key|security/i;

/** AWS's own message, scrubbed and shortened, unless the error is one that may quote credentials. */
function awsText(shape: AwsErrorShape): string | undefined {
  if (ABOUT_SIGNING.test(shape.name) && !ACCESS_DENIED.includes(shape.name)) return undefined;
  return redactText(shape.message).slice(0, 300);
}

// Each service's code for an IAM denial: most say AccessDenied(Exception), NotAuthorized is in
// every service's Common Errors; EC2 says UnauthorizedOperation, SNS AuthorizationError (its SDK
// exception AuthorizationErrorException).
const ACCESS_DENIED = [
  'AccessDenied',
  'AccessDeniedException',
  'NotAuthorized',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
];
const EXPIRED_TOKEN = ['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired'];
const CREDENTIALS_REJECTED = [
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'InvalidToken',
  'UnrecognizedClientException',
];
const CLOCK_OR_SIGNATURE = [
  'SignatureDoesNotMatch',
  'RequestTimeTooSkewed',
  'RequestExpired',
  'RequestInTheFuture',
  'InvalidSignatureException',
];
const THROTTLING = [
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'PriorRequestNotComplete',
];
const TIMEOUT = ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'];
const NETWORK_CODES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
];

/** True for an error that a fresh AssumeRole can cure: the cached session was revoked or expired. */
export function isExpiredSession(error: unknown): boolean {
  return EXPIRED_TOKEN.includes(shapeOf(error).name);
}

export type FailureConfig = Pick<
  Config,
  | 'homeRegion'
  | 'functionName'
  | 'sourceIdentity'
  | 'roleName'
  | 'externalId'
  | 'organizationId'
  | 'sessionDurationSeconds'
  | 'fanoutConcurrency'
> & {
  /** The job's services as messages name them (S3, DynamoDB...), for endpoint and quota hints. */
  readonly jobServices: readonly string[];
};

/** The core's own steps; a job's steps are JobSteps (src/job.ts). */
export type CoreStep = 'assume-role';

export interface FailureContext {
  readonly step: CoreStep | JobStep;
  /** The account's role, and the region of the job's calls (a failed step names it). */
  readonly target: TargetSpec & { readonly region: string };
  readonly config: FailureConfig;
  /** The job's own reading of a failed job step, tried before the core's. */
  readonly explain?: (error: AwsErrorSummary, step: JobStep) => JobFailure | undefined;
  /** The target stack parameters this configuration needs (the job's targetStack). */
  readonly stackParameters?: Readonly<Record<string, string>>;
}

type TargetErrorClass = new (
  account: string,
  step: string,
  message: string,
  options?: ErrorOptions,
) => TargetError;

function stepName(step: CoreStep | JobStep): string {
  return typeof step === 'string' ? step : step.name;
}

/** Turns whatever a step threw into the TargetError that tells the user what to change. */
export function toTargetError(error: unknown, context: FailureContext): TargetError {
  if (error instanceof TargetError) return error;
  const { step, target } = context;
  const make = (Class: TargetErrorClass, message: string, cause: Error) =>
    new Class(target.account, stepName(step), message, { cause });

  if (error instanceof DeadlineExceededError) {
    return make(TargetTimeoutError, deadlineMessage(context, error.budgetMs), error);
  }
  const shape = shapeOf(error);
  const cause = new AwsCallFailure(shape);
  const { name } = shape;

  if (name === 'AbortError') {
    return make(TargetTimeoutError, deadlineMessage(context, undefined), cause);
  }
  if (typeof step !== 'string' && context.explain) {
    const summary = { name, message: shape.message, httpStatusCode: shape.httpStatusCode };
    const failure = context.explain(summary, step);
    if (failure) {
      return new JobStepError(failure.code, target.account, step.name, failure.message, { cause });
    }
  }
  if (ACCESS_DENIED.includes(name)) {
    return step === 'assume-role'
      ? make(AssumeRoleDeniedError, assumeRoleDeniedMessage(shape.message, context), cause)
      : make(
          TargetAccessDeniedError,
          `${targetDeniedMessage(step, target, context.stackParameters)} AWS says (${name}): ${cause.message}`,
          cause,
        );
  }
  if (name === 'ValidationError' && /role chaining|1 hour session limit/i.test(shape.message)) {
    return make(RoleChainingLimitError, roleChainingMessage(context), cause);
  }
  if (name === 'ValidationError' && /MaxSessionDuration/i.test(shape.message)) {
    return make(SessionDurationExceededError, maxSessionDurationMessage(context), cause);
  }
  if (name === 'RegionDisabledException') {
    return make(StsRegionDisabledError, regionDisabledMessage(context), cause);
  }
  if (name === 'CredentialsProviderError') {
    return make(HomeCredentialsError, homeCredentialsMessage(context), cause);
  }
  if (EXPIRED_TOKEN.includes(name)) {
    return make(ExpiredSessionError, expiredMessage(context, name), cause);
  }
  if (CREDENTIALS_REJECTED.includes(name)) {
    return make(CredentialsRejectedError, credentialsRejectedMessage(context, name), cause);
  }
  if (CLOCK_OR_SIGNATURE.includes(name)) {
    return make(ClockSkewError, clockSkewMessage(context, name), cause);
  }
  if (THROTTLING.includes(name) || shape.httpStatusCode === 429) {
    return make(ThrottledError, throttledMessage(context, shape), cause);
  }
  if (TIMEOUT.includes(name) || shape.nodeCode === 'ETIMEDOUT') {
    return make(TargetTimeoutError, timeoutMessage(context, shape), cause);
  }
  if (
    (shape.httpStatusCode !== undefined && shape.httpStatusCode >= 500) ||
    (shape.nodeCode !== undefined && NETWORK_CODES.includes(shape.nodeCode))
  ) {
    return make(ServiceUnavailableError, unavailableMessage(context, shape), cause);
  }
  return make(UnexpectedAwsError, unexpectedMessage(context, shape), cause);
}

function stepLabel({ step, target, config }: FailureContext): string {
  if (step === 'assume-role') {
    return `sts:AssumeRole on ${target.roleArn} (STS in ${config.homeRegion})`;
  }
  return `${step.action} on ${step.resource} (${serviceOf(step)} in ${target.region})`;
}

// How messages name a service, by the prefix of its IAM actions; unlisted ones are upper-cased.
const SERVICE_NAMES: Readonly<Record<string, string>> = {
  dynamodb: 'DynamoDB',
  events: 'EventBridge',
  secretsmanager: 'Secrets Manager',
  cloudformation: 'CloudFormation',
};

/** `S3` for s3:ListBucket, `DynamoDB` for dynamodb:Query. */
export function serviceName(action: string): string {
  const prefix = action.split(':')[0] ?? action;
  return SERVICE_NAMES[prefix] ?? prefix.toUpperCase();
}

function serviceOf(step: CoreStep | JobStep): string {
  return typeof step === 'string' ? 'STS' : serviceName(step.action);
}

function endpointHint(config: FailureConfig): string {
  const services = ['STS', ...config.jobServices.filter((service) => service !== 'STS')];
  const variables = services.map(
    (service) => `AWS_ENDPOINT_URL_${service.toUpperCase().replace(/\W/g, '_')}`,
  );
  return (
    `In a VPC the function needs a NAT gateway or VPC endpoints for ${services.join(' and ')}; ` +
    `offline, check that the stand-in answers at ${variables.join(' / ')}.`
  );
}

// AWS names the denied principal in the message ("User: arn:... is not authorized to perform ...").
const CALLER_ARN =
  /User: (arn:aws[a-z-]*:(?:sts|iam)::\d{12}:[\w+=,.@/-]{1,512}) is not authorized/;
const ASSUMED_ROLE = /^arn:aws[a-z-]*:sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\//;
// Newer AWS messages say why ("... because no identity-based policy allows the sts:AssumeRole
// action", "... with an explicit deny in a service control policy"). Only plain words are repeated,
// so nothing but AWS's fixed phrasing can come through.
const DENIAL_REASON = / ((?:because|with an explicit deny in) [\w\s:,'()/-]{1,300}?)\.?$/;

function assumeRoleDeniedMessage(awsMessage: string, context: FailureContext): string {
  const { target, config } = context;
  const callerArn = CALLER_ARN.exec(awsMessage)?.[1];
  const assumedRole = callerArn ? ASSUMED_ROLE.exec(callerArn) : null;
  const caller =
    callerArn ??
    `the execution role of function ${config.functionName} (home stack Output ExecutionRoleArn)`;
  const trustParameters = assumedRole
    ? `TrustedAccountId=${assumedRole[1]} and ExecutionRoleName=${assumedRole[2]}`
    : 'TrustedAccountId (the home account) and ExecutionRoleName (home stack Output ExecutionRoleName)';
  const parts = [
    `AssumeRole was denied: ${caller} may not assume ${target.roleArn}.`,
    "Either the execution role's identity policy does not allow sts:AssumeRole on that role " +
      `(home stack, serverless.yml: check that --param targetAccountIds includes ${target.account} ` +
      `and --param targetRoleName=${config.roleName}), or the target role's trust policy does not ` +
      `trust the caller (target stack resources/cross-account-role.yml in account ${target.account}: ` +
      `check parameters ${trustParameters}, and that the stack is deployed there).`,
  ];
  if (callerArn && !assumedRole) {
    parts.push(
      'The caller is not an assumed role: with sls invoke local your own credentials call STS, ' +
        'and the target trusts only the execution role.',
    );
  }
  parts.push(
    config.externalId === undefined
      ? 'No external id is configured: if the target stack sets its ExternalId parameter, its trust ' +
          'policy requires sts:ExternalId and denies this call; set --param externalId to the same value.'
      : "An external id is configured (--param externalId): if it differs from the target stack's " +
          'ExternalId parameter, AWS answers with this same AccessDenied, so compare the two.',
  );
  parts.push(
    /sts:SetSourceIdentity/.test(awsMessage)
      ? `Setting the source identity ${config.sourceIdentity} was denied: the execution role needs ` +
          'sts:SetSourceIdentity on the role (redeploy the home stack) and the trust policy must allow ' +
          `it (update the target stack in account ${target.account} to the current template).`
      : `The function sends SourceIdentity=${config.sourceIdentity}: if the target stack sets its ` +
          'SourceIdentity parameter, it must be exactly this (home stack Output SourceIdentity).',
  );
  if (config.organizationId !== undefined) {
    parts.push(
      `Organization mode: the execution role may assume only roles in organization ` +
        `${config.organizationId} (aws:ResourceOrgID) and the trust requires aws:PrincipalOrgID; ` +
        'check that both accounts belong to it (target stack OrganizationId parameter).',
    );
  }
  const reason = DENIAL_REASON.exec(awsMessage)?.[1];
  if (reason) parts.push(`AWS says: ${redactText(reason)}.`);
  return parts.join(' ');
}

function targetDeniedMessage(
  step: JobStep,
  target: TargetSpec,
  stackParameters: Readonly<Record<string, string>> = {},
): string {
  const given = Object.entries(stackParameters).map(([key, value]) => `${key}=${value}`);
  const deployed = given.length > 0 ? `, deployed with ${given.join(' ')}` : '';
  return (
    `${target.roleArn} may not ${step.action} on ${step.resource}. The job declares this ` +
    `permission (${step.name}); the target role's permission policy in account ` +
    `${target.account} (resources/cross-account-role.yml${deployed}) must grant it: npm run ` +
    'check shows whether it does. Check also any resource policy, SCP or RCP in the target account.'
  );
}

function roleChainingMessage({ config }: FailureContext): string {
  return (
    `STS refused DurationSeconds=${config.sessionDurationSeconds}: the function's own ` +
    'credentials are an assumed-role session, so this AssumeRole is role chaining, which STS ' +
    'limits to 1 hour. Set --param sessionDurationSeconds to 3600 or less.'
  );
}

function maxSessionDurationMessage({ target, config }: FailureContext): string {
  return (
    `STS refused DurationSeconds=${config.sessionDurationSeconds}: it exceeds the ` +
    `MaxSessionDuration of ${target.roleArn}. Set --param sessionDurationSeconds to at most the ` +
    "target stack's MaxSessionDuration parameter (default 3600), or raise that parameter."
  );
}

function regionDisabledMessage(context: FailureContext): string {
  const { step, target, config } = context;
  const [region, account] =
    step === 'assume-role'
      ? [config.homeRegion, 'the home account']
      : [target.region, `account ${target.account}`];
  return (
    `STS is not activated in ${region} for ${account} (${stepLabel(context)}). Activate the ` +
    "region's STS endpoint (IAM console, Account settings) or use a region where it is active."
  );
}

function homeCredentialsMessage({ target }: FailureContext): string {
  return (
    `No credentials of the home account were found to call sts:AssumeRole on ${target.roleArn}. ` +
    'In Lambda they come from the execution role; with sls invoke local, configure credentials ' +
    'for the home account (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).'
  );
}

function expiredMessage(context: FailureContext, name: string): string {
  if (context.step === 'assume-role') {
    return (
      `STS rejected the home credentials as expired (${name}) on ${stepLabel(context)}. In ` +
      'Lambda the next invocation gets fresh ones; with sls invoke local, renew your session ' +
      '(for example aws sso login).'
    );
  }
  return (
    `${serviceOf(context.step)} rejected the session of ${context.target.roleArn} as expired ` +
    `(${name}) even after the role was assumed again. Check that this machine's clock is right and ` +
    "whether the role's sessions are being revoked (AWSRevokeOlderSessions)."
  );
}

function credentialsRejectedMessage(context: FailureContext, name: string): string {
  const { step, target } = context;
  if (step === 'assume-role') {
    return (
      `STS did not recognise the home credentials (${name}) on ${stepLabel(context)}. With sls ` +
      'invoke local, check AWS_PROFILE and the access key; everywhere, check that ' +
      'AWS_ENDPOINT_URL_STS does not point at the wrong endpoint.'
    );
  }
  return (
    `${serviceOf(step)} in ${target.region} did not recognise the assumed-role credentials ` +
    `(${name}). If ${target.region} is an opt-in region, enable it in account ` +
    `${target.account}, or leave it out of --param targetRegions.`
  );
}

function clockSkewMessage(context: FailureContext, name: string): string {
  return (
    `${stepLabel(context)} was rejected with ${name}: the request's timestamp or signature did ` +
    'not match. The SDK corrects clock skew and retried; if this persists, the clock of this ' +
    'machine is off by more than 5 minutes (sync it with NTP), or the secret key does not belong ' +
    'to the access key in use (check AWS_PROFILE and the endpoint overrides).'
  );
}

function attemptsOf(shape: AwsErrorShape): string {
  const attempts = shape.attempts ?? MAX_ATTEMPTS;
  return `${attempts} attempt${attempts === 1 ? '' : 's'}`;
}

function throttledMessage(context: FailureContext, shape: AwsErrorShape): string {
  return (
    `${stepLabel(context)} was throttled (${shape.name}) on all ${attemptsOf(shape)} of the ` +
    `SDK's ${RETRY_MODE} retry strategy. Lower --param fanoutConcurrency (now ` +
    `${context.config.fanoutConcurrency}) or spread the invocations out; ` +
    `${['STS', ...context.config.jobServices].join(' and ')} request quotas apply per account and region.`
  );
}

function timeoutMessage(context: FailureContext, shape: AwsErrorShape): string {
  return (
    `${stepLabel(context)} timed out after ${attemptsOf(shape)} (connection timeout ` +
    `${CONNECTION_TIMEOUT_MS} ms, request timeout ${REQUEST_TIMEOUT_MS} ms): the endpoint is ` +
    `slow or unreachable. ${endpointHint(context.config)}`
  );
}

function deadlineMessage(context: FailureContext, budgetMs: number | undefined): string {
  const budget = budgetMs === undefined ? '' : ` (${budgetMs} ms)`;
  return (
    `${stepLabel(context)} had not finished when the invocation's time budget${budget} ran out; ` +
    `the function stops ${SAFETY_MARGIN_MS} ms before the Lambda timeout to answer. The endpoint ` +
    `is slow or unreachable. ${endpointHint(context.config)} If it is only slow, raise the function timeout.`
  );
}

function unavailableMessage(context: FailureContext, shape: AwsErrorShape): string {
  const what = [shape.name, shape.nodeCode, shape.httpStatusCode && `HTTP ${shape.httpStatusCode}`]
    .filter(Boolean)
    .join(', ');
  return (
    `${stepLabel(context)} failed (${what}) after ${attemptsOf(shape)}: the ` +
    `${serviceOf(context.step)} endpoint is unavailable or refused the connection. Retry later. ` +
    endpointHint(context.config)
  );
}

function unexpectedMessage(context: FailureContext, shape: AwsErrorShape): string {
  const name = redactText(shape.name).slice(0, 100);
  const meta = [
    shape.httpStatusCode && `HTTP ${shape.httpStatusCode}`,
    shape.requestId && `AWS request id ${redactText(shape.requestId).slice(0, 100)}`,
  ].filter(Boolean);
  const detail = awsText(shape);
  return (
    `${stepLabel(context)} failed with ${name}${meta.length > 0 ? ` (${meta.join(', ')})` : ''}` +
    (detail === undefined ? '.' : `: ${detail}`)
  );
}
