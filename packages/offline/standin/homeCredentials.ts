/**
 * The home account's credentials for offline runs: a fixed, documented fake that the stand-in
 * maps to the function's execution-role session (as Lambda's own credentials would be). They are
 * worthless anywhere else, which is why they may appear in code and docs; the credentials the
 * stand-in issues on AssumeRole are random and are never printed.
 */
export const HOME_ACCESS_KEY_ID = 'AKIAOFFLINEHOME00001';
// Shaped like a real secret (40 base64 characters). Offline runs put it in the function's
// environment, so src/redact.ts holds it and hides it exactly; the test run's scan looks for it.
export const HOME_SECRET_ACCESS_KEY = 'OfflineHomeSecretKeyNotRealAnywhere00001';

export interface HomeCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** When set, requests must present it, as Lambda's own session credentials do. */
  readonly sessionToken?: string;
}

export const HOME_CREDENTIALS: HomeCredentials = {
  accessKeyId: HOME_ACCESS_KEY_ID,
  secretAccessKey: HOME_SECRET_ACCESS_KEY,
};
