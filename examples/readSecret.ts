// Read one secret in each target account: its version, never its value (README, "Make it yours").
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { defineJob } from '@cross-account-lambda/core';
import * as v from 'valibot';

export const readSecret = defineJob({
  params: {
    // --param secretName=prod/db, SECRET_NAME in the function's environment
    secretName: v.pipe(v.string(), v.regex(/^[\w/+=.@-]{1,512}$/, 'must be a secret name')),
  },
  permissions: {
    // Written as the target template writes the grant; AWS adds 6 characters to a secret's ARN.
    getSecret: {
      action: 'secretsmanager:GetSecretValue',
      resource:
        'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${secretName}-??????',
    },
  },
  async run({ config, client, step, abortSignal }) {
    const secrets = client(SecretsManagerClient);
    const secret = await step('getSecret', () =>
      secrets.send(new GetSecretValueCommand({ SecretId: config.secretName }), { abortSignal }),
    );
    return { versionId: secret.VersionId, createdDate: secret.CreatedDate?.toISOString() };
  },
});
