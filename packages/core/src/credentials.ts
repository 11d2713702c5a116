import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import {
  doesIdentityRequireRefresh,
  isIdentityExpired,
  memoizeIdentityProvider,
} from '@smithy/core';
import type { AwsCredentialIdentity } from '@smithy/types';
import { clientSettings, retryLogging } from './clientSettings';
import type { ClientFactory, SdkClientClass } from './job';
import type { Logger } from './logger';
import { rememberSecret } from './redact';

/** Who a credential is, as AssumeRole answered: the assumed-role ARN and its account. */
export interface AssumedRole {
  readonly arn: string;
  /** The account in `arn`; undefined if the answer named no assumed role. */
  readonly account: string | undefined;
}

/** Everything needed to work in one target account, built once per role ARN per container. */
export interface TargetSession {
  readonly roleArn: string;
  readonly sessionName: string;
  /**
   * The job's clients in `region`: every region's clients of this account sign with the one
   * shared, cached credential, so a fan-out over regions costs one AssumeRole per account.
   */
  clientsIn(region: string): ClientFactory;
  /**
   * Makes sure a valid credential is cached, assuming the role only if there is none or it is
   * about to expire. Resolves to nothing so callers never hold the secret.
   */
  ensureCredentials(): Promise<void>;
  /** Drops the cached credential and assumes the role again; concurrent callers share one call. */
  reassume(): Promise<void>;
  /** The assumed role of the current credential, from the AssumeRole that issued it. */
  assumedRole(): Promise<AssumedRole>;
  /** The SDK clients this session has built (one per client class and region). */
  readonly clientCount: number;
  /**
   * Forgets this session's clients, for the garbage collector; the credential stays, and the next
   * clientsIn() builds new clients. Not destroy(): every client's connections are the container's
   * shared pool (clientSettings.ts), which other sessions' calls are using.
   */
  releaseClients(): void;
}

export interface SessionOptions {
  readonly homeRegion: string;
  readonly externalId: string | undefined;
  readonly sourceIdentity: string;
  readonly sessionDurationSeconds: number;
  readonly functionName: string;
  readonly logger: Logger;
}

/**
 * The container's sessions, one per role ARN. The cache is bounded by what the function targets:
 * before each invocation, `retain` keeps the sessions of the roles it may still visit (the
 * configured accounts, or those discovery lists now, and the reader role) and forgets the rest, so
 * an account that leaves the organization leaves the container's memory too.
 */
export interface TargetSessions {
  /** The session for `roleArn`; `requestId` names the STS session if this call creates it. */
  get(roleArn: string, requestId: string): TargetSession;
  /** Forgets every session whose role is not in `roleArns`, and its clients; returns how many. */
  retain(roleArns: ReadonlySet<string>): number;
  readonly size: number;
  /** SDK clients held by all sessions. */
  readonly clientCount: number;
}

export function createTargetSessions(options: SessionOptions): TargetSessions {
  const sessions = new Map<string, TargetSession>();
  return {
    get(roleArn, requestId) {
      let session = sessions.get(roleArn);
      if (!session) {
        session = createSession(roleArn, requestId, options);
        sessions.set(roleArn, session);
      }
      return session;
    },
    retain(roleArns) {
      let evicted = 0;
      for (const [roleArn, session] of sessions) {
        if (roleArns.has(roleArn)) continue;
        session.releaseClients();
        sessions.delete(roleArn);
        evicted += 1;
      }
      return evicted;
    },
    get size() {
      return sessions.size;
    },
    get clientCount() {
      let count = 0;
      for (const session of sessions.values()) count += session.clientCount;
      return count;
    },
  };
}

// One client for every AssumeRole of the container, in the function's own region (AssumeRole
// belongs to the home account's regional STS endpoint), signing with the execution role's
// credentials from the default chain. Created on first use, like the connection pool.
let homeSts: { client: STSClient; region: string } | undefined;
function homeStsClient(region: string, logger: Logger): STSClient {
  if (homeSts?.region !== region) {
    const client = new STSClient(clientSettings(region));
    client.middlewareStack.use(retryLogging(logger, 'STS (AssumeRole)'));
    homeSts = { client, region };
  }
  return homeSts.client;
}

// An assumed-role ARN: arn:<partition>:sts::<account>:assumed-role/<role>/<session>.
const ASSUMED_ROLE_ARN = /^arn:[\w-]+:sts::(\d{12}):assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+$/;

function createSession(roleArn: string, requestId: string, options: SessionOptions): TargetSession {
  const { logger } = options;
  const sessionName = roleSessionName(options.functionName, requestId);
  const sts = homeStsClient(options.homeRegion, logger);
  // Who each credential is, from AssumeRole's own answer: no GetCallerIdentity is needed.
  const assumedBy = new WeakMap<object, AssumedRole>();

  // AssumeRole called directly (not through fromTemporaryCredentials) because its response names
  // the assumed role (AssumedRoleUser.Arn), which proves the switch of account at no extra call;
  // the provider keeps only the credentials.
  const assumeRole = async (): Promise<AwsCredentialIdentity> => {
    logger.info('assuming role', { roleArn, sessionName });
    const answer = await sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName,
        DurationSeconds: options.sessionDurationSeconds,
        SourceIdentity: options.sourceIdentity,
        ...(options.externalId === undefined ? {} : { ExternalId: options.externalId }),
      }),
    );
    const issued = answer.Credentials;
    if (!issued?.AccessKeyId || !issued.SecretAccessKey || !issued.SessionToken) {
      throw new Error(`AssumeRole on ${roleArn} answered without credentials`);
    }
    // From here the process holds this secret: the redactor hides exactly it wherever it shows up.
    rememberSecret(issued.SecretAccessKey);
    rememberSecret(issued.SessionToken);
    const arn = answer.AssumedRoleUser?.Arn ?? '';
    const identity: AwsCredentialIdentity = {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretAccessKey,
      sessionToken: issued.SessionToken,
      ...(issued.Expiration ? { expiration: issued.Expiration } : {}),
    };
    assumedBy.set(identity, { arn, account: ASSUMED_ROLE_ARN.exec(arn)?.[1] });
    logger.info('assumed role', { roleArn, expiresAt: issued.Expiration?.toISOString() });
    return identity;
  };

  // The SDK's memoizer: refreshes EXPIRATION_MS before expiry and coalesces concurrent refreshes.
  const memoized = memoizeIdentityProvider(
    assumeRole,
    isIdentityExpired,
    doesIdentityRequireRefresh,
  );
  if (!memoized) throw new Error('memoizeIdentityProvider returned no provider');
  // A client wraps its `credentials` in a private memoizer unless they are marked as memoized;
  // two private caches would mean two AssumeRole calls and would miss reassume()'s refresh.
  const credentials = Object.assign(memoized, { memoized: true });

  // One factory per region, each caching one client per class.
  const factories = new Map<string, ClientFactory>();
  const clients: unknown[] = [];
  const clientsIn = (region: string): ClientFactory => {
    let factory = factories.get(region);
    if (factory) return factory;
    const built = new Map<unknown, unknown>();
    factory = {
      client<C>(Client: SdkClientClass<C>, extra: Record<string, unknown> = {}): C {
        let client = built.get(Client);
        if (!client) {
          client = new Client({ ...clientSettings(region), ...extra, credentials });
          (client as { middlewareStack?: { use(plugin: unknown): void } }).middlewareStack?.use(
            retryLogging(logger, Client.name.replace(/Client$/, '')),
          );
          built.set(Client, client);
          clients.push(client);
        }
        return client as C;
      },
    };
    factories.set(region, factory);
    return factory;
  };

  return {
    roleArn,
    sessionName,
    clientsIn,
    async ensureCredentials() {
      await credentials();
    },
    async reassume() {
      await credentials({ forceRefresh: true });
    },
    async assumedRole() {
      const identity = await credentials();
      return assumedBy.get(identity) ?? { arn: '', account: undefined };
    },
    get clientCount() {
      return clients.length;
    },
    releaseClients() {
      clients.splice(0);
      factories.clear();
    },
  };
}

const SESSION_NAME_MAX = 64;

/**
 * `<function name>-<request id>`, traceable from CloudTrail to the invocation's logs. STS allows
 * [\w+=,.@-] and 64 characters; the function name is shortened first so the request id survives.
 */
export function roleSessionName(functionName: string, requestId: string): string {
  const clean = (text: string) => text.replace(/[^\w+=,.@-]/g, '-');
  const id = clean(requestId).slice(0, SESSION_NAME_MAX);
  const room = SESSION_NAME_MAX - id.length - 1;
  // A cut function name must not end in '-', or the name reads "fn--id".
  const name = room > 0 ? `${clean(functionName).slice(0, room).replace(/-+$/, '')}-${id}` : id;
  return name.padEnd(2, '-');
}
