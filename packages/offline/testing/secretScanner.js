// The secret scan over a test run's captured output. Plain JavaScript because Jest loads
// reporters without transforming them; packages/offline/testing/runRecord.ts shares the record format.
const { createHash } = require('node:crypto');

const RUN_DIR_VARIABLE = 'RELIABILITY_RUN_DIR';
/** Any 24 characters of a recorded secret count as a leak: a truncated token is still a leak. */
const FRAGMENT_LENGTH = 24;

// Access key ids of long-term (AKIA) and session (ASIA) credentials, wherever they came from.
const ACCESS_KEY_ID = /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g;
// The offline home key is a published fake, but it is printed nowhere by design: if it shows up,
// some code path prints the key it signs with, which in Lambda is the execution role's real one.
const PUBLISHED_FAKE_KEY_ID = 'AKIAOFFLINEHOME00001';
// Session tokens STS issues (and the stand-in's) begin with the base64 of their serialisation
// header: `IQoJb3JpZ2lu` ("IQoJorigin") or, for older tokens, `FwoGZXIvYXdz`. Matching the prefix
// finds a token nobody recorded without mistaking long paths or other base64 for one (a rule on
// length and alphabet alone flags `<root>/handlers/...` paths at some checkout roots).
const TOKEN_SHAPED = /(?:IQoJb3JpZ2lu|FwoGZXIvYXdz)[A-Za-z0-9+/]{20,}/;
// Characters recorded secrets are made of; only runs of them can hold a fragment.
const SECRET_RUN = /[A-Za-z0-9+/=_-]+/g;

function hashOf(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Hashes of every FRAGMENT_LENGTH-character window of `value` (the whole value if shorter). */
function fragmentHashes(value) {
  if (value.length <= FRAGMENT_LENGTH) return [hashOf(value)];
  const hashes = new Set();
  for (let start = 0; start + FRAGMENT_LENGTH <= value.length; start += 1) {
    hashes.add(hashOf(value.slice(start, start + FRAGMENT_LENGTH)));
  }
  return [...hashes];
}

/**
 * Recorded secrets as `length -> (fragment hash -> label)`, with a memo of the runs already
 * hashed: log lines repeat, and hashing every window of every run is the scan's only real cost.
 */
function indexSecrets(records) {
  const byLength = new Map();
  for (const { label, length, hashes } of records) {
    const byHash = byLength.get(length) ?? new Map();
    for (const hash of hashes) byHash.set(hash, label);
    byLength.set(length, byHash);
  }
  return { byLength, runs: new Map() };
}

function labelsInRun(run, index) {
  let labels = index.runs.get(run);
  if (labels) return labels;
  labels = [];
  for (const [length, byHash] of index.byLength) {
    for (let start = 0; start + length <= run.length; start += 1) {
      const label = byHash.get(hashOf(run.slice(start, start + length)));
      if (label && !labels.includes(label)) labels.push(label);
    }
  }
  index.runs.set(run, labels);
  return labels;
}

// A secret may be printed URL-encoded (in a logged URL or query string).
function decoded(text) {
  return text.replace(/%2B/gi, '+').replace(/%2F/gi, '/').replace(/%3D/gi, '=');
}

/** What kinds of secret `text` holds; never the secrets themselves. */
function findSecrets(text, secretIndex) {
  const found = new Set();
  for (const [match] of text.matchAll(ACCESS_KEY_ID)) {
    found.add(
      match === PUBLISHED_FAKE_KEY_ID
        ? 'the offline home access key id (a published fake that no code path may print)'
        : 'an AWS access key id (AKIA/ASIA + 16)',
    );
  }
  if (TOKEN_SHAPED.test(text)) found.add('a session token (by its STS prefix)');
  const candidates = new Set([text, decoded(text)]);
  for (const candidate of candidates) {
    for (const [run] of candidate.matchAll(SECRET_RUN)) {
      for (const label of labelsInRun(run, secretIndex)) found.add(label);
    }
  }
  return [...found];
}

module.exports = {
  FRAGMENT_LENGTH,
  RUN_DIR_VARIABLE,
  findSecrets,
  fragmentHashes,
  indexSecrets,
};
