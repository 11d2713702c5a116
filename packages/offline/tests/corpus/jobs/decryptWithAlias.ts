// Decrypt the event's ciphertext in each target account with the key an alias names there (KMS,
// JSON 1.1): the key's id differs per account, the alias is the same. Returns the key, never the
// plaintext.
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { defineJob } from '@cross-account-lambda/core/src/job';
import { matching } from '@cross-account-lambda/core/src/schemas';

export const decryptWithAlias = defineJob({
  params: {
    keyAlias: matching(/^alias\/[\w/-]{1,250}$/, 'be an alias name, e.g. alias/orders'),
  },
  event: { ciphertext: matching(/^[A-Za-z0-9+/]{4,8192}={0,2}$/, 'be base64 ciphertext') },
  permissions: {
    // KMS decides on the key, never on the alias: a grant on key/*, narrowed by the condition
    // kms:ResourceAliases to the key this alias names (resources/cross-account-role.yml).
    decrypt: {
      action: 'kms:Decrypt',
      resource: 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*',
    },
  },
  // The grant's condition names the alias: the target stack takes it as a parameter.
  targetStack: (config) => ({ keyAlias: config.keyAlias }),
  async run({ config, event, client, step, abortSignal }) {
    const kms = client(KMSClient);
    const decrypted = await step('decrypt', () =>
      kms.send(
        new DecryptCommand({
          KeyId: config.keyAlias,
          CiphertextBlob: Buffer.from(event.ciphertext, 'base64'),
        }),
        { abortSignal },
      ),
    );
    return { keyId: decrypted.KeyId, bytes: decrypted.Plaintext?.length ?? 0 };
  },
});
