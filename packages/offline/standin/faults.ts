// Fault switches: make any service (STS, S3, DynamoDB, ...) misbehave for the next N matching
// calls, the way real endpoints do under load or in an outage, so tests can show what the function
// does about it.
import type { Service } from './awsErrors';
import { FaultSpecError } from './errors';

export const FAULT_KINDS = ['throttle', 'unavailable', 'delay', 'drop', 'expiredToken'] as const;
/**
 * - throttle: STS `Throttling` (HTTP 400) / S3 `SlowDown` (HTTP 503) / JSON services
 *   `ThrottlingException` (HTTP 400)
 * - unavailable: a bare HTTP 503 with an empty body, as a load balancer in trouble sends
 * - delay: hold the request `delayMs` before answering it (longer than a client timeout = hung)
 * - drop: destroy the connection without an answer
 * - expiredToken: `ExpiredToken` for credentials the stand-in issued although still inside their
 *   lifetime (a revoked session); only requests signed with issued credentials match
 */
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  readonly kind: FaultKind;
  /** The service's signing name: sts, s3, dynamodb, sqs, ... */
  readonly service: Service;
  /** Only this operation, e.g. AssumeRole, GetCallerIdentity, ListObjectsV2, GetObject, Query. */
  readonly action?: string;
  /**
   * Only calls about this account: the account of the role AssumeRole asks for, otherwise the
   * account of the session that signed the request.
   */
  readonly account?: string;
  /** How many matching calls it hits (default 1); ignored when `always` is set. */
  readonly count?: number;
  /** Hits every matching call until the faults are cleared. */
  readonly always?: boolean;
  /** For `delay`: milliseconds to wait before the request is processed. */
  readonly delayMs?: number;
}

export interface PendingFault extends FaultRule {
  readonly id: number;
  /** Calls still to hit; null when `always`. */
  readonly remaining: number | null;
  readonly injected: number;
}

export interface CallFacts {
  readonly service: Service;
  readonly action: string;
  readonly account: string | undefined;
}

/** Faults that act on the transport, before the request is authenticated. */
const TRANSPORT_KINDS: ReadonlySet<FaultKind> = new Set([
  'throttle',
  'unavailable',
  'delay',
  'drop',
]);

const MAX_DELAY_MS = 10 * 60 * 1000;
const MAX_COUNT = 1_000_000;

interface MutableFault extends FaultRule {
  id: number;
  remaining: number | null;
  injected: number;
}

export class FaultSwitchboard {
  private faults: MutableFault[] = [];
  private nextId = 1;

  /** Adds rules (validated first: none is added when one is wrong). */
  add(rules: readonly unknown[]): PendingFault[] {
    const parsed = rules.map((rule, index) => parseFaultRule(rule, `faults[${index}]`));
    const added = parsed.map((rule) => ({
      ...rule,
      id: this.nextId++,
      remaining: rule.always ? null : (rule.count ?? 1),
      injected: 0,
    }));
    this.faults.push(...added);
    return added.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.faults = [];
  }

  list(): PendingFault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** The first pending transport fault matching this call, consumed by one. */
  takeTransportFault(call: CallFacts): PendingFault | undefined {
    return this.take(call, (kind) => TRANSPORT_KINDS.has(kind));
  }

  /** A pending `expiredToken` fault for a call signed with issued credentials, consumed by one. */
  takeSessionFault(call: CallFacts): PendingFault | undefined {
    return this.take(call, (kind) => kind === 'expiredToken');
  }

  private take(
    call: CallFacts,
    kindMatches: (kind: FaultKind) => boolean,
  ): PendingFault | undefined {
    const fault = this.faults.find(
      (candidate) =>
        kindMatches(candidate.kind) &&
        candidate.service === call.service &&
        (candidate.action === undefined || candidate.action === call.action) &&
        (candidate.account === undefined || candidate.account === call.account),
    );
    if (!fault) return undefined;
    fault.injected += 1;
    if (fault.remaining !== null) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults = this.faults.filter((other) => other !== fault);
    }
    return { ...fault };
  }
}

/** Validates one rule from JSON (the control endpoint, STANDIN_FAULTS) or code. */
export function parseFaultRule(input: unknown, where = 'fault'): FaultRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultSpecError(`${where} must be an object like {"kind":"throttle","service":"sts"}`);
  }
  const rule = input as Record<string, unknown>;
  const known = new Set(['kind', 'service', 'action', 'account', 'count', 'always', 'delayMs']);
  const unknown = Object.keys(rule).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new FaultSpecError(
      `${where} has unknown field(s) ${unknown.join(', ')}; allowed: ${[...known].join(', ')}`,
    );
  }
  const { kind, service, action, account, count, always, delayMs } = rule;
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new FaultSpecError(`${where}.kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  if (typeof service !== 'string' || !/^[a-z0-9-]{2,64}$/.test(service)) {
    throw new FaultSpecError(
      `${where}.service must be a service's signing name in lower case, e.g. "sts", "s3" or "dynamodb"`,
    );
  }
  if (action !== undefined && (typeof action !== 'string' || !/^[A-Za-z0-9]{1,64}$/.test(action))) {
    throw new FaultSpecError(
      `${where}.action must be an operation name such as AssumeRole or ListObjectsV2`,
    );
  }
  if (account !== undefined && (typeof account !== 'string' || !/^\d{12}$/.test(account))) {
    throw new FaultSpecError(`${where}.account must be a 12-digit account id`);
  }
  if (
    count !== undefined &&
    (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_COUNT)
  ) {
    throw new FaultSpecError(`${where}.count must be an integer from 1 to ${MAX_COUNT}`);
  }
  if (always !== undefined && typeof always !== 'boolean') {
    throw new FaultSpecError(`${where}.always must be true or false`);
  }
  if (kind === 'delay') {
    if (
      typeof delayMs !== 'number' ||
      !Number.isInteger(delayMs) ||
      delayMs < 0 ||
      delayMs > MAX_DELAY_MS
    ) {
      throw new FaultSpecError(
        `${where}.delayMs must be an integer from 0 to ${MAX_DELAY_MS} for kind "delay"`,
      );
    }
  } else if (delayMs !== undefined) {
    throw new FaultSpecError(`${where}.delayMs applies to kind "delay" only`);
  }
  return {
    kind: kind as FaultKind,
    service,
    ...(action === undefined ? {} : { action: action as string }),
    ...(account === undefined ? {} : { account: account as string }),
    ...(count === undefined ? {} : { count: count as number }),
    ...(always === undefined ? {} : { always: always as boolean }),
    ...(delayMs === undefined ? {} : { delayMs: delayMs as number }),
  };
}
