// The environment of a command that must not reach AWS: no credentials, AWS config files that
// hold nothing, no instance metadata, and every endpoint on a loopback port that refuses
// connections, so whatever would reach AWS fails there, at once.
import { join } from 'node:path';

/** `process.env` without AWS access; the AWS config files are looked for in `configDir`. */
export function noAwsAccessEnv(configDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_CONFIG_FILE: join(configDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(configDir, 'credentials'),
    // Port 9 (discard) on loopback: nothing listens, so every connection is refused at once.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}
