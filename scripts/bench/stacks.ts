// The home stacks the bench runs against, synthesised by the real `sls package`: the default one
// (one target account; its artefact is the shipped variant) and one with many target accounts for
// the fan-out. Both synthesise concurrently; each comes with its policy model for the stand-in.
import { loadPolicyModel, OFFLINE_HOME_ACCOUNT, type PolicyModel } from '../../offline/iam';
import { type Synthesis, synthesize } from '../../offline/synth';
import { functionEnvironment } from './environment';

export interface Stack {
  readonly synthesis: Synthesis;
  readonly model: PolicyModel;
  /** The function's environment variables from the template. */
  readonly functionEnv: Record<string, string>;
}

export async function synthesizeStacks(fanOut: {
  readonly accounts: readonly string[];
  readonly concurrency: number | undefined;
}): Promise<{ single: Stack; fanOut: Stack }> {
  const params = {
    targetAccountIds: fanOut.accounts.join(','),
    ...(fanOut.concurrency === undefined ? {} : { fanoutConcurrency: String(fanOut.concurrency) }),
  };
  const settled = await Promise.allSettled([
    stack(() => synthesize({ stage: 'local' })),
    stack(() => synthesize({ stage: 'local', params })),
  ]);
  const [single, many] = settled;
  if (single.status === 'fulfilled' && many.status === 'fulfilled') {
    return { single: single.value, fanOut: many.value };
  }
  for (const outcome of settled) {
    if (outcome.status === 'fulfilled') await outcome.value.synthesis.dispose();
  }
  throw single.status === 'rejected' ? single.reason : (many as PromiseRejectedResult).reason;
}

async function stack(run: () => Promise<Synthesis>): Promise<Stack> {
  const synthesis = await run();
  try {
    const model = await loadPolicyModel({
      template: synthesis.template,
      homeAccountId: OFFLINE_HOME_ACCOUNT,
      // The article's port sends no SourceIdentity: the target stacks here are deployed as the
      // article's would be, without requiring one. The starter still sends its own, decided as ever.
      targetParameters: () => ({ SourceIdentity: '' }),
    });
    return { synthesis, model, functionEnv: functionEnvironment(synthesis.template) };
  } catch (error) {
    await synthesis.dispose();
    throw error;
  }
}
