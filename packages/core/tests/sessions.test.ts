// The container's session cache is bounded by what the function targets: retain() closes the
// sessions (and their SDK clients) of roles it no longer visits.
import { S3Client } from '@aws-sdk/client-s3';
import { createTargetSessions } from '@cross-account-lambda/core/src/credentials';
import { createLogger } from '@cross-account-lambda/core/src/logger';

const ROLE_A = 'arn:aws:iam::222222222222:role/target';
const ROLE_B = 'arn:aws:iam::444444444444:role/target';

function sessions() {
  return createTargetSessions({
    homeRegion: 'us-east-1',
    externalId: undefined,
    sourceIdentity: 'fn',
    sessionDurationSeconds: 900,
    functionName: 'fn',
    logger: createLogger({ level: 'ERROR', base: {} }),
  });
}

describe('the session cache', () => {
  it('keeps one session per role and one client per class and region', () => {
    const cache = sessions();
    const a = cache.get(ROLE_A, 'req-1');
    expect(cache.get(ROLE_A, 'req-2')).toBe(a);
    const s3 = a.clientsIn('us-east-1').client(S3Client);
    expect(a.clientsIn('us-east-1').client(S3Client)).toBe(s3);
    a.clientsIn('eu-west-1').client(S3Client);
    expect({ size: cache.size, clients: cache.clientCount }).toEqual({ size: 1, clients: 2 });
  });

  it('closes the sessions of roles it is not told to retain, with their clients', () => {
    const cache = sessions();
    cache.get(ROLE_A, 'req-1').clientsIn('us-east-1').client(S3Client);
    const b = cache.get(ROLE_B, 'req-1');
    const client = b.clientsIn('us-east-1').client(S3Client);
    const destroy = jest.spyOn(client, 'destroy');
    expect(cache.retain(new Set([ROLE_A]))).toBe(1);
    expect(destroy).toHaveBeenCalledTimes(1);
    expect({ size: cache.size, clients: cache.clientCount }).toEqual({ size: 1, clients: 1 });
    // A role that comes back gets a new session.
    expect(cache.get(ROLE_B, 'req-2')).not.toBe(b);
  });
});
