// The fan-out over regions on the real wire: the handler, the SDK and the stand-in, with
// TARGET_REGIONS naming two regions. One AssumeRole per account, at the home region's STS
// endpoint, serves the S3 clients of both regions; each region's listing is signed for its own
// region and decided by the real policies of both stacks: the shipped target stack grants the
// demo bucket in its own region only, so the other region has none: S3 answers NoSuchBucket and
// that target alone fails, with a message naming the bucket and the region.
import { invoke, type OfflineAws, SYNTH_TIMEOUT_MS, startOfflineAws } from '../reliability/support';

let aws: OfflineAws | undefined;
beforeAll(async () => {
  aws = await startOfflineAws({ env: { TARGET_REGIONS: 'us-east-1,eu-west-1' } });
}, SYNTH_TIMEOUT_MS);
afterAll(() => aws?.close());

const offline = () => {
  if (!aws) throw new Error('the offline AWS stand-in did not start (see beforeAll)');
  return aws;
};

test('two regions: one AssumeRole, one listing per region, results keyed by account and region', async () => {
  const run = await invoke(offline().coldStart());
  expect(run.error).toBeUndefined();
  expect(run.result?.summary).toEqual({ succeeded: 1, failed: 1 });
  const [home, other] = run.result?.results ?? [];
  expect(home).toMatchObject({
    account: '222222222222',
    region: 'us-east-1',
    ok: true,
    bucket: 'cross-account-demo-222222222222-us-east-1',
  });
  expect(other).toMatchObject({
    account: '222222222222',
    region: 'eu-west-1',
    ok: false,
    error: {
      code: 'BucketNotFound',
      message: 'arn:aws:s3:::cross-account-demo-222222222222-eu-west-1 does not exist',
    },
  });
  const { stats } = offline().standIn;
  expect(stats.assumeRole.byAccount).toEqual({ '222222222222': 1 });
  expect(stats.calls.byAction['s3:ListObjectsV2']).toBe(2);
  // The metrics count each target once.
  const outcomes = run.records.filter((record) => '_aws' in record);
  expect(outcomes.map((r) => [r.region, r.TargetFailed, r.ErrorCode])).toEqual(
    expect.arrayContaining([
      ['us-east-1', 0, undefined],
      ['eu-west-1', 1, 'BucketNotFound'],
    ]),
  );
});

test('the event narrows to one region: the warm container lists it without assuming again', async () => {
  const module = offline().coldStart();
  await invoke(module);
  offline().reset();
  const run = await invoke(module, { event: { regions: ['us-east-1'] }, requestId: 'req-2' });
  expect(run.result?.results.map((r) => `${r.account} ${r.region} ${r.ok}`)).toEqual([
    '222222222222 us-east-1 true',
  ]);
  expect(offline().standIn.stats.assumeRole.calls).toBe(0);
});
