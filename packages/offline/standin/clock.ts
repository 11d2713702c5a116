// The stand-in's own clock. A skew makes it disagree with the caller's clock, which is how AWS
// sees a client whose clock is wrong: signatures are rejected as expired or not yet current.

export interface ClockSkew {
  /** The stand-in's clock runs this many seconds ahead (negative: behind) of the real one. */
  readonly seconds: number;
  /**
   * True (the default, as AWS does): the Date header and S3's ServerTime report the stand-in's
   * skewed time, so the SDK can measure the offset and correct its own clock. False hides the
   * offset, so the failure persists and the caller sees the error.
   */
  readonly revealServerTime: boolean;
}

export class StandInClock {
  private skew: ClockSkew = { seconds: 0, revealServerTime: true };

  now(): number {
    return Date.now() + this.skew.seconds * 1000;
  }

  /** What the Date header says; the real time when the skew is hidden. */
  reportedNow(): number {
    return this.skew.revealServerTime ? this.now() : Date.now();
  }

  get current(): ClockSkew {
    return this.skew;
  }

  set(skew: ClockSkew): void {
    this.skew = skew;
  }
}
