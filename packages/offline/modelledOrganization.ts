// The small organization `npm start` models when the stage takes its accounts from AWS
// Organizations (targetOrganizationalUnits): ACTIVE accounts under the configured units (one a
// level down, in a child OU), one SUSPENDED account among them, and one ACTIVE account the units
// do not hold (in a sibling OU, or outside the organization when the root is configured). Every
// one of them has the target stack, as a StackSet on the organization would leave it: only the
// listing and IAM keep the function out of the last two.
import type { ModelledAccount, ModelledOrganization, ModelledUnit } from './standin';

export interface OrganizationSetting {
  readonly organizationId: string;
  /** TARGET_ORGANIZATIONAL_UNITS, in order. */
  readonly units: readonly string[];
  /** The reader role's account, and the management account that owns the ARNs. */
  readonly readerAccountId: string;
  readonly managementAccountId: string;
  /** More ACTIVE accounts under the first unit, for runs at scale (npm start --accounts). */
  readonly moreAccounts?: number;
}

/** The id of the n-th extra account (n from 1): 200000000001, 200000000002, ... */
export const extraAccountId = (n: number) => `2${String(n).padStart(11, '0')}`;

export interface SmallOrganization {
  readonly organization: ModelledOrganization;
  /** What discovery should find: the ACTIVE accounts under the units, ascending. */
  readonly underUnits: readonly string[];
  readonly suspended: readonly string[];
  /** ACTIVE, with the target stack, but not under the units. */
  readonly outside: readonly string[];
  /** Outside the organization altogether (the root is configured, so no OU is outside it). */
  readonly outsideOrganization: boolean;
}

// Placeholder accounts of the offline examples; the home (111111111111) and reader (999999999999)
// accounts are not among them.
const ACTIVE = ['222222222222', '333333333333', '444444444444'] as const;
const SUSPENDED = '555555555555';
const OUTSIDE = '666666666666';

export function smallOrganization(setting: OrganizationSetting): SmallOrganization {
  const configuredRoot = setting.units.find((unit) => unit.startsWith('r-'));
  const ous = setting.units.filter((unit) => unit.startsWith('ou-'));
  // An OU id carries its root's: ou-ab12-... sits under r-ab12.
  const rootId = configuredRoot ?? `r-${ous[0]?.split('-')[1] ?? 'ab12'}`;
  const part = rootId.slice(2);
  // ou-ab12-33333333, unless the stage configures that one (then ou-ab12-33333330, ...).
  const free = (digit: string) =>
    [digit, ...'0123456789']
      .map((last) => `ou-${part}-${digit.repeat(7)}${last}`)
      .find((id) => !setting.units.includes(id)) ?? `ou-${part}-${digit}modelled`;
  const units: ModelledUnit[] = ous.map((id, index) => ({
    id,
    name: index === 0 ? 'Workloads' : `Workloads ${index + 1}`,
    parentId: rootId,
  }));
  const first = ous[0] ?? rootId;
  const child = free('3');
  units.push({ id: child, name: 'Prod', parentId: first });
  const [a, b, c] = ACTIVE;
  const accounts: ModelledAccount[] = [
    { id: a, name: 'app-a', parentId: first, state: 'ACTIVE' },
    { id: b, name: 'app-b', parentId: child, state: 'ACTIVE' },
    { id: c, name: 'app-c', parentId: ous[1] ?? first, state: 'ACTIVE' },
    { id: SUSPENDED, name: 'retired', parentId: first, state: 'SUSPENDED' },
  ];
  if (!configuredRoot) {
    const sibling = free('2');
    units.push({ id: sibling, name: 'Sandbox', parentId: rootId });
    accounts.push({ id: OUTSIDE, name: 'sandbox', parentId: sibling, state: 'ACTIVE' });
  }
  const more = Array.from({ length: setting.moreAccounts ?? 0 }, (_, i) => extraAccountId(i + 1));
  for (const [i, id] of more.entries())
    accounts.push({ id, name: `member-${i + 1}`, parentId: first, state: 'ACTIVE' });
  const delegated =
    setting.readerAccountId === setting.managementAccountId ? [] : [setting.readerAccountId];
  return {
    organization: {
      id: setting.organizationId,
      rootId,
      managementAccountId: setting.managementAccountId,
      ...(delegated.length ? { delegatedAdministrators: delegated } : {}),
      units,
      accounts,
    },
    underUnits: [...ACTIVE, ...more].sort(),
    suspended: [SUSPENDED],
    outside: [OUTSIDE],
    outsideOrganization: configuredRoot !== undefined,
  };
}

const SHOWN_PER_UNIT = 6;

/** The tree as the header of `npm start` shows it, one line per unit and account (a few per unit). */
export function organizationLines(
  organization: ModelledOrganization,
  configured: readonly string[],
  describeAccount: (account: ModelledAccount) => string,
): string[] {
  const lines: string[] = [];
  const walk = (parentId: string, depth: number) => {
    const indent = '  '.repeat(depth);
    const here = organization.accounts.filter((x) => x.parentId === parentId);
    for (const account of here.slice(0, SHOWN_PER_UNIT)) {
      lines.push(`${indent}${account.id} ${account.state.padEnd(9)}  ${describeAccount(account)}`);
    }
    if (here.length > SHOWN_PER_UNIT) {
      lines.push(`${indent}... and ${here.length - SHOWN_PER_UNIT} more accounts like these`);
    }
    for (const unit of organization.units.filter((x) => x.parentId === parentId)) {
      const mark = configured.includes(unit.id) ? '  (targetOrganizationalUnits)' : '';
      lines.push(`${indent}${unit.id} ${unit.name}${mark}`);
      walk(unit.id, depth + 1);
    }
  };
  const rootMark = configured.includes(organization.rootId) ? '  (targetOrganizationalUnits)' : '';
  lines.push(`${organization.rootId} Root${rootMark}`);
  walk(organization.rootId, 1);
  return lines;
}
