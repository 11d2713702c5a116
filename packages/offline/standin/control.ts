// The control endpoint: tests, the benchmark and people at a terminal switch faults and read
// counters over HTTP on the same 127.0.0.1 port, with the random token the stand-in was started
// with (so another local process cannot flip the switches by accident).
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClockSkew } from './clock';
import { FaultSpecError } from './errors';
import type { FaultRule, PendingFault } from './faults';
import { readRequest } from './request';
import type { StandInStats } from './stats';

export const CONTROL_PREFIX = '/__standin/';
export const CONTROL_TOKEN_HEADER = 'x-standin-token';

export interface FaultState {
  faults: PendingFault[];
  clockSkew: ClockSkew;
}

/** Body of POST /__standin/faults; every part is optional. */
export interface FaultUpdate {
  /** Rules appended to the pending ones. */
  faults?: FaultRule[];
  /** Replaces the clock skew. */
  clockSkew?: { seconds: number; revealServerTime?: boolean };
  /** Revokes every session issued so far (their requests get ExpiredToken). */
  revokeSessions?: boolean;
}

export interface Controls {
  stats(): StandInStats;
  resetStats(): void;
  faultState(): FaultState;
  updateFaults(update: FaultUpdate): FaultState;
  clearFaults(): FaultState;
}

const MAX_CONTROL_BODY = 64 * 1024;

export async function handleControl(
  incoming: IncomingMessage,
  response: ServerResponse,
  token: string,
  controls: Controls,
): Promise<void> {
  const reply = (status: number, body: unknown) => {
    const text = body === undefined ? '' : JSON.stringify(body, null, 2);
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(text);
  };
  const presented = incoming.headers[CONTROL_TOKEN_HEADER];
  if (typeof presented !== 'string' || !tokensEqual(presented, token)) {
    incoming.resume();
    reply(401, { error: `missing or wrong ${CONTROL_TOKEN_HEADER} header` });
    return;
  }
  const request = await readRequest(incoming, MAX_CONTROL_BODY);
  const route = `${request.method} ${request.rawPath.slice(CONTROL_PREFIX.length - 1)}`;
  try {
    switch (route) {
      case 'GET /stats':
        return reply(200, controls.stats());
      case 'POST /stats/reset':
        controls.resetStats();
        return reply(200, controls.stats());
      case 'GET /faults':
        return reply(200, controls.faultState());
      case 'POST /faults':
        return reply(200, controls.updateFaults(parseUpdate(request.body)));
      case 'DELETE /faults':
        return reply(200, controls.clearFaults());
      default:
        return reply(404, {
          error: `no control route ${route}`,
          routes: [
            'GET /stats',
            'POST /stats/reset',
            'GET /faults',
            'POST /faults',
            'DELETE /faults',
          ],
        });
    }
  } catch (error) {
    if (error instanceof FaultSpecError) return reply(400, { error: error.message });
    throw error;
  }
}

function parseUpdate(body: Buffer): FaultUpdate {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch (error) {
    throw new FaultSpecError('the body must be JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FaultSpecError(
      'the body must be a JSON object with faults, clockSkew and/or revokeSessions',
    );
  }
  const { faults, clockSkew, revokeSessions, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0) {
    throw new FaultSpecError(
      `unknown field(s) ${Object.keys(rest).join(', ')}; allowed: faults, clockSkew, revokeSessions`,
    );
  }
  if (faults !== undefined && !Array.isArray(faults))
    throw new FaultSpecError('faults must be an array of rules');
  if (revokeSessions !== undefined && typeof revokeSessions !== 'boolean') {
    throw new FaultSpecError('revokeSessions must be true or false');
  }
  return {
    ...(faults === undefined ? {} : { faults: faults as FaultRule[] }),
    ...(clockSkew === undefined ? {} : { clockSkew: parseClockSkew(clockSkew) }),
    ...(revokeSessions === undefined ? {} : { revokeSessions }),
  };
}

export function parseClockSkew(input: unknown): ClockSkew {
  const { seconds, revealServerTime = true } = (input ?? {}) as Record<string, unknown>;
  if (
    typeof seconds !== 'number' ||
    !Number.isFinite(seconds) ||
    Math.abs(seconds) > 7 * 24 * 3600
  ) {
    throw new FaultSpecError(
      'clockSkew.seconds must be a number of seconds (at most a week either way)',
    );
  }
  if (typeof revealServerTime !== 'boolean') {
    throw new FaultSpecError('clockSkew.revealServerTime must be true or false');
  }
  return { seconds, revealServerTime };
}

function tokensEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
