// One everyday cross-account job, proven as a user would prove theirs before a deploy: the real
// `sls package` builds the home stack with the job; `npm run check`'s proof (offline/checkJob.ts)
// passes with the grant AWS documents as least privilege and fails, naming the permission, on a
// missing grant, an excess one and each near miss AWS would deny; and the job, run by the real
// handler against the stand-in with its fixtures, is answered, or denied as the service denies.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { CrossAccountResponse } from '@cross-account-lambda/core/src/crossAccount';
import type { AnyJob } from '@cross-account-lambda/core/src/job';
import { checkJob } from '@cross-account-lambda/offline/checkJob';
import {
  formatReport,
  loadPolicyModel,
  STACKSET_EXECUTION_TEMPLATE_PATH,
  TARGET_DEPLOYER_TEMPLATE_PATH,
  TARGET_TEMPLATE_PATH,
} from '@cross-account-lambda/offline/iam';
import { loadJobModule } from '@cross-account-lambda/offline/jobModule';
import { PROJECT_ROOT } from '@cross-account-lambda/offline/projectCopy';
import {
  jobFixtureFiles,
  loadFixtureFiles,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import { type CfnTemplate, synthesize } from '@cross-account-lambda/offline/synth';
import {
  withoutUnusedParameters,
  withPolicies,
} from '@cross-account-lambda/template-tests/support/coreTarget';
import {
  DEPLOYER_TEMPLATES,
  withBoundaryStatements,
} from '@cross-account-lambda/template-tests/support/targetBoundary';
import { captureOutput } from '../../testing/captureOutput';
import { lambdaContext, offlineFunctionEnv } from '../reliability/support';

export interface NearMiss {
  /** What the grant gets wrong, as a test title: 'a grant without the suffix'. */
  readonly what: string;
  /** The statements with the mistake in them. */
  readonly edit: (statements: string) => string;
  /** What the check's report says about it, beside naming the permission. */
  readonly says: RegExp;
}

export interface CorpusJob {
  /** The job module and its export, as `--job` takes them. */
  readonly module: string;
  readonly exportName: string;
  /** `--param`s the home stack is built with. */
  readonly params?: Readonly<Record<string, string>>;
  /** Target template parameters the grant uses (YAML at two spaces), before MaxSessionDuration. */
  readonly stackParameters?: string;
  /** The role's least-privilege statements (YAML list items at fourteen spaces). */
  readonly statements: string;
  /** Why a wildcard no shape justifies is there, by statement Sid (Metadata.WildcardJustifications). */
  readonly justifications?: Readonly<Record<string, string>>;
  /** How many targets (accounts x regions) the function runs in; default 1. */
  readonly targets?: number;
  /** An action of the same service the job never calls, added to the grant's first Action. */
  readonly excess: string;
  readonly nearMisses: readonly NearMiss[];
  readonly event?: unknown;
  /** What the first target's entry holds when the stand-in answers from the fixtures. */
  readonly answer: Readonly<Record<string, unknown>>;
  /** The service's own access-denied code, as it comes back when the role lacks the grant. */
  readonly deniedCode: string;
}

const ROLE_POLICIES = (statements: string) => `      Policies:
        - PolicyName: TheJob
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
${statements.trimEnd()}
`;

/** The shipped target template with the job's parameters and `statements` as the role's only policy. */
export function targetTemplateText(
  job: Pick<CorpusJob, 'stackParameters' | 'justifications'>,
  statements: string | undefined,
): string {
  const anchor = '  MaxSessionDuration:\n';
  // The job's parameters stay when no statement uses them (a grant removed, say): the job's
  // target stack still passes them.
  return withoutUnusedParameters(
    withPolicies(
      readFileSync(TARGET_TEMPLATE_PATH, 'utf8'),
      statements === undefined ? '' : ROLE_POLICIES(statements),
    ),
  )
    .replace(anchor, () => `${job.stackParameters ?? ''}${anchor}`)
    .replace('\nMetadata:\n', () => `\nMetadata:\n${justifications(job.justifications ?? {})}`);
}

function justifications(bySid: Readonly<Record<string, string>>): string {
  const entries = Object.entries(bySid);
  if (entries.length === 0) return '';
  const lines = entries.map(([sid, why]) => `    ${sid}: ${JSON.stringify(why)}\n`);
  return `  WildcardJustifications:\n${lines.join('')}`;
}

/** `statements` with `action` added to the first statement's Action. */
export function withExcess(statements: string, action: string): string {
  const edited = statements.replace(
    /Action: (\S+)/,
    (_, first: string) => `Action: [${first}, ${action}]`,
  );
  if (edited === statements) throw new Error('the statements have no "Action: <action>" line');
  return edited;
}

/** `statements` with the target region replaced by another one, as a copied grant may have it. */
export function inOtherRegion(statements: string): string {
  const edited = statements.replaceAll('${AWS::Region}', 'us-west-2');
  if (edited === statements) throw new Error('the statements name no ${AWS::Region}');
  return edited;
}

export interface CorpusRun {
  /**
   * `npm run check`'s verdict and report for the target template with these statements (none: no
   * policy), the deploy roles' boundaries widened as the check says (unless `shippedDeployers`).
   */
  check(
    statements: string | undefined,
    options?: { shippedDeployers?: boolean },
  ): Promise<{ ok: boolean; text: string }>;
  /** The job run once by the real handler against the stand-in, the role granted `statements`. */
  start(statements: string | undefined): Promise<{
    response: CrossAccountResponse | undefined;
    error: (Error & { failures?: Record<string, unknown>[] }) | undefined;
    output: string;
  }>;
  readonly job: AnyJob;
  close(): Promise<void>;
}

export async function corpusRun(spec: CorpusJob): Promise<CorpusRun> {
  const jobModule = await loadJobModule(`${spec.module}#${spec.exportName}`);
  const synthesis = await synthesize({
    stage: 'local',
    params: { ...spec.params },
    job: { path: jobModule.path, exportName: jobModule.exportName },
  });
  const template: CfnTemplate = synthesis.template;
  await synthesis.dispose();
  const dir = mkdtempSync(join(tmpdir(), 'xacct-corpus-'));
  let written = 0;
  const templateFile = (statements: string | undefined) => {
    const path = join(dir, `cross-account-role-${++written}.yml`);
    writeFileSync(path, targetTemplateText(spec, statements));
    return path;
  };
  const fixtureFiles = jobModule.fixtures ? [jobModule.fixtures] : [];
  const common = { template, job: jobModule.job, jobModule: jobModule.path };
  // The deploy roles' boundaries with what the check says they lack for this job, as an
  // administrator adds it.
  const first = await checkJob({
    ...common,
    targetTemplate: templateFile(spec.statements),
    fixtureFiles,
  });
  const widened = (shipped: string) => {
    const statements = (first.boundaryGaps ?? [])
      .filter((gap) => basename(gap.source) === basename(shipped))
      .map((gap) => gap.statement);
    const path = join(dir, basename(shipped));
    writeFileSync(path, withBoundaryStatements(readFileSync(shipped, 'utf8'), statements));
    return path;
  };
  const deployers = {
    targetDeployerTemplate: widened(TARGET_DEPLOYER_TEMPLATE_PATH),
    stackSetExecutionTemplate: widened(STACKSET_EXECUTION_TEMPLATE_PATH),
  };
  return {
    job: jobModule.job,
    async check(statements, { shippedDeployers = false } = {}) {
      const report = await checkJob({
        ...common,
        targetTemplate: templateFile(statements),
        fixtureFiles,
        ...(shippedDeployers ? {} : deployers),
      });
      return { ok: report.ok, text: formatReport(report) };
    },
    async start(statements) {
      const model = await loadPolicyModel({ ...common, targetTemplate: templateFile(statements) });
      const fixtures = loadFixtureFiles(jobFixtureFiles(PROJECT_ROOT, [], fixtureFiles));
      const standIn = await startStandIn({ model, fixtures });
      const saved = process.env;
      process.env = offlineFunctionEnv(model, standIn, saved);
      try {
        // A new container: the core keeps its STS client (and the stand-in's address) per module.
        jest.resetModules();
        const core =
          require('@cross-account-lambda/core/src/crossAccount') as typeof import('@cross-account-lambda/core/src/crossAccount');
        const { handler } = core.createHandler(jobModule.job, process.env);
        const run = await captureOutput(() => handler(spec.event ?? {}, lambdaContext('req-1')));
        return {
          response: run.result as CrossAccountResponse | undefined,
          error: run.error as (Error & { failures?: Record<string, unknown>[] }) | undefined,
          output: run.output,
        };
      } finally {
        process.env = saved;
        await standIn.close();
      }
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The corpus's specification of one job: every test below, for `spec`. */
export function describeCorpusJob(title: string, spec: CorpusJob): void {
  describe(title, () => {
    let run: CorpusRun | undefined;
    const current = () => {
      if (!run) throw new Error('the job was not built (see beforeAll)');
      return run;
    };
    beforeAll(async () => {
      run = await corpusRun(spec);
    }, CORPUS_TIMEOUT_MS);
    afterAll(() => run?.close());

    const declared = () => Object.values(current().job.permissions).map((p) => p.action);

    it(
      'passes npm run check with the grant AWS documents as least privilege',
      async () => {
        const { ok, text } = await current().check(spec.statements);
        expect({ ok, text: ok ? '' : text }).toEqual({ ok: true, text: '' });
        for (const action of declared()) {
          expect(text).toContain(`declares ${action}`);
        }
      },
      CORPUS_TIMEOUT_MS,
    );

    it(
      "fails the check while the deploy roles' boundary leaves the job out, printing the statement to add",
      async () => {
        const { ok, text } = await current().check(spec.statements, { shippedDeployers: true });
        expect(ok).toBe(false);
        for (const action of declared()) {
          for (const template of DEPLOYER_TEMPLATES) {
            expect(text).toMatch(
              new RegExp(
                `BOUNDARY: ${template} TargetRoleBoundary does not allow ${action} on .*; add:\n {10}- Sid: Boundary\\w+\n {12}Effect: Allow\n {12}Action: ${action}\n`,
              ),
            );
          }
        }
      },
      CORPUS_TIMEOUT_MS,
    );

    it(
      'fails the check without the grant, naming the permission the job declares',
      async () => {
        const { ok, text } = await current().check(undefined);
        expect(ok).toBe(false);
        for (const action of declared()) {
          expect(text).toMatch(
            new RegExp(`denies "as the role: ${action} on .*\\(the job declares it\\)"`),
          );
        }
      },
      CORPUS_TIMEOUT_MS,
    );

    it(
      `fails the check on an excess grant (${spec.excess}), naming it`,
      async () => {
        const { ok, text } = await current().check(withExcess(spec.statements, spec.excess));
        expect(ok).toBe(false);
        expect(text).toContain(`EXCESS: ${spec.excess} on `);
      },
      CORPUS_TIMEOUT_MS,
    );

    it.each(spec.nearMisses.map((miss) => [miss.what, miss] as const))(
      'fails the check on %s, as AWS would deny it',
      async (_what, miss) => {
        const { ok, text } = await current().check(miss.edit(spec.statements));
        expect(ok).toBe(false);
        expect(text).toMatch(miss.says);
      },
      CORPUS_TIMEOUT_MS,
    );

    it(
      'runs against the stand-in, answered from its fixtures in the service wire format',
      async () => {
        const { response, error } = await current().start(spec.statements);
        expect(error).toBeUndefined();
        expect(response?.summary).toEqual({ succeeded: spec.targets ?? 1, failed: 0 });
        expect(response?.results[0]).toMatchObject({ ok: true, ...spec.answer });
      },
      CORPUS_TIMEOUT_MS,
    );

    it(
      `comes back denied with ${spec.deniedCode} and a message that says which side to fix`,
      async () => {
        const { error } = await current().start(undefined);
        expect(error?.name).toBe('AllTargetsFailedError');
        const [failure] = error?.failures ?? [];
        expect(failure).toMatchObject({ code: 'TargetAccessDenied' });
        const message = String((failure as { message?: unknown } | undefined)?.message);
        expect(message).toContain(`AWS says (${spec.deniedCode}): `);
        expect(message).toMatch(
          /the target role's permission policy in account 222222222222 \(resources\/cross-account-role\.yml/,
        );
        for (const action of declared()) expect(message).toContain(` may not ${action} on `);
      },
      CORPUS_TIMEOUT_MS,
    );
  });
}

/** Building the stack takes seconds; each check or run a few more. */
export const CORPUS_TIMEOUT_MS = 120_000;
