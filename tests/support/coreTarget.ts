// The target template the core's tests deploy: resources/cross-account-role.yml as it stands, the
// trust and everything else untouched, with the role's Policies granting what the core's own job
// declares (tests/support/coreJob.ts) instead of what the selected job needs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGET_TEMPLATE_PATH } from '../../offline/iam';

// Where the role's Policies begin and where the next resource starts, as the shipped template
// and the README's walkthrough lay them out.
const POLICIES_START = '      Policies:\n';
const POLICIES_END = '\n\n  DemoBucket:';

export const CORE_POLICIES = `      Policies:
        - PolicyName: ReadOneBucket
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Sid: ListTheBucket
                Effect: Allow
                Action: s3:ListBucket
                Resource: !Sub 'arn:\${AWS::Partition}:s3:::cross-account-demo-\${AWS::AccountId}-\${AWS::Region}'
`;

/** `template` with the role's Policies replaced by `policies` (YAML at the role's indentation). */
export function withPolicies(template: string, policies: string): string {
  const start = template.indexOf(POLICIES_START);
  const end = template.indexOf(POLICIES_END, start);
  if (start < 0 || end < 0) {
    throw new Error(
      'resources/cross-account-role.yml: no Policies of CrossAccountRole before DemoBucket',
    );
  }
  return `${template.slice(0, start)}${policies.trimEnd()}\n${template.slice(end + 1)}`;
}

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The core's target template, text: edit it further for a test of a misconfigured stack. */
export function coreTargetTemplateText(): string {
  return withPolicies(readFileSync(TARGET_TEMPLATE_PATH, 'utf8'), CORE_POLICIES);
}

/** The core's target template, written once per test file; named as the shipped one. */
export function coreTargetTemplate(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'xacct-core-target-'));
  const path = join(dir, 'cross-account-role.yml');
  writeFileSync(path, coreTargetTemplateText());
  return path;
}
