// The world of the code cache's warm-up invocation (@cross-account-lambda/serverless-plugin,
// plugins/ship-code-cache.js): the stand-in npm start would run the packaged stage against, so the
// handler's first call is answered as on AWS and the cache holds what such a call compiles. The
// plugin loads this module while `sls package` runs; the stage's stack is synthesised once more,
// without the cache, because the template being packaged has no roles yet at that point.
import { OFFLINE_HOME_ACCOUNT } from './iam';
import { loadJobModule } from './jobModule';
import { invokeLocalEnv, startStandIn } from './standin';
import { buildModel, jobFixtures, parseStartArgs } from './start';
import { functionEnvironment, synthesize } from './synth';
import { makeTempDir, removeTempDir } from './tempDirs';

export interface WarmUpWorld {
  /** What the warm-up ran against, for the packaging log. */
  readonly source: string;
  /** The function's environment: its variables and the stand-in's endpoints and credentials. */
  readonly env: Record<string, string>;
  /** The calls the stand-in answered so far, e.g. "sts:AssumeRole 1, s3:ListObjectsV2 1". */
  answered(): string;
  close(): Promise<void>;
}

export async function warmUpWorld(given: {
  readonly stage: string;
  readonly region?: string;
  /** The `--param` values as sls was given them (`name=value`). */
  readonly params: readonly string[];
}): Promise<WarmUpWorld> {
  // The stack without the cache: this synthesis must not warm up a cache of its own.
  const options = parseStartArgs([
    '--stage',
    given.stage,
    ...(given.region ? ['--region', given.region] : []),
    ...[...given.params, 'codeCache=false'].flatMap((spec) => ['--param', spec]),
  ]);
  const synthesis = await synthesize({
    stage: given.stage,
    params: options.params,
    ...(given.region ? { region: given.region } : {}),
  });
  const workDir = await makeTempDir('xacct-warm-up-');
  const dispose = async () => {
    await synthesis.dispose();
    await removeTempDir(workDir);
  };
  try {
    const { model, organization } = await buildModel(
      synthesis,
      options,
      // sls loads this module through tsx's CommonJS hook alone: the job is read with require().
      await loadJobModule(undefined, async (path) => require(path)),
    );
    const standIn = await startStandIn({
      model,
      ...(organization ? { organization: organization.organization } : {}),
      fixtures: jobFixtures(undefined, []),
    });
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({
      ...invokeLocalEnv({ standIn, workDir, region: given.region ?? 'us-east-1' }),
      ...functionEnvironment(synthesis.template),
      AWS_LAMBDA_FUNCTION_NAME: model.deployedFunctionName,
    })) {
      if (typeof value === 'string') env[name] = value;
    }
    return {
      source: `the offline stand-in (stage ${given.stage}, home ${OFFLINE_HOME_ACCOUNT}, ${model.targets.length} target account(s))`,
      env,
      answered: () =>
        Object.entries(standIn.stats.calls.byAction)
          .map(([action, count]) => `${action} ${count}`)
          .join(', '),
      close: async () => {
        await standIn.close();
        await dispose();
      },
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
