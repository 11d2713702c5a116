import { createLogger, type LogLevel } from '../../src/logger';
import { rememberSecret } from '../../src/redact';
import { SECRETS } from './fixtures';

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

  it('writes WARN and ERROR to stderr and the rest to stdout by default', () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const logger = createLogger({ level: 'DEBUG' });
      logger.debug('d');
      logger.info('i');
      logger.warn('w');
      logger.error('e');
      expect(out.mock.calls.map(([line]) => JSON.parse(String(line)).level)).toEqual([
        'DEBUG',
        'INFO',
      ]);
      expect(err.mock.calls.map(([line]) => JSON.parse(String(line)).level)).toEqual([
        'WARN',
        'ERROR',
      ]);
    } finally {
      out.mockRestore();
      err.mockRestore();
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
