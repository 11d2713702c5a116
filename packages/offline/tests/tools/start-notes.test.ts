// npm start's notes on a run: a call that bypassed the stand-in says which client and what to do.
import { bypassNote } from '@cross-account-lambda/offline/start';

describe('a call that went to an AWS host instead of the stand-in', () => {
  it("names the SQS client's queue-URL endpoint and the option that keeps the regional one", () => {
    expect(
      bypassNote('failed with Error: getaddrinfo ENOTFOUND sqs.us-east-1.amazonaws.com'),
    ).toMatch(
      /^a call went to sqs\.us-east-1\.amazonaws\.com, not to the stand-in: .*useQueueUrlAsEndpoint: false/,
    );
  });

  it('tells any other client to take no endpoint of its own', () => {
    expect(bypassNote('ENOTFOUND example.execute-api.eu-west-1.amazonaws.com')).toMatch(
      /no endpoint of your own\.$/,
    );
  });

  it('says nothing when every call reached the stand-in', () => {
    expect(bypassNote('{"summary":{"succeeded":1,"failed":0}}')).toBeUndefined();
  });
});
