import type { StandInContext } from './context';
import type { CredentialRecord } from './credentialStore';

/**
 * The declaration cannot drift from the code: a call the job makes with the target role's
 * credentials whose IAM action the job does not declare (Job.permissions) is refused and counted,
 * so the test that made it fails naming the action. Actions only: which resources the grant
 * covers is `npm run check`'s to prove, and a test may point the function at other resources.
 * Returns the refusal's message, or undefined when the call is declared (or not the job's).
 */
export function undeclaredCall(
  context: StandInContext,
  signer: CredentialRecord,
  action: string,
): string | undefined {
  const target = context.model.targets.find((t) => t.roleArn === signer.principal.caller.roleArn);
  if (!target) return undefined;
  const declared = target.job.declared;
  if (declared.some((p) => p.action.toLowerCase() === action.toLowerCase())) return undefined;
  context.stats.undeclaredCall(action);
  return `The job called ${action}, which it does not declare: add <name>: { action: '${action}', resource: '<ARN>' } to the permissions of ${context.model.jobModule}, call it as step('<name>', ...), and grant it in the target template. It declares ${
    declared.map((p) => p.action).join(', ') || 'nothing'
  }.`;
}

/** AWS's current wording of a denial, which names the principal, the action and the resource. */
export function denialMessage(
  signer: CredentialRecord,
  action: string,
  resourceArn: string,
  decision: { readonly explicitDeny: boolean; readonly statement?: string } | undefined,
  quoteResource: boolean,
): string {
  // The evaluator labels bucket-policy statements `bucket-policy/<Sid>`.
  const why = decision?.explicitDeny
    ? ` with an explicit deny in ${decision.statement?.startsWith('bucket-policy/') ? 'a resource-based' : 'an identity-based'} policy`
    : ` because no identity-based policy allows the ${action} action`;
  const resource = quoteResource ? `"${resourceArn}"` : resourceArn;
  // An action decided on `*` (one without resource types) is worded without a resource.
  const on = resourceArn === '*' ? '' : ` on resource: ${resource}`;
  return `User: ${signer.principal.caller.arn} is not authorized to perform: ${action}${on}${why}`;
}
