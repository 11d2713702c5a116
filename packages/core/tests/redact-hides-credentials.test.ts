// Redaction is exact: access key ids, and the secret keys and session tokens the process holds,
// are hidden wherever they appear; so are tokens by their STS prefix and values whose name says
// they are credentials. Secrets are built at run time, so this file holds none a scanner would flag.
import { randomBytes } from 'node:crypto';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { createTargetSessions } from '@cross-account-lambda/core/src/credentials';
import { createLogger } from '@cross-account-lambda/core/src/logger';
import {
  heldSecrets,
  quote,
  redactText,
  redactValue,
  rememberSecret,
} from '@cross-account-lambda/core/src/redact';
import { roleArn, TARGET_A } from '@cross-account-lambda/offline/testing/fixtures';
import { mockClient } from 'aws-sdk-client-mock';

const REDACTED = '[REDACTED]';
/** 40 characters of the base64 alphabet, as AWS secret access keys are. */
const newSecretKey = () => randomBytes(30).toString('base64');
const newToken = (prefix = 'IQoJb3JpZ2lu') => `${prefix}${randomBytes(300).toString('base64')}`;

describe('access key ids are hidden by their shape', () => {
  test.each(['AKIA', 'ASIA', 'ABIA', 'ACCA'])('%s + 16 characters, alone or in text', (prefix) => {
    const id = `${prefix}${'Q7'.repeat(6)}TEST`;
    expect(id).toHaveLength(20);
    expect(redactText(id)).toBe(REDACTED);
    expect(redactText(`signed with ${id}.`)).toBe(`signed with ${REDACTED}.`);
    expect(redactText(JSON.stringify({ note: `key ${id}` }))).not.toContain(id);
  });
});

describe('held secret keys are hidden exactly, wherever they appear', () => {
  const secret = newSecretKey();
  beforeAll(() => rememberSecret(secret));

  test.each([
    ['alone', secret],
    ['in JSON', JSON.stringify({ config: { value: secret } })],
    ['in a URL', `https://example.com/x?k=${secret}&y=1`],
    ['URL-encoded in a URL', `https://example.com/x?k=${encodeURIComponent(secret)}&y=1`],
    ['glued to other text', `abc${secret}def`],
    ['twice on one line', `${secret} ${secret}`],
  ])('%s', (_, text) => {
    const clean = redactText(text);
    expect(clean).not.toContain(secret);
    expect(clean).not.toContain(encodeURIComponent(secret));
    expect(clean).toContain(REDACTED);
  });

  test('the text around the secret is kept', () => {
    expect(redactText(`abc${secret}def`)).toBe(`abc${REDACTED}def`);
  });

  test('an echoed value is scrubbed before it is cut, so no half of the secret shows', () => {
    const echoed = quote(`${'x'.repeat(40)}${secret}`);
    expect(echoed).not.toContain(secret.slice(0, 20));
  });

  test('short values are never registered (they would hide ordinary words)', () => {
    rememberSecret('test');
    expect(heldSecrets()).not.toContain('test');
    expect(redactText('a test line')).toBe('a test line');
  });
});

describe('what src/credentials.ts receives from AssumeRole is held', () => {
  const sts = mockClient(STSClient);
  afterAll(() => sts.restore());

  test('every secret key and session token, from the moment it arrives', async () => {
    const issued = { secret: newSecretKey(), token: `Tk${randomBytes(200).toString('base64')}` };
    expect(redactText(issued.secret)).toBe(issued.secret);
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLEKEY000001',
        SecretAccessKey: issued.secret,
        SessionToken: issued.token,
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
    const logger = createLogger({ sink: () => undefined });
    const session = createTargetSessions({
      homeRegion: 'us-east-1',
      externalId: undefined,
      sourceIdentity: 'crossAccount',
      sessionDurationSeconds: 900,
      functionName: 'fn',
      logger,
    }).get(roleArn(TARGET_A), 'req-1');
    await session.ensureCredentials();
    expect(redactText(`key ${issued.secret}`)).toBe(`key ${REDACTED}`);
    expect(redactText(`token ${issued.token} end`)).toBe(`token ${REDACTED} end`);
  });
});

describe("the environment's own credentials are held from load", () => {
  test('AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN', () => {
    const secret = newSecretKey();
    const token = `Tk${randomBytes(200).toString('base64')}`;
    const saved = { ...process.env };
    process.env.AWS_SECRET_ACCESS_KEY = secret;
    process.env.AWS_SESSION_TOKEN = token;
    try {
      jest.isolateModules(() => {
        const fresh =
          require('@cross-account-lambda/core/src/redact') as typeof import('@cross-account-lambda/core/src/redact');
        expect(fresh.redactText(`${secret}|${token}`)).toBe(`${REDACTED}|${REDACTED}`);
      });
    } finally {
      process.env = saved;
    }
  });
});

describe('session tokens are hidden by their STS prefix, even when not held', () => {
  test.each([
    ['IQoJb3JpZ2lu', 'today'],
    ['FwoGZXIvYXdz', 'older'],
  ])('%s (%s)', (prefix) => {
    const token = newToken(prefix);
    expect(redactText(`x-amz-security-token:${token}\n`)).toBe(
      `x-amz-security-token:${REDACTED}\n`,
    );
    expect(redactText(`t ${token} end`)).toBe(`t ${REDACTED} end`);
    expect(redactText(`?t=${encodeURIComponent(token)}&a=1`)).toBe(`?t=${REDACTED}&a=1`);
  });

  test('the prefixes are the base64 of the tokens’ serialisation headers', () => {
    expect(Buffer.from('IQoJb3JpZ2lu', 'base64').toString('latin1')).toBe('!\n\torigin');
    expect(Buffer.from('FwoGZXIvYXdz', 'base64').toString('latin1')).toBe('\x17\n\x06er/aws');
  });
});

describe('values whose name says they are credentials are hidden', () => {
  test.each([
    'aws_secret_access_key = abc/def+ghi',
    'AWS_SECRET_ACCESS_KEY=abc/def+ghi',
    'aws_session_token=abc/def+ghi',
    '"SecretAccessKey": "abc/def+ghi"',
    'X-Amz-Security-Token: abc/def+ghi',
    'aws_access_key_id: abc/def+ghi',
  ])('%s', (text) => {
    expect(redactText(text)).not.toContain('abc/def+ghi');
    expect(redactText(text)).toContain(REDACTED);
  });

  test('sensitive object keys, whatever their value', () => {
    const value = 'plain-value';
    expect(
      redactValue({
        secretAccessKey: value,
        SessionToken: value,
        'x-amz-security-token': value,
        authorization: value,
        credentials: { anything: value },
        nested: [{ aws_secret_access_key: value }],
        token: value,
      }),
    ).toEqual({
      secretAccessKey: REDACTED,
      SessionToken: REDACTED,
      'x-amz-security-token': REDACTED,
      authorization: REDACTED,
      credentials: REDACTED,
      nested: [{ aws_secret_access_key: REDACTED }],
      token: REDACTED,
    });
  });
});
