// The deploy roles' boundary on the target role, widened as an administrator does it for a job:
// the statements `npm run check` prints (or the README shows) first in TargetRoleBoundary's
// Statement. Shared by the README's tests, the walkthrough, the examples and the corpus.

/** The deploy roles' templates that put TargetRoleBoundary on the target role. */
export const DEPLOYER_TEMPLATES = [
  'resources/target-deployer-role.yml',
  'docs/organizations/stackset-execution-role.yml',
];

const BOUNDARY_START =
  /( {6}ManagedPolicyName: !Sub '\$\{TargetRoleName\}-boundary'\n[\s\S]*?\n {8}Statement:\n)/;

/**
 * `template` with `statements` first in TargetRoleBoundary's Statement, each wildcard other than
 * `*` justified as the job's own declaration (Metadata.WildcardJustifications).
 */
export function withBoundaryStatements(
  template: string,
  statements: readonly string[],
  what = 'the deployer template',
): string {
  if (!BOUNDARY_START.test(template)) throw new Error(`${what}: no TargetRoleBoundary Statement`);
  const added = statements.map((statement) => statement.trimEnd()).join('\n');
  const widened = template.replace(BOUNDARY_START, (head: string) => `${head}${added}\n`);
  const wild = statements.flatMap((statement) => {
    const sid = /Sid: (\w+)/.exec(statement)?.[1];
    return sid && /Resource:[\s\S]*\*/.test(statement) && !/Resource: '\*'/.test(statement)
      ? [`    ${sid}: the resources the job declares\n`]
      : [];
  });
  if (wild.length === 0) return widened;
  return widened.includes('\n  WildcardJustifications:\n')
    ? widened.replace(
        '\n  WildcardJustifications:\n',
        () => `\n  WildcardJustifications:\n${wild.join('')}`,
      )
    : widened.replace(
        '\nMetadata:\n',
        () => `\nMetadata:\n  WildcardJustifications:\n${wild.join('')}`,
      );
}
