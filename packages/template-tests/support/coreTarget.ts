// The target template the core's tests deploy: resources/cross-account-role.yml as it stands, the
// trust and everything else untouched, with the role's Policies granting what the core's own job
// declares (packages/template-tests/support/coreJob.ts) instead of what the selected job needs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGET_TEMPLATE_PATH } from '@cross-account-lambda/offline/iam';

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
                Resource: !Sub
                  - 'arn:\${AWS::Partition}:s3:::\${Bucket}'
                  - Bucket: !If [CreateDemoBucket, !Ref DemoBucket, !Ref BucketName]
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

/**
 * `template` without the parameters nothing in it uses any more: a job's own (TableName, say) are
 * used by its grant alone, which the core's replaces, and one without a default would need a value.
 */
export function withoutUnusedParameters(template: string): string {
  const start = template.indexOf('\nParameters:\n');
  const after = template.slice(start + 1).search(/\n[A-Za-z]/);
  if (start < 0 || after < 0) return template;
  const end = start + 1 + after;
  const rest = template.slice(0, start) + template.slice(end);
  // One chunk per parameter: its name at two spaces, then its deeper lines.
  const chunks = template.slice(start + '\nParameters:\n'.length, end).split(/(?=^ {2}\w+:$)/m);
  const used = chunks.filter((chunk) => {
    const name = /^ {2}(\w+):$/m.exec(chunk)?.[1];
    return name === undefined || new RegExp(`\\b${name}\\b`).test(rest);
  });
  return `${template.slice(0, start)}\nParameters:\n${used.join('')}${template.slice(end)}`;
}

/** The core's target template, text: edit it further for a test of a misconfigured stack. */
export function coreTargetTemplateText(): string {
  return withoutUnusedParameters(
    withPolicies(readFileSync(TARGET_TEMPLATE_PATH, 'utf8'), CORE_POLICIES),
  );
}

/** The core's target template, written once per test file; named as the shipped one. */
export function coreTargetTemplate(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'xacct-core-target-'));
  const path = join(dir, 'cross-account-role.yml');
  writeFileSync(path, coreTargetTemplateText());
  return path;
}
