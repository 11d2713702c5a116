import {
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SAFETY_MARGIN_MS } from '@cross-account-lambda/core/src/clientSettings';
import { loadConfig } from '@cross-account-lambda/core/src/config';
import { createTargetSessions } from '@cross-account-lambda/core/src/credentials';
import {
  type AccountDiscovery,
  createAccountDiscovery,
} from '@cross-account-lambda/core/src/discovery';
import { createLogger } from '@cross-account-lambda/core/src/logger';
import {
  assumedCredentials,
  captureOutput,
  lambdaContext,
  logRecords,
  SECRETS,
  validEnv,
} from '@cross-account-lambda/offline/testing/fixtures';
import { coldStart } from '@cross-account-lambda/template-tests/support/coldStart';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';

// A small organization: the root holds the management account and two OUs; "workloads" holds an
// active and a suspended account and the OU "prod" (two accounts, over two pages); "sandbox" is
// outside the configured units.
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-11111111';
const PROD = 'ou-ab12-33333333';
const SANDBOX = 'ou-ab12-22222222';
const READER = 'arn:aws:iam::999999999999:role/cross-account-organizations-reader';

type State = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
interface Unit {
  readonly accounts: readonly [string, State][];
  readonly children: readonly string[];
}
const ORGANIZATION: Record<string, Unit> = {
  [ROOT]: { accounts: [['999999999999', 'ACTIVE']], children: [WORKLOADS, SANDBOX] },
  [WORKLOADS]: {
    accounts: [
      ['222222222222', 'ACTIVE'],
      ['333333333333', 'SUSPENDED'],
    ],
    children: [PROD],
  },
  [PROD]: {
    accounts: [
      ['555555555555', 'ACTIVE'],
      ['444444444444', 'ACTIVE'],
    ],
    children: [],
  },
  [SANDBOX]: { accounts: [['666666666666', 'ACTIVE']], children: [] },
};

type OrganizationsStub = AwsClientStub<OrganizationsClient>;

/** Answers both list calls from ORGANIZATION, one item per page, as a small MaxResults would. */
function answer(
  organizations: OrganizationsStub,
  Commands = { ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand },
) {
  const page = <T>(items: readonly T[], token: string | undefined) => {
    const index = Number(token ?? '0');
    const next = index + 1 < items.length ? String(index + 1) : undefined;
    return { items: items.slice(index, index + 1), NextToken: next };
  };
  const unitOf = (parent: string | undefined) => {
    const unit = ORGANIZATION[parent ?? ''];
    if (!unit) {
      throw Object.assign(new Error('You specified a parent that does not exist.'), {
        name: 'ParentNotFoundException',
      });
    }
    return unit;
  };
  organizations
    .on(Commands.ListAccountsForParentCommand)
    .callsFake(async ({ ParentId, NextToken }: { ParentId?: string; NextToken?: string }) => {
      const { items, NextToken: next } = page(unitOf(ParentId).accounts, NextToken);
      return { Accounts: items.map(([Id, State]) => ({ Id, State })), NextToken: next };
    });
  organizations
    .on(Commands.ListOrganizationalUnitsForParentCommand)
    .callsFake(async ({ ParentId, NextToken }: { ParentId?: string; NextToken?: string }) => {
      const { items, NextToken: next } = page(unitOf(ParentId).children, NextToken);
      return { OrganizationalUnits: items.map((Id) => ({ Id })), NextToken: next };
    });
}

describe('account discovery from AWS Organizations', () => {
  const sts = mockClient(STSClient);
  const organizations = mockClient(OrganizationsClient);
  let clock = 0;

  beforeEach(() => {
    sts.reset();
    organizations.reset();
    clock = 1_000_000;
    sts.on(AssumeRoleCommand).resolves(assumedCredentials(SECRETS, 3_600_000, '999999999999'));
    answer(organizations);
  });
  afterAll(() => {
    sts.restore();
    organizations.restore();
  });

  function discovery(units: string[], cacheSeconds = 300): AccountDiscovery {
    const logger = createLogger({ sink: () => {} });
    const sessions = createTargetSessions({
      homeRegion: 'us-east-1',
      externalId: undefined,
      sourceIdentity: 'cross-account-lambda-dev-crossAccount',
      sessionDurationSeconds: 900,
      functionName: 'cross-account-lambda-dev-crossAccount',
      logger,
    });
    return createAccountDiscovery({
      config: { organizationalUnits: units, readerRoleArn: READER, cacheSeconds },
      session: sessions.get(READER, 'discovery'),
      region: 'us-east-1',
      logger,
      now: () => clock,
    });
  }

  const calls = () => ({
    accounts: organizations.commandCalls(ListAccountsForParentCommand).length,
    units: organizations.commandCalls(ListOrganizationalUnitsForParentCommand).length,
  });

  it('lists the ACTIVE accounts of an OU and of its child OUs, over every page', async () => {
    const found = discovery([WORKLOADS]);
    // Not the suspended 333333333333, not 666666666666 of the sibling OU, not the root's account.
    await expect(found.accounts()).resolves.toEqual([
      '222222222222',
      '444444444444',
      '555555555555',
    ]);
    // workloads: 2 account pages + 1 unit page; prod: 2 account pages + 1 (empty) unit page.
    expect(calls()).toEqual({ accounts: 4, units: 2 });
    expect(found.calls).toBe(6);
  });

  it('walks the whole organization from the root, and lists a unit named twice once', async () => {
    const found = discovery([ROOT, PROD]);
    await expect(found.accounts()).resolves.toEqual([
      '222222222222',
      '444444444444',
      '555555555555',
      '666666666666',
      '999999999999',
    ]);
    const parents = organizations
      .commandCalls(ListAccountsForParentCommand)
      .map((call) => call.args[0].input.ParentId);
    expect([...new Set(parents)].sort()).toEqual([PROD, ROOT, SANDBOX, WORKLOADS].sort());
    // root 1+2 pages, workloads 2+1, sandbox 1+1, prod 2+1: prod, named twice, is listed once.
    expect(found.calls).toBe(11);
  });

  it('calls Organizations as the reader role, assumed with the function as SourceIdentity', async () => {
    await discovery([WORKLOADS]).accounts();
    const assumed = sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input);
    expect(assumed).toEqual([
      expect.objectContaining({
        RoleArn: READER,
        SourceIdentity: 'cross-account-lambda-dev-crossAccount',
      }),
    ]);
    const client = organizations.send.thisValues[0] as OrganizationsClient;
    const credentials = await client.config.credentials();
    expect(credentials.accessKeyId).toBe(SECRETS.accessKeyId);
  });

  it('reuses the list for accountCacheSeconds, then lists again', async () => {
    const found = discovery([WORKLOADS], 300);
    await found.accounts();
    clock += 299_000;
    await found.accounts();
    expect(found.calls).toBe(6);
    clock += 1_000;
    await found.accounts();
    expect(found.calls).toBe(12);
    // The reader's credential outlives the cache: one AssumeRole for both listings.
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
  });

  it('lists on every call with accountCacheSeconds=0', async () => {
    const found = discovery([WORKLOADS], 0);
    await found.accounts();
    await found.accounts();
    expect(found.calls).toBe(12);
  });

  it('shares one listing between concurrent callers', async () => {
    const found = discovery([WORKLOADS]);
    const [first, second] = await Promise.all([found.accounts(), found.accounts()]);
    expect(second).toBe(first);
    expect(found.calls).toBe(6);
  });

  it('keeps the previous list when a refresh fails, and names the reader role when there is none', async () => {
    const found = discovery([WORKLOADS], 60);
    await found.accounts();
    organizations
      .on(ListAccountsForParentCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    clock += 61_000;
    await expect(found.accounts()).resolves.toEqual([
      '222222222222',
      '444444444444',
      '555555555555',
    ]);

    const cold = discovery([WORKLOADS]);
    const failure = cold.accounts();
    await expect(failure).rejects.toMatchObject({
      name: 'AccountDiscoveryError',
      code: 'AccountDiscoveryFailed',
      cause: expect.objectContaining({ name: 'TooManyRequestsException' }),
    });
    await expect(failure).rejects.toThrow(
      /could not list the accounts of ou-ab12-11111111 as arn:aws:iam::999999999999:role\/cross-account-organizations-reader: TooManyRequestsException: Rate exceeded\. Deploy docs\/organizations\/organizations-reader-role\.yml/,
    );
  });

  it('refuses a unit without an ACTIVE account, naming the parameter', async () => {
    organizations
      .on(ListAccountsForParentCommand)
      .resolves({ Accounts: [{ Id: '333333333333', State: 'SUSPENDED' }] });
    organizations.on(ListOrganizationalUnitsForParentCommand).resolves({ OrganizationalUnits: [] });
    await expect(discovery([WORKLOADS]).accounts()).rejects.toThrow(
      'no ACTIVE account under ou-ab12-11111111 (or their child OUs); check --param targetOrganizationalUnits',
    );
  });
});

describe('the configuration of discovery', () => {
  const organizationEnv = (overrides: Record<string, string> = {}) =>
    validEnv({
      TARGET_ACCOUNT_IDS: '',
      TARGET_ORGANIZATIONAL_UNITS: `${WORKLOADS},${ROOT}`,
      TARGET_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      ORGANIZATION_READER_ACCOUNT_ID: '999999999999',
      ...overrides,
    });

  it('reads the units, the reader role and the cache time, with their defaults', () => {
    const config = loadConfig(organizationEnv());
    expect(config.discovery).toEqual({
      organizationalUnits: [WORKLOADS, ROOT],
      readerRoleArn: READER,
      cacheSeconds: 300,
    });
    expect(config.accountIds).toEqual([]);
    expect(
      loadConfig(organizationEnv({ ACCOUNT_CACHE_SECONDS: '0' })).discovery?.cacheSeconds,
    ).toBe(0);
    expect(loadConfig(validEnv()).discovery).toBeUndefined();
  });

  it.each([
    [
      { TARGET_ACCOUNT_IDS: '222222222222' },
      /TARGET_ORGANIZATIONAL_UNITS and TARGET_ACCOUNT_IDS are both set/,
    ],
    [
      { TARGET_ORGANIZATIONAL_UNITS: 'ou-ab12' },
      /TARGET_ORGANIZATIONAL_UNITS must be a comma-separated list of OU ids .*; item 1 is "ou-ab12"/,
    ],
    [{ TARGET_ORGANIZATIONAL_UNITS: `${PROD},${PROD}` }, /lists unit ou-ab12-33333333 twice/],
    [
      { TARGET_ORGANIZATION_ID: '' },
      /TARGET_ORGANIZATION_ID is missing, and TARGET_ORGANIZATIONAL_UNITS needs it/,
    ],
    [
      { ORGANIZATION_READER_ACCOUNT_ID: '' },
      /ORGANIZATION_READER_ACCOUNT_ID is missing; set --param organizationReaderAccountId=/,
    ],
    [
      { ORGANIZATION_READER_ACCOUNT_ID: '99999' },
      /ORGANIZATION_READER_ACCOUNT_ID must be a 12-digit account id/,
    ],
    [
      { ORGANIZATION_READER_ROLE_NAME: 'role/reader' },
      /ORGANIZATION_READER_ROLE_NAME must be an IAM role name/,
    ],
    [
      { ACCOUNT_CACHE_SECONDS: '86401' },
      /ACCOUNT_CACHE_SECONDS must be an integer from 0 to 86400; got "86401"/,
    ],
  ])('refuses %j', (overrides, message) => {
    expect(() => loadConfig(organizationEnv(overrides))).toThrow(message);
  });
});

describe('the handler in Organizations mode', () => {
  const organizationEnv = () =>
    validEnv({
      TARGET_ACCOUNT_IDS: '',
      TARGET_ORGANIZATIONAL_UNITS: WORKLOADS,
      TARGET_ORGANIZATION_ID: 'o-a1b2c3d4e5',
      ORGANIZATION_READER_ACCOUNT_ID: '999999999999',
    });
  let container: ReturnType<typeof coldStart> | undefined;
  afterEach(() => {
    for (const mock of Object.values(container?.mocks ?? {})) mock.restore();
    container = undefined;
  });

  it('fans out over the discovered accounts, and the event may narrow them', async () => {
    container = coldStart(organizationEnv());
    const { mocks, sdk, module } = container;
    mocks.assumeRole.on(sdk.AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
      const account = /iam::(\d{12}):/.exec(input.RoleArn)?.[1];
      return assumedCredentials(SECRETS, 3_600_000, account);
    });
    mocks.s3.on(sdk.ListObjectsV2Command).resolves({ Contents: [] });
    answer(mocks.organizations, sdk);
    const run = await captureOutput(async () => {
      const all = await module.handler({}, lambdaContext('req-1'));
      const narrowed = await module.handler({ accounts: ['444444444444'] }, lambdaContext('req-2'));
      const outside = await module
        .handler({ accounts: ['666666666666'] }, lambdaContext('req-3'))
        .catch((error: unknown) => error);
      return { all, narrowed, outside };
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.all.results.map((entry) => entry.account)).toEqual([
      '222222222222',
      '444444444444',
      '555555555555',
    ]);
    expect(run.result?.narrowed.summary).toEqual({ succeeded: 1, failed: 0 });
    expect(run.result?.outside).toMatchObject({ name: 'EventValidationError' });
    // Warm: the list came from the cache, one listing (6 pages) for three invocations.
    expect(mocks.organizations.send.callCount).toBe(6);
    const discovered = logRecords(run.output).filter(
      (record) => record.message === 'discovered accounts',
    );
    expect(discovered).toHaveLength(1);
    expect(discovered[0]).toMatchObject({ accounts: 3, skipped: { SUSPENDED: 1 } });
  });

  it('releases the sessions of accounts that leave the organization, and assumes again when one returns', async () => {
    container = coldStart({ ...organizationEnv(), ACCOUNT_CACHE_SECONDS: '0' });
    const { mocks, sdk, module } = container;
    const assumed: string[] = [];
    mocks.assumeRole.on(sdk.AssumeRoleCommand).callsFake(async (input: { RoleArn: string }) => {
      const account = /iam::(\d{12}):/.exec(input.RoleArn)?.[1] ?? '';
      assumed.push(account);
      return assumedCredentials(SECRETS, 3_600_000, account);
    });
    mocks.s3.on(sdk.ListObjectsV2Command).resolves({ Contents: [] });
    answer(mocks.organizations, sdk);
    const prod = ORGANIZATION[PROD];
    if (!prod) throw new Error('no PROD unit');
    const run = await captureOutput(async () => {
      await module.handler({}, lambdaContext('req-1'));
      // 555555555555 leaves the organization (closed, or moved out of the configured units).
      ORGANIZATION[PROD] = {
        ...prod,
        accounts: prod.accounts.filter(([id]) => id !== '555555555555'),
      };
      try {
        const without = await module.handler({}, lambdaContext('req-2'));
        ORGANIZATION[PROD] = prod;
        const back = await module.handler({}, lambdaContext('req-3'));
        return { without, back };
      } finally {
        ORGANIZATION[PROD] = prod;
      }
    });
    expect(run.error).toBeUndefined();
    expect(run.result?.without.results.map((entry) => entry.account)).toEqual([
      '222222222222',
      '444444444444',
    ]);
    const closed = logRecords(run.output).filter(
      (record) => record.message === 'released the sessions of accounts no longer listed',
    );
    expect(closed).toEqual([expect.objectContaining({ evicted: 1 })]);
    // Its session was released, so its return costs an AssumeRole; the others kept theirs.
    const count = (account: string) => assumed.filter((id) => id === account).length;
    expect([count('222222222222'), count('444444444444'), count('555555555555')]).toEqual([
      1, 1, 2,
    ]);
    expect(run.result?.back.summary).toEqual({ succeeded: 3, failed: 0 });
  });

  it("stops waiting for Organizations at the invocation's time budget, with the deadline's error", async () => {
    container = coldStart(organizationEnv());
    const { mocks, sdk, module } = container;
    mocks.assumeRole
      .on(sdk.AssumeRoleCommand)
      .resolves(assumedCredentials(SECRETS, 3_600_000, '999999999999'));
    // Organizations never answers: without the budget the invocation would run into Lambda's timeout.
    mocks.organizations.on(sdk.ListAccountsForParentCommand).callsFake(() => new Promise(() => {}));
    // 1 ms left after the safety margin.
    const run = await captureOutput(() =>
      module
        .handler({}, lambdaContext('req-1', SAFETY_MARGIN_MS + 1))
        .catch((error: unknown) => error),
    );
    expect(run.result).toMatchObject({
      name: 'DeadlineExceededError',
      code: 'DeadlineExceeded',
      message: "the invocation's time budget of 1 ms ran out",
    });
    expect(mocks.s3.send.callCount).toBe(0);
    const failed = logRecords(run.output).filter((r) => r.message === 'account discovery failed');
    expect(failed).toHaveLength(1);
  });
});
