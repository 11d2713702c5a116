// Redaction is exact: the identifiers a log line carries to make it useful (request ids, ARNs,
// digests, ETags, ids of roles and keys, base64 that is not a credential) come out as they went in.
import { createHash } from 'node:crypto';
import { createLogger } from '@cross-account-lambda/core/src/logger';
import { quote, redactText } from '@cross-account-lambda/core/src/redact';

const sha1 = createHash('sha1').update('some object').digest('hex');
const sha256 = createHash('sha256').update('some object').digest('hex');

const ORDINARY: Record<string, string> = {
  'a Lambda request id': 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  'an S3 request id': '4442587FB7D0A2F9',
  'an S3 extended request id (x-amz-id-2, base64)':
    'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=',
  'a role ARN': 'arn:aws:iam::222222222222:role/cross-account-demo-target',
  'a long assumed-role ARN':
    'arn:aws:sts::222222222222:assumed-role/cross-account-demo-target/cross-account-lambda-local-crossAccount-c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  'an assumed-role ARN with a base64-alphabet session name': `arn:aws:sts::222222222222:assumed-role/Role/${'SessionName0'.repeat(6)}`,
  'a role unique id (AROA, not a key)': 'AROA3XFRBF535PLBIFPI4:cross-account-lambda-req-1',
  'a user unique id (AIDA, not a key)': 'AIDAJQABLZS4A3QDU576Q',
  'a KMS key ARN': 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  'a SHA-1 digest': sha1,
  'a SHA-1 digest in upper case': sha1.toUpperCase(),
  'a SHA-256 digest': sha256,
  'a git commit': 'ad561ba0d9c4e1f3b2a7c8d9e0f1a2b3c4d5e6f7',
  'an S3 ETag': `"${createHash('md5').update('x').digest('hex')}"`,
  'a multipart S3 ETag': `"${createHash('md5').update('y').digest('hex')}-12"`,
  'base64 of ordinary text': Buffer.from(
    'Ordinary text, long enough that its base64 runs to well over a hundred characters of the alphabet.',
  ).toString('base64'),
  'a 40-character base64 string that is no secret': Buffer.from(
    'thirty bytes of ordinary text!',
  ).toString('base64'),
  'a 40-character mixed-case identifier': 'CrossAccountLambdaLocalCrossAccountFn012',
  'a continuation token': Buffer.from(`{"k":"reports/2024/${'x'.repeat(120)}"}`).toString('base64'),
  'an ISO timestamp': '2026-12-03T06:26:39.470Z',
};

describe('redaction leaves ordinary identifiers readable', () => {
  test('the 40-character samples are 40 characters of the base64 alphabet', () => {
    for (const name of [
      'a 40-character base64 string that is no secret',
      'a 40-character mixed-case identifier',
    ]) {
      expect(ORDINARY[name]).toMatch(/^[A-Za-z0-9+/]{40}$/);
    }
  });

  test.each(Object.entries(ORDINARY))('%s stays intact, alone and in a sentence', (_, value) => {
    expect(redactText(value)).toBe(value);
    const line = `listed bucket: id=${value} (${value})`;
    expect(redactText(line)).toBe(line);
  });

  test('they stay intact through the logger and in echoed messages', () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: (line) => lines.push(line) });
    // Under plain field names: the descriptions above would be sensitive names themselves.
    const values = Object.values(ORDINARY);
    logger.info('all ordinary', Object.fromEntries(values.map((value, i) => [`field${i}`, value])));
    const record = JSON.parse(lines[0] ?? '{}') as Record<string, string>;
    values.forEach((value, i) => {
      expect(record[`field${i}`]).toBe(value);
    });
    expect(quote(ORDINARY['a SHA-1 digest'])).toBe(JSON.stringify(ORDINARY['a SHA-1 digest']));
  });
});
