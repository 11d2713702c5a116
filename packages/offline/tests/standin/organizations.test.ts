// AWS Organizations through the stand-in: the two listings of account discovery, over JSON 1.1
// with NextToken/MaxResults paging, from a modelled organization, each call decided by the shared
// evaluator first (the reader role of docs/organizations/organizations-reader-role.yml may; others may not).
import {
  ListAccountsForParentCommand,
  OrganizationsClient,
  type OrganizationsClientConfig,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import type { PolicyModel } from '@cross-account-lambda/offline/iam';
import {
  HOME_CREDENTIALS,
  type ModelledOrganization,
  organizationPaths,
  type StandIn,
  StandInError,
  startStandIn,
} from '@cross-account-lambda/offline/standin';
import { loadCoreModel, synthesizeCore } from '@cross-account-lambda/template-tests/support/core';
import { assumedCredentials, failureOf, pointSdkAt, SYNTH_TIMEOUT_MS } from './support';

const ORG = 'o-a1b2c3d4e5';
const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-11111111';
const PROD = 'ou-ab12-33333333';
const SANDBOX = 'ou-ab12-22222222';
const READER_ACCOUNT = '999999999999';
const READER_ROLE = `arn:aws:iam::${READER_ACCOUNT}:role/cross-account-organizations-reader`;

const organization: ModelledOrganization = {
  id: ORG,
  rootId: ROOT,
  managementAccountId: READER_ACCOUNT,
  units: [
    { id: WORKLOADS, name: 'Workloads', parentId: ROOT },
    { id: SANDBOX, name: 'Sandbox', parentId: ROOT },
    { id: PROD, name: 'Prod', parentId: WORKLOADS },
  ],
  accounts: [
    { id: '222222222222', name: 'app-a', parentId: WORKLOADS, state: 'ACTIVE' },
    { id: '333333333333', name: 'app-b', parentId: WORKLOADS, state: 'ACTIVE' },
    { id: '555555555555', name: 'old', parentId: WORKLOADS, state: 'SUSPENDED' },
    { id: '444444444444', name: 'prod', parentId: PROD, state: 'ACTIVE' },
    { id: '666666666666', name: 'sandbox', parentId: SANDBOX, state: 'ACTIVE' },
  ],
};

let model: PolicyModel;
let standIn: StandIn | undefined;

beforeAll(async () => {
  // The offline stage of Organizations mode: WORKLOADS of ORG, the reader in READER_ACCOUNT.
  const synthesis = await synthesizeCore({ stage: 'localorg' });
  const { template } = synthesis;
  await synthesis.dispose();
  model = await loadCoreModel({
    template,
    discoveredAccounts: ['222222222222', '333333333333', '444444444444'],
    organizations: Object.fromEntries(
      [...organization.accounts.map((a) => a.id), READER_ACCOUNT].map((id) => [id, ORG]),
    ),
    organizationPaths: organizationPaths(organization),
  });
  standIn = await startStandIn({ model, organization });
  pointSdkAt(standIn);
}, SYNTH_TIMEOUT_MS);
afterAll(() => standIn?.close());
beforeEach(() => standIn?.resetStats());

const running = () => {
  if (!standIn) throw new Error('the stand-in did not start (see beforeAll)');
  return standIn;
};

const readerCredentials = () =>
  assumedCredentials(HOME_CREDENTIALS, {
    roleArn: READER_ROLE,
    sessionName: 'discovery',
    sourceIdentity: model.sourceIdentity,
  });

function organizations(
  credentials: NonNullable<OrganizationsClientConfig['credentials']>,
  region = 'us-east-1',
) {
  return new OrganizationsClient({
    region,
    credentials,
    endpoint: running().url,
    maxAttempts: 1,
  });
}

describe('the reader role lists the modelled organization', () => {
  it('lists the accounts of an OU with their State, page by page', async () => {
    const client = organizations(await readerCredentials());
    const pages = [];
    for await (const page of paginateListAccountsForParent(
      { client, pageSize: 2 },
      { ParentId: WORKLOADS },
    )) {
      pages.push(page.Accounts?.map((account) => `${account.Id} ${account.State}`));
    }
    expect(pages).toEqual([
      ['222222222222 ACTIVE', '333333333333 ACTIVE'],
      ['555555555555 SUSPENDED'],
    ]);
    expect(running().stats.organizations).toEqual({ calls: 2, byParent: { [WORKLOADS]: 2 } });
    expect(running().stats.calls.byAction['organizations:ListAccountsForParent']).toBe(2);
  });

  it('answers in the shape of AWS, ARNs owned by the management account', async () => {
    const client = organizations(await readerCredentials());
    const page = await client.send(new ListAccountsForParentCommand({ ParentId: PROD }));
    expect(page.NextToken).toBeUndefined();
    expect(page.Accounts).toEqual([
      {
        Id: '444444444444',
        Arn: `arn:aws:organizations::${READER_ACCOUNT}:account/${ORG}/444444444444`,
        Email: 'aws+444444444444@example.com',
        Name: 'prod',
        Status: 'ACTIVE',
        State: 'ACTIVE',
        JoinedMethod: 'CREATED',
        JoinedTimestamp: new Date('2024-01-01T00:00:00Z'),
      },
    ]);
  });

  it('lists the child OUs of the root and of an OU', async () => {
    const client = organizations(await readerCredentials());
    const children = async (parent: string) => {
      const ids: string[] = [];
      for await (const page of paginateListOrganizationalUnitsForParent(
        { client, pageSize: 1 },
        { ParentId: parent },
      )) {
        ids.push(...(page.OrganizationalUnits ?? []).map((unit) => `${unit.Id} ${unit.Name}`));
      }
      return ids;
    };
    expect(await children(ROOT)).toEqual([`${WORKLOADS} Workloads`, `${SANDBOX} Sandbox`]);
    expect(await children(WORKLOADS)).toEqual([`${PROD} Prod`]);
    expect(await children(PROD)).toEqual([]);
    // One page per unit of the root, one more for the last, empty, page.
    expect(running().stats.organizations.byParent).toEqual({
      [ROOT]: 2,
      [WORKLOADS]: 1,
      [PROD]: 1,
    });
  });

  it('is global: a client of another region reaches the same organization', async () => {
    const client = organizations(await readerCredentials(), 'eu-west-1');
    const page = await client.send(new ListAccountsForParentCommand({ ParentId: SANDBOX }));
    expect(page.Accounts?.map((account) => account.Id)).toEqual(['666666666666']);
  });
});

describe('what Organizations refuses', () => {
  it('denies the function itself: only the reader role may list', async () => {
    const failure = await failureOf(
      organizations(HOME_CREDENTIALS).send(
        new ListAccountsForParentCommand({ ParentId: WORKLOADS }),
      ),
    );
    expect(failure.name).toBe('AccessDeniedException');
    expect(failure.message).toBe(
      `User: arn:aws:sts::111111111111:assumed-role/cross-account-lambda-localorg-us-east-1-exec/crossAccount is not authorized to perform: organizations:ListAccountsForParent on resource: arn:aws:organizations::${READER_ACCOUNT}:ou/${ORG}/${WORKLOADS} because no identity-based policy allows the organizations:ListAccountsForParent action`,
    );
    expect(running().stats.organizations.calls).toBe(0);
  });

  it('answers ParentNotFoundException for a unit the organization does not have', async () => {
    const failure = await failureOf(
      organizations(await readerCredentials()).send(
        new ListAccountsForParentCommand({ ParentId: 'ou-ab12-99999999' }),
      ),
    );
    expect(failure.name).toBe('ParentNotFoundException');
  });

  it.each([
    [{ ParentId: 'ou-1' }, 'ParentId'],
    [{ ParentId: WORKLOADS, MaxResults: 21 }, 'MaxResults must be between 1 and 20'],
    [{ ParentId: WORKLOADS, NextToken: 'made-up' }, 'invalid value for nextToken'],
  ])('refuses %j with InvalidInputException naming %s', async (input, words) => {
    const failure = await failureOf(
      organizations(await readerCredentials()).send(new ListAccountsForParentCommand(input)),
    );
    expect(failure.name).toBe('InvalidInputException');
    expect(failure.message).toContain(words);
  });

  it("refuses another parent's NextToken", async () => {
    const client = organizations(await readerCredentials());
    const first = await client.send(
      new ListAccountsForParentCommand({ ParentId: WORKLOADS, MaxResults: 1 }),
    );
    expect(first.NextToken).toEqual(expect.any(String));
    const failure = await failureOf(
      client.send(new ListAccountsForParentCommand({ ParentId: PROD, NextToken: first.NextToken })),
    );
    expect(failure.name).toBe('InvalidInputException');
  });
});

describe('a modelled organization that Organizations could not hold', () => {
  it.each([
    [
      'a root id of another shape',
      { ...organization, rootId: 'root' },
      'root root is not a root id',
    ],
    [
      'a unit under a unit listed after it',
      { ...organization, units: [{ id: PROD, name: 'Prod', parentId: WORKLOADS }] },
      `unit ${PROD} sits in ${WORKLOADS}, not above it`,
    ],
    [
      'an account in a unit that does not exist',
      {
        ...organization,
        accounts: [
          { id: '222222222222', name: 'a', parentId: 'ou-ab12-77777777', state: 'ACTIVE' },
        ],
      },
      'account 222222222222 sits in unknown ou-ab12-77777777',
    ],
  ] as const)('is refused at start: %s', async (_, broken, message) => {
    await expect(startStandIn({ model, organization: broken })).rejects.toThrow(StandInError);
    await expect(startStandIn({ model, organization: broken })).rejects.toThrow(message);
  });
});
