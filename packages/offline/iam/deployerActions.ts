// The actions a deploy role needs, derived from the resource types of the stack it deploys and
// CloudFormation's resource provider schemas (handlers.create/read/update/delete.permissions,
// data/cfn-handler-permissions.json): CloudFormation calls those actions with the deployer's own
// credentials. Every action a handler may call must be granted or refused on purpose, with the
// reason, in the template's Metadata.ActionsNotGranted; every granted action must be one a handler
// calls, or sit in a statement the deploy tool itself calls (Metadata.ActionsOfTheDeployTool).
// So a resource type added to a stack (an alarm, say) reports its missing actions, and an action
// no handler and no tool call uses is reported as unused. An entry with `Unless: <condition>`
// refuses its actions only while that condition of the deployer template is false.

import { ResolvedTemplate, type StackInputs, type TemplateDocument } from './cfn';
import handlerData from './data/cfn-handler-permissions.json';
import { EvaluatorError } from './errors';
import { readTemplate, relativeToCwd } from './templates';

type Handlers = Partial<Record<'create' | 'read' | 'update' | 'delete', string[]>>;
const HANDLERS = (handlerData as { types: Record<string, Handlers> }).types;

export interface ActionFinding {
  /** The deployer template. */
  source: string;
  action: string;
  /** missing: a handler calls it and it is neither granted nor refused; unused: nothing calls it;
   * refused-but-granted: listed in ActionsNotGranted and granted all the same. */
  kind: 'missing' | 'unused' | 'refused-but-granted';
  /** Which resource types' handlers call it (missing), or the statement granting it (unused). */
  where: string;
}

export interface ActionAudit {
  source: string;
  /** The resource types of the deployed stack. */
  resourceTypes: string[];
  granted: number;
  refused: number;
  findings: ActionFinding[];
}

// IAM action names are case-insensitive; findings show them as the schema or the template spells them.
const norm = (action: string) => action.toLowerCase();
const spelled = new Map<string, string>();
const remember = (action: string) => {
  if (!spelled.has(norm(action))) spelled.set(norm(action), action);
  return norm(action);
};
const display = (key: string) => spelled.get(key) ?? key;

/** The resource types a stack template declares (whatever its conditions select). */
export function resourceTypesOf(template: TemplateDocument): string[] {
  return [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort();
}

/** Every action the handlers of these resource types may call, with the types that call it. */
export function handlerActions(resourceTypes: string[], source: string): Map<string, string[]> {
  const actions = new Map<string, string[]>();
  for (const type of resourceTypes) {
    const handlers = HANDLERS[type];
    if (!handlers) {
      throw new EvaluatorError(
        `${source} deploys a ${type}, whose handler permissions are not in offline/iam/data/cfn-handler-permissions.json: add its create/read/update/delete permissions from the type's registry schema`,
      );
    }
    for (const list of Object.values(handlers)) {
      for (const action of list) {
        const key = remember(action);
        const types = actions.get(key) ?? [];
        if (!types.includes(type)) types.push(type);
        actions.set(key, types);
      }
    }
  }
  return actions;
}

interface StatementLike {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
}

/**
 * The deployer role `roleId` of `templatePath`, audited against the stack `deployed` it deploys.
 */
export function auditDeployerActions(
  templatePath: string,
  roleId: string,
  deployed: TemplateDocument,
  inputs: StackInputs,
): ActionAudit {
  const template = readTemplate(templatePath);
  const source = relativeToCwd(templatePath);
  const stack = new ResolvedTemplate(source, template, inputs);
  const metadata = (template.Metadata ?? {}) as {
    ActionsNotGranted?: Array<{ Why?: string; Unless?: string; Actions?: string[] }>;
    ActionsOfTheDeployTool?: Record<string, string>;
  };
  const refused = new Map<string, string>();
  for (const entry of metadata.ActionsNotGranted ?? []) {
    if (!entry.Why) throw new EvaluatorError(`${source}: an ActionsNotGranted entry has no Why`);
    // `Unless: <condition>`: refused only while the condition is false (granted when it holds).
    if (entry.Unless && stack.condition(entry.Unless, `Metadata.ActionsNotGranted Unless`))
      continue;
    for (const action of entry.Actions ?? []) refused.set(norm(action), entry.Why);
  }
  const toolStatements = new Set(Object.keys(metadata.ActionsOfTheDeployTool ?? {}));
  const policies = (stack.property(roleId, 'Policies') ?? []) as Array<{
    PolicyDocument?: { Statement?: StatementLike | StatementLike[] };
  }>;
  const granted = new Map<string, string>();
  const byTool = new Set<string>();
  for (const policy of policies) {
    for (const statement of [policy.PolicyDocument?.Statement ?? []].flat()) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action ?? []].flat()) {
        granted.set(remember(action), statement.Sid ?? '(no Sid)');
        if (statement.Sid && toolStatements.has(statement.Sid)) byTool.add(norm(action));
      }
    }
  }
  const types = resourceTypesOf(deployed);
  const needed = handlerActions(types, source);
  const findings: ActionFinding[] = [];
  for (const [action, callers] of needed) {
    if (granted.has(action) || refused.has(action)) continue;
    findings.push({ source, action: display(action), kind: 'missing', where: callers.join(', ') });
  }
  for (const [action, sid] of granted) {
    if (refused.has(action)) {
      findings.push({ source, action: display(action), kind: 'refused-but-granted', where: sid });
    } else if (!needed.has(action) && !byTool.has(action)) {
      findings.push({ source, action: display(action), kind: 'unused', where: sid });
    }
  }
  return { source, resourceTypes: types, granted: granted.size, refused: refused.size, findings };
}

export function describeActionFinding(f: ActionFinding): string {
  switch (f.kind) {
    case 'missing':
      return `${f.source}: MISSING ${f.action}: CloudFormation's handlers of ${f.where} call it; grant it, or list it in Metadata.ActionsNotGranted with the reason`;
    case 'unused':
      return `${f.source}: UNUSED ${f.action} (statement ${f.where}): no handler of the stack's resource types calls it; remove it, or put it in a statement listed in Metadata.ActionsOfTheDeployTool`;
    default:
      return `${f.source}: ${f.action} is in Metadata.ActionsNotGranted but granted (statement ${f.where}): remove one`;
  }
}
