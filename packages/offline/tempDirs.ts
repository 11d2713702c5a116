// Every temporary folder the offline tools make goes away when the process ends, however it ends:
// normally, on an uncaught error, on Ctrl-C or SIGTERM, or when stdout is a closed pipe
// (`npm run check | head`). `tmp`'s graceful clean-up runs on 'exit' only, which Node does not emit
// for a signal, and `signal-exit` has no notion of the folders; the few lines below do both.
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let removeOnExitInstalled = false;

function removeAllNow(): void {
  // Retries: a process killed a moment ago may still be closing files in there.
  for (const dir of live)
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  live.clear();
}

/** A new folder under the OS temp dir, removed by `removeTempDir` or, at the latest, at exit. */
export async function makeTempDir(prefix: string): Promise<string> {
  if (!removeOnExitInstalled) {
    process.once('exit', removeAllNow);
    removeOnExitInstalled = true;
  }
  // Synchronous, so that no signal can arrive between the folder's creation and its listing.
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  // Still listed while the removal runs: an exit in the middle of it finishes the job.
  await rm(dir, { recursive: true, force: true });
  live.delete(dir);
}

const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * For command-line entry points that have no clean-up of their own to run on a signal: Ctrl-C and
 * SIGTERM end the process with the shell's code (130, 143), a closed stdout ends it quietly with
 * 0 (the reader has what it wanted), and the 'exit' handler removes the temp folders either way.
 */
export function exitCleanlyOnSignalsAndClosedPipes(): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.once(signal as NodeJS.Signals, () => process.exit(code));
  }
  exitQuietlyOnClosedPipe();
}

/** A closed stdout or stderr (`| head`) ends the process with 0 instead of an EPIPE stack trace. */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
}
