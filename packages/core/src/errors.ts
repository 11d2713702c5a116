// The errors this function raises on purpose. Each has a stable `code` (what the response
// carries) and a message that says what to change; src/diagnose.ts decides which one an AWS
// failure becomes.
/** Base of every error this function raises on purpose; `code` is what the response carries. */
export abstract class CrossAccountError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class ConfigError extends CrossAccountError {
  readonly code = 'ConfigError';

  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

export class EventValidationError extends CrossAccountError {
  readonly code = 'EventValidationError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The invocation's own time budget ran out; raised by the deadline, not by the SDK. */
export class DeadlineExceededError extends CrossAccountError {
  readonly code = 'DeadlineExceeded';

  constructor(readonly budgetMs: number) {
    super(`the invocation's time budget of ${budgetMs} ms ran out`);
  }
}

/** `assume-role`, or the name of a job's step (JobStep.name). */
export type Step = string;

/** A failure of one target account; reported for that account without failing the others. */
export abstract class TargetError extends CrossAccountError {
  constructor(
    readonly account: string,
    readonly step: Step,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class AssumeRoleDeniedError extends TargetError {
  readonly code = 'AssumeRoleDenied';
}
export class RoleChainingLimitError extends TargetError {
  readonly code = 'RoleChainingLimit';
}
export class SessionDurationExceededError extends TargetError {
  readonly code = 'SessionDurationExceeded';
}
export class StsRegionDisabledError extends TargetError {
  readonly code = 'StsRegionDisabled';
}
export class HomeCredentialsError extends TargetError {
  readonly code = 'HomeCredentialsUnavailable';
}
export class ExpiredSessionError extends TargetError {
  readonly code = 'ExpiredToken';
}
export class CredentialsRejectedError extends TargetError {
  readonly code = 'CredentialsRejected';
}
export class ClockSkewError extends TargetError {
  readonly code = 'ClockSkew';
}
export class TargetAccessDeniedError extends TargetError {
  readonly code = 'TargetAccessDenied';
}
export class AccountMismatchError extends TargetError {
  readonly code = 'AccountMismatch';
}
export class ThrottledError extends TargetError {
  readonly code = 'Throttled';
}
export class TargetTimeoutError extends TargetError {
  readonly code = 'Timeout';
}
export class ServiceUnavailableError extends TargetError {
  readonly code = 'ServiceUnavailable';
}
export class UnexpectedAwsError extends TargetError {
  readonly code = 'Unexpected';
}

/** A failure of a job's step, as the job explains it (Job.explain): the job names the code. */
export class JobStepError extends TargetError {
  constructor(
    readonly code: string,
    account: string,
    step: Step,
    message: string,
    options?: ErrorOptions,
  ) {
    super(account, step, message, options);
  }
}

/** Every target failed: the invocation fails, carrying each account's actionable message. */
export class AllTargetsFailedError extends CrossAccountError {
  readonly code = 'AllTargetsFailed';

  /** `regions`, indexed like `failures`, when the fan-out covers more than one region. */
  constructor(
    readonly failures: readonly TargetError[],
    regions?: readonly string[],
  ) {
    super(
      `${failures.length === 1 ? 'The target account' : `All ${failures.length} target accounts`} failed:\n${failures
        .map(
          (failure, i) =>
            `- ${failure.account}${regions ? ` ${regions[i]}` : ''}: ${failure.message}`,
        )
        .join('\n')}`,
      { cause: new AggregateError(failures) },
    );
  }
}
