// The service as a whole, whatever its job: both stacks let the job do exactly what it declares
// (`npm run check`), and the function builds into the artefact `sls deploy` would upload
// (`npm run package`, which stops when the job needs what the bundle leaves out). The job's own
// tests, beside it, say what it does; `npm start` runs it against the offline stand-in.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function npm(script: string, ...args: string[]): Promise<{ code: number; output: string }> {
  // Never the caller's AWS credentials: nothing here needs AWS.
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  return new Promise((done) => {
    execFile(
      'npm',
      ['run', '--silent', script, ...(args.length > 0 ? ['--', ...args] : [])],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

test('npm run check proves both stacks against the job', async () => {
  const { code, output } = await npm('check');
  expect(output).toMatch(/All \d+ cases match/);
  if (code !== 0) throw new Error(output.slice(-3000));
});

test('npm run package builds the function', async () => {
  // Into a folder of its own: the checkout's .serverless/ stays as the last `npm run package` left it.
  const out = mkdtempSync(join(tmpdir(), 'service-package-'));
  const { code, output } = await npm('package', '--package', out).finally(() =>
    rmSync(out, { recursive: true, force: true }),
  );
  expect(output).toMatch(/Service packaged/);
  if (code !== 0) throw new Error(output.slice(-3000));
});
