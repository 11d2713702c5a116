// Credential refresh under load: waves of concurrent invocations, one every few milliseconds,
// for longer than several credential lifetimes (the stand-in issues short-lived credentials).
// Per wave it records how many AssumeRole calls the stand-in answered; from the handler's
// "assumed role" log lines it learns when each credential expires.
import fs from 'node:fs';
import { callsBetween, readStandInStats } from './standinStats';
import { allowLoopbackOnly, benchInput, lambdaContext, loadHandler, runChild } from './support';

export interface RefreshInput {
  readonly handlerPath: string;
  readonly durationMs: number;
  readonly waveIntervalMs: number;
  /** Concurrent invocations per wave. */
  readonly waveSize: number;
}

export interface Wave {
  /** Epoch ms at which the wave's invocations started, and at which the last one returned. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly assumeRole: number;
  readonly failedInvocations: number;
}

export interface RefreshResult {
  readonly waves: Wave[];
  /** Expiration of every credential the handler obtained, epoch ms, in order. */
  readonly expirations: number[];
  readonly expiredCredentialRequests: number;
  readonly assumeRole: number;
}

runChild(async (): Promise<RefreshResult> => {
  allowLoopbackOnly();
  const input = benchInput<RefreshInput>();
  const expirations = captureExpirations();
  const handler = loadHandler(input.handlerPath);

  const first = await readStandInStats();
  const waves: Wave[] = [];
  const end = Date.now() + input.durationMs;
  for (let wave = 0; Date.now() < end; wave += 1) {
    const before = await readStandInStats();
    const startedAt = Date.now();
    const responses = await Promise.allSettled(
      Array.from({ length: input.waveSize }, (_, index) =>
        handler({}, lambdaContext(`bench-refresh-${wave}-${index}`)),
      ),
    );
    const endedAt = Date.now();
    const after = await readStandInStats();
    waves.push({
      startedAt,
      endedAt,
      assumeRole: callsBetween(before, after).assumeRole,
      failedInvocations: responses.filter((outcome) => !succeeded(outcome)).length,
    });
    const pause = startedAt + input.waveIntervalMs - Date.now();
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
  }
  const total = callsBetween(first, await readStandInStats());
  return {
    waves,
    expirations,
    expiredCredentialRequests: total.expiredCredentialRequests,
    assumeRole: total.assumeRole,
  };
});

function succeeded(outcome: PromiseSettledResult<unknown>): boolean {
  if (outcome.status === 'rejected') return false;
  return (outcome.value as { summary?: { failed?: number } })?.summary?.failed === 0;
}

/**
 * The handler logs one JSON line per AssumeRole, with the credential's expiry. Its log lines are
 * read here, before they would reach stdout, and not printed: the logger writes them with
 * fs.writeSync(1, ...) (src/logger.ts), or through process.stdout should that descriptor refuse.
 */
function captureExpirations(): number[] {
  const expirations: number[] = [];
  const read = (text: string) => {
    for (const line of text.split('\n')) {
      if (!line.includes('"assumed role"')) continue;
      const { expiresAt } = JSON.parse(line) as { expiresAt?: string };
      if (expiresAt) expirations.push(Date.parse(expiresAt));
    }
  };
  const writeSync = fs.writeSync as (...args: unknown[]) => number;
  fs.writeSync = ((fd: number, data: string | Uint8Array, offset?: unknown, ...rest: unknown[]) => {
    if (fd !== 1) return writeSync(fd, data, offset, ...rest);
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
    const start = typeof data === 'string' || typeof offset !== 'number' ? 0 : offset;
    read(bytes.subarray(start).toString());
    return bytes.length - start;
  }) as typeof fs.writeSync;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    read(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  return expirations;
}
