// The DynamoDB example job run offline as a user runs it after README "Make it yours": the
// walkthrough applied to a copy of the project, then the real `npm start` there (real `sls
// package` and `sls invoke local`), its DynamoDB calls decided by the evaluator over both stacks
// and answered from the job's own fixtures (job/queryTable.fixtures.json).
import { applyWalkthrough, copy, run as execRun } from './walkthrough';

const START_TIMEOUT_MS = 150_000;

let dir: string;

beforeAll(async () => {
  dir = await copy('offline');
  await applyWalkthrough(dir, { grant: true });
}, 60_000);

async function npmStart(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await execRun(
      'node_modules/.bin/tsx',
      ['node_modules/@cross-account-lambda/offline/start.ts', ...args],
      {
        cwd: dir,
        timeout: START_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      out: failure.stdout ?? '',
      err: failure.stderr ?? '',
    };
  }
}

const TABLE = ['--param', 'targetTable=orders', '--param', 'targetPartitionKey=customerId'];

test(
  'npm start queries table orders in 222222222222 and prints the fixture items',
  async () => {
    const { code, out, err } = await npmStart([...TABLE, '--data', '{"key":"c-1"}']);
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    expect(out).toContain('fixtures job/queryTable.fixtures.json');
    expect(out).toContain('"table": "orders"');
    expect(out).toContain('"o-2"');
    expect(out).toContain('"count": 2');
    expect(out).toMatch(/DynamoDB 1 call \(Query 1\)/);
  },
  START_TIMEOUT_MS,
);

test(
  "npm start fails with the job's own message when the target stack grants another table",
  async () => {
    const { code, out } = await npmStart([
      ...TABLE,
      '--data',
      '{"key":"c-1"}',
      '--target-param',
      '222222222222:TableName=invoices',
    ]);
    expect(code).toBe(1);
    expect(out).toContain(
      'arn:aws:iam::222222222222:role/cross-account-demo-target may not dynamodb:Query on arn:aws:dynamodb:us-east-1:222222222222:table/orders',
    );
    expect(out).toContain('(resources/cross-account-role.yml, deployed with TableName=orders)');
    expect(out).toMatch(/AWS errors: AccessDeniedException 1/);
  },
  START_TIMEOUT_MS,
);

test(
  'npm start: a throttled DynamoDB is retried 3 times, then the account fails clearly',
  async () => {
    const { code, out } = await npmStart([
      ...TABLE,
      '--data',
      '{"key":"c-1"}',
      '--faults',
      '[{"kind":"throttle","service":"dynamodb","action":"Query","always":true}]',
    ]);
    expect(code).toBe(1);
    expect(out).toMatch(/Throttl/);
    expect(out).toMatch(/DynamoDB 3 calls \(Query 3\)/);
    expect(out).toMatch(/AWS errors: ThrottlingException 3/);
  },
  START_TIMEOUT_MS,
);
