// Counters for tests and the benchmark: what was called, what was issued, what went wrong.
import type { Service } from './awsErrors';
import type { FaultKind } from './faults';

export interface StandInStats {
  calls: {
    total: number;
    sts: number;
    s3: number;
    /** By signing name, every service (sts, s3, dynamodb, ...). */
    byService: Record<string, number>;
    /** By `service:Action`, e.g. `sts:AssumeRole`, `s3:ListObjectsV2`. */
    byAction: Record<string, number>;
  };
  assumeRole: {
    calls: number;
    succeeded: number;
    /** AssumeRole calls by the account of the requested role. */
    byAccount: Record<string, number>;
  };
  /** Organizations listings the stand-in answered (authorised), by the ParentId listed. */
  organizations: { calls: number; byParent: Record<string, number> };
  credentialsIssued: number;
  /** Credentials issued to a caller that already held credentials for the same role. */
  refreshes: number;
  /** Requests correctly signed with issued credentials past their expiry (answered ExpiredToken). */
  expiredCredentialRequests: number;
  /** Requests signed with revoked credentials (answered ExpiredToken). */
  revokedCredentialRequests: number;
  /** AWS error answers by code, injected ones included. */
  errors: Record<string, number>;
  /** Calls of the job that its declared permissions do not cover, by IAM action. */
  undeclared: Record<string, number>;
  /** Why a denied call was decided on another ARN than the one it named (a secret's suffix), by text. */
  notes: Record<string, number>;
  faultsInjected: { total: number } & Record<FaultKind | 'clockSkew', number>;
  /**
   * Time the stand-in spent answering AWS requests (injected delays excluded), so a benchmark can
   * tell the caller's own overhead from the stand-in's.
   */
  busy: { totalMs: number; maxMs: number };
}

function emptyStats(): StandInStats {
  return {
    calls: { total: 0, sts: 0, s3: 0, byService: {}, byAction: {} },
    assumeRole: { calls: 0, succeeded: 0, byAccount: {} },
    organizations: { calls: 0, byParent: {} },
    credentialsIssued: 0,
    refreshes: 0,
    expiredCredentialRequests: 0,
    revokedCredentialRequests: 0,
    errors: {},
    undeclared: {},
    notes: {},
    faultsInjected: {
      total: 0,
      throttle: 0,
      unavailable: 0,
      delay: 0,
      drop: 0,
      expiredToken: 0,
      clockSkew: 0,
    },
    busy: { totalMs: 0, maxMs: 0 },
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export class StatsRecorder {
  private stats = emptyStats();
  /** caller ARN + role ARN pairs that have been issued credentials, to recognise refreshes. */
  private readonly holders = new Set<string>();

  call(service: Service, action: string): void {
    this.stats.calls.total += 1;
    if (service === 'sts' || service === 's3') this.stats.calls[service] += 1;
    bump(this.stats.calls.byService, service);
    bump(this.stats.calls.byAction, `${service}:${action}`);
  }

  assumeRoleCall(roleAccount: string): void {
    this.stats.assumeRole.calls += 1;
    bump(this.stats.assumeRole.byAccount, roleAccount);
  }

  organizationsCall(parentId: string): void {
    this.stats.organizations.calls += 1;
    bump(this.stats.organizations.byParent, parentId);
  }

  credentialsIssued(callerArn: string, roleArn: string): void {
    this.stats.assumeRole.succeeded += 1;
    this.stats.credentialsIssued += 1;
    const holder = `${callerArn} ${roleArn}`;
    if (this.holders.has(holder)) this.stats.refreshes += 1;
    this.holders.add(holder);
  }

  expiredCredentials(): void {
    this.stats.expiredCredentialRequests += 1;
  }

  undeclaredCall(action: string): void {
    bump(this.stats.undeclared, action);
  }

  note(text: string): void {
    bump(this.stats.notes, text);
  }

  revokedCredentials(): void {
    this.stats.revokedCredentialRequests += 1;
  }

  error(code: string): void {
    bump(this.stats.errors, code);
  }

  fault(kind: FaultKind | 'clockSkew'): void {
    this.stats.faultsInjected.total += 1;
    this.stats.faultsInjected[kind] += 1;
  }

  busyFor(ms: number): void {
    this.stats.busy.totalMs += ms;
    this.stats.busy.maxMs = Math.max(this.stats.busy.maxMs, ms);
  }

  /** A copy: callers may keep it while the stand-in goes on counting. */
  snapshot(): StandInStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = emptyStats();
    this.holders.clear();
  }
}
