// The stand-in itself: one node:http server on 127.0.0.1 that answers every AWS service (told
// apart by the service in the SigV4 credential scope: STS and S3 emulated, any other from the
// job's fixtures or the upstream emulator) and the control endpoint, on one free port.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StandInClock } from './clock';
import type { StandInContext } from './context';
import {
  CONTROL_PREFIX,
  type Controls,
  type FaultState,
  handleControl,
  parseClockSkew,
} from './control';
import { CredentialStore } from './credentialStore';
import { Decisions } from './decisions';
import { StandInError } from './errors';
import { type FaultRule, FaultSwitchboard, type PendingFault } from './faults';
import { NO_FIXTURES } from './fixtures';
import { HOME_CREDENTIALS, type HomeCredentials } from './homeCredentials';
import { type StandInOptions, validateOptions } from './options';
import { answer, DROPPED, identify, type PipelineOptions } from './pipeline';
import { RequestTooLargeError, readRequest } from './request';
import { newRequestIds, type WireResponse } from './response';
import { type StandInStats, StatsRecorder } from './stats';
import { createBuckets, homePrincipal } from './world';

export interface StandIn {
  /** http://127.0.0.1:<port>: the value for AWS_ENDPOINT_URL (every service). */
  readonly url: string;
  readonly port: number;
  /** A snapshot of the counters at the time of reading. */
  readonly stats: StandInStats;
  /** Send as the x-standin-token header to /__standin/... */
  readonly controlToken: string;
  readonly homeCredentials: HomeCredentials;
  /** Accounts with a target stack, and the buckets served. */
  readonly accounts: readonly string[];
  readonly buckets: readonly string[];
  readonly faults: {
    add(rules: FaultRule | readonly FaultRule[]): PendingFault[];
    clear(): void;
    list(): PendingFault[];
  };
  setClockSkew(seconds: number, options?: { revealServerTime?: boolean }): void;
  /** Revokes every session issued so far, as IAM's "revoke active sessions" does. */
  revokeSessions(): void;
  resetStats(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 5 * 1024 * 1024;

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  validateOptions(options);
  const { model } = options;
  const home = options.homeCredentials ?? HOME_CREDENTIALS;
  const clock = new StandInClock();
  if (options.clockSkew) clock.set(parseClockSkew(options.clockSkew));
  const stats = new StatsRecorder();
  const faults = new FaultSwitchboard();
  if (options.faults) faults.add(options.faults);
  const credentials = new CredentialStore(home, homePrincipal(model, options.homeSessionName));
  const buckets = createBuckets(options, clock.now());
  const context: StandInContext = {
    model,
    credentials,
    decisions: new Decisions(model, (options.fixtures ?? NO_FIXTURES).resources),
    stats,
    clock,
    buckets,
    credentialLifetimeSeconds: options.credentialLifetimeSeconds,
    fixtures: options.fixtures ?? NO_FIXTURES,
    upstream: options.upstream,
    organization: options.organization,
  };
  await warmUp(context);
  const controlToken = options.controlToken ?? randomBytes(24).toString('base64url');
  const log = options.log ?? (() => {});
  /** Cancels pending injected delays, so that close() never waits for one. */
  const delays = new Set<() => void>();

  const faultState = (): FaultState => ({ faults: faults.list(), clockSkew: clock.current });
  const controls: Controls = {
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    faultState,
    updateFaults(update) {
      if (update.faults) faults.add(update.faults);
      if (update.clockSkew) clock.set(parseClockSkew(update.clockSkew));
      if (update.revokeSessions) credentials.revokeSessionsIssuedUpTo(clock.now());
      return faultState();
    },
    clearFaults() {
      faults.clear();
      clock.set({ seconds: 0, revealServerTime: true });
      return faultState();
    },
  };

  const pipeline: PipelineOptions = {
    context,
    faults,
    rejectWithinMsOfExpiry: (options.rejectWithinSecondsOfExpiry ?? 0) * 1000,
    log,
    pause: (ms, response) =>
      new Promise<boolean>((resolve) => {
        const finish = (connected: boolean) => {
          clearTimeout(timer);
          delays.delete(cancel);
          response.off('close', cancel);
          resolve(connected);
        };
        const cancel = () => finish(false);
        const timer = setTimeout(() => finish(!response.destroyed), ms);
        delays.add(cancel);
        response.on('close', cancel);
      }),
  };

  async function onRequest(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    if ((incoming.url ?? '').startsWith(CONTROL_PREFIX)) {
      await handleControl(incoming, response, controlToken, controls);
      return;
    }
    const ids = newRequestIds();
    const request = await readRequest(incoming, MAX_BODY_BYTES);
    const started = performance.now();
    const facts = identify(request, context);
    stats.call(facts.service, facts.action);
    const { result, delayedMs } = await answer(facts, request, response, ids, pipeline);
    const tookMs = performance.now() - started;
    stats.busyFor(Math.max(0, tookMs - delayedMs));
    const line = `${facts.service} ${facts.action} ${facts.keyShown} ->`;
    if (result === DROPPED) {
      log(`${line} connection dropped (${Math.round(tookMs)} ms)`);
      incoming.socket.destroy();
      return;
    }
    log(
      `${line} ${result.status}${result.errorCode ? ` ${result.errorCode}` : ''} (${Math.round(tookMs)} ms)`,
    );
    send(response, result, clock.reportedNow());
  }

  const server = createServer({ keepAliveTimeout: 5000 }, (incoming, response) => {
    onRequest(incoming, response).catch((error: unknown) => {
      if (response.headersSent || response.destroyed) return;
      const tooLarge = error instanceof RequestTooLargeError;
      const { name, message } = error as Error;
      log(
        `failed to answer ${incoming.method} ${incoming.url?.split('?')[0]}: ${name}: ${message}`,
      );
      response.writeHead(tooLarge ? 413 : 500, { 'content-type': 'text/plain' });
      response.end(tooLarge ? 'request body too large' : 'internal error in the offline stand-in');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new StandInError(`cannot listen on 127.0.0.1:${options.port ?? 0}`, { cause: error })),
    );
    // Loopback only: the stand-in accepts the fake home key, so nothing else may reach it.
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get stats() {
      return stats.snapshot();
    },
    controlToken,
    homeCredentials: home,
    accounts: model.targets.map((target) => target.accountId),
    buckets: buckets.names(),
    faults: {
      add: (rules) => faults.add(Array.isArray(rules) ? rules : [rules]),
      clear: () => faults.clear(),
      list: () => faults.list(),
    },
    setClockSkew(seconds, skewOptions = {}) {
      clock.set(parseClockSkew({ seconds, ...skewOptions }));
    },
    revokeSessions() {
      credentials.revokeSessionsIssuedUpTo(clock.now());
    },
    resetStats() {
      stats.reset();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const cancel of [...delays]) cancel();
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would otherwise hold the server open.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * The evaluator's first decision loads and compiles the simulator (tens of ms); pay that here so
 * that the first request a benchmark times is not charged with it. A failure is left for the
 * request that meets it, where it is reported properly.
 */
async function warmUp(context: StandInContext): Promise<void> {
  const [first] = context.model.targets;
  const home = context.credentials.homePrincipal;
  if (!first) return;
  await context.decisions
    .assumeRole(home.caller, first.roleArn, {
      externalId: undefined,
      sessionName: home.sessionName,
      sourceIdentity: context.model.sourceIdentity,
    })
    .catch(() => undefined);
}

function send(response: ServerResponse, result: WireResponse, reportedNow: number): void {
  const body = typeof result.body === 'string' ? Buffer.from(result.body, 'utf8') : result.body;
  response.writeHead(result.status, {
    // The stand-in's clock, skew included: the SDK corrects its own clock from this header.
    date: new Date(reportedNow).toUTCString(),
    'content-length': String(body.length),
    ...result.headers,
  });
  response.end(body);
}
