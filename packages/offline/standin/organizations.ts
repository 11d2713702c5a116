// AWS Organizations over JSON 1.1 (X-Amz-Target AWSOrganizationsV20161128.*): the two listings
// account discovery makes, ListAccountsForParent and ListOrganizationalUnitsForParent, paged with
// NextToken/MaxResults, from a modelled organization (an OU tree with accounts and their state).
// Each call is decided by the shared evaluator first, as any other; Organizations is global, so
// the region it was signed for does not matter. Without a modelled organization, or for any other
// operation, the call goes the way of every service the stand-in does not emulate (fixtures).
import {
  ACCOUNT_ID,
  ORGANIZATIONAL_UNIT_ID as OU_ID,
  ROOT_ID,
} from '@cross-account-lambda/core/src/config';
import { AwsServiceError, jsonError } from './awsErrors';
import type { StandInContext } from './context';
import type { CredentialRecord } from './credentialStore';
import { denialMessage } from './declared';
import { StandInError } from './errors';
import { jsonResult, type RequestIds, type WireResponse } from './response';
import type { ServiceCall } from './serviceCall';

/** Account.State as Organizations reports it; discovery keeps ACTIVE only. */
export type AccountState =
  | 'ACTIVE'
  | 'SUSPENDED'
  | 'PENDING_ACTIVATION'
  | 'PENDING_CLOSURE'
  | 'CLOSED';

export interface ModelledUnit {
  /** ou-<root part>-<8+ characters> */
  readonly id: string;
  readonly name: string;
  /** The root or the OU it sits in. */
  readonly parentId: string;
}

export interface ModelledAccount {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
  readonly state: AccountState;
}

export interface ModelledOrganization {
  /** o-... */
  readonly id: string;
  readonly rootId: string;
  /** Owns every root, OU and account ARN; may call the listings. */
  readonly managementAccountId: string;
  /** Other accounts that may call the listings (delegated administrators). */
  readonly delegatedAdministrators?: readonly string[];
  readonly units: readonly ModelledUnit[];
  readonly accounts: readonly ModelledAccount[];
}

const SERVICE = 'organizations';
const OPERATIONS = new Set(['ListAccountsForParent', 'ListOrganizationalUnitsForParent']);
const MAX_RESULTS = 20;
/** Every account joined at the same (arbitrary) moment: nothing here depends on when. */
const JOINED_SECONDS = Date.UTC(2024, 0, 1) / 1000;

/** Whether the stand-in answers this call itself rather than from fixtures. */
export function emulatesOrganizations(call: ServiceCall, context: StandInContext): boolean {
  return (
    call.service === SERVICE &&
    call.protocol === 'json' &&
    context.organization !== undefined &&
    OPERATIONS.has(call.operation)
  );
}

/** Refuses a tree that Organizations could not hold, naming the entry to fix. */
export function checkOrganization(org: ModelledOrganization): void {
  const fail = (message: string) => {
    throw new StandInError(`the modelled organization ${org.id}: ${message}`);
  };
  if (!ROOT_ID.test(org.rootId)) fail(`root ${org.rootId} is not a root id (r-...)`);
  const parents = new Set([org.rootId]);
  for (const unit of org.units) {
    if (!OU_ID.test(unit.id)) fail(`unit ${unit.id} is not an OU id (ou-...-...)`);
    if (parents.has(unit.id)) fail(`unit ${unit.id} appears twice`);
    // Parents first: a unit names a parent listed before it, so the tree has no cycle.
    if (!parents.has(unit.parentId)) fail(`unit ${unit.id} sits in ${unit.parentId}, not above it`);
    parents.add(unit.id);
  }
  const accounts = new Set<string>();
  for (const account of org.accounts) {
    if (!ACCOUNT_ID.test(account.id)) fail(`account ${account.id} is not a 12-digit id`);
    if (accounts.has(account.id)) fail(`account ${account.id} appears twice`);
    if (!parents.has(account.parentId))
      fail(`account ${account.id} sits in unknown ${account.parentId}`);
    accounts.add(account.id);
  }
}

/**
 * Where each account sits, as IAM's aws:ResourceOrgPaths reads (`o-.../r-.../ou-.../`), so the
 * policy model the evaluator decides with places the accounts where the listings show them.
 */
export function organizationPaths(org: ModelledOrganization): Record<string, string> {
  const parentOf = new Map(org.units.map((unit) => [unit.id, unit.parentId]));
  const pathOf = (parentId: string): string => {
    const chain: string[] = [];
    for (let at: string | undefined = parentId; at !== undefined; at = parentOf.get(at)) {
      chain.unshift(at);
    }
    return `${org.id}/${chain.join('/')}/`;
  };
  return Object.fromEntries(org.accounts.map((account) => [account.id, pathOf(account.parentId)]));
}

export async function handleOrganizations(
  call: ServiceCall,
  signer: CredentialRecord,
  context: StandInContext,
  ids: RequestIds,
  contentType: string | undefined,
): Promise<WireResponse> {
  const org = context.organization;
  if (!org) throw new StandInError('no modelled organization');
  const { caller } = signer.principal;
  const input = parseInput(call);
  const action = `${SERVICE}:${call.operation}`;
  const kind = input.parentId.startsWith('r-') ? 'root' : 'ou';
  const resource = `arn:${context.model.partition}:organizations::${org.managementAccountId}:${kind}/${org.id}/${input.parentId}`;
  const decision = await context.decisions.targetCall(caller, action, resource);
  if (!decision.allowed) {
    throw jsonError(SERVICE).accessDenied(denialMessage(signer, action, resource, decision, false));
  }
  const administrators = [org.managementAccountId, ...(org.delegatedAdministrators ?? [])];
  if (!administrators.includes(caller.accountId)) {
    // Only the management account and delegated administrators may list an organization.
    throw org.accounts.some((account) => account.id === caller.accountId)
      ? new AwsServiceError(
          SERVICE,
          'AccessDeniedException',
          400,
          "You don't have permissions to access this resource.",
        )
      : new AwsServiceError(
          SERVICE,
          'AWSOrganizationsNotInUseException',
          400,
          'Your account is not a member of an organization.',
        );
  }
  context.stats.organizationsCall(input.parentId);
  const known = input.parentId === org.rootId || org.units.some((u) => u.id === input.parentId);
  if (!known) {
    throw new AwsServiceError(
      SERVICE,
      'ParentNotFoundException',
      400,
      "We can't find a root or OU with the ParentId that you specified.",
    );
  }
  const arn = (resourcePath: string) =>
    `arn:${context.model.partition}:organizations::${org.managementAccountId}:${resourcePath}`;
  const items =
    call.operation === 'ListAccountsForParent'
      ? org.accounts
          .filter((account) => account.parentId === input.parentId)
          .map((account) => ({
            Id: account.id,
            Arn: arn(`account/${org.id}/${account.id}`),
            Email: `aws+${account.id}@example.com`,
            Name: account.name,
            // Status is the deprecated field; the SDK still returns both.
            Status: statusOf(account.state),
            State: account.state,
            JoinedMethod: 'CREATED',
            JoinedTimestamp: JOINED_SECONDS,
          }))
      : org.units
          .filter((unit) => unit.parentId === input.parentId)
          .map((unit) => ({ Id: unit.id, Arn: arn(`ou/${org.id}/${unit.id}`), Name: unit.name }));
  const start = input.offset;
  const end = start + input.maxResults;
  const page = items.slice(start, end);
  const next = end < items.length ? tokenFor(call.operation, input.parentId, end) : undefined;
  const member = call.operation === 'ListAccountsForParent' ? 'Accounts' : 'OrganizationalUnits';
  return jsonResult(
    { [member]: page, ...(next === undefined ? {} : { NextToken: next }) },
    ids,
    'json',
    contentType,
  );
}

function statusOf(state: AccountState): string {
  if (state === 'PENDING_CLOSURE') return 'PENDING_CLOSURE';
  return state === 'ACTIVE' || state === 'PENDING_ACTIVATION' ? 'ACTIVE' : 'SUSPENDED';
}

interface ListInput {
  readonly parentId: string;
  readonly maxResults: number;
  readonly offset: number;
}

function invalidInput(message: string): AwsServiceError {
  return new AwsServiceError(SERVICE, 'InvalidInputException', 400, message);
}

/** Input checks as Organizations makes them, before any authorization. */
function parseInput(call: ServiceCall): ListInput {
  const { ParentId, MaxResults, NextToken } = call.parameters;
  if (typeof ParentId !== 'string' || ParentId === '') {
    throw invalidInput('You must specify a value for ParentId.');
  }
  if (!ROOT_ID.test(ParentId) && !OU_ID.test(ParentId)) {
    throw invalidInput(
      'You specified an invalid value for ParentId: it must be a root id (r-...) or an OU id (ou-...-...).',
    );
  }
  let maxResults = MAX_RESULTS;
  if (MaxResults !== undefined) {
    if (typeof MaxResults !== 'number' || !Number.isInteger(MaxResults)) {
      throw invalidInput('You specified an invalid value for MaxResults.');
    }
    if (MaxResults < 1 || MaxResults > MAX_RESULTS) {
      throw invalidInput(`MaxResults must be between 1 and ${MAX_RESULTS}, got ${MaxResults}.`);
    }
    maxResults = MaxResults;
  }
  let offset = 0;
  if (NextToken !== undefined) {
    const decoded =
      typeof NextToken === 'string' ? offsetOf(NextToken, call.operation, ParentId) : undefined;
    if (decoded === undefined) {
      throw invalidInput(
        'You specified an invalid value for nextToken. You must get the value from the response to a previous call to the API.',
      );
    }
    offset = decoded;
  }
  return { parentId: ParentId, maxResults, offset };
}

// Opaque to the caller; tied to the operation and parent it came from, as Organizations' are.
function tokenFor(operation: string, parentId: string, offset: number): string {
  return Buffer.from(JSON.stringify([operation, parentId, offset])).toString('base64url');
}

function offsetOf(token: string, operation: string, parentId: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed[0] !== operation || parsed[1] !== parentId)
      return undefined;
    const offset = parsed[2];
    return typeof offset === 'number' && Number.isInteger(offset) && offset > 0
      ? offset
      : undefined;
  } catch {
    return undefined;
  }
}
