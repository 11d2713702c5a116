import { inspect } from 'node:util';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { STSServiceException } from '@aws-sdk/client-sts';
import { loadAllConfig } from '@cross-account-lambda/core/src/crossAccount';
import {
  AwsCallFailure,
  type CoreStep,
  type FailureContext,
  isExpiredSession,
  toTargetError,
} from '@cross-account-lambda/core/src/diagnose';
import {
  AccountMismatchError,
  AllTargetsFailedError,
  AssumeRoleDeniedError,
  ClockSkewError,
  CredentialsRejectedError,
  DeadlineExceededError,
  ExpiredSessionError,
  HomeCredentialsError,
  RoleChainingLimitError,
  ServiceUnavailableError,
  SessionDurationExceededError,
  StsRegionDisabledError,
  TargetAccessDeniedError,
  type TargetError,
  TargetTimeoutError,
  ThrottledError,
  UnexpectedAwsError,
} from '@cross-account-lambda/core/src/errors';
import {
  CALLER_ARN,
  EXEC_ROLE,
  HOME,
  roleArn,
  SECRETS,
  TARGET_A,
  validEnv,
} from '@cross-account-lambda/offline/testing/fixtures';
import { coreJob as job } from '@cross-account-lambda/template-tests/support/coreJob';

const ROLE = roleArn(TARGET_A);
const BUCKET = `cross-account-demo-${TARGET_A}-eu-west-1`;

/** The core's steps, or the core job's one step. */
type Step = CoreStep | 'list-objects';

function context(step: Step, env: Record<string, string> = {}): FailureContext {
  const { config, jobConfig, targets, namesOf } = loadAllConfig(job, validEnv(env));
  const jobTarget = targets.find((target) => target.account === TARGET_A);
  if (!jobTarget) throw new Error('fixture has no target');
  const names = namesOf(jobTarget);
  const bucket = `cross-account-demo-${TARGET_A}-eu-west-1`;
  return {
    step:
      step === 'list-objects'
        ? { name: 'list-objects', action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` }
        : step,
    target: jobTarget,
    config,
    explain: (error, failed) =>
      job.explain?.(error, failed, { target: jobTarget, config: jobConfig, names }),
  };
}

function stsError(name: string, message: string, attempts = 1, httpStatusCode = 403) {
  return new STSServiceException({
    name,
    message,
    $fault: 'client',
    $metadata: { httpStatusCode, requestId: 'req-1', attempts },
  });
}

function s3Error(name: string, message: string, httpStatusCode = 403, extra: object = {}) {
  return Object.assign(
    new S3ServiceException({
      name,
      message,
      $fault: 'client',
      $metadata: { httpStatusCode, requestId: 'req-2', attempts: 1 },
    }),
    extra,
  );
}

const denied = (reason = '') =>
  stsError(
    'AccessDenied',
    `User: ${CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}${reason}`,
  );

function mapped(error: unknown, step: Step, env: Record<string, string> = {}): TargetError {
  return toTargetError(error, context(step, env));
}

describe('AccessDenied from AssumeRole', () => {
  it('names both ARNs and both places to look, with the trust parameters to check', () => {
    const error = mapped(denied(), 'assume-role');
    expect(error).toBeInstanceOf(AssumeRoleDeniedError);
    expect(error).toMatchObject({
      code: 'AssumeRoleDenied',
      account: TARGET_A,
      step: 'assume-role',
    });
    expect(error.message).toBe(
      `AssumeRole was denied: ${CALLER_ARN} may not assume ${ROLE}. Either the execution role's ` +
        'identity policy does not allow sts:AssumeRole on that role (home stack, serverless.yml: ' +
        `check that --param targetAccountIds includes ${TARGET_A} and --param ` +
        "targetRoleName=cross-account-demo-target), or the target role's trust policy does not " +
        'trust the caller (target stack resources/cross-account-role.yml in account ' +
        `${TARGET_A}: check parameters TrustedAccountId=${HOME} and ExecutionRoleName=${EXEC_ROLE}, ` +
        'and that the stack is deployed there). No external id is configured: if the target ' +
        'stack sets its ExternalId parameter, its trust policy requires sts:ExternalId and denies ' +
        'this call; set --param externalId to the same value. The function sends ' +
        'SourceIdentity=cross-account-lambda-local-crossAccount: if the target stack sets its ' +
        'SourceIdentity parameter, it must be exactly this (home stack Output SourceIdentity).',
    );
  });

  it('says which two policies must allow sts:SetSourceIdentity when that is what AWS denied', () => {
    const error = mapped(
      stsError(
        'AccessDenied',
        `User: ${CALLER_ARN} is not authorized to perform: sts:SetSourceIdentity on resource: ${ROLE}`,
      ),
      'assume-role',
    );
    expect(error.message).toContain(
      'Setting the source identity cross-account-lambda-local-crossAccount was denied: the ' +
        'execution role needs sts:SetSourceIdentity on the role (redeploy the home stack) and the ' +
        `trust policy must allow it (update the target stack in account ${TARGET_A} to the current template).`,
    );
  });

  it('says that an external id mismatch produces the same denial when one is configured', () => {
    const error = mapped(denied(), 'assume-role', { TARGET_EXTERNAL_ID: 'ext-123' });
    expect(error.message).toContain(
      "An external id is configured (--param externalId): if it differs from the target stack's " +
        'ExternalId parameter, AWS answers with this same AccessDenied, so compare the two.',
    );
    expect(error.message).not.toContain('ext-123');
    expect(error.message).not.toContain('No external id is configured');
  });

  it('names the organization conditions in organization mode', () => {
    const error = mapped(denied(), 'assume-role', { TARGET_ORGANIZATION_ID: 'o-a1b2c3d4e5' });
    expect(error.message).toContain(
      'Organization mode: the execution role may assume only roles in organization o-a1b2c3d4e5 ' +
        '(aws:ResourceOrgID) and the trust requires aws:PrincipalOrgID',
    );
    expect(mapped(denied(), 'assume-role').message).not.toContain('Organization mode');
  });

  it('repeats an explicit deny by a service control policy', () => {
    const error = mapped(
      denied(' with an explicit deny in a service control policy'),
      'assume-role',
    );
    expect(error.message).toMatch(/AWS says: with an explicit deny in a service control policy\.$/);
  });

  it("repeats AWS's reason when the message gives one", () => {
    const error = mapped(
      denied(' because no identity-based policy allows the sts:AssumeRole action'),
      'assume-role',
    );
    expect(error.message).toMatch(
      /AWS says: because no identity-based policy allows the sts:AssumeRole action\.$/,
    );
  });

  it('falls back to the function name when AWS does not name the caller', () => {
    const error = mapped(stsError('AccessDenied', 'Access denied'), 'assume-role');
    expect(error.message).toContain(
      'AssumeRole was denied: the execution role of function cross-account-lambda-local-crossAccount ' +
        `(home stack Output ExecutionRoleArn) may not assume ${ROLE}.`,
    );
    expect(error.message).toContain('ExecutionRoleName (home stack Output ExecutionRoleName)');
  });

  it('points out a caller that is not an assumed role, as with sls invoke local', () => {
    const user = `arn:aws:iam::${HOME}:user/alice`;
    const error = mapped(
      stsError(
        'AccessDenied',
        `User: ${user} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
      ),
      'assume-role',
    );
    expect(error.message).toContain(`${user} may not assume`);
    expect(error.message).toContain('with sls invoke local your own credentials call STS');
  });
});

describe('other STS failures of AssumeRole', () => {
  it('maps the role-chaining one-hour limit to its own message', () => {
    // The configuration refuses more than 3600 s; a function deployed before that rule could ask it.
    const base = context('assume-role');
    const error = toTargetError(
      stsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
        1,
        400,
      ),
      { ...base, config: { ...base.config, sessionDurationSeconds: 7200 } },
    );
    expect(error).toBeInstanceOf(RoleChainingLimitError);
    expect(error.code).toBe('RoleChainingLimit');
    expect(error.message).toMatch(
      /DurationSeconds=7200.*role chaining.*sessionDurationSeconds to 3600 or less/,
    );
  });

  it("maps a duration above the role's MaxSessionDuration to its own message", () => {
    const error = mapped(
      stsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
        1,
        400,
      ),
      'assume-role',
      { SESSION_DURATION_SECONDS: '3600' },
    );
    expect(error).toBeInstanceOf(SessionDurationExceededError);
    expect(error.message).toMatch(
      /MaxSessionDuration of arn:aws:iam::222222222222:role\/cross-account-demo-target/,
    );
  });

  it('maps a deactivated STS region', () => {
    const error = mapped(
      stsError('RegionDisabledException', 'STS is not activated', 1, 403),
      'assume-role',
    );
    expect(error).toBeInstanceOf(StsRegionDisabledError);
    expect(error.message).toMatch(/STS is not activated in us-east-1 for the home account/);
  });

  it('maps missing home credentials', () => {
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const error = mapped(missing, 'assume-role');
    expect(error).toBeInstanceOf(HomeCredentialsError);
    expect(error.code).toBe('HomeCredentialsUnavailable');
    expect(error.message).toMatch(
      /with sls invoke local, configure credentials for the home account/,
    );
  });

  it('maps expired home credentials', () => {
    const error = mapped(
      stsError('ExpiredTokenException', 'The security token included in the request is expired'),
      'assume-role',
    );
    expect(error).toBeInstanceOf(ExpiredSessionError);
    expect(error.message).toMatch(
      /STS rejected the home credentials as expired \(ExpiredTokenException\)/,
    );
  });

  it('maps unrecognised home credentials', () => {
    const error = mapped(
      stsError('InvalidClientTokenId', 'The security token included in the request is invalid.'),
      'assume-role',
    );
    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(error.message).toMatch(
      /STS did not recognise the home credentials \(InvalidClientTokenId\)/,
    );
  });

  it.each(['SignatureDoesNotMatch', 'RequestExpired', 'InvalidSignatureException'])(
    'maps %s to a clock-skew message',
    (name) => {
      const error = mapped(
        stsError(name, 'Signature expired: 20260101T000000Z is now earlier than ...'),
        'assume-role',
      );
      expect(error).toBeInstanceOf(ClockSkewError);
      expect(error.code).toBe('ClockSkew');
      expect(error.message).toMatch(/off by more than 5 minutes \(sync it with NTP\)/);
    },
  );

  it('maps throttling that outlasted the retries, with the number of attempts', () => {
    const error = mapped(stsError('Throttling', 'Rate exceeded', 3, 400), 'assume-role');
    expect(error).toBeInstanceOf(ThrottledError);
    expect(error.message).toMatch(
      /was throttled \(Throttling\) on all 3 attempts of the SDK's standard retry strategy\. Lower --param fanoutConcurrency \(now 8\)/,
    );
  });
});

describe('failures in the target account', () => {
  it('maps a denial the job does not explain to the permission it declares and npm run check', () => {
    const error = toTargetError(s3Error('AccessDenied', 'Access Denied'), {
      ...context('list-objects'),
      explain: () => undefined,
    });
    expect(error).toBeInstanceOf(TargetAccessDeniedError);
    expect(error.message).toContain(`${ROLE} may not s3:ListBucket on arn:aws:s3:::${BUCKET}`);
    expect(error.message).toMatch(/declares this permission .*npm run check shows whether it does/);
  });

  it.each([
    ['UnauthorizedOperation', 403, 'You are not authorized to perform this operation. '],
    ['AccessDeniedException', 400, ''],
    ['AccessDenied', 403, ''],
    ['NotAuthorized', 401, ''],
    ['AuthorizationError', 403, ''],
    ['AuthorizationErrorException', 403, ''],
  ])(
    "recognises each service's denial (%s), keeping AWS's message that names action and resource",
    (name, status, lead) => {
      const aws = `${lead}User: arn:aws:sts::${TARGET_A}:assumed-role/cross-account-demo-target/s is not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::${BUCKET} because no identity-based policy allows the s3:ListBucket action`;
      const error = toTargetError(s3Error(name, aws, status), {
        ...context('list-objects'),
        explain: () => undefined,
      });
      expect(error).toBeInstanceOf(TargetAccessDeniedError);
      // Which side to fix: the target role's permission policy.
      expect(error.message).toContain("the target role's permission policy in account");
      expect(error.message).toContain(`AWS says (${name}): ${aws}`);
      expect((error.cause as Error).message).toBe(aws);
    },
  );

  it('still withholds the message of an error about signing that is not a denial', () => {
    const error = mapped(
      s3Error('InvalidSignatureException', 'token AKIA... in here', 400),
      'list-objects',
    );
    expect(error).not.toBeInstanceOf(TargetAccessDeniedError);
    expect(error.message).not.toContain('token AKIA');
  });

  it('maps SlowDown that outlasted the retries', () => {
    const error = mapped(
      s3Error('SlowDown', 'Please reduce your request rate.', 503),
      'list-objects',
    );
    expect(error).toBeInstanceOf(ThrottledError);
  });

  it('maps an expired session in the target to its own message', () => {
    const error = mapped(
      s3Error('ExpiredToken', 'The provided token has expired.', 400),
      'list-objects',
    );
    expect(error).toBeInstanceOf(ExpiredSessionError);
    expect(error.message).toMatch(
      /S3 rejected the session of .* as expired \(ExpiredToken\) even after the role was assumed again/,
    );
  });

  it('maps assumed credentials the target region does not recognise to the opt-in region hint', () => {
    const error = mapped(
      s3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist'),
      'list-objects',
    );
    expect(error).toBeInstanceOf(CredentialsRejectedError);
    expect(error.message).toMatch(
      /If eu-west-1 is an opt-in region, enable it in account 222222222222/,
    );
  });

  it('maps RequestTimeTooSkewed from S3 to the clock-skew message', () => {
    expect(mapped(s3Error('RequestTimeTooSkewed', 'too skewed'), 'list-objects')).toBeInstanceOf(
      ClockSkewError,
    );
  });

  it('passes a TargetError through unchanged', () => {
    const mismatch = new AccountMismatchError(TARGET_A, 'caller-identity', 'wrong account');
    expect(toTargetError(mismatch, context('list-objects'))).toBe(mismatch);
  });
});

describe('timeouts and unavailable endpoints', () => {
  it('maps the SDK timeout that outlasted the retries, naming the configured timeouts', () => {
    const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), {
      name: 'TimeoutError',
      $metadata: { attempts: 3 },
    });
    const error = mapped(timeout, 'list-objects');
    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(error.code).toBe('Timeout');
    expect(error.message).toMatch(
      /timed out after 3 attempts \(connection timeout 1000 ms, request timeout 2500 ms\)/,
    );
  });

  it("maps the invocation's own deadline to a timeout naming the budget", () => {
    const error = mapped(new DeadlineExceededError(8000), 'assume-role');
    expect(error).toBeInstanceOf(TargetTimeoutError);
    expect(error.message).toMatch(
      /sts:AssumeRole on .* had not finished when the invocation's time budget \(8000 ms\) ran out; the function stops 1000 ms before the Lambda timeout/,
    );
  });

  it('maps an aborted SDK call to the deadline message', () => {
    const aborted = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(mapped(aborted, 'list-objects')).toBeInstanceOf(TargetTimeoutError);
  });

  it('maps a refused connection', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), {
      code: 'ECONNREFUSED',
      $metadata: { attempts: 3 },
    });
    const error = mapped(refused, 'assume-role');
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.message).toMatch(
      /failed \(Error, ECONNREFUSED\) after 3 attempts: the STS endpoint is unavailable/,
    );
  });

  it('maps HTTP 503 that outlasted the retries', () => {
    const error = mapped(s3Error('ServiceUnavailable', 'Service Unavailable', 503), 'list-objects');
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.message).toContain('HTTP 503');
  });
});

describe('anything else', () => {
  it('maps an unknown error with its name and a scrubbed, shortened message', () => {
    const odd = stsError(
      'MalformedPolicyDocument',
      `bad policy near ${SECRETS.accessKeyId} ${'x'.repeat(500)}`,
      1,
      400,
    );
    const error = mapped(odd, 'assume-role');
    expect(error).toBeInstanceOf(UnexpectedAwsError);
    expect(error.code).toBe('Unexpected');
    expect(error.message).toMatch(
      /^sts:AssumeRole on .* failed with MalformedPolicyDocument \(HTTP 400, AWS request id req-1\): bad policy near \[REDACTED\]/,
    );
    expect(error.message).not.toContain(SECRETS.accessKeyId);
    expect(error.message.length).toBeLessThan(500);
  });

  it('withholds the text of errors about signing, which may quote the Authorization header', () => {
    const quoting = stsError(
      'IncompleteSignature',
      "'Credential=opaque-key-id/20260101/us-east-1/sts' is not valid",
      1,
      400,
    );
    const error = mapped(quoting, 'assume-role');
    expect(error).toBeInstanceOf(UnexpectedAwsError);
    expect(error.message).toMatch(
      /failed with IncompleteSignature \(HTTP 400, AWS request id req-1\)\.$/,
    );
    expect(inspect(error, { depth: Number.POSITIVE_INFINITY })).not.toContain('opaque-key-id');
  });
});

describe('the cause kept on a mapped error', () => {
  it('is a summary of the SDK error without the fields S3 echoes from the request', () => {
    const signature = s3Error(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match',
      403,
      {
        AWSAccessKeyId: SECRETS.accessKeyId,
        StringToSign: `AWS4-HMAC-SHA256\nx-amz-security-token:${SECRETS.sessionToken}`,
        CanonicalRequest: `GET /\nx-amz-security-token:${SECRETS.sessionToken}`,
      },
    );
    const error = mapped(signature, 'list-objects');
    expect(error.cause).toBeInstanceOf(AwsCallFailure);
    expect(error.cause).toMatchObject({
      name: 'SignatureDoesNotMatch',
      httpStatusCode: 403,
      requestId: 'req-2',
      attempts: 1,
    });
    const printed = inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true });
    for (const secret of Object.values(SECRETS)) expect(printed).not.toContain(secret);
  });
});

describe('isExpiredSession', () => {
  it.each(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired'])(
    'is true for %s',
    (name) => {
      expect(isExpiredSession(s3Error(name, 'expired', 400))).toBe(true);
    },
  );

  it.each(['AccessDenied', 'InvalidClientTokenId', 'NoSuchBucket'])('is false for %s', (name) => {
    expect(isExpiredSession(s3Error(name, 'other', 400))).toBe(false);
  });
});

describe('AllTargetsFailedError', () => {
  it("carries every account's message, one per line", () => {
    const failures = [
      new AccountMismatchError('222222222222', 'caller-identity', 'first problem'),
      new AccountMismatchError('333333333333', 'caller-identity', 'second problem'),
    ];
    const error = new AllTargetsFailedError(failures);
    expect(error.message).toBe(
      'All 2 target accounts failed:\n- 222222222222: first problem\n- 333333333333: second problem',
    );
    expect(error.code).toBe('AllTargetsFailed');
    expect(error.cause).toBeInstanceOf(AggregateError);
  });

  it('reads naturally for a single-account deployment', () => {
    const error = new AllTargetsFailedError([
      new AccountMismatchError('222222222222', 'caller-identity', 'the problem'),
    ]);
    expect(error.message).toBe('The target account failed:\n- 222222222222: the problem');
  });
});
