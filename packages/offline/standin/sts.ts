// STS over the query protocol: AssumeRole and GetCallerIdentity, decided by the evaluator.
import type { Decision } from '../iam';
// The same id the evaluator puts in aws:userid, so GetCallerIdentity's UserId matches it.
import { uniqueIdOf } from '../iam';
import { stsError } from './awsErrors';
import type { StandInContext } from './context';
import { type CredentialRecord, type Principal, sessionArn } from './credentialStore';
import { type RequestIds, stsResult, type WireResponse } from './response';
import { el } from './xml';

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;
const MIN_DURATION = 900;
const MAX_DURATION = 43200;
const DEFAULT_DURATION = 3600;
/** STS caps a session assumed with another assumed-role session's credentials at one hour. */
const ROLE_CHAINING_LIMIT = 3600;
const DEFAULT_MAX_SESSION_DURATION = 3600;

const KNOWN_UNSUPPORTED = new Set([
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'AssumeRoot',
  'DecodeAuthorizationMessage',
  'GetAccessKeyInfo',
  'GetFederationToken',
  'GetSessionToken',
]);

/** Parameters whose effect (session policies, tags, MFA...) the policy model does not cover. */
const UNMODELLED_PARAMETERS = [
  'Policy',
  'PolicyArns.member.1.arn',
  'Tags.member.1.Key',
  'TransitiveTagKeys.member.1',
  'SerialNumber',
  'TokenCode',
  'ProvidedContexts.member.1.ProviderArn',
];

export async function handleSts(
  action: string,
  form: Readonly<Record<string, string>>,
  signer: CredentialRecord,
  context: StandInContext,
  ids: RequestIds,
): Promise<WireResponse> {
  switch (action) {
    case 'AssumeRole':
      return assumeRole(form, signer, context, ids);
    case 'GetCallerIdentity':
      // Needs no permission: any valid credentials may ask who they are.
      return getCallerIdentity(signer.principal, ids);
    default:
      throw KNOWN_UNSUPPORTED.has(action)
        ? stsError.notImplemented(`The offline stand-in does not implement sts:${action}.`)
        : stsError.invalidAction(action);
  }
}

function getCallerIdentity(principal: Principal, ids: RequestIds): WireResponse {
  return stsResult(
    'GetCallerIdentity',
    [
      el('Arn', principal.caller.arn),
      el('UserId', `${principal.roleId}:${principal.sessionName}`),
      el('Account', principal.caller.accountId),
    ],
    ids,
  );
}

interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly roleAccount: string;
  readonly roleName: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly externalId: string | undefined;
  readonly sourceIdentity: string | undefined;
}

/** Input validation as STS does it, before any authorization. */
function parseAssumeRole(form: Readonly<Record<string, string>>): AssumeRoleRequest {
  const { RoleArn, RoleSessionName, DurationSeconds, ExternalId, SourceIdentity } = form;
  if (RoleArn === undefined) throw constraint('null', 'roleArn', 'Member must not be null');
  const arn = ROLE_ARN.exec(RoleArn);
  if (!arn?.[1] || !arn[2]) {
    throw stsError.validation(
      `${RoleArn} is invalid: RoleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
    );
  }
  if (RoleSessionName === undefined) {
    throw constraint('null', 'roleSessionName', 'Member must not be null');
  }
  if (!SESSION_NAME.test(RoleSessionName)) {
    throw constraint(
      RoleSessionName,
      'roleSessionName',
      'Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  }
  let durationSeconds = DEFAULT_DURATION;
  if (DurationSeconds !== undefined) {
    durationSeconds = Number(DurationSeconds);
    if (!/^\d+$/.test(DurationSeconds) || durationSeconds < MIN_DURATION) {
      throw constraint(
        DurationSeconds,
        'durationSeconds',
        `Member must have value greater than or equal to ${MIN_DURATION}`,
      );
    }
    if (durationSeconds > MAX_DURATION) {
      throw constraint(
        DurationSeconds,
        'durationSeconds',
        `Member must have value less than or equal to ${MAX_DURATION}`,
      );
    }
  }
  if (ExternalId !== undefined && !EXTERNAL_ID.test(ExternalId)) {
    // The value is the caller's shared secret; STS does not echo it and neither does the stand-in.
    throw constraint(
      '***',
      'externalId',
      'Member must have length between 2 and 1224 and satisfy regular expression pattern: [\\w+=,.@:/-]*',
    );
  }
  if (
    SourceIdentity !== undefined &&
    (!SOURCE_IDENTITY.test(SourceIdentity) || /^aws:/i.test(SourceIdentity))
  ) {
    throw constraint(
      SourceIdentity,
      'sourceIdentity',
      'Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  }
  const unmodelled = UNMODELLED_PARAMETERS.find((name) => form[name] !== undefined);
  if (unmodelled) {
    throw stsError.notImplemented(
      `The offline stand-in does not model AssumeRole parameter ${unmodelled.split('.')[0]}; the policy model has no way to evaluate it.`,
    );
  }
  return {
    roleArn: RoleArn,
    roleAccount: arn[1],
    roleName: arn[2],
    sessionName: RoleSessionName,
    durationSeconds,
    externalId: ExternalId,
    sourceIdentity: SourceIdentity,
  };
}

function constraint(value: string, member: string, rule: string) {
  return stsError.validation(
    `1 validation error detected: Value ${value === 'null' ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${rule}`,
  );
}

async function assumeRole(
  form: Readonly<Record<string, string>>,
  signer: CredentialRecord,
  context: StandInContext,
  ids: RequestIds,
): Promise<WireResponse> {
  const request = parseAssumeRole(form);
  const { model, stats } = context;
  const { caller } = signer.principal;
  stats.assumeRoleCall(request.roleAccount);

  const denied = (decision: Decision) =>
    stsError.accessDenied(
      `User: ${caller.arn} is not authorized to perform: ${decision.action ?? 'sts:AssumeRole'} on resource: ${request.roleArn}${denialReason(decision)}`,
    );
  // The evaluator also answers for a role that does not exist (no target stack): denied, with the
  // same words as any other denial, since STS does not reveal whether a role exists elsewhere.
  const decision = await context.decisions.assumeRole(caller, request.roleArn, {
    externalId: request.externalId,
    sessionName: request.sessionName,
    sourceIdentity: request.sourceIdentity,
  });
  // The roles that exist: the target stacks', and the Organizations reader's (discovery).
  const reader = model.organizationsReader;
  const target =
    model.targets.find((candidate) => candidate.roleArn === request.roleArn) ??
    (reader?.roleArn === request.roleArn ? reader : undefined);
  if (!decision.allowed || !target) throw denied(decision);

  if (signer.principal.isAssumedRoleSession && request.durationSeconds > ROLE_CHAINING_LIMIT) {
    throw stsError.validation(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  const maxSession = Number(target.parameters.MaxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION);
  if (request.durationSeconds > maxSession) {
    throw stsError.validation(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }

  const roleId = uniqueIdOf(request.roleArn);
  const principal: Principal = {
    caller: {
      arn: sessionArn(request.roleAccount, target.roleName, request.sessionName),
      accountId: request.roleAccount,
      roleArn: request.roleArn,
      // orgId left out: the evaluator takes the account's organization from the model.
    },
    roleName: target.roleName,
    sessionName: request.sessionName,
    roleId,
    isAssumedRoleSession: true,
  };
  const lifetimeSeconds = context.credentialLifetimeSeconds ?? request.durationSeconds;
  const issued = context.credentials.issue(principal, context.clock.now(), lifetimeSeconds * 1000);
  stats.credentialsIssued(caller.arn, request.roleArn);

  return stsResult(
    'AssumeRole',
    [
      el(
        'AssumedRoleUser',
        el('Arn', principal.caller.arn),
        el('AssumedRoleId', `${roleId}:${request.sessionName}`),
      ),
      ...(request.sourceIdentity === undefined
        ? []
        : [el('SourceIdentity', request.sourceIdentity)]),
      el(
        'Credentials',
        el('AccessKeyId', issued.accessKeyId),
        el('SecretAccessKey', issued.secretAccessKey),
        el('SessionToken', issued.sessionToken),
        el('Expiration', isoSeconds(issued.expiresAt ?? 0)),
      ),
    ],
    ids,
  );
}

/**
 * AWS says why only when the caller's own account decided: the target account's trust policy
 * is not disclosed to the caller.
 */
function denialReason(decision: Decision): string {
  if (decision.decidedBy !== 'execution-role') return '';
  return decision.explicitDeny
    ? ' with an explicit deny in an identity-based policy'
    : ` because no identity-based policy allows the ${decision.action ?? 'sts:AssumeRole'} action`;
}

function isoSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
