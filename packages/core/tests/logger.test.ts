import { createLogger, type LogLevel } from '@cross-account-lambda/core/src/logger';
import { rememberSecret } from '@cross-account-lambda/core/src/redact';
import { interceptDescriptorWrites } from '@cross-account-lambda/offline/testing/captureOutput';
import { SECRETS } from '@cross-account-lambda/offline/testing/fixtures';

function recordingLogger(level?: LogLevel) {
  const lines: { line: string; level: LogLevel }[] = [];
  const logger = createLogger({
    ...(level && { level }),
    base: { service: 'test' },
    sink: (line, lineLevel) => lines.push({ line, level: lineLevel }),
  });
  const records = () => lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

/** src/logger with none of its module state (which descriptors fell back to their stream). */
function freshLogger(): typeof import('@cross-account-lambda/core/src/logger') {
  let loaded: typeof import('@cross-account-lambda/core/src/logger') | undefined;
  jest.isolateModules(() => {
    loaded = require('@cross-account-lambda/core/src/logger');
  });
  if (!loaded) throw new Error('src/logger did not load');
  return loaded;
}

/**
 * Records what the logger writes to descriptors 1 and 2; `accept` says how many bytes each write
 * takes (all by default) or throws as the descriptor would.
 */
function descriptorWrites(accept: (bytes: Buffer) => number = (bytes) => bytes.length) {
  const written: { fd: number; text: string }[] = [];
  const restore = interceptDescriptorWrites((fd, bytes) => {
    const taken = Math.min(accept(bytes), bytes.length);
    written.push({ fd, text: bytes.subarray(0, taken).toString() });
    return taken;
  });
  return { written, restore };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, message, timestamp and fields', () => {
    const { logger, lines, records } = recordingLogger();
    logger.info('listed target bucket', { account: '222222222222', keys: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.line).not.toContain('\n');
    expect(records()[0]).toEqual({
      service: 'test',
      account: '222222222222',
      keys: 3,
      level: 'INFO',
      message: 'listed target bucket',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it('drops records below its level', () => {
    const { logger, records } = recordingLogger('WARN');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(records().map((record) => record.level)).toEqual(['WARN', 'ERROR']);
  });

  it('adds the fields of a child logger to every record', () => {
    const { logger, records } = recordingLogger();
    logger.child({ requestId: 'req-1' }).info('hello');
    expect(records()[0]).toMatchObject({ service: 'test', requestId: 'req-1' });
  });

  it('does not let fields overwrite level, message or timestamp', () => {
    const { logger, records } = recordingLogger();
    logger.info('real', { level: 'ERROR', message: 'fake', timestamp: 'then' });
    expect(records()[0]).toMatchObject({ level: 'INFO', message: 'real' });
    expect(records()[0]?.timestamp).not.toBe('then');
  });

  it('writes WARN and ERROR to stderr and the rest to stdout by default, one line per write', () => {
    const { written, restore } = descriptorWrites();
    try {
      const logger = createLogger({ level: 'DEBUG' });
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      expect(written.map(({ fd, text }) => [fd, JSON.parse(text).level])).toEqual([
        [1, 'DEBUG'],
        [1, 'INFO'],
        [2, 'WARN'],
        [2, 'ERROR'],
      ]);
      for (const { text } of written) expect(text).toMatch(/^\{[^\n]*\}\n$/);
    } finally {
      restore();
    }
  });

  it('writes the rest of a line that a pipe took only part of', () => {
    const fresh = freshLogger();
    const { written, restore } = descriptorWrites(() => 7);
    try {
      fresh.createLogger().info('a line longer than seven bytes', { n: 1 });
      const text = written.map((write) => write.text).join('');
      expect(written.length).toBeGreaterThan(1);
      expect(JSON.parse(text)).toMatchObject({ message: 'a line longer than seven bytes', n: 1 });
      expect(text.endsWith('}\n')).toBe(true);
    } finally {
      restore();
    }
  });

  it('hands the rest of the line, and every later one, to the stream when the descriptor refuses (EAGAIN)', () => {
    const fresh = freshLogger();
    let calls = 0;
    const { written, restore } = descriptorWrites(() => {
      calls += 1;
      if (calls === 1) return 9;
      throw Object.assign(new Error('EAGAIN: resource temporarily unavailable, write'), {
        code: 'EAGAIN',
      });
    });
    const streamed: string[] = [];
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      streamed.push(Buffer.from(chunk as Uint8Array).toString());
      return true;
    });
    try {
      const logger = fresh.createLogger({ level: 'DEBUG' });
      logger.info('first');
      logger.debug('second');
      // Line one whole and in order: the 9 bytes written, then the rest through the stream.
      expect(written.map((write) => write.text).join('') + streamed.join('')).toMatch(
        /^\{[^\n]*"message":"first"[^\n]*\}\n\{[^\n]*"message":"second"[^\n]*\}\n$/,
      );
      expect(streamed).toHaveLength(2);
      expect(calls).toBe(2);
    } finally {
      out.mockRestore();
      restore();
    }
  });

  it('survives circular structures and bigint values', () => {
    const { logger, records } = recordingLogger();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    logger.info('odd', { loop, big: 10n });
    expect(records()[0]).toMatchObject({ loop: { name: 'loop', self: '[Circular]' }, big: '10' });
  });
});

describe('the logger never prints a credential', () => {
  it('redacts credential fields by name, whatever their value', () => {
    const { logger, lines } = recordingLogger();
    logger.info('oops', {
      credentials: { accessKeyId: 'plain', secretAccessKey: 'plain', sessionToken: 'plain' },
      AccessKeyId: 'value-1',
      SecretAccessKey: 'value-2',
      SessionToken: 'value-3',
      'x-amz-security-token': 'value-4',
      authorization: 'AWS4-HMAC-SHA256 Credential=...',
      nested: [{ aws_secret_access_key: 'value-5' }],
    });
    for (const value of [
      'plain',
      'value-1',
      'value-2',
      'value-3',
      'value-4',
      'value-5',
      'Credential=',
    ]) {
      expect(lines[0]?.line).not.toContain(value);
    }
  });

  it('redacts credentials inside free text: key ids and tokens by shape, held secrets exactly', () => {
    // A secret key has no shape of its own; it is hidden because the process holds it (as
    // src/credentials.ts registers every credential AssumeRole returns).
    rememberSecret(SECRETS.secretAccessKey);
    const { logger, lines } = recordingLogger();
    logger.error(`leaked ${SECRETS.accessKeyId} and ${SECRETS.secretAccessKey}`, {
      note: `token=${SECRETS.sessionToken}`,
      header: `X-Amz-Security-Token: ${SECRETS.sessionToken}`,
      ini: 'aws_secret_access_key = abc/def+ghi',
      key: 'AKIAIOSFODNN7EXAMPLE',
    });
    const line = lines[0]?.line ?? '';
    for (const secret of [...Object.values(SECRETS), 'abc/def+ghi', 'AKIAIOSFODNN7EXAMPLE']) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[REDACTED]');
  });

  it('prints only known fields of an error, so extra fields an SDK error carries stay out', () => {
    const { logger, lines, records } = recordingLogger();
    const sdkError = Object.assign(
      new Error('The request signature we calculated does not match'),
      {
        name: 'SignatureDoesNotMatch',
        $metadata: { httpStatusCode: 403, requestId: 'req-9', attempts: 1 },
        AWSAccessKeyId: 'ASIAPLAINVALUE',
        StringToSign: 'x-amz-security-token:opaque',
        Custom: 'opaque',
      },
    );
    logger.warn('failed', { error: new Error('wrapped', { cause: sdkError }) });
    expect(lines[0]?.line).not.toMatch(/ASIAPLAINVALUE|opaque/);
    expect(records()[0]).toMatchObject({
      error: {
        name: 'Error',
        message: 'wrapped',
        cause: {
          name: 'SignatureDoesNotMatch',
          httpStatusCode: 403,
          requestId: 'req-9',
          attempts: 1,
        },
      },
    });
  });

  it('keeps identifiers that only look long, such as a 40-character hex digest', () => {
    const { logger, records } = recordingLogger();
    const digest = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
    logger.info('key', { key: `reports/${digest}.csv` });
    expect(records()[0]?.key).toBe(`reports/${digest}.csv`);
  });
});
