// `npm start`: the function's real job, offline. Synthesises the home stack with the real
// `sls package`, builds the policy model (offline/iam) from it and the target template, starts the
// AWS stand-in on 127.0.0.1, runs the real `sls invoke local` against it and prints the result.
// A misconfigured stack fails here exactly as it would in AWS, with the handler's own message.
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  accountId,
  paramsFrom,
  SLS_OPTIONS,
  TARGET_PARAM_OPTION,
  targetOverridesFrom,
  UsageError,
} from './args';
import { DistributedModeError } from './distributed/definition';
import type { DistributedRunResult } from './distributed/run';
import { EvaluatorError, loadPolicyModel, OFFLINE_HOME_ACCOUNT, type PolicyModel } from './iam';
import { describeFinding, findTrustWildcards } from './iam/wildcards';
import { type JobModule, JobModuleError, loadJobModule } from './jobModule';
import { lambdaNodeProblem } from './lambdaNode';
import {
  organizationLines,
  type SmallOrganization,
  smallOrganization,
} from './modelledOrganization';
import {
  type ExtraBucket,
  type FaultRule,
  FaultSpecError,
  type FixtureSet,
  type InvokeLocalResult,
  jobFixtureFiles,
  loadFixtureFiles,
  organizationPaths,
  parseFaultRule,
  runInvokeLocal,
  type StandIn,
  StandInError,
  type StandInStats,
  startStandIn,
  type Upstream,
  upstreamAt,
} from './standin';
import { sdkService } from './standin/sdkServices';
import {
  hasStateMachine,
  PROJECT_ROOT,
  synthesize as realSynthesize,
  type SlsOptions,
  type Synthesis,
  SynthesisError,
} from './synth';
import { exitQuietlyOnClosedPipe, makeTempDir, removeTempDir } from './tempDirs';

const HELP = `Usage: npm start -- [options]

Runs the function offline: the real \`sls invoke local\` against a local AWS stand-in on 127.0.0.1
that checks every signature and decides every call, to any service, with the same IAM policy
evaluator as \`npm run check\`. STS and S3 are emulated; other services are answered from the job's
fixtures (job/*.fixtures.json) or, with --upstream, forwarded to an emulator. Nothing else leaves
this machine.

Options:
  --job <module>[#export]             run this job module instead of the one job/index.ts selects,
                                      e.g. --job examples/queryTable.ts (with the fixtures beside it,
                                      <module>.fixtures.json)
  --data <json>                       the event, e.g. '{"prefix":"reports/","maxKeys":10}'
  --param <name=value>                a serverless.yml parameter as for sls, repeatable,
                                      e.g. --param targetAccountIds=222222222222,333333333333
  --stage <stage>                     stage (default: local; localorg takes the accounts from a
                                      small modelled AWS organization, see README)
  --region <region>                   region of the home stack (default: us-east-1)
  --target-param <account:Key=Value>  the target stack in <account> was deployed with Key=Value
                                      (ExecutionRoleName, TrustedAccountId, RoleName, ExternalId,
                                      BucketName, OrganizationId, ...); repeatable
  --target-template <path>            target template to deploy (default resources/cross-account-role.yml)
  --missing-target <account>          <account> has no target stack; repeatable
  --outside-org <account>             organization mode: <account> is outside the organization
  --bucket <account:name>             one more bucket, owned by <account>; repeatable
  --fixtures <file>                   one more fixture file (default: every job/*.fixtures.json,
                                      or with --job the module's own); repeatable
  --upstream <url>                    forward authorised calls that no fixture answers to this
                                      emulator, e.g. http://localhost:4566 (LocalStack)
  --faults <json>                     faults for the stand-in, a JSON array of rules, any service, e.g.
                                      '[{"kind":"throttle","service":"sts","count":2}]'
                                      (also from the STANDIN_FAULTS environment variable)
  --clock-skew <seconds>              the stand-in's clock runs this far ahead (negative: behind)
  --credential-lifetime <seconds>     lifetime of the credentials AssumeRole issues
  --logs                              show the function's log lines
  --accounts <n>                      Organizations mode (--stage localorg): <n> more ACTIVE accounts
                                      under the first unit of the modelled organization, for a run
                                      at scale, e.g. --accounts 300 --param distributed=true
  --results <dir>                     distributed mode (--param distributed=true): keep the results
                                      the state machine writes (ResultWriter's files) in <dir>
  --verbose                           also show every request the stand-in answers, and sls's stderr
  -h, --help                          this help

Exit status: 0 the invocation succeeded, 1 it failed (the message says why) or a trust policy has
a wildcard (refused, as npm run check refuses it), 2 bad options or the stacks could not be
synthesised or modelled, 130/143 interrupted.`;

export interface StartOptions {
  readonly data: string | undefined;
  /** --job as given; undefined: the job of job/index.ts. */
  readonly job: string | undefined;
  readonly stage: string;
  readonly region: string | undefined;
  readonly params: Record<string, string>;
  readonly targetOverrides: Record<string, Record<string, string>>;
  readonly targetTemplate: string | undefined;
  readonly missingTargets: string[];
  readonly outsideOrg: string[];
  readonly extraBuckets: ExtraBucket[];
  readonly faults: FaultRule[];
  /** Extra fixture files, as given. */
  readonly fixtureFiles: string[];
  readonly upstream: Upstream | undefined;
  readonly clockSkewSeconds: number | undefined;
  readonly credentialLifetimeSeconds: number | undefined;
  readonly logs: boolean;
  readonly verbose: boolean;
  readonly help: boolean;
  /** Distributed mode: keep ResultWriter's files in this folder. */
  readonly resultsDir: string | undefined;
  /** Organizations mode: this many more accounts in the modelled organization. */
  readonly moreAccounts: number;
}

function seconds(
  flag: string,
  text: string | undefined,
  allowNegative: boolean,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || (!allowNegative && value <= 0)) {
    throw new UsageError(
      `${flag} takes a${allowNegative ? 'n' : ' positive'} integer number of seconds, got "${text}"`,
    );
  }
  return value;
}

function faultRules(source: string, text: string | undefined): FaultRule[] {
  if (text === undefined || text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${source} must be a JSON array of fault rules: ${(error as Error).message}`,
    );
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  try {
    return list.map((rule, index) => parseFaultRule(rule, `${source}[${index}]`));
  } catch (error) {
    if (error instanceof FaultSpecError) throw new UsageError(error.message);
    throw error;
  }
}

const MAX_MODELLED_ACCOUNTS = 5000;

function moreAccounts(text: string | undefined, stage: string): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_MODELLED_ACCOUNTS) {
    throw new UsageError(
      `--accounts takes a number of accounts from 1 to ${MAX_MODELLED_ACCOUNTS}, got "${text}"`,
    );
  }
  if (stage === 'local') {
    throw new UsageError(
      '--accounts adds accounts to the modelled organization of an Organizations stage: use it with --stage localorg',
    );
  }
  return Number(text);
}

export function parseStartArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): StartOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      job: { type: 'string' },
      data: { type: 'string' },
      ...SLS_OPTIONS,
      ...TARGET_PARAM_OPTION,
      'target-template': { type: 'string' },
      'missing-target': { type: 'string', multiple: true, default: [] },
      'outside-org': { type: 'string', multiple: true, default: [] },
      bucket: { type: 'string', multiple: true, default: [] },
      faults: { type: 'string' },
      fixtures: { type: 'string', multiple: true, default: [] },
      upstream: { type: 'string' },
      'clock-skew': { type: 'string' },
      'credential-lifetime': { type: 'string' },
      logs: { type: 'boolean', default: false },
      results: { type: 'string' },
      accounts: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.data !== undefined) {
    try {
      JSON.parse(values.data);
    } catch (error) {
      throw new UsageError(
        `--data must be JSON, e.g. '{"prefix":"reports/"}': ${(error as Error).message}`,
      );
    }
  }
  const targetOverrides = targetOverridesFrom(values['target-param']);
  const extraBuckets = values.bucket.map((spec) => {
    const match = /^(\d{12}):([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.exec(spec);
    if (!match?.[1] || !match[2])
      throw new UsageError(`--bucket takes <12-digit account>:<bucket name>, got "${spec}"`);
    return { accountId: match[1], name: match[2] };
  });
  return {
    job: values.job,
    data: values.data,
    stage: values.stage,
    region: values.region,
    params: paramsFrom(values.param),
    targetOverrides,
    targetTemplate:
      values['target-template'] === undefined ? undefined : resolve(values['target-template']),
    missingTargets: values['missing-target'].map((id) => accountId('--missing-target', id)),
    outsideOrg: values['outside-org'].map((id) => accountId('--outside-org', id)),
    extraBuckets,
    faults: [
      ...faultRules('STANDIN_FAULTS', env.STANDIN_FAULTS),
      ...faultRules('--faults', values.faults),
    ],
    fixtureFiles: values.fixtures,
    upstream: upstreamOption(values.upstream),
    clockSkewSeconds: seconds('--clock-skew', values['clock-skew'], true),
    credentialLifetimeSeconds: seconds(
      '--credential-lifetime',
      values['credential-lifetime'],
      false,
    ),
    logs: values.logs,
    resultsDir: values.results,
    moreAccounts: moreAccounts(values.accounts, values.stage),
    verbose: values.verbose,
    help: values.help,
  };
}

export interface StartIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface StartDependencies {
  /** Tests pass a memoised one: `sls package` takes seconds and its result depends only on the options. */
  readonly synthesize?: (options: SlsOptions) => Promise<Synthesis>;
  readonly signal?: AbortSignal;
  /** Tests: the stand-in's counters once the invocation is over (which account saw what). */
  readonly onStats?: (stats: StandInStats) => void;
}

const processIo: StartIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs `npm start` with these arguments; resolves to the exit status. */
export async function main(
  argv: string[],
  io: StartIo = processIo,
  deps: StartDependencies = {},
): Promise<number> {
  let options: StartOptions;
  try {
    options = parseStartArgs(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (options.help) {
    io.out(`${HELP}\n`);
    return 0;
  }
  const { signal } = deps;
  let jobModule: JobModule;
  try {
    jobModule = await loadJobModule(options.job);
  } catch (error) {
    if (!(error instanceof JobModuleError)) throw error;
    io.err(`${error.message}\n`);
    return 2;
  }
  const job = { path: jobModule.path, exportName: jobModule.exportName };
  const slsOptions: SlsOptions = {
    stage: options.stage,
    params: options.params,
    ...(options.region ? { region: options.region } : {}),
    ...(options.job ? { job } : {}),
  };
  let synthesis: Synthesis | undefined;
  let standIn: StandIn | undefined;
  let workDir: string | undefined;
  try {
    io.err(`Synthesising the home stack (sls package --stage ${options.stage})...\n`);
    synthesis = await (deps.synthesize ?? realSynthesize)(slsOptions);
    if (signal?.aborted) return interrupted(signal);
    const { model, organization } = await buildModel(synthesis, options, jobModule);
    // IAM would honour such a trust, and so would the evaluator: the run would pass while the
    // trust admits roles it must not. Refused here as npm run check refuses it.
    const wildcards = findTrustWildcards(
      model.targets.map((target) => ({
        source: `target stack in ${target.accountId}`,
        policy: 'trust',
        trustPolicy: target.trustPolicy,
      })),
    );
    if (wildcards.length > 0) {
      io.err(
        `npm start refuses a target stack whose trust policy has a wildcard (npm run check fails on it too):\n${wildcards
          .map((finding) => `  - ${describeFinding(finding)}\n`)
          .join('')}`,
      );
      return 1;
    }
    // With --job, the module's own fixtures only: another job's answers would hide its gaps.
    const fixtures = jobFixtures(
      options.job ? (jobModule.fixtures ? [jobModule.fixtures] : []) : undefined,
      options.fixtureFiles,
    );
    standIn = await startStandIn({
      model,
      ...(organization ? { organization: organization.organization } : {}),
      extraBuckets: options.extraBuckets,
      faults: options.faults,
      fixtures,
      ...(options.upstream ? { upstream: options.upstream } : {}),
      ...(options.clockSkewSeconds === undefined
        ? {}
        : { clockSkew: { seconds: options.clockSkewSeconds } }),
      ...(options.credentialLifetimeSeconds === undefined
        ? {}
        : { credentialLifetimeSeconds: options.credentialLifetimeSeconds }),
      ...(options.verbose ? { log: (line: string) => io.err(`  stand-in: ${line}\n`) } : {}),
    });
    if (signal?.aborted) return interrupted(signal);
    const distributed = hasStateMachine(synthesis.template);
    io.out(header(model, standIn, options, fixtures, organization, distributed));
    workDir = await makeTempDir('xacct-start-');
    if (distributed) {
      if (options.data !== undefined) {
        io.err(
          'npm start: --data does not apply in distributed mode: the state machine lists the accounts and sends each batch {"accounts": [...]}.\n',
        );
        return 2;
      }
      // Loaded here: the interpreter (and its Lambda client) only for a distributed run.
      const { runDistributed } = await import('./distributed/run');
      const run = await runDistributed({
        template: synthesis.template,
        artefactPath: synthesis.artefactPath,
        standIn,
        workDir,
        homeAccountId: OFFLINE_HOME_ACCOUNT,
        region: options.region ?? 'us-east-1',
        ...(options.resultsDir ? { resultsDir: resolve(options.resultsDir) } : {}),
        ...(options.logs || options.verbose
          ? { onLogLine: (line: string) => io.err(`  log: ${line}\n`) }
          : {}),
      });
      deps.onStats?.(standIn.stats);
      return reportDistributed(run, standIn.stats, options, io);
    }
    const invocation = await runInvokeLocal({
      standIn,
      workDir,
      stage: options.stage,
      params: options.params,
      ...(options.region ? { region: options.region } : {}),
      ...(options.job ? { job } : {}),
      ...(options.data === undefined ? {} : { data: options.data }),
      ...(signal ? { signal } : {}),
    });
    if (invocation.killedBy === 'abort' && signal) return interrupted(signal);
    const stats = standIn.stats;
    deps.onStats?.(stats);
    return report(invocation, stats, options, io);
  } catch (error) {
    if (
      error instanceof SynthesisError ||
      error instanceof EvaluatorError ||
      error instanceof StandInError ||
      error instanceof DistributedModeError
    ) {
      io.err(`${error.name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await standIn?.close();
    await synthesis?.dispose();
    if (workDir) await removeTempDir(workDir);
  }
}

/** The policy model npm start runs against, and the organization it models (Organizations mode). */
export async function buildModel(
  synthesis: Synthesis,
  options: StartOptions,
  { job, path }: JobModule,
): Promise<{ model: PolicyModel; organization: SmallOrganization | undefined }> {
  const given = {
    template: synthesis.template,
    job,
    jobModule: path,
    homeAccountId: OFFLINE_HOME_ACCOUNT,
    ...(options.region ? { region: options.region } : {}),
    targetParameters: (accountId: string) => options.targetOverrides[accountId],
    ...(options.targetTemplate ? { targetTemplate: options.targetTemplate } : {}),
  };
  const outsideOrg = Object.fromEntries(options.outsideOrg.map((id) => [id, null]));
  let model = await loadPolicyModel({ ...given, organizations: outsideOrg });
  // Organizations mode: the accounts come from a small modelled organization, listed by the
  // stand-in's Organizations; every account of it has the target stack.
  const reader = model.organizationsReader;
  const organization = reader
    ? smallOrganization({
        organizationId: model.organizationId,
        units: (model.environment.TARGET_ORGANIZATIONAL_UNITS ?? '').split(','),
        readerAccountId: reader.accountId,
        managementAccountId: reader.parameters.ManagementAccountId || reader.accountId,
        moreAccounts: options.moreAccounts,
      })
    : undefined;
  if (organization) {
    const members = [
      ...organization.organization.accounts.map((account) => account.id),
      organization.organization.managementAccountId,
      ...(organization.organization.delegatedAdministrators ?? []),
    ];
    model = await loadPolicyModel({
      ...given,
      discoveredAccounts: [...organization.underUnits],
      otherTargetAccounts: [...organization.suspended, ...organization.outside],
      organizations: {
        ...Object.fromEntries(members.map((id) => [id, model.organizationId])),
        ...Object.fromEntries(
          organization.outsideOrganization ? organization.outside.map((id) => [id, null]) : [],
        ),
        ...outsideOrg,
      },
      organizationPaths: organizationPaths(organization.organization),
    });
  }
  const unknown = options.missingTargets.filter((id) => !model.configuredTargets.includes(id));
  if (unknown.length > 0) {
    throw new StandInError(
      `--missing-target ${unknown.join(', ')}: not among the configured accounts ${model.configuredTargets.join(', ')}`,
    );
  }
  // An account without the target stack has no role to assume: AWS answers AccessDenied.
  return {
    model: {
      ...model,
      targets: model.targets.filter((target) => !options.missingTargets.includes(target.accountId)),
    },
    organization,
  };
}

function upstreamOption(url: string | undefined): Upstream | undefined {
  if (url === undefined) return undefined;
  try {
    return upstreamAt(url);
  } catch (error) {
    if (error instanceof StandInError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The job's own answers (the fixtures beside a --job module, else every job/*.fixtures.json),
 * then the --fixtures files.
 */
export function jobFixtures(
  beside: readonly string[] | undefined,
  extra: readonly string[],
): FixtureSet {
  const given = extra.map((file) => {
    const path = isAbsolute(file) ? file : join(process.cwd(), file);
    return { path, shown: relative(PROJECT_ROOT, path) || file };
  });
  return loadFixtureFiles(jobFixtureFiles(PROJECT_ROOT, given, beside));
}

function header(
  model: PolicyModel,
  standIn: StandIn,
  options: StartOptions,
  fixtures: FixtureSet,
  organization: SmallOrganization | undefined,
  distributed: boolean,
): string {
  const homeSession = `arn:aws:sts::${model.homeAccountId}:assumed-role/${model.executionRoleName}/${model.functionName}`;
  const emulated = organization ? 'STS, S3 and Organizations' : 'STS and S3';
  const lines = [
    `Offline AWS stand-in at ${standIn.url} (${emulated} emulated, any other service from fixtures${options.upstream ? ' or the upstream' : ''}; on 127.0.0.1 only)`,
    `  home    ${model.homeAccountId}  the function runs as ${homeSession}`,
  ];
  const describeTarget = (accountId: string) => {
    const target = model.targets.find((candidate) => candidate.accountId === accountId);
    const overrides = Object.entries(options.targetOverrides[accountId] ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(', ');
    return target
      ? `role ${target.roleName}${target.bucket ? `, bucket ${target.bucket}` : ''}${overrides ? ` (target stack deployed with ${overrides})` : ''}`
      : 'no target stack deployed (--missing-target)';
  };
  const reader = model.organizationsReader;
  if (organization && reader) {
    const org = organization.organization;
    lines.push(
      `  reader  ${reader.accountId}  role ${reader.roleName} lists organization ${org.id} (management account ${org.managementAccountId}):`,
      ...organizationLines(
        org,
        (model.environment.TARGET_ORGANIZATIONAL_UNITS ?? '').split(','),
        (account) => describeTarget(account.id),
      ).map((line) => `          ${line}`),
    );
    if (organization.outsideOrganization) {
      for (const accountId of organization.outside)
        lines.push(
          `  other   ${accountId}  outside the organization, ${describeTarget(accountId)}`,
        );
    }
  } else {
    for (const accountId of model.configuredTargets)
      lines.push(`  target  ${accountId}  ${describeTarget(accountId)}`);
  }
  for (const bucket of options.extraBuckets)
    lines.push(`  bucket  ${bucket.accountId}  ${bucket.name} (--bucket)`);
  if (fixtures.files.length > 0) {
    lines.push(
      `  fixtures ${fixtures.files.join(', ')} (${fixtures.fixtures.length} answer${fixtures.fixtures.length === 1 ? '' : 's'})`,
    );
  }
  if (options.upstream) {
    lines.push(
      `  upstream ${options.upstream.url.origin}  calls no fixture answers are forwarded there`,
    );
  }
  if (options.faults.length > 0) lines.push(`  faults  ${JSON.stringify(options.faults)}`);
  lines.push(
    distributed
      ? 'Running the state machine (distributed mode): aws-local-stepfunctions, each Lambda task the built bundle in a local container...'
      : `Running sls invoke local --function crossAccount (it builds the bundle first)...`,
    '',
  );
  return `${lines.join('\n')}\n`;
}

const SDK_NODE_WARNING =
  /NodeVersionSupportWarning|versions published after|will require node|To continue receiving|security updates please upgrade|a\.co\/|--trace-warnings/;

function report(
  invocation: InvokeLocalResult,
  stats: StandInStats,
  options: StartOptions,
  io: StartIo,
): number {
  const stderr = invocation.stderr
    .split('\n')
    .filter((line) => line.trim() && !SDK_NODE_WARNING.test(line));
  // The function logs INFO to stdout and WARN/ERROR to stderr; put them back in order.
  const isLogLine = (line: string) => line.startsWith('{"');
  if (options.logs || options.verbose) {
    const logs = [...invocation.logLines.filter(isLogLine), ...stderr.filter(isLogLine)];
    for (const line of logs.sort((a, b) => timestampOf(a).localeCompare(timestampOf(b)))) {
      io.err(`  log: ${line}\n`);
    }
  }
  if (options.verbose)
    for (const line of stderr.filter((line) => !isLogLine(line))) io.err(`  sls: ${line}\n`);

  const discovered = discoveryLine([...invocation.logLines, ...stderr].filter(isLogLine));
  if (discovered) io.out(`${discovered}\n`);
  const output = invocation.output as { errorMessage?: unknown; errorType?: unknown } | undefined;
  const failed = invocation.exitCode !== 0 || invocation.killedBy !== undefined;
  if (invocation.killedBy === 'timeout') {
    io.out('sls invoke local did not finish in time and was stopped.\n');
  } else if (failed && output && typeof output.errorMessage === 'string') {
    io.out(
      `The function failed (${String(output.errorType ?? 'Error')}):\n${output.errorMessage}\n`,
    );
  } else if (output !== undefined) {
    io.out(`${JSON.stringify(output, null, 2)}\n`);
  } else {
    io.out(
      `sls invoke local exited with ${invocation.exitCode} without a result. Its last words:\n`,
    );
    io.out(`${stderr.slice(-15).join('\n')}\n`);
  }
  io.out(`\n${summary(stats, invocation)}\n`);
  for (const note of Object.keys(stats.notes)) io.out(`Note: ${note}\n`);
  const bypass = bypassNote(JSON.stringify(invocation.output ?? '') + stderr.join('\n'));
  if (bypass) io.out(`Note: ${bypass}\n`);
  return failed ? 1 : 0;
}

/**
 * A call that went to AWS's own host instead of the stand-in: every endpoint points at the
 * stand-in, so a client sent it to an address of its own. SQS's client does that by default
 * (it sends to the queue URL's host), which reaches no one here and AWS's regional endpoint there.
 */
export function bypassNote(output: string): string | undefined {
  const host = /ENOTFOUND ([\w.-]+\.amazonaws\.com)/.exec(output)?.[1];
  if (!host) return undefined;
  return (
    `a call went to ${host}, not to the stand-in: the SDK client was given an address of its own. ` +
    (host.startsWith('sqs.')
      ? 'The SQS client sends to the host of the queue URL: create it with client(SQSClient, { useQueueUrlAsEndpoint: false }), which on AWS resolves the same regional endpoint.'
      : 'Create the client with client(SdkClient) and no endpoint of your own.')
  );
}

/** Organizations mode: what the function's `discovered accounts` log line says it found. */
function discoveryLine(logLines: readonly string[]): string | undefined {
  for (const line of logLines) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (record.message !== 'discovered accounts') continue;
    const skipped = Object.entries((record.skipped ?? {}) as Record<string, number>)
      .map(([state, count]) => `${state} ${count}`)
      .join(', ');
    return `Discovery: ${String(record.accounts)} ACTIVE account(s) in ${String(record.units)} unit(s), ${String(record.organizationsCalls)} Organizations call(s)${skipped ? `; left out: ${skipped}` : ''}`;
  }
  return undefined;
}

function timestampOf(line: string): string {
  return /"timestamp":"([^"]+)"/.exec(line)?.[1] ?? '';
}

/** How the summary names a service; any other by its signing name. */
const SERVICE_LABELS: Readonly<Record<string, string>> = {
  sts: 'STS',
  s3: 'S3',
  dynamodb: 'DynamoDB',
  organizations: 'Organizations',
};

function summary(stats: StandInStats, invocation: InvokeLocalResult): string {
  const service = (name: string) => {
    const actions = Object.entries(stats.calls.byAction)
      .filter(([key]) => key.startsWith(`${name}:`))
      .map(([key, count]) => `${key.slice(name.length + 1)} ${count}`);
    const total = stats.calls.byService[name] ?? 0;
    const label = SERVICE_LABELS[name] ?? sdkService(name)?.serviceId ?? name;
    return `${label} ${total} call${total === 1 ? '' : 's'}${actions.length ? ` (${actions.join(', ')})` : ''}`;
  };
  const others = Object.keys(stats.calls.byService).filter(
    (name) => name !== 'sts' && name !== 's3',
  );
  const errors = Object.entries(stats.errors).map(([code, count]) => `${code} ${count}`);
  return [
    service('sts'),
    service('s3'),
    ...others.sort().map(service),
    `credentials issued ${stats.credentialsIssued}`,
    errors.length ? `AWS errors: ${errors.join(', ')}` : 'no AWS errors',
    ...(stats.faultsInjected.total ? [`faults injected ${stats.faultsInjected.total}`] : []),
    `sls invoke local ${(invocation.durationMs / 1000).toFixed(1)} s`,
  ].join(' | ');
}

/** Distributed mode's run: the execution's outcome, the batches, the targets and the calls. */
function reportDistributed(
  run: DistributedRunResult,
  stats: StandInStats,
  options: StartOptions,
  io: StartIo,
): number {
  const accounts = new Set(run.targets.map((target) => target.account));
  const failedTargets = run.targets.filter((target) => !target.ok);
  const f = run.functionStats;
  const lines = [
    `State machine ${run.stateMachine}: ${run.status}${run.error ? ` (${run.error.name}: ${run.error.message})` : ''}`,
    ...run.maps.map(
      (map) =>
        `  ${map.state}: batches of ${map.batchSize ?? 1} account(s), ${map.maxConcurrency ?? 'unbounded'} at once, tolerating ${map.toleratedFailurePercentage ?? 0}% failed`,
    ),
    `  batches   ${run.batches.succeeded} succeeded, ${run.batches.failed} failed`,
    `  targets   ${run.targets.length - failedTargets.length} succeeded, ${failedTargets.length} failed, in ${accounts.size} account(s)`,
    `  function  ${f.invocations} invocation(s) in ${f.coldStarts} container(s), ${f.peakConcurrency} at once, ${f.throttled} throttled and retried, ${f.timedOut} timed out`,
  ];
  if (run.countedAsFailed > 0) {
    lines.push(
      `  metric    TargetFailed +${run.countedAsFailed} from the state machine (accounts of batches that did not finish)`,
    );
  }
  for (const batch of run.failedBatches.slice(0, 5)) {
    lines.push(
      `  failed batch of ${batch.accounts.length} (${batch.accounts.slice(0, 3).join(', ')}${batch.accounts.length > 3 ? ', ...' : ''}): ${batch.error}: ${batch.cause.slice(0, 300)}`,
    );
  }
  for (const target of failedTargets.slice(0, 5))
    lines.push(`  failed target ${target.account} ${target.region}: ${target.code ?? 'failed'}`);
  if (failedTargets.length > 5)
    lines.push(`  ... and ${failedTargets.length - 5} more failed targets`);
  for (const [map, manifest] of run.resultFiles) {
    lines.push(
      options.resultsDir
        ? `  results of ${map}: ${manifest}`
        : `  results of ${map}: written as ResultWriter writes them (keep them with --results <dir>)`,
    );
  }
  io.out(`${lines.join('\n')}\n`);
  const assumes = stats.calls.byAction['sts:AssumeRole'] ?? 0;
  io.out(
    `\nSTS AssumeRole ${assumes} | Organizations ${stats.calls.byService.organizations ?? 0} call(s) | credentials issued ${stats.credentialsIssued} | state machine ${(run.durationMs / 1000).toFixed(1)} s\n`,
  );
  for (const note of Object.keys(stats.notes)) io.out(`Note: ${note}\n`);
  return run.status === 'SUCCEEDED' && failedTargets.length === 0 ? 0 : 1;
}

function interrupted(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? 143 : 130;
}

if (require.main === module && lambdaNodeProblem()) {
  // The run would prove the function on a Node that Lambda does not run.
  process.stderr.write(`npm start: ${lambdaNodeProblem()}\n`);
  process.exitCode = 2;
} else if (require.main === module) {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    // A second Ctrl-C means now: main's clean-up is already under way or stuck.
    if (controller.signal.aborted) process.exit(interrupted(controller.signal));
    process.stderr.write(`\n${name}: stopping sls invoke local and the stand-in...\n`);
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  exitQuietlyOnClosedPipe();
  main(process.argv.slice(2), processIo, { signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `npm start failed unexpectedly: ${(error as Error)?.stack ?? String(error)}\n`,
      );
      process.exitCode = 2;
    },
  );
}
