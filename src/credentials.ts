import {
  GetCallerIdentityCommand,
  type GetCallerIdentityCommandOutput,
  STSClient,
} from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import {
  doesIdentityRequireRefresh,
  isIdentityExpired,
  memoizeIdentityProvider,
} from '@smithy/core';
import { clientSettings, retryLogging } from './clientSettings';
import type { ClientFactory, SdkClientClass } from './job';
import type { Logger } from './logger';
import { rememberSecret } from './redact';

/** Everything needed to work in one target account, built once per role ARN per container. */
export interface TargetSession {
  readonly roleArn: string;
  readonly sessionName: string;
  /** Target-region STS client, signing with the one shared, cached credential. */
  readonly sts: STSClient;
  /** The job's clients: target-region, signing with the same credential. */
  readonly clients: ClientFactory;
  /**
   * Makes sure a valid credential is cached, assuming the role only if there is none or it is
   * about to expire. Resolves to nothing so callers never hold the secret.
   */
  ensureCredentials(): Promise<void>;
  /** Drops the cached credential and assumes the role again; concurrent callers share one call. */
  reassume(): Promise<void>;
  /**
   * GetCallerIdentity signed with the current credential, called once per credential: an identity
   * cannot change without new credentials, so the answer is reused until a refresh (or reassume())
   * replaces them, and then asked again. Concurrent callers share one call; a failure is not kept.
   */
  callerIdentity(abortSignal?: AbortSignal): Promise<GetCallerIdentityCommandOutput>;
}

export interface SessionOptions {
  readonly homeRegion: string;
  readonly targetRegion: string;
  readonly externalId: string | undefined;
  readonly sessionDurationSeconds: number;
  readonly functionName: string;
  readonly logger: Logger;
}

export interface TargetSessions {
  /** The session for `roleArn`; `requestId` names the STS session if this call creates it. */
  get(roleArn: string, requestId: string): TargetSession;
  readonly size: number;
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
    get size() {
      return sessions.size;
    },
  };
}

function createSession(roleArn: string, requestId: string, options: SessionOptions): TargetSession {
  const { logger } = options;
  const sessionName = roleSessionName(options.functionName, requestId);
  const assumeRole = fromTemporaryCredentials({
    params: {
      RoleArn: roleArn,
      RoleSessionName: sessionName,
      DurationSeconds: options.sessionDurationSeconds,
      ...(options.externalId === undefined ? {} : { ExternalId: options.externalId }),
    },
    // Without an explicit region the nested client would inherit the calling client's (the
    // target region); AssumeRole belongs to the function's own regional STS endpoint.
    clientConfig: clientSettings(options.homeRegion),
    clientPlugins: [retryLogging(logger, 'STS (AssumeRole)')],
  });

  const assumeAndLog: typeof assumeRole = async (properties) => {
    logger.info('assuming role', { roleArn, sessionName });
    const identity = await assumeRole(properties);
    // From here the process holds this secret: the redactor hides exactly it wherever it shows up.
    rememberSecret(identity.secretAccessKey);
    rememberSecret(identity.sessionToken);
    logger.info('assumed role', { roleArn, expiresAt: identity.expiration?.toISOString() });
    return identity;
  };

  // The SDK's memoizer: refreshes EXPIRATION_MS before expiry and coalesces concurrent refreshes.
  const memoized = memoizeIdentityProvider(
    assumeAndLog,
    isIdentityExpired,
    doesIdentityRequireRefresh,
  );
  if (!memoized) throw new Error('memoizeIdentityProvider returned no provider');
  // A client wraps its `credentials` in a private memoizer unless they are marked as memoized;
  // two private caches would mean two AssumeRole calls and would miss reassume()'s refresh.
  const credentials = Object.assign(memoized, { memoized: true });

  const sts = new STSClient({ ...clientSettings(options.targetRegion), credentials });
  sts.middlewareStack.use(retryLogging(logger, 'STS'));
  const built = new Map<unknown, unknown>();
  const clients: ClientFactory = {
    client<C>(Client: SdkClientClass<C>, extra: Record<string, unknown> = {}): C {
      let client = built.get(Client);
      if (!client) {
        client = new Client({ ...clientSettings(options.targetRegion), ...extra, credentials });
        (client as { middlewareStack?: { use(plugin: unknown): void } }).middlewareStack?.use(
          retryLogging(logger, Client.name.replace(/Client$/, '')),
        );
        built.set(Client, client);
      }
      return client as C;
    },
  };

  // Keyed by the credential object: the memoizer hands out the same object until it refreshes.
  let verified:
    | { credential: object; identity: Promise<GetCallerIdentityCommandOutput> }
    | undefined;

  return {
    roleArn,
    sessionName,
    sts,
    clients,
    async ensureCredentials() {
      await credentials();
    },
    async reassume() {
      await credentials({ forceRefresh: true });
    },
    async callerIdentity(abortSignal) {
      const credential = await credentials();
      if (verified?.credential !== credential) {
        // The client resolves the credential again when it signs; a refresh in between only
        // means the answer is keyed on the older one, so the next caller asks once more.
        const identity = sts.send(new GetCallerIdentityCommand({}), { abortSignal });
        const entry = { credential, identity };
        verified = entry;
        identity.catch(() => {
          if (verified === entry) verified = undefined;
        });
      }
      return verified.identity;
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
