// KMS (JSON 1.1): Decrypt through an alias. KMS decides on the key the alias points to, never on
// the alias; the documented way to grant "the key this alias names" is a grant on key/* with the
// condition kms:ResourceAliases. The key, its aliases and its key policy are in the fixtures.
import { describeCorpusJob, inOtherRegion } from './harness';

describeCorpusJob('KMS: decrypt with the key an alias names', {
  module: 'packages/offline/tests/corpus/jobs/decryptWithAlias.ts',
  exportName: 'decryptWithAlias',
  params: { keyAlias: 'alias/orders' },
  stackParameters: '  keyAlias:\n    Type: String\n',
  statements: `
              - Sid: DecryptWithTheAliasedKey
                Effect: Allow
                Action: kms:Decrypt
                Resource: !Sub 'arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/*'
                Condition:
                  ForAnyValue:StringEquals:
                    kms:ResourceAliases: !Ref keyAlias`,
  justifications: {
    DecryptWithTheAliasedKey:
      'the key id differs per account; the kms:ResourceAliases condition admits only the key the alias names',
  },
  excess: 'kms:Encrypt',
  nearMisses: [
    {
      what: "the alias's ARN as the resource",
      edit: (statements) =>
        statements.replace(':key/*', ':${keyAlias}').replace(/\n\s+Condition:[\s\S]*$/, ''),
      says: /NEVER MATCHES: kms:Decrypt on arn:aws:kms:us-east-1:222222222222:alias\/orders .*has none of the ARN formats AWS gives for kms:Decrypt.*KMS decides a call that names an alias on the key the alias points to/,
    },
    {
      what: 'a condition naming another alias',
      edit: (statements) => statements.replace('!Ref keyAlias', 'alias/other'),
      says: /denies "as the role: kms:Decrypt on arn:aws:kms:us-east-1:222222222222:key\/\* \(the job declares it\)": kms:Decrypt on arn:aws:kms:us-east-1:222222222222:key\/1234abcd-12ab-34cd-56ef-1234567890ab /,
    },
    {
      what: 'a grant in another region',
      edit: inOtherRegion,
      says: /denies "as the role: kms:Decrypt on arn:aws:kms:us-east-1:222222222222:key\//,
    },
  ],
  event: { ciphertext: 'AQICAHh0ZXN0LWNpcGhlcnRleHQ=' },
  answer: {
    keyId: 'arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    bytes: 20,
  },
  deniedCode: 'AccessDeniedException',
});
