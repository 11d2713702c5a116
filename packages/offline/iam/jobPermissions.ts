// The job's declared permissions (Job.permissions in job/), resolved for each target account from
// the function's own configuration, and compared with what the target stack grants. This is how
// `npm run check` proves least privilege from the code to the policy, whatever job is plugged in.
import { join } from 'node:path';
import { loadAllConfig } from '@cross-account-lambda/core/src/crossAccount';
import {
  type AnyJob,
  type DeliberateGrant,
  type JobTarget,
  type Permission,
  resolvePermission,
} from '@cross-account-lambda/core/src/job';
import { PROJECT_ROOT, SELECTED_JOB } from '../projectCopy';
import { policyPattern, sampleResource } from './awsResources';
import { EvaluatorError } from './errors';
import type { NamedPolicy } from './policy';

/** What the job needs in one target account, placeholders filled in. */
export interface AccountPermissions {
  readonly declared: readonly Permission[];
  readonly deliberate: readonly DeliberateGrant[];
  /** The target stack parameters that match the function's configuration (README's command). */
  readonly stackParameters: Readonly<Record<string, string>>;
}

/** One (action, resource) pair an Allow statement of the target role grants. */
export interface Grant extends Permission {
  readonly account: string;
  readonly policy: string;
  readonly statement: string;
}

export interface JobPermissionsOptions {
  /** The function's environment as the synthesised stack sets it. */
  readonly environment: Readonly<Record<string, string>>;
  /** The home region (AWS_REGION of the function). */
  readonly region: string;
  readonly accounts: readonly string[];
  /** Default: the job of job/index.ts. */
  readonly job?: AnyJob;
}

/** The service's own job (job/index.ts), loaded when a caller names none. */
function serviceJob(): AnyJob {
  // Loaded on demand, not imported: the kit is installed apart from the service it checks.
  return (require(join(PROJECT_ROOT, SELECTED_JOB)) as { job: AnyJob }).job;
}

/** The job's permissions for every account in `accounts`, from the function's configuration. */
export function jobPermissions(
  options: JobPermissionsOptions,
): ReadonlyMap<string, AccountPermissions> {
  const job = options.job ?? serviceJob();
  let loaded: ReturnType<typeof loadAllConfig>;
  try {
    // Every account the model has a target stack in, so the job can name its resources there.
    loaded = loadAllConfig(job, {
      ...options.environment,
      AWS_REGION: options.region,
      // A function that discovers its accounts visits them as if they were listed.
      ...(options.environment.TARGET_ORGANIZATIONAL_UNITS && options.accounts.length === 0
        ? {}
        : { TARGET_ACCOUNT_IDS: options.accounts.join(','), TARGET_ORGANIZATIONAL_UNITS: '' }),
    });
  } catch (error) {
    throw new EvaluatorError(
      `the function's configuration does not load: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const { targets, jobConfig, namesOf } = loaded;
  // One entry per account: what the job needs in every target region of it (the role is global),
  // and the target stack parameters of the first region (where the README deploys that stack).
  const byAccount = new Map<string, AccountPermissions>();
  for (const target of targets as readonly JobTarget[]) {
    const names = namesOf(target);
    const declared = Object.values(job.permissions).map((p) =>
      resolvePermission({ action: p.action, resource: p.resource }, target, names),
    );
    const deliberate = job.deliberateGrants.map((grant) => resolvePermission(grant, target, names));
    const known = byAccount.get(target.account);
    byAccount.set(
      target.account,
      known
        ? {
            ...known,
            declared: [...known.declared, ...declared],
            deliberate: [...known.deliberate, ...deliberate],
          }
        : { declared, deliberate, stackParameters: job.targetStack(jobConfig, target, names) },
    );
  }
  return byAccount;
}

const asList = (value: unknown): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];

/** Every (action, resource) the Allow statements of `policies` grant, as written. */
export function grantsOf(account: string, policies: readonly NamedPolicy[]): Grant[] {
  const grants: Grant[] = [];
  for (const policy of policies) {
    for (const [index, statement] of policy.document.Statement.entries()) {
      if (statement.Effect !== 'Allow') continue;
      const sid = statement.Sid ?? `#${index + 1}`;
      // NotAction / NotResource grant everything but the list: reported as written.
      const actions = statement.NotAction
        ? asList(statement.NotAction).map((a) => `everything but ${a}`)
        : asList(statement.Action);
      const resources = statement.NotResource
        ? asList(statement.NotResource).map((r) => `everything but ${r}`)
        : asList(statement.Resource);
      for (const action of actions) {
        for (const resource of resources) {
          grants.push({ account, action, resource, policy: policy.name, statement: sid });
        }
      }
    }
  }
  return grants;
}

const sameAction = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Whether a grant is exactly one the job declares (or marks as deliberate). */
export function isDeclaredGrant(grant: Permission, declared: readonly Permission[]): boolean {
  return declared.some((d) => sameAction(d.action, grant.action) && d.resource === grant.resource);
}

/** Whether a request the job sent (action on a concrete resource) is covered by a declaration. */
export function coversRequest(
  declared: readonly Permission[],
  action: string,
  resource: string,
): boolean {
  return declared.some(
    (d) => sameAction(d.action, action) && policyPattern(d.resource).test(resource),
  );
}

export { sampleResource };

/**
 * A resource next to a declared one that the job does not declare: the last named part of the
 * ARN gets a suffix (`bucket` → `bucket-not-declared`, `table/T` → `table/T-not-declared`,
 * `bucket/*` → `bucket-not-declared/*`). A grant broader than declared allows it too.
 */
export function siblingResource(resource: string): string {
  const parts = resource.split(/([/:])/);
  for (let index = parts.length - 1; index >= 0; index -= 1) {
    const part = parts[index] ?? '';
    if (part !== '' && part !== '/' && part !== ':' && !/^[*?]+$/.test(part)) {
      parts[index] = `${part}-not-declared`;
      return sampleResource(parts.join(''));
    }
  }
  return `${resource}-not-declared`;
}
