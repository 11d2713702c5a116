// Command-line flags shared by `npm start`, `npm run check` and `npm run stackset`: the same
// --stage / --region / --param as `sls`, and --target-param to model a target stack deployed
// with other values. Each script adds its own flags beside these.
export class UsageError extends Error {
  override name = 'UsageError';
}

const ACCOUNT = /^\d{12}$/;

/** parseArgs option specs for the flags `sls` itself takes. */
export const SLS_OPTIONS = {
  stage: { type: 'string' as const, default: 'local' },
  region: { type: 'string' as const },
  param: { type: 'string' as const, multiple: true as const, default: [] as string[] },
};

export const TARGET_PARAM_OPTION = {
  'target-param': { type: 'string' as const, multiple: true as const, default: [] as string[] },
};

export function keyValue(flag: string, text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} takes name=value, got "${text}"`);
  return [text.slice(0, at), text.slice(at + 1)];
}

export function accountId(flag: string, text: string): string {
  if (!ACCOUNT.test(text))
    throw new UsageError(`${flag} takes a 12-digit account id, got "${text}"`);
  return text;
}

/** `--param name=value`, repeated, as a record (a later value wins, as with sls). */
export function paramsFrom(specs: readonly string[]): Record<string, string> {
  return Object.fromEntries(specs.map((spec) => keyValue('--param', spec)));
}

/** `--target-param <account>:<Key>=<Value>`, repeated, as overrides per account. */
export function targetOverridesFrom(
  specs: readonly string[],
): Record<string, Record<string, string>> {
  const overrides: Record<string, Record<string, string>> = {};
  for (const spec of specs) {
    const match = /^(\d{12}):(.+)$/.exec(spec);
    if (!match?.[1] || !match[2]) {
      throw new UsageError(`--target-param takes <12-digit account>:<Key>=<Value>, got "${spec}"`);
    }
    const [key, value] = keyValue('--target-param', match[2]);
    overrides[match[1]] = { ...overrides[match[1]], [key]: value };
  }
  return overrides;
}
