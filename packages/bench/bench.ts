// `npm run bench`: bundle size, cold start, warm path, credential refresh and fan-out of the
// handler, side by side with the naive build, the SDK-external build and a port of the AWS
// article's handler, all against the offline stand-in on 127.0.0.1. Prints each section with its
// targets and exits 1 when one is missed (2 when the bench itself could not run).
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type StandIn, startStandIn } from '@cross-account-lambda/offline/standin';
import { synthesize } from '@cross-account-lambda/offline/synth';
import {
  exitCleanlyOnSignalsAndClosedPipes,
  makeTempDir,
  removeTempDir,
} from '@cross-account-lambda/offline/tempDirs';
import { shippedBuildOptions } from './src/buildOptions';
import { bundleSection } from './src/bundleSection';
import { STANDIN_TOKEN_VARIABLE, STANDIN_URL_VARIABLE } from './src/child/standinStats';
import { buildChildScripts } from './src/children';
import { coldStartSection, measureColdStarts } from './src/coldStart';
import { type CurvePoint, costCurveSection, measureCostCurve } from './src/costCurve';
import { fanOutOrganization, measureDiscovery, organizationPlacement } from './src/discoveryFanOut';
import { DISTRIBUTED_ACCOUNTS, distributedSection, measureDistributed } from './src/distributed';
import { lambdaEnvironment, lambdaNodeFlags, memorySize, REGION } from './src/environment';
import {
  FANOUT_ACCOUNTS,
  FANOUT_REGIONS,
  fanOutBuckets,
  fanOutSection,
  measureFanOut,
} from './src/fanOut';
import { countInstructions, findValgrind, instructionsSection } from './src/instructions';
import { type BenchOptions, HELP, parseOptions } from './src/options';
import { measureRefresh, refreshSection, startRefreshStandIn } from './src/refresh';
import { renderSection, type Section } from './src/report';
import { type Stack, type Stacks, synthesizeStacks } from './src/stacks';
import { benchSection, describeMachine, readmeMarkdown } from './src/summary';
import { buildVariants, type Variant, type VariantName, writeRefusedCache } from './src/variants';
import { measureWarmPath, warmPathSection } from './src/warmPath';

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const started = performance.now();
  const machine = describeMachine();
  process.stdout.write(`${machine}\n\n`);

  const workDir = await makeTempDir('xacct-bench-');
  const standIns: StandIn[] = [];
  let stacks: Stacks | undefined;
  const step = (text: string) =>
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${text}\n`);
  try {
    step('synthesising the home stacks (sls package: 1 and 50 target accounts, 50 from an OU)...');
    const shipped = shippedBuildOptions();
    const organization = fanOutOrganization(FANOUT_ACCOUNTS);
    const [synthesised, scripts, withCodeCache] = await Promise.all([
      synthesizeStacks({
        accounts: FANOUT_ACCOUNTS,
        regions: FANOUT_REGIONS,
        concurrency: options.concurrency,
        ...organizationPlacement(organization),
      }),
      buildChildScripts(join(workDir, 'children'), shipped.options.plugins ?? []),
      // The cache is written for the architecture it runs on: this machine's, here.
      synthesize({
        stage: 'local',
        params: { codeCache: 'true', architecture: process.arch === 'arm64' ? 'arm64' : 'x86_64' },
      }),
    ]);
    stacks = synthesised;
    step('building the variants...');
    const built = await buildVariants(
      join(workDir, 'variants'),
      stacks.single.synthesis.artefactPath,
      shipped,
      withCodeCache.artefactPath,
    );
    await withCodeCache.dispose();
    const variant = (name: VariantName): Variant => {
      const found = built.variants.get(name);
      if (!found) throw new Error(`variant ${name} was not built`);
      return found;
    };
    const sections: Section[] = [bundleSection(built)];
    const offLoopback: string[] = [];

    const standIn = await startStandIn({ model: stacks.single.model });
    standIns.push(standIn);
    const env = childEnvironment(stacks.single, standIn, workDir);

    const refused = built.variants.get('cacheRejected');
    if (refused) await writeRefusedCache(refused, env);
    step(`cold starts: ${options.runs} rounds of ${built.variants.size} variants...`);
    const coldStarts = await measureColdStarts({
      script: scripts.coldStart,
      variants: [...built.variants.values()],
      rounds: options.runs,
      env,
      standIn,
      lambdaFlags: lambdaNodeFlags(memorySize(stacks.single.synthesis.template)),
    });
    offLoopback.push(...coldStarts.offLoopback);
    sections.push(coldStartSection(coldStarts, built.variants));
    // Opt-in and slow (valgrind): outside the bench's own time budget, like the cost curve.
    let instructionsMs = 0;
    if (options.instructions) {
      const instructionsStarted = performance.now();
      const valgrind = findValgrind();
      if (!valgrind)
        throw new Error('--instructions on needs valgrind on PATH (apt install valgrind)');
      step('cold starts under callgrind: article port, shipped, with its code cache...');
      const counts = await countInstructions({
        valgrind,
        script: scripts.coldStart,
        variants: (['article', 'shipped', 'codeCache'] as const).map(variant),
        env,
        lambdaFlags: coldStarts.lambdaFlags,
        workDir,
      });
      sections.push(instructionsSection(counts));
      instructionsMs = performance.now() - instructionsStarted;
    }

    step(`warm path: ${options.invocations} invocations per handler...`);
    const target = stacks.single.model.targets[0];
    // The benchmark measures the shipped S3 job: its target stack outputs the bucket.
    if (!target?.bucket) throw new Error('the single-account model has no target with a bucket');
    const warmTarget = {
      roleArn: target.roleArn,
      bucket: target.bucket,
      account: target.accountId,
      region: REGION,
    };
    const baselineStandIn = await startStandIn({ model: stacks.single.model });
    standIns.push(baselineStandIn);
    const warm = async (name: VariantName) => {
      const run = await measureWarmPath({
        script: scripts.warmPath,
        variant: variant(name),
        invocations: options.invocations,
        target: warmTarget,
        env,
        baselineEndpoint: baselineStandIn.url,
      });
      offLoopback.push(...run.offLoopback);
      return run;
    };
    sections.push(warmPathSection(await warm('shipped'), await warm('article')));

    step('refresh: waves of concurrent invocations across credential expiries...');
    const refreshStandIn = await startRefreshStandIn(stacks.single.model);
    standIns.push(refreshStandIn);
    const refresh = await measureRefresh({
      script: scripts.refresh,
      variant: variant('shipped'),
      env: childEnvironment(stacks.single, refreshStandIn, workDir),
    });
    offLoopback.push(...refresh.offLoopback);
    sections.push(refreshSection(refresh));

    step(`fan-out over ${FANOUT_ACCOUNTS.length} accounts x ${FANOUT_REGIONS.length} regions...`);
    const fanOutStandIn = await startStandIn({
      model: stacks.fanOut.model,
      extraBuckets: fanOutBuckets(),
    });
    standIns.push(fanOutStandIn);
    const fanOut = await measureFanOut({
      script: scripts.invocations,
      variant: variant('shipped'),
      env: childEnvironment(stacks.fanOut, fanOutStandIn, workDir),
      standIn: fanOutStandIn,
    });
    offLoopback.push(...fanOut.offLoopback);

    step('fan-out over the same accounts from AWS Organizations, across a cache period...');
    const discoveryStandIn = await startStandIn({
      model: stacks.discovery.model,
      extraBuckets: fanOutBuckets(),
      organization,
    });
    standIns.push(discoveryStandIn);
    const discovery = await measureDiscovery({
      script: scripts.invocations,
      variant: variant('discovery'),
      env: childEnvironment(stacks.discovery, discoveryStandIn, workDir),
      organization,
      size: `${FANOUT_ACCOUNTS.length} accounts x ${FANOUT_REGIONS.length} regions`,
    });
    offLoopback.push(...discovery.offLoopback);
    sections.push(fanOutSection(fanOut, discovery));

    // The bench's own time budget is the sections above; the cost curve's time grows with the sizes
    // asked for, and its section says how long it took.
    const elapsedMs = performance.now() - started - instructionsMs;
    let curvePoints: readonly CurvePoint[] = [];
    if (options.curve.length > 0) {
      const curve = await measureCostCurve({
        script: scripts.invocations,
        variant: variant('discovery'),
        stack: stacks.discovery,
        sizes: options.curve,
        env: (standIn) => childEnvironment(stacks?.discovery as Stack, standIn, workDir),
        progress: step,
      });
      offLoopback.push(...curve.offLoopback);
      curvePoints = curve.points;
      sections.push(costCurveSection(curve.points, performance.now() - started - elapsedMs));
    }
    if (options.distributed) {
      const runs = await measureDistributed({ stack: stacks.discovery, progress: step });
      const single = curvePoints.find(
        (point) => point.accounts === DISTRIBUTED_ACCOUNTS && point.regions > 1,
      );
      sections.push(distributedSection(runs, single));
    }
    sections.push(benchSection(elapsedMs, offLoopback));
    for (const section of sections) process.stdout.write(`${renderSection(section)}\n\n`);

    const markdown = readmeMarkdown(machine, built.variants, coldStarts.runs, sections);
    process.stdout.write(`== Markdown for docs/performance.md\n\n${markdown}\n`);
    if (options.out) {
      await writeFile(resolve(options.out), `${markdown}\n`);
      process.stderr.write(`wrote ${resolve(options.out)}\n`);
    }
    const missed = sections.flatMap((section) => section.checks).filter((item) => !item.pass);
    process.stdout.write(
      missed.length === 0
        ? '\nAll targets met.\n'
        : `\n${missed.length} target(s) missed: ${missed.map((item) => item.name).join('; ')}\n`,
    );
    return missed.length === 0 ? 0 : 1;
  } finally {
    await Promise.all(standIns.map((standIn) => standIn.close()));
    await stacks?.single.synthesis.dispose();
    await stacks?.fanOut.synthesis.dispose();
    await stacks?.discovery.synthesis.dispose();
    await removeTempDir(workDir);
  }
}

function childEnvironment(stack: Stack, standIn: StandIn, workDir: string): Record<string, string> {
  return {
    ...lambdaEnvironment(stack.functionEnv, standIn, workDir),
    // The stage's own: it is the SourceIdentity the execution role may set (localorg's differs).
    AWS_LAMBDA_FUNCTION_NAME: stack.model.deployedFunctionName,
    [STANDIN_URL_VARIABLE]: standIn.url,
    [STANDIN_TOKEN_VARIABLE]: standIn.controlToken,
  };
}

if (require.main === module) {
  exitCleanlyOnSignalsAndClosedPipes();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`npm run bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
