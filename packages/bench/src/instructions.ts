// `npm run bench -- --instructions on`: one cold start per variant under valgrind's callgrind, which
// counts the instructions the process executes. Unlike wall time, the count does not move with the
// machine's load, so it tells a small gap between two variants from noise. Valgrind slows a
// process down many times over: the variants run one after another, once each, after the timed
// rounds, against the same stand-in; V8's JIT-compiled code is counted like any other.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColdStartInput } from './child/coldStart';
import { INPUT_VARIABLE, RESULT_FILE_VARIABLE } from './child/support';
import { ratio, type Section } from './report';
import type { Variant, VariantName } from './variants';

export interface InstructionCount {
  readonly variant: VariantName;
  readonly label: string;
  /** Instructions executed from process start to exit, as callgrind's `summary:` line gives them. */
  readonly instructions: number;
}

/** valgrind on PATH, or undefined. */
export function findValgrind(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, 'valgrind');
    if (dir && existsSync(path)) return path;
  }
  return undefined;
}

export async function countInstructions(options: {
  readonly valgrind: string;
  readonly script: string;
  readonly variants: readonly Variant[];
  readonly env: Readonly<Record<string, string>>;
  readonly lambdaFlags: readonly string[];
  readonly workDir: string;
}): Promise<InstructionCount[]> {
  const counts: InstructionCount[] = [];
  for (const variant of options.variants) {
    const out = join(options.workDir, `callgrind.${variant.name}.out`);
    const resultFile = join(options.workDir, `callgrind.${variant.name}.result.json`);
    const input: ColdStartInput = {
      handlerPath: variant.handlerPath,
      requestId: 'bench-callgrind',
    };
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        options.valgrind,
        [
          '--tool=callgrind',
          `--callgrind-out-file=${out}`,
          process.execPath,
          ...options.lambdaFlags,
          ...variant.nodeArgs,
          options.script,
        ],
        {
          env: {
            ...options.env,
            ...variant.env,
            [INPUT_VARIABLE]: JSON.stringify(input),
            // Slowed many times over: the calls must not time out where they would not on Lambda.
            BENCH_TIMEOUT_MS: '120000',
            // The child's result: its first invocation must have been served.
            [RESULT_FILE_VARIABLE]: resultFile,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const result = existsSync(resultFile) ? readFileSync(resultFile, 'utf8') : '';
        const served = /"failed":0\b/.test(result) || /"keys":\[/.test(result);
        if (code === 0 && served) resolve();
        else
          reject(
            new Error(
              `callgrind of ${variant.label} exited ${code}${served ? '' : ' without serving its invocation'}: ${stderr.slice(-600)} ${result.slice(0, 400)}`,
            ),
          );
      });
    });
    const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'))?.[1];
    if (!summary) throw new Error(`callgrind wrote no summary for ${variant.label} (${out})`);
    counts.push({ variant: variant.name, label: variant.label, instructions: Number(summary) });
  }
  return counts;
}

export function instructionsSection(counts: readonly InstructionCount[]): Section {
  const article = counts.find((count) => count.variant === 'article');
  const shipped = counts.find((count) => count.variant === 'shipped');
  const millions = (n: number) => `${(n / 1e6).toFixed(1)} M`;
  return {
    title: '2b. Cold start in instructions (callgrind, one process each)',
    table: {
      headers: ['Variant', 'Instructions', 'vs article port', 'vs shipped'],
      rows: counts.map((count) => [
        count.label,
        millions(count.instructions),
        article ? ratio(count.instructions / article.instructions) : '',
        shipped ? ratio(count.instructions / shipped.instructions) : '',
      ]),
    },
    notes: [
      'Process start to exit: Node start-up, module load, the first invocation against the stand-in, ' +
        "under the same Lambda flags as section 2. The count does not move with the machine's load.",
    ],
    checks: [],
  };
}
