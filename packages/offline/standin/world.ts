// The accounts the stand-in plays: who the home key stands for, and which buckets exist where.
import type { PolicyModel } from '../iam';
// The same id the evaluator puts in aws:userid, so GetCallerIdentity's UserId matches it.
import { functionArnOf, uniqueIdOf } from '../iam';
import { BucketStore, DEFAULT_OBJECTS } from './buckets';
import { type Principal, sessionArn } from './credentialStore';
import { StandInError } from './errors';
import type { StandInOptions } from './options';

/** The function's execution-role session, as Lambda presents it (contract: session `crossAccount`). */
export function homePrincipal(model: PolicyModel, sessionName: string | undefined): Principal {
  const name = sessionName ?? model.functionName;
  return {
    caller: {
      arn: sessionArn(model.homeAccountId, model.executionRoleName, name),
      accountId: model.homeAccountId,
      roleArn: model.executionRoleArn,
      // Lambda stamps the function's own calls with it; the execution role's statements need it.
      sourceFunctionArn: functionArnOf(model),
      // orgId left out: the evaluator takes the account's organization from the model.
    },
    roleName: model.executionRoleName,
    sessionName: name,
    roleId: uniqueIdOf(model.executionRoleArn),
    // Lambda's credentials are themselves an assumed-role session: its AssumeRole is role chaining.
    isAssumedRoleSession: true,
  };
}

/** One bucket per target stack (the one it grants), the extra buckets, each seeded. */
export function createBuckets(options: StandInOptions, now: number): BucketStore {
  const { model, seed = {} } = options;
  const store = new BucketStore();
  const owners = new Map<string, string>();
  const add = (
    name: string,
    accountId: string,
    objects?: Record<string, string>,
    region = model.targetRegion,
  ) => {
    const owner = owners.get(name);
    if (owner !== undefined) {
      if (owner === accountId) return;
      // Bucket names are global: two accounts cannot both own one.
      throw new StandInError(
        `bucket ${name} is claimed by accounts ${owner} and ${accountId}; bucket names are global, give each target its own`,
      );
    }
    owners.set(name, accountId);
    store.create(name, accountId, region, seed[name] ?? objects ?? DEFAULT_OBJECTS, now);
  };
  for (const target of model.targets) if (target.bucket) add(target.bucket, target.accountId);
  for (const extra of options.extraBuckets ?? [])
    add(extra.name, extra.accountId, extra.objects ?? {}, extra.region);
  const unknown = Object.keys(seed).filter((name) => !owners.has(name));
  if (unknown.length > 0) {
    throw new StandInError(
      `seed names bucket(s) ${unknown.join(', ')} that no target stack grants; add them to extraBuckets with their owner account`,
    );
  }
  return store;
}
