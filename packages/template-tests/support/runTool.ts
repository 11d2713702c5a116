// A command of the project run as a user runs it, its exit code and everything it printed, for
// the tests that run npm start, npm run check or npm test in a copy of the project.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function runTool(
  file: string,
  args: readonly string[],
  { cwd, timeout }: { cwd: string; timeout: number },
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(file, [...args], {
      cwd,
      timeout,
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}\n${stderr}` };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      output: `${failure.stdout ?? ''}\n${failure.stderr ?? ''}`,
    };
  }
}
