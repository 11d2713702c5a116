// The target accounts from AWS Organizations: the ACTIVE accounts of the configured OUs (or the
// root) and of every OU below them, read through a read-only role in the management or
// delegated-administrator account (docs/organizations/organizations-reader-role.yml), and kept for
// ACCOUNT_CACHE_SECONDS per container. The default bundle leaves this module out
// (the serverless plugin's esbuild-plugins.js, discovery-only-when-configured): the Organizations client is
// ~13 KiB zipped (98.5 to 111.6 KiB), more than the 100 KiB target leaves.
import {
  OrganizationsClient,
  paginateListAccountsForParent,
  paginateListOrganizationalUnitsForParent,
} from '@aws-sdk/client-organizations';
import type { DiscoveryConfig } from './config';
import type { TargetSession } from './credentials';
import { CrossAccountError } from './errors';
import type { Logger } from './logger';

/** Listing the accounts failed and no earlier list of this container can stand in. */
export class AccountDiscoveryError extends CrossAccountError {
  readonly code = 'AccountDiscoveryFailed';
}

export interface DiscoveryOptions {
  readonly config: DiscoveryConfig;
  /** The reader role's session (src/credentials.ts): its credential is cached like a target's. */
  readonly session: TargetSession;
  /** Region of the function; the SDK's endpoint rules send Organizations to its global endpoint. */
  readonly region: string;
  readonly logger: Logger;
  /** Milliseconds since the epoch; injected so tests age the cache without waiting. */
  readonly now?: () => number;
}

export interface AccountDiscovery {
  /** The ACTIVE account ids under the configured units, ascending; cached per container. */
  accounts(): Promise<readonly string[]>;
  /** Organizations calls (pages) made by this container, for the logs and the bench. */
  readonly calls: number;
}

export function createAccountDiscovery(options: DiscoveryOptions): AccountDiscovery {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  let calls = 0;
  let cached: { accounts: readonly string[]; expiresAt: number } | undefined;
  let pending: Promise<readonly string[]> | undefined;

  const organizations = () => options.session.clientsIn(options.region).client(OrganizationsClient);

  // Parents one after another, pages one after another: Organizations allows only a few
  // requests per second per account, shared with every other tool of the organization.
  async function list(): Promise<readonly string[]> {
    await options.session.ensureCredentials();
    const client = organizations();
    const found = new Set<string>();
    const skipped: Record<string, number> = {};
    const visited = new Set<string>();
    const parents = [...config.organizationalUnits];
    for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
      // A unit configured next to one of its ancestors is listed once.
      if (visited.has(parent)) continue;
      visited.add(parent);
      for await (const page of paginateListAccountsForParent(paging(client), {
        ParentId: parent,
      })) {
        calls += 1;
        for (const account of page.Accounts ?? []) {
          // State replaces the deprecated Status; either says ACTIVE for an account in use.
          const state = account.State ?? account.Status ?? 'UNKNOWN';
          if (!account.Id) continue;
          if (state === 'ACTIVE') found.add(account.Id);
          else skipped[state] = (skipped[state] ?? 0) + 1;
        }
      }
      const children = paginateListOrganizationalUnitsForParent(paging(client), {
        ParentId: parent,
      });
      for await (const page of children) {
        calls += 1;
        for (const unit of page.OrganizationalUnits ?? []) if (unit.Id) parents.push(unit.Id);
      }
    }
    const accounts = [...found].sort();
    logger.info('discovered accounts', {
      accounts: accounts.length,
      units: visited.size,
      skipped,
      organizationsCalls: calls,
    });
    if (accounts.length === 0) {
      throw new AccountDiscoveryError(
        `no ACTIVE account under ${config.organizationalUnits.join(', ')} (or their child OUs); ` +
          'check --param targetOrganizationalUnits',
      );
    }
    return accounts;
  }

  async function refresh(): Promise<readonly string[]> {
    try {
      const accounts = await list();
      cached = { accounts, expiresAt: now() + config.cacheSeconds * 1000 };
      return accounts;
    } catch (error) {
      // A throttled or briefly failing Organizations must not stop a run that has a recent list.
      if (cached) {
        logger.warn('account discovery failed; using the previous list', {
          error,
          accounts: cached.accounts.length,
        });
        return cached.accounts;
      }
      if (error instanceof AccountDiscoveryError) throw error;
      throw new AccountDiscoveryError(
        `could not list the accounts of ${config.organizationalUnits.join(', ')} as ` +
          `${config.readerRoleArn}: ${describe(error)}. Deploy docs/organizations/organizations-reader-role.yml ` +
          "in the account of --param organizationReaderAccountId with this stack's ExecutionRoleName, " +
          'and check targetOrganizationalUnits names units of that organization',
        { cause: error },
      );
    }
  }

  return {
    accounts() {
      if (cached && now() < cached.expiresAt) return Promise.resolve(cached.accounts);
      // Concurrent callers share one listing.
      pending ??= refresh().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    get calls() {
      return calls;
    },
  };
}

// Organizations' largest page (MaxResults 20): the fewest calls against its low rate limit.
const PAGE_SIZE = 20;
const paging = (client: OrganizationsClient) => ({ client, pageSize: PAGE_SIZE });

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
