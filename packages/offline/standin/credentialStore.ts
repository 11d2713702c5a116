// Which access key stands for which principal, and for how long. The home key is fixed; every
// AssumeRole issues a fresh random key, secret and session token with a real expiry.
import { randomBytes } from 'node:crypto';
import type { Caller } from '../iam';
import type { HomeCredentials } from './homeCredentials';

export interface Principal {
  readonly caller: Caller;
  readonly roleName: string;
  readonly sessionName: string;
  /** AROA...: the unique id of the role, as in GetCallerIdentity's UserId. */
  readonly roleId: string;
  /** True for the home session: any AssumeRole it makes is role chaining. */
  readonly isAssumedRoleSession: boolean;
}

export interface CredentialRecord {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
  readonly principal: Principal;
  readonly kind: 'home' | 'issued';
  readonly issuedAt: number;
  /** Epoch ms; undefined for the home key, which does not expire. */
  readonly expiresAt: number | undefined;
}

export class CredentialStore {
  private readonly records = new Map<string, CredentialRecord>();
  /** Sessions issued at or before this instant are revoked (AWSRevokeOlderSessions). */
  private revokedUpTo = Number.NEGATIVE_INFINITY;

  constructor(
    home: HomeCredentials,
    readonly homePrincipal: Principal,
  ) {
    this.records.set(home.accessKeyId, {
      accessKeyId: home.accessKeyId,
      secretAccessKey: home.secretAccessKey,
      sessionToken: home.sessionToken,
      principal: homePrincipal,
      kind: 'home',
      issuedAt: 0,
      expiresAt: undefined,
    });
  }

  lookup(accessKeyId: string): CredentialRecord | undefined {
    return this.records.get(accessKeyId);
  }

  issue(principal: Principal, issuedAt: number, lifetimeMs: number): CredentialRecord {
    const record: CredentialRecord = {
      accessKeyId: `ASIA${randomBase32(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      // Real STS tokens start with the base64 of their serialisation header ("IQoJorigin"), which is
      // how src/redact.ts knows a token it was never told about; the stand-in's tokens do too.
      sessionToken: `${SESSION_TOKEN_PREFIX}${randomBytes(120).toString('base64')}`,
      principal,
      kind: 'issued',
      issuedAt,
      // Whole seconds, as the Expiration on the wire says: the stand-in enforces what it announced.
      expiresAt: Math.floor((issuedAt + lifetimeMs) / 1000) * 1000,
    };
    this.records.set(record.accessKeyId, record);
    return record;
  }

  revokeSessionsIssuedUpTo(instant: number): void {
    this.revokedUpTo = Math.max(this.revokedUpTo, instant);
  }

  isRevoked(record: CredentialRecord): boolean {
    return record.kind === 'issued' && record.issuedAt <= this.revokedUpTo;
  }
}

/** base64 of "IQoJorigin": the first characters of every session token STS issues today. */
export const SESSION_TOKEN_PREFIX = 'IQoJb3JpZ2lu';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomBase32(length: number): string {
  return [...randomBytes(length)].map((byte) => BASE32[byte % 32]).join('');
}

/** arn:aws:sts::<account>:assumed-role/<role>/<session> */
export function sessionArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

/** Access key ids in logs: enough to tell keys apart, never the whole id. */
export function maskAccessKeyId(accessKeyId: string): string {
  return accessKeyId.length <= 8 ? '****' : `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;
}
