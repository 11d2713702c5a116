// The wildcard audit of `npm run check`: every `*` in an Action or Resource (or NotAction /
// NotResource) of an Allow statement in the stacks' policies must be justified, either by its
// shape (the `*` only ranges inside one named resource, such as the objects of one bucket) or by
// the template's Metadata.WildcardJustifications entry for the statement's Sid. Deny statements
// are not audited: a wildcard there only widens what is denied.
//
// A `*` account in a role ARN that only sts actions use is justified by an exact organization
// condition on the resource (organization mode), and by nothing else.
//
// Trust policies are stricter: a `*` or `?` in the Principal or in a Condition value of an Allow
// statement (ArnEquals honours both, like ArnLike) fails the check whatever the template's
// AllowedPattern admits, and no justification lifts it: the trust names exactly one principal.
import { ResolvedTemplate, type StackInputs, type TemplateDocument } from './cfn';
import { EvaluatorError } from './errors';
import type { NamedPolicy, PolicyDocument } from './policy';
import { sarAction } from './sar';
import { readTemplate, relativeToCwd } from './templates';

/** Resource shapes whose trailing `*` stays inside one resource named in full before it. */
const SCOPED_SUFFIXES: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /^arn:[\w-]+:s3:::[^*/]+\/([^*?]+\/)?\*$/,
    why: 'the objects of one named bucket (under one prefix)',
  },
  {
    // `:*` (the group and its streams), `:*:*` and `:log-stream:*` (its streams).
    pattern: /^arn:[\w-]+:logs:[\w-]+:\d{12}:log-group:[^*:]+(:\*|:\*:\*|:log-stream:\*)$/,
    why: 'the log streams of one named log group',
  },
  {
    pattern: /^arn:[\w-]+:cloudformation:[\w-]+:\d{12}:stack\/[^*/]+\/\*$/,
    why: 'the stack id of one named stack',
  },
  {
    pattern: /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:[^*:]+:\*$/,
    why: 'the versions and aliases of one named function',
  },
];

const FIELDS = ['Action', 'NotAction', 'Resource', 'NotResource'] as const;

export interface WildcardFinding {
  /** Template (or synthesised stack) the policy comes from. */
  source: string;
  policy: string;
  /** The statement's Sid, or `#<n>` (1-based) when it has none. */
  statement: string;
  /** The statement field; for a trust policy `Principal` or `Condition <operator> <key>`. */
  field: (typeof FIELDS)[number] | 'Principal' | `Condition ${string}`;
  value: string;
  /** Why the wildcard is acceptable; absent for a finding that fails the check. */
  justification?: string;
  /** A wildcard in a trust policy: never justified. */
  trust?: true;
}

/** Every `*` or `?` in the Principal or a Condition value of the Allow statements of trust policies. */
export function findTrustWildcards(
  sources: Array<{ source: string; policy: string; trustPolicy: PolicyDocument }>,
): WildcardFinding[] {
  const findings: WildcardFinding[] = [];
  const wild = (value: string) => /[*?]/.test(value);
  for (const { source, policy, trustPolicy } of sources) {
    trustPolicy.Statement.forEach((statement, index) => {
      if (statement.Effect !== 'Allow') return;
      const sid = statement.Sid ?? `#${index + 1}`;
      const add = (field: WildcardFinding['field'], value: string) =>
        findings.push({ source, policy, statement: sid, field, value, trust: true });
      const principal = statement.Principal as unknown;
      const principals =
        typeof principal === 'string'
          ? [principal]
          : Object.values((principal ?? {}) as Record<string, unknown>).flat();
      for (const value of principals.map(String).filter(wild)) add('Principal', value);
      const conditions = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
      for (const [operator, keys] of Object.entries(conditions)) {
        for (const [key, values] of Object.entries(keys ?? {})) {
          for (const value of [values].flat().map(String).filter(wild)) {
            add(`Condition ${operator} ${key}`, value);
          }
        }
      }
    });
  }
  return findings;
}

export interface PolicySource {
  source: string;
  policies: NamedPolicy[];
  /** Sid → reason, from the template's Metadata.WildcardJustifications. */
  justifications?: Record<string, string>;
}

export function justificationsOf(template: TemplateDocument): Record<string, string> {
  const entries = (template.Metadata as { WildcardJustifications?: unknown } | undefined)
    ?.WildcardJustifications;
  if (entries === undefined) return {};
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
    throw new EvaluatorError('Metadata.WildcardJustifications must map statement Sids to reasons');
  }
  return Object.fromEntries(
    Object.entries(entries).filter(([, why]) => typeof why === 'string' && why.trim() !== ''),
  ) as Record<string, string>;
}

/** Every wildcard in the Allow statements of the given policies, justified or not. */
export function findWildcards(sources: PolicySource[]): WildcardFinding[] {
  const findings: WildcardFinding[] = [];
  for (const { source, policies, justifications = {} } of sources) {
    for (const policy of policies) {
      policy.document.Statement.forEach((statement, index) => {
        if (statement.Effect !== 'Allow') return;
        const sid = statement.Sid ?? `#${index + 1}`;
        for (const field of FIELDS) {
          const values = [statement[field] ?? []].flat().map(String);
          for (const value of values.filter((v) => v.includes('*'))) {
            const scoped = field.includes('Resource')
              ? SCOPED_SUFFIXES.find((s) => s.pattern.test(value))
              : undefined;
            const bounded = field === 'Resource' ? organizationBound(statement) : undefined;
            const onlyStar =
              field === 'Resource' && value === '*' ? wildcardOnlyActions(statement) : undefined;
            const why =
              scoped?.why ??
              bounded ??
              onlyStar ??
              (statement.Sid ? justifications[statement.Sid] : undefined);
            findings.push({
              source,
              policy: policy.name,
              statement: sid,
              field,
              value,
              ...(why ? { justification: why } : {}),
            });
          }
        }
      });
    }
  }
  return findings;
}

/**
 * `Resource: "*"` is the only resource AWS matches for actions that act on no resource type (the
 * Service Authorization Reference lists none for them): justified when every action of the
 * statement is such an action, named exactly.
 */
function wildcardOnlyActions(statement: PolicyDocument['Statement'][number]): string | undefined {
  if (statement.NotAction !== undefined) return undefined;
  const actions = [statement.Action ?? []].flat().map(String);
  const all =
    actions.length > 0 &&
    actions.every((action) => !/[*?]/.test(action) && sarAction(action)?.wildcardOnly === true);
  return all
    ? `${actions.join(', ')} act${actions.length === 1 ? 's' : ''} on no resource type: AWS matches only "*" (Service Authorization Reference)`
    : undefined;
}

/**
 * Organization mode: a role name in any account is bounded when the statement only assumes roles
 * (sts:AssumeRole, sts:SetSourceIdentity) and requires the resource's organization (or OU path)
 * by an exact StringEquals value.
 */
function organizationBound(statement: PolicyDocument['Statement'][number]): string | undefined {
  const actions = [statement.Action ?? []].flat().map(String);
  const assumesOnly =
    actions.length > 0 &&
    actions.every((a) => a === 'sts:AssumeRole' || a === 'sts:SetSourceIdentity');
  const conditions = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
  const values = (operator: string, key: string) =>
    [conditions[operator]?.[key] ?? []].flat().map(String);
  const orgId = values('StringEquals', 'aws:ResourceOrgID');
  // An OU path may end in /* (the OU and everything under it) and have no other wildcard.
  const paths = values('ForAnyValue:StringLike', 'aws:ResourceOrgPaths');
  const bound =
    orgId.length > 0 && orgId.every((v) => /^o-[a-z0-9]{10,32}$/.test(v))
      ? `StringEquals aws:ResourceOrgID ${orgId.join(', ')}`
      : paths.length > 0 && paths.every((v) => ORG_PATH.test(v))
        ? `ForAnyValue:StringLike aws:ResourceOrgPaths ${paths.join(', ')}`
        : undefined;
  return assumesOnly && bound ? `role accounts bounded by ${bound}` : undefined;
}

// o-<org>/r-<root>[/ou-...]/[*], or o-<org>/*/ou-.../[*]: an OU named at any depth (the form
// targetOrganizationalUnits writes, as an OU's parents are not known at deploy time); a * in the
// root's place must be followed by a named OU, so it never stands for the whole organization.
const OU = 'ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}';
const ORG_PATH = new RegExp(
  `^o-[a-z0-9]{10,32}/(?:r-[a-z0-9]{4,32}(?:/${OU})*|\\*(?:/${OU})+)/(\\*)?$`,
);

/** The inline policies of every role in a template, resolved with the given inputs. */
export function rolePolicies(path: string, inputs: StackInputs): PolicySource {
  const template = readTemplate(path);
  const stack = new ResolvedTemplate(relativeToCwd(path), template, inputs);
  const policies = stack.existingResources('AWS::IAM::Role').flatMap((roleId) => {
    const list = (stack.property(roleId, 'Policies') ?? []) as Array<{
      PolicyName?: unknown;
      PolicyDocument?: { Statement?: unknown };
    }>;
    return list.map((entry, index) => ({
      name: `${roleId}/${String(entry.PolicyName ?? `inline-${index + 1}`)}`,
      document: {
        ...entry.PolicyDocument,
        Statement: [
          entry.PolicyDocument?.Statement ?? [],
        ].flat() as NamedPolicy['document']['Statement'],
      },
    }));
  });
  // Managed policies the template creates (the administrator's permissions boundaries).
  const managed = stack.existingResources('AWS::IAM::ManagedPolicy').map((id) => {
    const document = stack.property(id, 'PolicyDocument') as { Statement?: unknown } | undefined;
    return {
      name: id,
      document: {
        ...document,
        Statement: [document?.Statement ?? []].flat() as NamedPolicy['document']['Statement'],
      } as NamedPolicy['document'],
    };
  });
  return {
    source: stack.source,
    policies: [...policies, ...managed],
    justifications: justificationsOf(template),
  };
}

export function describeFinding(f: WildcardFinding): string {
  const base = `${f.source}: policy ${f.policy}, statement ${f.statement}: ${f.field} "${f.value}"`;
  return f.trust
    ? `${base}: a wildcard in a trust policy admits more than the execution role; name it exactly (no justification applies)`
    : base;
}

export function unjustified(findings: WildcardFinding[]): WildcardFinding[] {
  return findings.filter((f) => f.justification === undefined);
}
