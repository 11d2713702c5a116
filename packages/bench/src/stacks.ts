// The home stacks the bench runs against, synthesised by the real `sls package`: the default one
// (one target account; its artefact is the shipped variant), one with many target accounts for
// the fan-out over accounts x regions, and one that takes the same accounts from AWS Organizations
// (stage localorg). All synthesise concurrently; each comes with its policy model for the stand-in.
import {
  type LoadPolicyModelOptions,
  loadPolicyModel,
  OFFLINE_HOME_ACCOUNT,
  type PolicyModel,
  readTemplate,
  TARGET_TEMPLATE_PATH,
  type TemplateDocument,
} from '@cross-account-lambda/offline/iam';
import { type Synthesis, synthesize } from '@cross-account-lambda/offline/synth';
import { functionEnvironment } from './environment';

export interface Stack {
  readonly synthesis: Synthesis;
  readonly model: PolicyModel;
  /** The function's environment variables from the template. */
  readonly functionEnv: Record<string, string>;
}

export interface Stacks {
  readonly single: Stack;
  readonly fanOut: Stack;
  /** The fan-out's accounts from AWS Organizations (offline stage localorg). */
  readonly discovery: Stack;
}

export async function synthesizeStacks(fanOut: {
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  readonly concurrency: number | undefined;
  /** Where the organization places the accounts, and which organization they belong to. */
  readonly organizationPaths: Record<string, string>;
  readonly organizations: Record<string, string>;
}): Promise<Stacks> {
  const shared = {
    targetRegions: fanOut.regions.join(','),
    ...(fanOut.concurrency === undefined ? {} : { fanoutConcurrency: String(fanOut.concurrency) }),
  };
  const params = { targetAccountIds: fanOut.accounts.join(','), ...shared };
  const settled = await Promise.allSettled([
    stack(() => synthesize({ stage: 'local' })),
    stack(() => synthesize({ stage: 'local', params }), {
      targetTemplate: demoBucketsIn(fanOut.regions),
    }),
    stack(() => synthesize({ stage: 'localorg', params: shared }), {
      targetTemplate: demoBucketsIn(fanOut.regions),
      discoveredAccounts: [...fanOut.accounts],
      organizations: fanOut.organizations,
      organizationPaths: fanOut.organizationPaths,
    }),
  ]);
  const [single, many, discovery] = settled;
  if (
    single.status === 'fulfilled' &&
    many.status === 'fulfilled' &&
    discovery.status === 'fulfilled'
  ) {
    return { single: single.value, fanOut: many.value, discovery: discovery.value };
  }
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') await outcome.value.synthesis.dispose();
  }
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  throw (failed as PromiseRejectedResult).reason;
}

async function stack(
  run: () => Promise<Synthesis>,
  modelOptions: Omit<LoadPolicyModelOptions, 'template'> = {},
): Promise<Stack> {
  const synthesis = await run();
  try {
    const model = await loadPolicyModel({
      template: synthesis.template,
      homeAccountId: OFFLINE_HOME_ACCOUNT,
      // The article's port sends no SourceIdentity: the target stacks here are deployed as the
      // article's would be, without requiring one. The starter still sends its own, decided as ever.
      targetParameters: () => ({ SourceIdentity: '' }),
      ...modelOptions,
    });
    return { synthesis, model, functionEnv: functionEnvironment(synthesis.template) };
  } catch (error) {
    await synthesis.dispose();
    throw error;
  }
}

/**
 * The policy model of the Organizations-mode stack (stage localorg) for another organization:
 * `accounts` discovered, each with the target stack granting the demo bucket in every region.
 */
export function discoveryModelFor(
  stack: Stack,
  accounts: readonly string[],
  regions: readonly string[],
  placement: { organizationPaths: Record<string, string>; organizations: Record<string, string> },
): Promise<PolicyModel> {
  return loadPolicyModel({
    template: stack.synthesis.template,
    homeAccountId: OFFLINE_HOME_ACCOUNT,
    targetParameters: () => ({ SourceIdentity: '' }),
    targetTemplate: demoBucketsIn(regions),
    discoveredAccounts: [...accounts],
    ...placement,
  });
}

/**
 * The shipped target template with its one grant widened to the demo bucket of each region: the
 * shipped stack grants the bucket of its own region only, and a multi-region job's target role
 * must grant what the job touches in every region. The bench models such a role, so that every
 * target of the fan-out succeeds and the wall time is that of the job.
 */
function demoBucketsIn(regions: readonly string[]): TemplateDocument {
  const template = structuredClone(readTemplate(TARGET_TEMPLATE_PATH));
  const role = template.Resources.CrossAccountRole as unknown as {
    Properties: {
      Policies: { PolicyDocument: { Statement: { Sid: string; Resource: unknown }[] } }[];
    };
  };
  const statement = role.Properties.Policies[0]?.PolicyDocument.Statement[0];
  if (statement?.Sid !== 'ListTheBucket') {
    throw new Error(`${TARGET_TEMPLATE_PATH}: the bench expects the ListTheBucket statement first`);
  }
  statement.Resource = regions.map((region) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:s3:::cross-account-demo-\${AWS::AccountId}-${region}`,
  }));
  return template;
}
