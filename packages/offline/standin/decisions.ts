// Every allow or deny comes from the shared evaluator (offline/iam), never from the stand-in.
// Decisions are cached because they depend only on the fixed policy model and the request's
// facts, and the benchmark sends thousands of identical requests.
import {
  type Caller,
  type Decision,
  decideAssumeRole,
  decideTargetCall,
  type PolicyModel,
} from '../iam';
import type { KnownResource } from '../iam/awsResources';

const MAX_CACHED = 10_000;

export class Decisions {
  private readonly cache = new Map<string, Promise<Decision>>();

  constructor(
    private readonly model: PolicyModel,
    /** Resources the fixture files name, some with their resource-based policy (a key policy). */
    private readonly resources: readonly KnownResource[] = [],
  ) {}

  assumeRole(
    caller: Caller,
    roleArn: string,
    request: {
      externalId: string | undefined;
      sessionName: string;
      sourceIdentity: string | undefined;
    },
  ): Promise<Decision> {
    const { externalId, sessionName, sourceIdentity } = request;
    const key = JSON.stringify([
      'sts:AssumeRole',
      callerKey(caller),
      roleArn,
      externalId ?? null,
      sessionName,
      sourceIdentity ?? null,
    ]);
    return this.cached(key, async () =>
      decideAssumeRole(this.model, caller, roleArn, {
        sessionName,
        ...(externalId === undefined ? {} : { externalId }),
        ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
      }),
    );
  }

  targetCall(caller: Caller, action: string, resourceArn: string): Promise<Decision> {
    const key = JSON.stringify([action, callerKey(caller), resourceArn]);
    const known = this.resources.find((resource) => resource.arn === resourceArn) ?? {};
    return this.cached(key, async () =>
      decideTargetCall(this.model, caller, action, resourceArn, known),
    );
  }

  private cached(key: string, decide: () => Promise<Decision>): Promise<Decision> {
    let decision = this.cache.get(key);
    if (!decision) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      decision = decide();
      this.cache.set(key, decision);
      // An evaluator error must surface on every request, not be remembered as an answer.
      decision.catch(() => this.cache.delete(key));
    }
    return decision;
  }
}

function callerKey(caller: Caller): string {
  return `${caller.arn}|${caller.roleArn}|${caller.accountId}|${caller.orgId ?? ''}|${caller.sourceFunctionArn ?? ''}`;
}
