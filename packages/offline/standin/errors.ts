/** A problem starting, configuring or controlling the stand-in itself (not an AWS answer). */
export class StandInError extends Error {
  override name = 'StandInError';
}

/** A control-endpoint request or fault rule that does not make sense; answered with HTTP 400. */
export class FaultSpecError extends StandInError {
  override name = 'FaultSpecError';
}
