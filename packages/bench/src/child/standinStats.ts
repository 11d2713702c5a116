// Reads the stand-in's counters from a child process, over its control endpoint on 127.0.0.1, so
// a child can attribute calls to exactly the invocations it made between two readings.
import { request } from 'node:http';
import type { StandInStats } from '@cross-account-lambda/offline/standin';
import { CONTROL_TOKEN_HEADER } from '@cross-account-lambda/offline/standin/control';

/** Where the child finds the control endpoint and its token. */
export const STANDIN_URL_VARIABLE = 'BENCH_STANDIN_URL';
export const STANDIN_TOKEN_VARIABLE = 'BENCH_STANDIN_TOKEN';

export function readStandInStats(): Promise<StandInStats> {
  const base = process.env[STANDIN_URL_VARIABLE];
  const token = process.env[STANDIN_TOKEN_VARIABLE];
  if (!base || !token) {
    throw new Error(`${STANDIN_URL_VARIABLE} and ${STANDIN_TOKEN_VARIABLE} must be set`);
  }
  return new Promise((resolve, reject) => {
    const call = request(
      `${base}/__standin/stats`,
      { headers: { [CONTROL_TOKEN_HEADER]: token }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode !== 200) {
            reject(new Error(`stand-in stats: HTTP ${response.statusCode}: ${body}`));
          } else {
            resolve(JSON.parse(body) as StandInStats);
          }
        });
      },
    );
    call.on('error', reject);
    call.end();
  });
}

/** Calls between two readings, by what the benchmark checks. */
export interface CallCounts {
  readonly assumeRole: number;
  readonly getCallerIdentity: number;
  readonly sts: number;
  readonly s3: number;
  /** Organizations listings (account discovery). */
  readonly organizations: number;
  readonly expiredCredentialRequests: number;
}

export function callsBetween(before: StandInStats, after: StandInStats): CallCounts {
  const action = (stats: StandInStats, name: string) => stats.calls.byAction[name] ?? 0;
  return {
    assumeRole: after.assumeRole.calls - before.assumeRole.calls,
    getCallerIdentity:
      action(after, 'sts:GetCallerIdentity') - action(before, 'sts:GetCallerIdentity'),
    sts: after.calls.sts - before.calls.sts,
    s3: after.calls.s3 - before.calls.s3,
    organizations: after.organizations.calls - before.organizations.calls,
    expiredCredentialRequests: after.expiredCredentialRequests - before.expiredCredentialRequests,
  };
}
