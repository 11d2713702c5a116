// Jest setup file (setupFilesAfterEnv): copies everything a test file makes visible into the run
// record for the secret scan: stdout/stderr writes (through the streams or, as the logger writes,
// fs.writeSync to descriptors 1 and 2), console calls, and the output of every child
// process (sls package, sls invoke local, npm start). It also records the credentials the offline
// stand-in issues, as hashes, so that the scan can look for the real values, not only their shape.
// Output is copied, never swallowed: tests see and assert on exactly what they saw before.
import { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { basename } from 'node:path';
import { format } from 'node:util';
import { CredentialStore } from '@cross-account-lambda/offline/standin/credentialStore';
import { HOME_SECRET_ACCESS_KEY } from '@cross-account-lambda/offline/standin/homeCredentials';
import { descriptorWrite } from '@cross-account-lambda/offline/testing/captureOutput';
import {
  markFileFinished,
  recordCaptureInstalled,
  recordOutput,
  recordSecret,
  runDir,
} from '@cross-account-lambda/offline/testing/runRecord';

type Restore = () => void;

function captureStream(stream: NodeJS.WriteStream, source: string): Restore {
  const original = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    recordOutput(
      source,
      typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(),
    );
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stream.write;
  return () => {
    stream.write = original;
  };
}

/** src/logger.ts writes its lines with fs.writeSync(1 or 2, ...), past the streams. */
function captureDescriptors(): Restore {
  const original = fs.writeSync;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    const written = (original as (...args: unknown[]) => number)(fd, ...rest);
    if (fd === 1 || fd === 2) {
      // What the call wrote, which a pipe may make less than it asked for.
      recordOutput(
        fd === 1 ? 'stdout' : 'stderr',
        descriptorWrite(rest).subarray(0, written).toString(),
      );
    }
    return written;
  }) as typeof fs.writeSync;
  return () => {
    fs.writeSync = original;
  };
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

function captureConsole(): Restore {
  const originals = CONSOLE_METHODS.map((method) => [method, console[method]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]) => {
      recordOutput(`console.${method}`, format(...args));
      original.apply(console, args);
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}

/**
 * Every child process starts through ChildProcess.prototype.spawn (spawn, execFile and exec all
 * do), so one hook sees them all. Output is gathered per stream and recorded once it ends, so a
 * secret split across two chunks is still found.
 */
function captureChildren(): Restore {
  // Internal to Node, so not in @types/node.
  const prototype = ChildProcess.prototype as unknown as {
    spawn(this: ChildProcess, options: { file: string }): unknown;
  };
  const original = prototype.spawn;
  prototype.spawn = function (this: ChildProcess, options) {
    const result = original.call(this, options);
    const program = basename(String(options.file));
    for (const [name, stream] of [
      ['stdout', this.stdout],
      ['stderr', this.stderr],
    ] as const) {
      if (!stream) continue;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)));
      stream.once('close', () =>
        recordOutput(`child ${program} ${name}`, Buffer.concat(chunks).toString()),
      );
    }
    return result;
  };
  return () => {
    prototype.spawn = original;
  };
}

function recordIssuedCredentials(): Restore {
  const original = CredentialStore.prototype.issue;
  CredentialStore.prototype.issue = function (this: CredentialStore, ...args) {
    const record = original.apply(this, args);
    recordSecret('a secret access key issued by the stand-in', record.secretAccessKey);
    recordSecret('a session token issued by the stand-in', record.sessionToken);
    return record;
  };
  return () => {
    CredentialStore.prototype.issue = original;
  };
}

if (runDir()) {
  recordCaptureInstalled();
  recordSecret('the offline home secret access key', HOME_SECRET_ACCESS_KEY);
  const restores = [
    captureStream(process.stdout, 'stdout'),
    captureStream(process.stderr, 'stderr'),
    captureDescriptors(),
    captureConsole(),
    captureChildren(),
    recordIssuedCredentials(),
  ];
  // Core modules and process streams outlive the test file; the next file installs its own.
  afterAll(() => {
    for (const restore of restores.reverse()) restore();
    markFileFinished();
  });
}
