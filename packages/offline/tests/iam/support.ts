// Shared by the IAM tests: the real home stack, synthesised by `sls package` once per parameter set.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeCore } from '@cross-account-lambda/template-tests/support/core';
import { coreTargetTemplateText } from '@cross-account-lambda/template-tests/support/coreTarget';

/** `sls package` takes seconds: a beforeAll that synthesises gets this much time. */
export const SYNTH_TIMEOUT_MS = 120_000;

/** The synthesised CloudFormation template for stage local with these `--param`s. */
export async function homeTemplate(params: Record<string, string> = {}): Promise<unknown> {
  const synthesis = await synthesizeCore({ stage: 'local', params });
  try {
    return synthesis.template;
  } finally {
    await synthesis.dispose();
  }
}

const editedTemplates: string[] = [];

/**
 * A copy of the core's target template (resources/cross-account-role.yml with the core job's
 * grant, packages/template-tests/support/coreTarget.ts) with `edit` applied to its text, to seed a mistake in
 * the template itself. Fails loudly when the edit changed nothing, so a test cannot pass vacuously.
 * Remove the copies with `removeEditedTemplates()`.
 */
export function editedTargetTemplate(edit: (text: string) => string): string {
  const original = coreTargetTemplateText();
  const edited = edit(original);
  if (edited === original)
    throw new Error('the edit did not change resources/cross-account-role.yml');
  const dir = mkdtempSync(join(tmpdir(), 'iam-template-'));
  editedTemplates.push(dir);
  const path = join(dir, 'cross-account-role.yml');
  writeFileSync(path, edited);
  return path;
}

export function removeEditedTemplates(): void {
  for (const dir of editedTemplates.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * The target template with ExecutionRoleName's AllowedPattern loosened to admit anything, as a
 * careless edit might: the pattern is then no guard against a wildcard in the trust.
 */
export function loosenedTargetTemplate(): string {
  return editedTargetTemplate((text) =>
    text.replace(
      "  ExecutionRoleName:\n    Type: String\n    AllowedPattern: '^[\\w+=,.@-]{1,64}$'",
      () => "  ExecutionRoleName:\n    Type: String\n    AllowedPattern: '^.{1,64}$'",
    ),
  );
}
