// npm run check on what AWS's data says: an action without resource types (EC2 DescribeInstances)
// is declared and granted on "*", a narrower grant is one AWS never matches; a secret named
// without Secrets Manager's suffix fails as it would in AWS; nothing makes the check give up.

import type { AnyJob, Permission } from '@cross-account-lambda/core/src/job';
import {
  auditWildcards,
  type CheckReport,
  formatReport,
  loadCheckModel,
  runCheck,
  withWildcards,
} from '@cross-account-lambda/offline/iam';
import {
  declaredResource,
  generatedSecretSuffix,
  type KnownResource,
  requestResource,
} from '@cross-account-lambda/offline/iam/awsResources';
import { sarAction } from '@cross-account-lambda/offline/iam/sar';
import { coreJob } from '@cross-account-lambda/template-tests/support/core';
import {
  editedTargetTemplate,
  homeTemplate,
  removeEditedTemplates,
  SYNTH_TIMEOUT_MS,
} from './support';

const TARGET = '222222222222';
const SCOPE = { partition: 'aws', region: 'us-east-1', accountId: TARGET };
const action = (name: string) => {
  const found = sarAction(name);
  if (!found) throw new Error(`no ${name} in the Service Authorization Reference`);
  return found;
};

describe('the Service Authorization Reference', () => {
  it('says which actions act on no resource type, and the ARN formats of the others', () => {
    expect(action('ec2:DescribeInstances')).toMatchObject({
      wildcardOnly: true,
      resourceTypes: [],
    });
    expect(action('secretsmanager:GetSecretValue')).toMatchObject({
      wildcardOnly: false,
      resourceTypes: [
        { arn: 'arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}' },
      ],
    });
    expect(sarAction('ec2:DescribeInstance')).toBeUndefined();
  });
});

describe('resources as AWS names them in a request', () => {
  const where = 'job/x.fixtures.json';
  it('a queue by URL, a parameter by path, a table index when IndexName is set', () => {
    expect(
      requestResource(
        action('sqs:SendMessage'),
        { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/333333333333/jobs' },
        SCOPE,
        [],
        where,
      ).arn,
    ).toBe('arn:aws:sqs:eu-west-1:333333333333:jobs');
    expect(
      requestResource(action('ssm:GetParameter'), { Name: '/app/db' }, SCOPE, [], where).arn,
    ).toBe(`arn:aws:ssm:us-east-1:${TARGET}:parameter/app/db`);
    expect(
      requestResource(
        action('dynamodb:Query'),
        { TableName: 'orders', IndexName: 'byDate' },
        SCOPE,
        [],
        where,
      ).arn,
    ).toBe(`arn:aws:dynamodb:us-east-1:${TARGET}:table/orders/index/byDate`);
  });

  it('a secret by name, with the suffix of the one the world knows, else a generated one', () => {
    const known = [
      { arn: `arn:aws:secretsmanager:us-east-1:${TARGET}:secret:db-AbCdEf`, source: where },
    ];
    const get = action('secretsmanager:GetSecretValue');
    expect(requestResource(get, { SecretId: 'db' }, SCOPE, known, where).arn).toBe(known[0]?.arn);
    const partial = `arn:aws:secretsmanager:us-east-1:${TARGET}:secret:other`;
    expect(requestResource(get, { SecretId: 'other' }, SCOPE, known, where).arn).toBe(
      `${partial}-${generatedSecretSuffix(partial)}`,
    );
    // A full ARN the request gives is the secret; a name ending like a suffix is still a name.
    const full = `arn:aws:secretsmanager:us-east-1:${TARGET}:secret:api-XyZ123`;
    expect(requestResource(get, { SecretId: full }, SCOPE, known, where).arn).toBe(full);
    const named = `arn:aws:secretsmanager:us-east-1:${TARGET}:secret:db-passwd`;
    expect(requestResource(get, { SecretId: 'db-passwd' }, SCOPE, known, where).arn).toBe(
      `${named}-${generatedSecretSuffix(named)}`,
    );
  });

  it('a key by alias, on the key it points to; an alias nobody declared is refused, saying what to add', () => {
    const decrypt = action('kms:Decrypt');
    const key = `arn:aws:kms:us-east-1:${TARGET}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const known = [{ arn: key, aliases: ['alias/orders'], source: where }];
    expect(requestResource(decrypt, { KeyId: 'alias/orders' }, SCOPE, known, where).arn).toBe(key);
    expect(() => requestResource(decrypt, { KeyId: 'alias/other' }, SCOPE, known, where)).toThrow(
      /the offline world does not know which key that is: add \{ "arn": "arn:aws:kms:us-east-1:222222222222:key\/<key id>", "aliases": \["alias\/other"\] \} to "resources" in job\/x\.fixtures\.json/,
    );
  });

  it('a policy literal that may already be a full secret ARN says how to tell the check so', () => {
    const declared = declaredResource(
      action('secretsmanager:GetSecretValue'),
      `arn:aws:secretsmanager:us-east-1:${TARGET}:secret:db-AbCdEf`,
      [],
      'job/x.fixtures.json',
      SCOPE,
    );
    expect(declared).toMatchObject({
      kind: 'sample',
      note: expect.stringContaining(
        `(if arn:aws:secretsmanager:us-east-1:${TARGET}:secret:db-AbCdEf is already a secret's full ARN, name it under "resources" in job/x.fixtures.json)`,
      ),
    });
  });

  it('a declared parameter ARN with two slashes stands for the one-slash ARN AWS uses', () => {
    const declared = declaredResource(
      action('ssm:GetParameter'),
      `arn:aws:ssm:us-east-1:${TARGET}:parameter//app/db`,
      [],
      'f',
      SCOPE,
    );
    expect(declared).toEqual({
      kind: 'sample',
      arn: `arn:aws:ssm:us-east-1:${TARGET}:parameter/app/db`,
      note: expect.stringContaining('one slash before its path'),
    });
  });

  it('a declared secret without the suffix stands for the secret AWS names with one', () => {
    const declared = declaredResource(
      action('secretsmanager:GetSecretValue'),
      `arn:aws:secretsmanager:us-east-1:${TARGET}:secret:db`,
      [],
      'f',
      SCOPE,
    );
    expect(declared).toMatchObject({
      kind: 'sample',
      note: expect.stringContaining('six random characters'),
    });
  });
});

describe('npm run check on a job that calls EC2 and Secrets Manager', () => {
  // The resources below are written with {partition}, {region}, {accountId}: as a job writes
  // them, and as scoped() writes them in the template, with ${AWS::...}.
  const asSub = (resource: string) =>
    resource
      .replace('{partition}', '${AWS::Partition}')
      .replace('{region}', '${AWS::Region}')
      .replace('{accountId}', '${AWS::AccountId}');
  const jobWith = (...permissions: Permission[]): AnyJob => ({
    ...coreJob,
    permissions: {
      ...coreJob.permissions,
      ...Object.fromEntries(
        permissions.map((p, index) => [`p${index}`, { ...p, resource: asSub(p.resource) }]),
      ),
    },
  });
  const grant = (sid: string, act: string, resource: string) => `              - Sid: ${sid}
                Effect: Allow
                Action: ${act}
                Resource: ${resource}`;
  const scoped = (rest: string) =>
    `!Sub 'arn:\${AWS::Partition}:${rest.replace('{region}', '${AWS::Region}').replace('{accountId}', '${AWS::AccountId}')}'`;

  async function check(
    job: AnyJob,
    statements: string,
    resources: KnownResource[] = [],
  ): Promise<{ report: CheckReport; text: string }> {
    const targetTemplate = editedTargetTemplate((text) =>
      text.replace(
        '              - Sid: ListTheBucket',
        `${statements}\n              - Sid: ListTheBucket`,
      ),
    );
    const model = await loadCheckModel({ template, targetTemplate, job });
    const report = withWildcards(
      await runCheck(model, undefined, { resources, resourcesFile: 'job/x.fixtures.json' }),
      auditWildcards(model, { targetTemplate, stage: 'local' }),
    );
    return { report, text: formatReport(report) };
  }

  let template: unknown;
  beforeAll(async () => {
    template = await homeTemplate();
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => removeEditedTemplates());

  const DESCRIBE = { action: 'ec2:DescribeInstances', resource: '*' };

  it(
    'passes DescribeInstances declared and granted on "*" (justified by the reference)',
    async () => {
      const { report, text } = await check(
        jobWith(DESCRIBE),
        grant('Describe', 'ec2:DescribeInstances', "'*'"),
      );
      expect(text).toContain('as the role: ec2:DescribeInstances on * (the job declares it)');
      expect(report.ok).toBe(true);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'reports a narrower grant as one AWS never matches, and a narrower declaration with the fix',
    async () => {
      const { report, text } = await check(
        jobWith({
          action: 'ec2:DescribeInstances',
          resource: 'arn:{partition}:ec2:{region}:{accountId}:instance/*',
        }),
        grant('Describe', 'ec2:DescribeInstances', scoped('ec2:{region}:{accountId}:instance/*')),
      );
      expect(report.ok).toBe(false);
      expect(text).toMatch(
        /NEVER MATCHES: ec2:DescribeInstances on arn:aws:ec2:us-east-1:222222222222:instance\/\* in 222222222222 \(policy .*, statement Describe\): ec2:DescribeInstances acts on no resource type .* grant it on "\*"/,
      );
      expect(text).toMatch(
        /the job declares ec2:DescribeInstances on arn:aws:ec2:us-east-1:222222222222:instance\/\*, but ec2:DescribeInstances acts on no resource type .* declare \{ action: 'ec2:DescribeInstances', resource: '\*' \}/,
      );
      expect(text).not.toMatch(/simulator|must\.use\.wildcard/);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'reports a missing grant and an excess one as for any action',
    async () => {
      const missing = await check(jobWith(DESCRIBE), grant('Other', 'ec2:DescribeRegions', "'*'"));
      expect(missing.report.ok).toBe(false);
      expect(missing.text).toMatch(
        /denies "as the role: ec2:DescribeInstances on \* \(the job declares it\)"/,
      );
      expect(missing.text).toMatch(
        /EXCESS: ec2:DescribeRegions on \* in 222222222222 \(policy .*, statement Other\)/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'passes secret:NAME-?????? and fails secret:NAME with the reason, as AWS decides',
    async () => {
      const suffixed = 'secretsmanager:{region}:{accountId}:secret:db-password-??????';
      const ok = await check(
        jobWith({
          action: 'secretsmanager:GetSecretValue',
          resource: `arn:{partition}:${suffixed}`,
        }),
        grant('Secret', 'secretsmanager:GetSecretValue', scoped(suffixed)),
      );
      expect(ok.report.ok).toBe(true);

      const bare = 'secretsmanager:{region}:{accountId}:secret:db-password';
      const denied = await check(
        jobWith({ action: 'secretsmanager:GetSecretValue', resource: `arn:{partition}:${bare}` }),
        grant('Secret', 'secretsmanager:GetSecretValue', scoped(bare)),
      );
      expect(denied.report.ok).toBe(false);
      expect(denied.text).toMatch(
        /Secrets Manager names a secret's ARN with a hyphen and six random characters after the name .* grant arn:aws:secretsmanager:us-east-1:222222222222:secret:db-password-\?\?\?\?\?\?/,
      );
      expect(denied.text).toContain(
        'NEVER MATCHES: secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:222222222222:secret:db-password ',
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'decides a KMS key with its key policy when the fixture files name it, and says so when they do not',
    async () => {
      const keys = 'kms:{region}:{accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const job = jobWith({ action: 'kms:Decrypt', resource: `arn:{partition}:${keys}` });
      const statements = grant('Decrypt', 'kms:Decrypt', scoped(keys));
      const unknown = await check(job, statements);
      expect(unknown.report.ok).toBe(false);
      expect(unknown.text).toMatch(
        /is decided by its own policy too \(a KMS key trusts IAM policies only where its key policy says so\): name the resource with its policy under "resources"/,
      );
      const key = `arn:aws:kms:us-east-1:${TARGET}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
      const known = await check(job, statements, [
        {
          arn: key,
          source: 'job/x.fixtures.json#resources[0]',
          policy: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: `arn:aws:iam::${TARGET}:root` },
                Action: 'kms:*',
                Resource: '*',
              },
            ],
          },
        },
      ]);
      expect(known.text).toContain(`as the role: kms:Decrypt on ${key} (the job declares it)`);
      expect(known.report.ok).toBe(true);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'fails a key declared and granted by alias: KMS decides on the key the alias points to',
    async () => {
      const alias = 'kms:{region}:{accountId}:alias/orders';
      const { report, text } = await check(
        jobWith({ action: 'kms:Decrypt', resource: `arn:{partition}:${alias}` }),
        grant('Decrypt', 'kms:Decrypt', scoped(alias)),
      );
      expect(report.ok).toBe(false);
      expect(text).toContain(
        "KMS decides a call that names an alias on the key the alias points to, so declare and grant the key's ARN",
      );
      expect(text).toMatch(
        /NEVER MATCHES: kms:Decrypt on arn:aws:kms:us-east-1:222222222222:alias\/orders .*has none of the ARN formats AWS gives for kms:Decrypt/,
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'names a statement the evaluator cannot read, once for every case it spoils, without giving up',
    async () => {
      const { report, text } = await check(
        jobWith(),
        `              - Sid: Broken
                Effect: Allow
                Actio: ec2:DescribeInstances
                Resource: '*'`,
      );
      expect(report.ok).toBe(false);
      expect(report.diagnoses).toEqual([
        expect.stringMatching(
          /^a policy does not validate \(policy ReadOneBucket Statement\[0\]\.#Actio: Invalid key Actio; .*\): correct that statement \(resources\/cross-account-role\.yml for the target role/,
        ),
      ]);
      expect(text).not.toMatch(/simulator|policy\.errors/);
    },
    SYNTH_TIMEOUT_MS,
  );

  it(
    'fails an action AWS does not have by name, without giving up',
    async () => {
      const { report, text } = await check(
        jobWith({ action: 'ec2:DescribeInstance', resource: '*' }),
        grant('Typo', 'ec2:DescribeInstance', "'*'"),
      );
      expect(report.ok).toBe(false);
      expect(text).toContain(
        'the job declares ec2:DescribeInstance, which the Service Authorization Reference does not list',
      );
      expect(text).toMatch(
        /NEVER MATCHES: ec2:DescribeInstance on \* .*lists no action ec2:DescribeInstance/,
      );
      const pattern = await check(
        jobWith({ action: 'ec2:Describe*', resource: '*' }),
        grant('Pattern', "'ec2:Describe*'", "'*'"),
      );
      expect(pattern.report.ok).toBe(false);
      expect(pattern.text).toContain(
        'the job declares ec2:Describe*, a pattern: its code calls actions, so declare each action it calls by name',
      );
    },
    SYNTH_TIMEOUT_MS,
  );
});
